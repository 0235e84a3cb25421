import { COMPLETENESS_FIELDS } from './record.ts';
import type { GoldenProfile } from './survivorship.ts';

/**
 * Share of the standard member fields (`COMPLETENESS_FIELDS`) a golden profile fills, 0..1.
 * A region counts when it names a province or a city.
 *
 * @example completeness({ phone: '+8613912345670', name: '王芳' }) // 0.25
 */
export function completeness(profile: GoldenProfile): number {
  let filled = 0;
  for (const field of COMPLETENESS_FIELDS) {
    const v = profile[field];
    if (field === 'region' ? Boolean(profile.region?.province || profile.region?.city) : typeof v === 'string' && v.trim() !== '') filled++;
  }
  return filled / COMPLETENESS_FIELDS.length;
}

/** The mean completeness of many profiles; 0 when there are none. */
export function averageCompleteness(profiles: Iterable<GoldenProfile>): number {
  let sum = 0;
  let n = 0;
  for (const p of profiles) {
    sum += completeness(p);
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

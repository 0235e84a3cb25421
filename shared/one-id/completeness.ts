import { COMPLETENESS_FIELDS, type SourceRecord } from './record.ts';
import type { GoldenProfile } from './survivorship.ts';

/**
 * Share of the standard member fields (`COMPLETENESS_FIELDS`) a golden profile fills, 0..1.
 * A region counts when it names a province or a city.
 *
 * @example completeness({ phone: '+8613912345670', name: '王芳' }) // 0.25
 */
export function completeness(profile: GoldenProfile): number {
  let mask = 0;
  COMPLETENESS_FIELDS.forEach((field, bit) => {
    const v = profile[field];
    if (field === 'region' ? Boolean(profile.region?.province?.trim() || profile.region?.city?.trim()) : typeof v === 'string' && v.trim() !== '') mask |= 1 << bit;
  });
  return completenessOfMask(mask);
}

/** The bit of a field in a completeness mask. */
export const fieldBit = (field: (typeof COMPLETENESS_FIELDS)[number]) => 1 << COMPLETENESS_FIELDS.indexOf(field);

/**
 * Completeness from a mask of filled fields (`fieldBit`). Since survivorship never lets an empty
 * value win, a golden field is filled exactly when one of the member's records fills it: the OR
 * of the records' masks gives the golden profile's completeness without building it.
 */
export function completenessOfMask(mask: number): number {
  return fieldsFilled(mask) / COMPLETENESS_FIELDS.length;
}

/** How many standard fields a completeness mask says are filled. */
export function fieldsFilled(mask: number): number {
  let filled = 0;
  for (let m = mask; m; m &= m - 1) filled++;
  return filled;
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

/** The completeness of one source record, as a golden profile of that record alone would have. */
export function recordCompleteness(record: Pick<SourceRecord, 'identities' | 'profile'>): number {
  return completeness({ ...record.profile, ...(record.identities.phone ? { phone: record.identities.phone } : {}), ...(record.identities.cardNo ? { cardNo: record.identities.cardNo } : {}) });
}

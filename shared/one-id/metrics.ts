import { COMPLETENESS_FIELDS } from './record.ts';

/** What One-ID reports about a resolution. */
export interface OneIdMetrics {
  records: number;
  members: number;
  /** Share of golden members whose records come from two or more sources (channels). */
  identificationRate: number;
  /** Records that no longer stand alone: records − golden members. */
  duplicatesRemoved: number;
  /** Mean completeness of the golden profiles, 0..1. */
  averageCompleteness: number;
  quarantinedKeys: number;
}

export interface MemberFigures {
  /** Number of distinct sources among the member's records. */
  sources: number;
  /** The golden profile's completeness, 0..1 (see `completeness`). */
  completeness: number;
}

/**
 * One-ID's figures from one pass over the golden members.
 *
 * @example oneIdMetrics(2, [{ sources: 2, completeness: 0.5 }], 0).identificationRate // 1
 */
export function oneIdMetrics(records: number, members: Iterable<MemberFigures>, quarantinedKeys: number): OneIdMetrics {
  let n = 0;
  let multi = 0;
  let complete = 0;
  for (const m of members) {
    n++;
    if (m.sources >= 2) multi++;
    complete += m.completeness;
  }
  return {
    records,
    members: n,
    identificationRate: n === 0 ? 0 : multi / n,
    duplicatesRemoved: records - n,
    averageCompleteness: n === 0 ? 0 : complete / n,
    quarantinedKeys,
  };
}

/** Channels counted apart in `OneIdSpread.byChannels`; more are counted with the last. */
export const SPREAD_CHANNELS = 4;

/** How the golden members spread: the figures behind the identification rate and the mean completeness. */
export interface OneIdSpread {
  /** Members by number of channels: [one, two, three, four or more]. */
  byChannels: number[];
  /** Members by standard fields filled: index n is n of the 8 (`COMPLETENESS_FIELDS`) filled. */
  byFieldsFilled: number[];
}

/**
 * The spread of golden members by channels and by fields filled, from one pass.
 *
 * @example oneIdSpread([{ sources: 2, completeness: 0.25 }]).byChannels // [0, 1, 0, 0]
 */
export function oneIdSpread(members: Iterable<MemberFigures>): OneIdSpread {
  const byChannels = new Array<number>(SPREAD_CHANNELS).fill(0);
  const byFieldsFilled = new Array<number>(COMPLETENESS_FIELDS.length + 1).fill(0);
  for (const m of members) {
    byChannels[Math.min(Math.max(m.sources, 1), SPREAD_CHANNELS) - 1]!++;
    byFieldsFilled[Math.min(COMPLETENESS_FIELDS.length, Math.max(0, Math.round(m.completeness * COMPLETENESS_FIELDS.length)))]!++;
  }
  return { byChannels, byFieldsFilled };
}


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

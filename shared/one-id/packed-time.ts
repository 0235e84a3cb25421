/*
 * Times in stored documents: one that `toISOString` gives back exactly (every cleaned import
 * time is) is said by its milliseconds, 13 digits instead of 26 characters; any other text is
 * kept as it is, so that what comes back is what went in.
 */

export const packTime = (s: string): number | string => {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString() === s ? ms : s;
};

export const unpackTime = (v: unknown): string => (typeof v === 'number' ? new Date(v).toISOString() : String(v));

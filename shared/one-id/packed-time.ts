/*
 * Times in stored documents: one that `toISOString` gives back exactly (every cleaned import
 * time is) is said by its milliseconds, 13 digits instead of 26 characters; any other text is
 * kept as it is, so that what comes back is what went in.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The decimal number in s[from, from + len), or NaN when any of it is no ASCII digit. */
function digits(s: string, from: number, len: number): number {
  let n = 0;
  for (let i = from; i < from + len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The milliseconds of a time exactly as `toISOString` gives it, else NaN. Read field by field:
 * at 15M records a `Date` and its `toISOString()` per time, only to compare, took seconds of the
 * import (issue 14). A well-formed string whose fields are all in range is what `toISOString`
 * gives for its own milliseconds, so nothing needs formatting back.
 */
export function canonicalMs(s: string): number {
  if (s.length !== 24 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[19] !== '.' || s[23] !== 'Z') return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  const ms = digits(s, 20, 3);
  // Years below 100 are rare, and Date.UTC would read them as 19xx.
  if (y < 100) return slowCanonicalMs(s);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const monthDays = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1];
  // Every comparison with NaN is false: a non-digit anywhere fails here.
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= monthDays! && h <= 23 && mi <= 59 && sec <= 59 && ms >= 0)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

/** What `canonicalMs` answers, by parsing and formatting back (its definition). */
export function slowCanonicalMs(s: string): number {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString() === s ? ms : NaN;
}

export const packTime = (s: string): number | string => {
  const ms = canonicalMs(s);
  return Number.isNaN(ms) ? s : ms;
};

export const unpackTime = (v: unknown): string => (typeof v === 'number' ? new Date(v).toISOString() : String(v));

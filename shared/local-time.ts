/**
 * Business days (daily check-in, birthdays, expiry, the tier window) are the store's days, not
 * UTC's: a check-in at 07:30 in Shanghai is on the same day as one at 23:00 there.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

let memo = { minute: NaN, timeZone: '', date: '' };

/** The store-local calendar date (YYYY-MM-DD) of an instant. */
export function localDate(at: Date | string, timeZone: string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  // Every request asks for today; a date cannot change within a minute in any time zone.
  const minute = Math.floor(d.getTime() / 60_000);
  if (minute === memo.minute && timeZone === memo.timeZone) return memo.date;
  const date = formatter(timeZone).format(d);
  memo = { minute, timeZone, date };
  return date;
}

/** Whether an IANA time zone name is known to this runtime. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Adds calendar months to a YYYY-MM-DD date, clamping to the month's last day (Jan 31 + 1 = Feb 28). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/**
 * Adds calendar days to a YYYY-MM-DD date (negative goes back).
 *
 * @example addDays('2026-03-01', -1) // '2026-02-28'
 */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

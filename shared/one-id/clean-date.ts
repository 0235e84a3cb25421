import { type Cleaned, emptied, impossible, kept, prepare } from './clean-result.ts';

/*
 * Dates arrive in every shape a spreadsheet, a marketplace export or a cashier produces. What is
 * read (year always four digits):
 *   2024-03-05, 2024/3/5, 2024.03.05, 20240305, 2024年3月5日, each with an optional time
 *   (14:03, 14:03:07, 14:03:07.123) and for ISO datetimes an optional zone (Z, +08:00, +0800);
 *   05/03/2024 (and with - or .): day first unless the mapping says 'mdy'. A first number over 12
 *   settles it the other way, since a month cannot be 13, so 03/25/2024 is read as 25 March either way;
 *   Excel serial day numbers (five digits, 32937 = 1990-03-05; 45000.5 = noon);
 *   Unix time in seconds (10 digits) or milliseconds (13 digits).
 * Two-digit years are refused rather than guessed.
 */

export type DateOrder = 'dmy' | 'mdy';

export interface DateOptions {
  /** How to read 05/03/2024: 'dmy' (5 March, the default) or 'mdy' (3 May). */
  order?: DateOrder;
  /** The zone of times written without one, and the zone a datetime's date is taken in. */
  timeZone?: string;
  /** Earliest acceptable date (YYYY-MM-DD), inclusive. */
  min?: string;
  /** Latest acceptable date (YYYY-MM-DD), inclusive. */
  max?: string;
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
/** Birthdays before this are typing mistakes (or 1900-01-01 placeholders' neighbours). */
export const BIRTHDAY_MIN = '1900-01-02';

type Parts = { y: number; m: number; d: number; h: number; mi: number; s: number; ms: number; zone?: string | undefined };
type Instant = { utcMs: number };

const TIME = String.raw`(?:(?:[T\s]+|\s*)(\d{1,2})[:时](\d{2})分?(?:[:分]?(\d{2})秒?(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?`;
const YMD = new RegExp(String.raw`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?${TIME}$`, 'i');
const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:[T\s]?(\d{2})(\d{2})(\d{2})?)?$/;
const DMY = new RegExp(String.raw`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})${TIME}$`, 'i');
const SERIAL = /^(\d{5})(?:\.(\d+))?$/;
const EPOCH = /^(\d{10}|\d{13})$/;
const STANDARD_DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})?$/;

const DAY_MS = 86_400_000;
const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

function int(s: string | undefined): number {
  return s === undefined ? 0 : Number(s);
}

function withTime(y: number, m: number, d: number, g: (string | undefined)[]): Parts {
  const frac = g[3];
  return { y, m, d, h: int(g[0]), mi: int(g[1]), s: int(g[2]), ms: frac ? Math.round(Number(`0.${frac}`) * 1000) : 0, zone: g[4] };
}

function parse(t: string, order: DateOrder): Parts | Instant | undefined {
  let g = YMD.exec(t);
  if (g) return withTime(int(g[1]), int(g[2]), int(g[3]), g.slice(4));
  g = COMPACT.exec(t);
  if (g) return withTime(int(g[1]), int(g[2]), int(g[3]), [g[4], g[5], g[6]]);
  g = DMY.exec(t);
  if (g) {
    let [a, b] = [int(g[1]), int(g[2])];
    let dayFirst = order === 'dmy';
    if (dayFirst && b > 12 && a <= 12) dayFirst = false;
    else if (!dayFirst && a > 12 && b <= 12) dayFirst = true;
    if (!dayFirst) [a, b] = [b, a];
    return withTime(int(g[3]), b, a, g.slice(4));
  }
  g = SERIAL.exec(t);
  if (g) {
    const days = Number(t);
    const whole = Math.floor(days);
    const date = new Date(EXCEL_EPOCH + whole * DAY_MS);
    const msOfDay = Math.round((days - whole) * DAY_MS);
    return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate(), h: 0, mi: 0, s: 0, ms: msOfDay };
  }
  if (EPOCH.test(t)) return { utcMs: t.length === 10 ? Number(t) * 1000 : Number(t) };
  return undefined;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : MONTH_DAYS[m - 1]!;
}

function invalid(p: Parts): string | undefined {
  if (p.y < 1000) return 'year';
  if (p.m < 1 || p.m > 12) return 'month';
  if (p.d < 1 || p.d > daysInMonth(p.y, p.m)) return 'day';
  if (p.h > 23 || p.mi > 59 || p.s > 59) return 'time';
  return undefined;
}

function zoneMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();
const offsetMemo = new Map<string, Map<number, number>>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = zoneFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormatters.set(timeZone, f);
  }
  return f;
}

/** What Intl says the offset is at one instant (slow: tens of microseconds). */
function offsetFromIntl(utcMs: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/**
 * The zone's offset from UTC at an instant, in ms. Memoised per zone and UTC day: a million rows
 * fall on a few thousand days. A day whose two ends disagree holds a transition and is asked
 * about hour by hour (offsets change on the hour in the zones stores are in).
 */
function offsetAt(utcMs: number, timeZone: string): number {
  const day = Math.floor(utcMs / DAY_MS);
  let days = offsetMemo.get(timeZone);
  if (!days) offsetMemo.set(timeZone, (days = new Map()));
  let memo = days.get(day);
  if (memo === undefined) {
    const start = offsetFromIntl(day * DAY_MS, timeZone);
    memo = start === offsetFromIntl(day * DAY_MS + DAY_MS - 1000, timeZone) ? start : NaN;
    if (days.size > 100_000) days.clear();
    days.set(day, memo);
  }
  if (!Number.isNaN(memo)) return memo;
  const hour = Math.floor(utcMs / 3_600_000) * 3_600_000;
  return offsetFromIntl(hour, timeZone);
}

function toUtcMs(p: Parts, timeZone: string): number {
  const wall = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s, p.ms);
  if (p.zone) return wall - zoneMs(p.zone);
  const first = wall - offsetAt(wall, timeZone);
  const second = offsetAt(first, timeZone);
  return wall - second;
}

function dateInZone(utcMs: number, timeZone: string): string {
  const wall = new Date(utcMs + offsetAt(utcMs, timeZone));
  return ymd(wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate());
}

/**
 * A calendar date as YYYY-MM-DD. A datetime with a zone is taken in `timeZone`: systems that store
 * birthdays as local midnight export 1990-03-05 as 1990-03-04T16:00:00Z, which is the 5th in Shanghai.
 * Impossible dates (2023-02-30) and dates outside min..max are impossible.
 *
 * @example cleanDate('1990年3月5日') // { ok: true, value: '1990-03-05', changed: true }
 * @example cleanDate('05/03/1990') // '1990-03-05' (day first)
 */
export function cleanDate(input: string | undefined, opts: DateOptions = {}): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  const tz = opts.timeZone ?? DEFAULT_TIME_ZONE;
  const p = parse(t, opts.order ?? 'dmy');
  if (!p) return impossible(`date: unrecognised '${t.slice(0, 32)}'`);
  let date: string;
  if ('utcMs' in p) date = dateInZone(p.utcMs, tz);
  else {
    const bad = invalid(p);
    if (bad) return impossible(`date: impossible ${bad} in '${t.slice(0, 32)}'`);
    date = p.zone ? dateInZone(toUtcMs(p, tz), tz) : ymd(p.y, p.m, p.d);
  }
  if (opts.min && date < opts.min) return impossible(`date: before ${opts.min}`);
  if (opts.max && date > opts.max) return impossible(`date: after ${opts.max}`);
  return kept(date, date !== input);
}

/**
 * An instant as ISO UTC (toISOString's form). Times written without a zone are wall-clock times
 * in `timeZone` (default Asia/Shanghai); a date alone is that day's midnight there.
 *
 * @example cleanDateTime('2024/3/5 14:03') // { ok: true, value: '2024-03-05T06:03:00.000Z', changed: true }
 */
export function cleanDateTime(input: string | undefined, opts: DateOptions = {}): Cleaned {
  const t = prepare(input);
  if (t === undefined) return emptied(input);
  const tz = opts.timeZone ?? DEFAULT_TIME_ZONE;
  const p = parse(t, opts.order ?? 'dmy');
  if (!p) return impossible(`datetime: unrecognised '${t.slice(0, 32)}'`);
  let utcMs: number;
  if ('utcMs' in p) utcMs = p.utcMs;
  else {
    const bad = invalid(p);
    if (bad) return impossible(`datetime: impossible ${bad} in '${t.slice(0, 32)}'`);
    utcMs = toUtcMs(p, tz);
  }
  if (!Number.isFinite(utcMs) || utcMs < Date.UTC(1900, 0, 1) || utcMs > Date.UTC(9999, 0, 1)) return impossible('datetime: out of range');
  const iso = new Date(utcMs).toISOString();
  // Turning a standard local timestamp into UTC is representation, not repair.
  const standard = input === iso || STANDARD_DATETIME.test(input!);
  if (opts.min && iso.slice(0, 10) < opts.min) return impossible(`datetime: before ${opts.min}`);
  if (opts.max && iso.slice(0, 10) > opts.max) return impossible(`datetime: after ${opts.max}`);
  return kept(iso, !standard);
}

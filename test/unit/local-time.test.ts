import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { addMonths, isTimeZone, localDate } from '../../shared/local-time.ts';

describe('localDate', () => {
  it('uses the store day, not the UTC day, across the Shanghai midnight', () => {
    expect(localDate('2026-01-01T15:59:59.999Z', 'Asia/Shanghai')).toBe('2026-01-01');
    expect(localDate('2026-01-01T16:00:00Z', 'Asia/Shanghai')).toBe('2026-01-02');
    expect(localDate('2026-01-01T16:30:00Z', 'Asia/Shanghai')).toBe('2026-01-02');
    expect(localDate('2026-01-01T16:30:00Z', 'UTC')).toBe('2026-01-01');
    expect(localDate(new Date('2026-01-01T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-01-02');
  });

  it('a check-in at 07:30 and one at 23:00 in Shanghai are on the same day', () => {
    expect(localDate('2026-03-10T07:30:00+08:00', 'Asia/Shanghai')).toBe('2026-03-10');
    expect(localDate('2026-03-10T23:00:00+08:00', 'Asia/Shanghai')).toBe('2026-03-10');
  });

  it('crosses the year in the store zone', () => {
    expect(localDate('2025-12-31T16:00:00Z', 'Asia/Shanghai')).toBe('2026-01-01');
    expect(localDate('2026-01-01T04:00:00Z', 'America/New_York')).toBe('2025-12-31');
  });

  it('formats as YYYY-MM-DD and agrees with UTC arithmetic for a fixed-offset zone', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        const shanghai = localDate(d, 'Asia/Shanghai');
        expect(shanghai).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(shanghai).toBe(new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10));
        expect(localDate(d, 'UTC')).toBe(d.toISOString().slice(0, 10));
      }),
      { numRuns: 300 },
    );
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Asia/Nowhere')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(isTimeZone('not a zone')).toBe(false);
  });
});

describe('addMonths', () => {
  it('adds calendar months', () => {
    expect(addMonths('2026-01-15', 1)).toBe('2026-02-15');
    expect(addMonths('2026-01-15', 24)).toBe('2028-01-15');
    expect(addMonths('2026-11-30', 2)).toBe('2027-01-30');
    expect(addMonths('2026-05-05', 0)).toBe('2026-05-05');
  });

  it('clamps to the last day of a shorter month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-03-31', 1)).toBe('2026-04-30');
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(addMonths('2100-01-31', 1)).toBe('2100-02-28');
    expect(addMonths('2000-01-31', 1)).toBe('2000-02-29');
  });

  it('goes back with negative months', () => {
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
    expect(addMonths('2026-01-15', -1)).toBe('2025-12-15');
    expect(addMonths('2026-06-15', -12)).toBe('2025-06-15');
    expect(addMonths('2028-02-29', -12)).toBe('2027-02-28');
    expect(addMonths('2026-01-31', -2)).toBe('2025-11-30');
    expect(addMonths('2026-01-01', -25)).toBe('2023-12-01');
  });

  const day = fc
    .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));

  it('always gives a real date in the right month, never after the source day of month', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: -240, max: 240 }), (date, months) => {
        const out = addMonths(date, months);
        expect(out).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Date(`${out}T00:00:00Z`).toISOString().slice(0, 10)).toBe(out);
        const [y, m, d] = date.split('-').map(Number) as [number, number, number];
        const [oy, om, od] = out.split('-').map(Number) as [number, number, number];
        expect(oy * 12 + om - (y * 12 + m)).toBe(months);
        expect(od).toBeLessThanOrEqual(d);
        const last = new Date(Date.UTC(oy, om, 0)).getUTCDate();
        expect(od).toBe(Math.min(d, last));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips when no clamping happens (day ≤ 28)', () => {
    fc.assert(
      fc.property(day.filter((d) => Number(d.slice(8)) <= 28), fc.integer({ min: -120, max: 120 }), (date, months) => {
        expect(addMonths(addMonths(date, months), -months)).toBe(date);
      }),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalMs, packTime, slowCanonicalMs, unpackTime } from '../../shared/one-id/packed-time.ts';

// Years 0–9999: what toISOString writes in its 24-character form.
const ANY_TIME = fc.integer({ min: Date.parse('0000-01-01T00:00:00.000Z'), max: Date.parse('9999-12-31T23:59:59.999Z') });

/** An ISO time with one character changed to another the format uses (or cut or lengthened). */
const nearIso = fc.tuple(ANY_TIME, fc.nat(30), fc.constantFrom(...'0123456789-T:.Z +x9'), fc.constantFrom('set', 'cut', 'add')).map(([ms, at, c, how]) => {
  const s = new Date(ms).toISOString();
  const i = at % s.length;
  if (how === 'cut') return s.slice(0, i) + s.slice(i + 1);
  if (how === 'add') return s.slice(0, i) + c + s.slice(i);
  return s.slice(0, i) + c + s.slice(i + 1);
});

describe('canonicalMs', () => {
  it('reads back every time toISOString writes', () => {
    fc.assert(fc.property(ANY_TIME, (ms) => {
      expect(canonicalMs(new Date(ms).toISOString())).toBe(ms);
    }), { numRuns: 5000 });
  });

  it('answers as parsing and formatting back does, for near misses and any text', () => {
    fc.assert(fc.property(fc.oneof(nearIso, fc.string({ maxLength: 30 })), (s) => {
      expect(canonicalMs(s)).toBe(slowCanonicalMs(s));
    }), { numRuns: 20_000 });
  });

  it('refuses days a month does not have and times past the day', () => {
    for (const s of ['2024-02-30T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2024-04-31T00:00:00.000Z', '2024-01-01T24:00:00.000Z', '2024-01-01T00:60:00.000Z', '2024-13-01T00:00:00.000Z', '2024-01-01T00:00:00.000+', '2024-01-01 00:00:00.000Z']) {
      expect(canonicalMs(s), s).toBeNaN();
    }
    expect(canonicalMs('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(canonicalMs('0050-06-01T00:00:00.000Z')).toBe(Date.parse('0050-06-01T00:00:00.000Z'));
  });

  it('packs a canonical time as its milliseconds and keeps any other text', () => {
    expect(packTime('2024-05-01T08:00:00.000Z')).toBe(Date.UTC(2024, 4, 1, 8));
    expect(packTime('2024-05-01T08:00:00Z')).toBe('2024-05-01T08:00:00Z');
    fc.assert(fc.property(fc.oneof(nearIso, ANY_TIME.map((ms) => new Date(ms).toISOString())), (s) => {
      expect(unpackTime(packTime(s))).toBe(s);
    }), { numRuns: 5000 });
  });
});

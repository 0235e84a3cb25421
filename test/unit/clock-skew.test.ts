import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimedClock, observeSkew, SKEW_NOISE_MS, SKEW_WINDOW_MS, skewOf, type SkewWindow } from '../../shared/clock-skew.ts';

describe('a store clock from the clocks its requests carry', () => {
  it('keeps the highest seen: a request late on the wire does not make a clock ten minutes ahead look two', () => {
    const ahead = 600_000;
    let w = observeSkew(undefined, ahead - 50, 0);
    w = observeSkew(w, ahead - 480_000, 1_000); // sent offline, arrived eight minutes late
    expect(skewOf(w)).toBe(ahead - 50);
  });

  it('believes a clock set right within two windows, not before one', () => {
    let w = observeSkew(undefined, 600_000, 0);
    w = observeSkew(w, 10, SKEW_WINDOW_MS + 1);
    expect(skewOf(w)).toBe(600_000);
    w = observeSkew(w, 10, 2 * SKEW_WINDOW_MS + 2);
    expect(skewOf(w)).toBe(0);
  });

  it('a long silence forgets both windows', () => {
    const w = observeSkew(observeSkew(undefined, 600_000, 0), -5_000, 10 * SKEW_WINDOW_MS);
    expect(skewOf(w)).toBe(-5_000);
  });

  it('within the noise of the wire a clock is right', () => {
    expect(skewOf(observeSkew(undefined, SKEW_NOISE_MS, 0))).toBe(0);
    expect(skewOf(observeSkew(undefined, -SKEW_NOISE_MS - 1, 0))).toBe(-SKEW_NOISE_MS - 1);
  });

  it('with any delays, the estimate is never above the true skew and never below it by more than the shortest delay of the last window', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.array(fc.tuple(fc.nat(30_000), fc.nat(600_000)), { minLength: 1, maxLength: 50 }), (skew, requests) => {
        let w: SkewWindow | undefined;
        let t = 0;
        const delays: { t: number; d: number }[] = [];
        for (const [gap, delay] of requests) {
          t += gap;
          w = observeSkew(w, skew - delay, t);
          delays.push({ t, d: delay });
        }
        const raw = Math.max(w!.current, w!.previous ?? -Infinity);
        const recent = delays.filter((x) => x.t >= w!.startedAt).map((x) => x.d);
        expect(raw).toBeLessThanOrEqual(skew);
        expect(raw).toBeGreaterThanOrEqual(skew - Math.min(...recent));
      }),
    );
  });

  it('reads only a time from the header', () => {
    expect(claimedClock('2026-11-29T10:00:00.000Z')).toBe(Date.parse('2026-11-29T10:00:00.000Z'));
    for (const bad of [undefined, '', 'tomorrow', 'x'.repeat(100), '__proto__']) expect(claimedClock(bad)).toBeUndefined();
  });
});

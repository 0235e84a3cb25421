import fc from 'fast-check';
import { expect, it } from 'vitest';
import { bucketsPerWrite } from '../../hub/identity/service.ts';

/*
 * Whole golden buckets are written a few at a time: about 2,000 members a request whatever the
 * base's size (issue 14: 200 buckets a request at 2M records swung the hub's heap by 0.9 GB).
 */

it('a write of whole buckets carries about 2,000 members, or one bucket when a bucket holds more', () => {
  expect(bucketsPerWrite(1_330_000, 8192)).toBe(12); // 2M records
  expect(bucketsPerWrite(15_000_000, 8192)).toBe(1);
  expect(bucketsPerWrite(60_000, 8192)).toBe(200); // small bases: the old batch, no more requests than before
  expect(bucketsPerWrite(0, 0)).toBe(200);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 50_000_000 }), fc.integer({ min: 1, max: 8192 }), (members, buckets) => {
      const n = bucketsPerWrite(members, buckets);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(200);
      // Buckets of the average size: never more than 2,000 members in a write of several.
      if (n > 1) expect((n * members) / buckets).toBeLessThanOrEqual(2000);
    }),
  );
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { couponCodeFor } from '../../shared/ids.ts';
import { CouponCode } from '../../shared/schemas/common.ts';

describe('couponCodeFor: one coupon per issuing request', () => {
  it('the same member, template and request give the same valid code; any other of the three another', () => {
    const code = couponCodeFor('M0000001', 'CASH20', 'req-0000001');
    expect(CouponCode.safeParse(code).success).toBe(true);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(couponCodeFor('M0000001', 'CASH20', 'req-0000001')).toBe(code);
    for (const other of [couponCodeFor('M0000002', 'CASH20', 'req-0000001'), couponCodeFor('M0000001', 'PCT10', 'req-0000001'), couponCodeFor('M0000001', 'CASH20', 'req-0000002')]) expect(other).not.toBe(code);
  });

  it('property: a thousand requests of one member give a thousand valid, distinct codes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), { minLength: 1000, maxLength: 1000 }), (ids) => {
        const codes = ids.map((r) => couponCodeFor('M0000001', 'CASH20', r));
        return new Set(codes).size === ids.length && codes.every((c) => CouponCode.safeParse(c).success);
      }),
      { numRuns: 5 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codesFromCsv, decideClaim } from '../../shared/catalogue/pool-claims.ts';
import type { Pool, PoolClaim } from '../../shared/schemas/catalogue.ts';

const pool: Pool = { id: 'P1', title: 'Partner', templateId: 'CASH20', limitPerMember: 2, campaign: { id: 'SPRING', limitPerMember: 3 } };
const claim = (poolId: string, requestId: string, campaignId?: string): PoolClaim => ({ poolId, requestId, memberId: 'M1', code: `C-${poolId}-${requestId}`.toUpperCase(), storeId: 'S001', at: '2026-03-10T04:00:00.000Z', ...(campaignId ? { campaignId } : {}) });

describe('claims on a coupon pool', () => {
  it('takes a code within the limits; the same request again is its first claim', () => {
    expect(decideClaim(pool, [], 'r1')).toEqual({ kind: 'take' });
    const first = claim('P1', 'r1', 'SPRING');
    expect(decideClaim(pool, [first], 'r1')).toEqual({ kind: 'replay', claim: first });
    expect(decideClaim(pool, [first], 'r2')).toEqual({ kind: 'take' });
  });

  it("refuses past the pool's limit per member, then past the campaign's across its pools", () => {
    expect(decideClaim(pool, [claim('P1', 'r1', 'SPRING'), claim('P1', 'r2', 'SPRING')], 'r3')).toMatchObject({ kind: 'refused', code: 'claim_limit_reached', scope: 'pool', limit: 2 });
    const elsewhere = [claim('P2', 'a', 'SPRING'), claim('P3', 'b', 'SPRING'), claim('P4', 'c', 'SPRING')];
    expect(decideClaim(pool, elsewhere, 'r1')).toMatchObject({ kind: 'refused', scope: 'campaign', limit: 3 });
    // Claims of other campaigns, or none, do not count.
    expect(decideClaim(pool, [claim('P9', 'a'), claim('P8', 'b', 'AUTUMN'), claim('P7', 'c', 'AUTUMN')], 'r1')).toEqual({ kind: 'take' });
  });

  it('never lets a member hold more than the limits, whatever they claimed before (property)', () => {
    const claims = fc.array(fc.record({ pool: fc.constantFrom('P1', 'P2', 'P3'), campaign: fc.constantFrom('SPRING', undefined), req: fc.constantFrom('a', 'b', 'c', 'd', 'e') }), { maxLength: 8 });
    fc.assert(
      fc.property(claims, fc.constantFrom('a', 'b', 'z'), (list, req) => {
        const mine = list.map((c) => claim(c.pool, c.req, c.pool === 'P1' ? 'SPRING' : c.campaign));
        const d = decideClaim(pool, mine, req);
        if (d.kind !== 'take') return;
        expect(mine.filter((c) => c.poolId === 'P1').length + 1).toBeLessThanOrEqual(pool.limitPerMember);
        expect(mine.filter((c) => c.campaignId === 'SPRING').length + 1).toBeLessThanOrEqual(pool.campaign!.limitPerMember);
        expect(mine.some((c) => c.poolId === 'P1' && c.requestId === req)).toBe(false);
      }),
    );
  });
});

describe("a partner's codes from a CSV", () => {
  it('takes the first column, upper-cased, skips the header and blank lines, keeps each code once', () => {
    expect(codesFromCsv('code,batch\nab12-cd34,1\n\n"EF56-GH78",1\r\nAB12-CD34,2\n')).toEqual({ codes: ['AB12-CD34', 'EF56-GH78'], rejects: [] });
  });

  it('answers back the lines that are no codes, with their numbers', () => {
    expect(codesFromCsv('code\nok-1234\nnot a code!\nx\n').rejects.map((r) => r.line)).toEqual([3, 4]);
  });

  it('every code it answers is one a coupon may have (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 50 }), { maxLength: 20 }), (lines) => {
        const { codes } = codesFromCsv(lines.join('\n'));
        for (const c of codes) expect(c).toMatch(/^[A-Z0-9-]{4,40}$/);
        expect(new Set(codes).size).toBe(codes.length);
      }),
    );
  });
});

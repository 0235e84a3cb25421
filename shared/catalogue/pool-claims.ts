import type { Pool, PoolClaim } from '../schemas/catalogue.ts';

/*
 * Claims from a coupon pool: first come, limited per member in the pool and, for pools of a
 * campaign, across the campaign's pools. The hub decides each claim with this (decision 020).
 */

export type ClaimDecision =
  | { kind: 'replay'; claim: PoolClaim }
  | { kind: 'refused'; code: 'claim_limit_reached'; message: string; limit: number; scope: 'pool' | 'campaign' }
  | { kind: 'take' };

/**
 * A member's claim on a pool, given the claims that member has made (of every pool): the same
 * request again is its first claim; then the pool's limit per member, then the campaign's.
 *
 * @example decideClaim({ id: 'P', title: 'P', templateId: 'T', limitPerMember: 1 }, [], 'req-0001') // { kind: 'take' }
 */
export function decideClaim(pool: Pool, memberClaims: readonly PoolClaim[], requestId: string): ClaimDecision {
  const same = memberClaims.find((c) => c.poolId === pool.id && c.requestId === requestId);
  if (same) return { kind: 'replay', claim: same };
  const inPool = memberClaims.filter((c) => c.poolId === pool.id).length;
  if (inPool >= pool.limitPerMember) {
    return { kind: 'refused', code: 'claim_limit_reached', message: `a member may claim ${pool.limitPerMember} of pool ${pool.id}; this one has`, limit: pool.limitPerMember, scope: 'pool' };
  }
  const campaign = pool.campaign;
  if (campaign) {
    const inCampaign = memberClaims.filter((c) => c.campaignId === campaign.id).length;
    if (inCampaign >= campaign.limitPerMember) {
      return { kind: 'refused', code: 'claim_limit_reached', message: `a member may claim ${campaign.limitPerMember} coupons of campaign ${campaign.id}; this one has`, limit: campaign.limitPerMember, scope: 'campaign' };
    }
  }
  return { kind: 'take' };
}

/**
 * A partner's codes from a CSV: the first column of each line, upper-cased and trimmed; a header
 * (`code`) and empty lines are skipped; duplicates kept once, in the order first seen. Lines
 * that are not codes are answered back with their line number.
 *
 * @example codesFromCsv('code\nab12-cd34\nAB12-CD34\n') // { codes: ['AB12-CD34'], rejects: [] }
 */
export function codesFromCsv(csv: string): { codes: string[]; rejects: { line: number; reason: string }[] } {
  const codes = new Set<string>();
  const rejects: { line: number; reason: string }[] = [];
  for (const [i, raw] of csv.split(/\r?\n/).entries()) {
    const cell = (raw.split(',')[0] ?? '').trim().replace(/^"(.*)"$/, '$1').trim().toUpperCase();
    if (cell === '' || (i === 0 && cell === 'CODE')) continue;
    if (!/^[A-Z0-9-]{4,40}$/.test(cell)) rejects.push({ line: i + 1, reason: 'not a code: 4-40 letters, digits or -' });
    else codes.add(cell);
  }
  return { codes: [...codes], rejects };
}

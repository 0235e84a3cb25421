import { AppError, ERRORS, type ErrorCode } from '../../shared/errors.ts';
import type { ClaimBody } from '../../shared/schemas/catalogue.ts';
import type { EdgeContext } from '../context.ts';
import { requireMember } from './members.ts';

/** What the hub may refuse a claim with, passed on to the till as it said it. */
const PASSED_ON = new Set<ErrorCode>(['pool_not_found', 'pool_empty', 'claim_limit_reached', 'member_not_found', 'validation_failed']);

/**
 * Claims a coupon of a pool for a member (decision 020). A pool is shared by every store, first
 * come first served, so the claim is the hub's to decide: with the hub unreachable the till is
 * told so plainly (503 `hub_unreachable`), never given a code another store may also get. The
 * coupon is written into this store's replica before the answer, so it can be redeemed at once,
 * and reaches the member's other stores like any coupon the hub issues.
 */
export async function claimFromPool(ctx: EdgeContext, poolId: string, body: ClaimBody) {
  const memberId = ctx.live.index.canonical(body.memberId);
  requireMember(ctx, memberId);
  const answer = ctx.hub ? await ctx.hub.claimFromPool(poolId, { memberId, requestId: body.requestId }) : 'unreachable';
  if (answer === 'unreachable') {
    throw new AppError('hub_unreachable', 'coupon pools are shared by every store and claimed at HQ, which this store cannot reach now: try again once it is back online');
  }
  if ('error' in answer) {
    const code = answer.error.code as ErrorCode;
    const { limit, scope } = answer.error as { limit?: unknown; scope?: unknown };
    const details = { ...(typeof limit === 'number' ? { limit } : {}), ...(scope === 'pool' || scope === 'campaign' ? { scope } : {}) };
    if (PASSED_ON.has(code) && code in ERRORS) throw new AppError(code, answer.error.message.slice(0, 300), details);
    throw new AppError('internal', 'the hub refused the claim');
  }
  await ctx.live.applyFromHub(answer.docs);
  const c = answer.coupon;
  return { status: answer.replayed ? (200 as const) : (201 as const), coupon: { code: c.code, memberId: c.memberId, templateId: c.templateId, title: c.title, validTo: c.validTo } };
}

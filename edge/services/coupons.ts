import { buildCoupon, evaluateCoupon } from '../../shared/coupons.ts';
import { AppError } from '../../shared/errors.ts';
import type { VerifyCouponBody } from '../../shared/schemas/api.ts';
import { moment, type EdgeContext } from '../context.ts';
import { newCouponCode } from '../../shared/ids.ts';
import { requireMember } from './members.ts';

/** Tells the till whether a coupon applies to this basket and what it takes off; writes nothing. */
export function verifyCoupon(ctx: EdgeContext, code: string, body: VerifyCouponBody) {
  const coupon = ctx.live.index.coupon(code);
  if (!coupon) return { valid: false, discount: 0, reason: 'not_found' };
  const { now } = moment(ctx);
  const lines = body.lines.map((l) => ({ ...l, unitPriceCents: l.unitPrice, remainingCents: l.qty * l.unitPrice }));
  const ev = evaluateCoupon(coupon, { memberId: ctx.live.index.canonical(body.memberId), storeId: ctx.storeId, now, redeemed: ctx.live.index.redemptions.has(code), ...(ctx.live.index.rules.couponStacking?.giftAddsLine ? { giftAddsLine: true } : {}) }, lines);
  return ev.valid ? { valid: true, discount: ev.discountCents, ...(ev.giftLine !== undefined ? { giftSku: ev.giftLine } : {}) } : { valid: false, discount: 0, reason: ev.reason };
}

/**
 * Issues a coupon from a template to a member. The hub does this in production; the edge CLI
 * has it for the demo and tests until then.
 */
export async function issueCoupon(ctx: EdgeContext, opts: { memberId: string; templateId: string; code?: string; validDays?: number }) {
  requireMember(ctx, opts.memberId);
  const template = ctx.live.index.templates.get(opts.templateId);
  if (!template) throw new AppError('not_found', `no coupon template '${opts.templateId}' (known: ${[...ctx.live.index.templates.keys()].join(', ')})`);
  const doc = buildCoupon(template, { memberId: opts.memberId, code: opts.code ?? newCouponCode(), issuedAt: ctx.clock(), ...(opts.validDays ? { validDays: opts.validDays } : {}) });
  const { conflicts } = await ctx.live.write([doc]);
  if (conflicts.length > 0) throw new AppError('bad_request', `coupon code ${doc.code} exists`);
  return doc;
}

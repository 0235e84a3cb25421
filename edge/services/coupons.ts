import { evaluateCoupon } from '../../shared/coupons.ts';
import { docId } from '../../shared/doc-ids.ts';
import { AppError } from '../../shared/errors.ts';
import type { VerifyCouponBody } from '../../shared/schemas/api.ts';
import type { CouponDoc } from '../../shared/schemas/documents.ts';
import { moment, type EdgeContext } from '../context.ts';
import { newCouponCode } from '../ids.ts';
import { requireMember } from './members.ts';

/** Tells the till whether a coupon applies to this basket and what it takes off; writes nothing. */
export function verifyCoupon(ctx: EdgeContext, code: string, body: VerifyCouponBody) {
  const coupon = ctx.live.index.coupon(code);
  if (!coupon) return { valid: false, discount: 0, reason: 'not_found' };
  const { now } = moment(ctx);
  const lines = body.lines.map((l) => ({ ...l, unitPriceCents: l.unitPrice, remainingCents: l.qty * l.unitPrice }));
  const ev = evaluateCoupon(coupon, { memberId: body.memberId, storeId: ctx.storeId, now, redeemed: ctx.live.index.redemptions.has(code) }, lines);
  return ev.valid ? { valid: true, discount: ev.discountCents } : { valid: false, discount: 0, reason: ev.reason };
}

/**
 * Issues a coupon from a template to a member. The hub does this in production; the edge CLI
 * has it for the demo and tests until then.
 */
export async function issueCoupon(ctx: EdgeContext, opts: { memberId: string; templateId: string; code?: string; validDays?: number }) {
  requireMember(ctx, opts.memberId);
  const template = ctx.live.index.templates.get(opts.templateId);
  if (!template) throw new AppError('not_found', `no coupon template '${opts.templateId}' (known: ${[...ctx.live.index.templates.keys()].join(', ')})`);
  const issued = ctx.clock();
  const validTo = new Date(issued.getTime() + (opts.validDays ?? template.validDays) * 86_400_000);
  const code = opts.code ?? newCouponCode();
  const doc: CouponDoc = {
    _id: docId.coupon(code),
    type: 'coupon',
    code,
    memberId: opts.memberId,
    templateId: template.id,
    title: template.title,
    terms: template.terms,
    scope: template.scope,
    validFrom: issued.toISOString(),
    validTo: validTo.toISOString(),
    issuedAt: issued.toISOString(),
  };
  const { conflicts } = await ctx.live.write([doc]);
  if (conflicts.length > 0) throw new AppError('bad_request', `coupon code ${code} exists`);
  return doc;
}

import { docId } from '../../shared/doc-ids.ts';
import { giftsDue, tierPerks, type BenefitText, type Gift } from '../../shared/loyalty/tier-gifts.ts';
import type { AnyDoc } from '../../shared/schemas/documents.ts';
import type { TierRule } from '../../shared/schemas/rules.ts';
import { moment, type EdgeContext } from '../context.ts';

/** A gift as the receipt answer names it. */
export function giftView(g: Gift) {
  return g.doc.type === 'coupon'
    ? { cause: g.cause, kind: 'coupon' as const, code: g.doc.code, title: g.doc.title, validTo: g.doc.validTo }
    : { cause: g.cause, kind: 'points' as const, points: g.doc.delta };
}

/**
 * The tier gifts a member is due once `docs` (a receipt's facts) are counted, and not yet held
 * here: written by the caller after the receipt, offline as online (decision 019). Nothing when
 * the rules give no tier benefits, so a checkout without them costs one property read.
 */
export function dueGifts(ctx: EdgeContext, memberId: string, tierAfter: TierRule): Gift[] {
  const index = ctx.live.index;
  if (!index.rules.tierBenefits) return [];
  const { today } = moment(ctx);
  return giftsDue({
    rules: index.rules,
    template: (id) => index.templates.get(id),
    memberId,
    tier: tierAfter,
    birthMonth: index.members.get(memberId)?.birthMonth,
    today,
    now: ctx.clock(),
    storeId: ctx.storeId,
    held: (id) => (id.startsWith('coupon:') ? index.holdsCoupon(memberId, id.slice('coupon:'.length)) : index.hasLedgerEntry(memberId, id)),
  });
}

/**
 * Writes gifts after the receipt that made them due. A gift document that exists already (the
 * hub's, or another store's, arrived meanwhile) is the same gift: the conflict is not an error.
 */
export async function writeGifts(ctx: EdgeContext, gifts: Gift[]): Promise<void> {
  if (gifts.length === 0) return;
  try {
    await ctx.live.write(gifts.map((g) => g.doc as AnyDoc));
  } catch (err) {
    // The receipt stands; the next checkout (or the hub) issues what was not written.
    ctx.log.warn('could not write tier gifts', { err: String((err as Error)?.message ?? err), ids: gifts.map((g) => g.doc._id) });
  }
}

/** The benefits the receipt answer lists for the member's tier. */
export function benefitsFor(ctx: EdgeContext, tierCode: string | undefined): BenefitText[] {
  return tierCode === undefined ? [] : tierPerks(ctx.live.index.rules, tierCode);
}

export const giftDocIds = (gifts: Gift[]) => gifts.map((g) => (g.doc.type === 'coupon' ? docId.coupon(g.doc.code) : g.doc._id));

import { buildCoupon } from '../coupons.ts';
import { docId } from '../doc-ids.ts';
import { giftCouponCode } from '../ids.ts';
import { own } from '../own.ts';
import type { CouponTemplate } from '../schemas/coupon.ts';
import type { CouponDoc, LedgerDoc } from '../schemas/documents.ts';
import type { LoyaltyRules, TierBenefits, TierRule } from '../schemas/rules.ts';
import { expiryFor } from './points.ts';

/*
 * Tier gifts (decision 019): an upgrade gift once per tier, ever, and a birthday gift once a
 * year. Whichever side sees the event first issues it (a till at the checkout that upgrades the
 * member, or the hub), and each gift's document id is derived from member + cause, so two sides
 * that issued it while apart wrote one document: the index counts it once, and the hub keeps the
 * first copy it stored and settles the stores' other copies to it (hub/gift-settling.ts).
 */

export interface GiftInput {
  rules: LoyaltyRules;
  template: (id: string) => CouponTemplate | undefined;
  memberId: string;
  /** The tier the member holds once the event (a receipt) is counted. */
  tier: TierRule;
  /** 1-12, or undefined when the member gave no birthday. */
  birthMonth: number | undefined;
  /** The issuing side's business day. */
  today: string;
  now: Date;
  /** The store that issues (HUB_STORE_ID at the hub). */
  storeId: string;
  /** Whether a document with this id is held already (a gift issued here or anywhere else). */
  held: (id: string) => boolean;
}

export interface Gift {
  /** `tier:<code>` or `birthday:<year>`. */
  cause: string;
  doc: CouponDoc | LedgerDoc;
}

/** The benefits the rules give a tier, or none. */
export function benefitsOf(rules: LoyaltyRules, tierCode: string): TierBenefits | undefined {
  return own(rules.tierBenefits, tierCode);
}

/** The cause of a birthday gift in the year of `day`. */
export const birthdayCause = (day: string) => `birthday:${day.slice(0, 4)}`;
export const tierCause = (tierCode: string) => `tier:${tierCode}`;

/**
 * The gifts the member is due and does not hold yet, as the documents to write. Pure; the ids
 * are the contract: `coupon:<giftCouponCode(member, cause, template)>`, `pts:<member>:birthday:<year>`.
 *
 * @example giftsDue({ ...input, tier: gold }).map((g) => g.cause) // ['tier:L3']
 */
export function giftsDue(input: GiftInput): Gift[] {
  const { rules, memberId } = input;
  const out: Gift[] = [];
  const benefits = benefitsOf(rules, input.tier.code);
  if (!benefits) return out;
  const coupon = (cause: string, templateId: string) => {
    const template = input.template(templateId);
    const code = giftCouponCode(memberId, cause, templateId);
    // A template this side does not know yet (not replicated) waits for a side that does.
    if (!template || input.held(docId.coupon(code))) return;
    out.push({ cause, doc: buildCoupon(template, { memberId, code, issuedAt: input.now }) });
  };
  if (benefits.upgradeGift && input.tier.code !== rules.tiers[0]!.code) {
    for (const templateId of benefits.upgradeGift) coupon(tierCause(input.tier.code), templateId);
  }
  const gift = benefits.birthdayGift;
  if (gift && input.birthMonth === Number(input.today.slice(5, 7))) {
    const cause = birthdayCause(input.today);
    const pointsId = docId.pts(memberId, cause);
    if (input.held(pointsId)) return out;
    if ('points' in gift) {
      const expiresOn = expiryFor(rules.expiry, input.today);
      out.push({
        cause,
        doc: {
          _id: pointsId,
          type: 'pts',
          memberId,
          delta: gift.points,
          reason: 'birthday',
          ref: docId.member(memberId),
          storeId: input.storeId,
          at: input.now.toISOString(),
          day: input.today,
          ...(expiresOn ? { expiresOn } : {}),
        },
      });
    } else coupon(cause, gift.templateId);
  }
  return out;
}

/** A benefit's text in both languages, as the guide page and the receipt answer show it. */
export interface BenefitText {
  en: string;
  'zh-CN': string;
}

/** What a tier gives, worded: the rules' perks for it (none when the rules list none). */
export function tierPerks(rules: LoyaltyRules, tierCode: string): BenefitText[] {
  return benefitsOf(rules, tierCode)?.perks ?? [];
}

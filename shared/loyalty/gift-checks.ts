import { docId } from '../doc-ids.ts';
import { giftCouponCode } from '../ids.ts';
import { addDays } from '../local-time.ts';
import type { CouponTemplate } from '../schemas/coupon.ts';
import type { CouponDoc, LedgerDoc, MemberDoc } from '../schemas/documents.ts';
import type { LoyaltyRules, TierRule } from '../schemas/rules.ts';
import { benefitsOf, birthdayCause, tierCause } from './tier-gifts.ts';
import { heldTier } from './tier-life.ts';
import type { SpendFact } from './tiers.ts';

/*
 * Whether a tier gift a store issued is one the programme gives (decision 019, decision 008: the
 * hub trusts no store). The hub recomputes it: the code is the one derived from member, cause and
 * template; the template (some version of it) gives those terms; some rules version gives that
 * gift to a tier the member's receipts reach; a birthday gift falls in the birthday month.
 */

/** What the hub knows that a gift is judged by. */
export interface GiftEvidence {
  rules: readonly LoyaltyRules[];
  /** Every version of a template the hub has had. */
  templates: (id: string) => readonly CouponTemplate[];
  member: MemberDoc | undefined;
  /** The member's receipts the hub and the store know of (an upper bound: refunds left out). */
  spend: readonly SpendFact[];
}

const DAY_MS = 86_400_000;
/** The store's day of an instant is within a day of its UTC date (any time zone). */
const daysAround = (at: string) => {
  const day = at.slice(0, 10);
  return [addDays(day, -1), day, addDays(day, 1)];
};

/** A tier at least as high as `tier` that the receipts give on one of `days`, under `rules`. */
function reaches(rules: LoyaltyRules, spend: readonly SpendFact[], days: string[], tier: TierRule): boolean {
  const rank = (code: string) => rules.tiers.findIndex((t) => t.code === code);
  return days.some((d) => rank(heldTier(rules, spend, d).code) >= rank(tier.code));
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A coupon as some version of its template issues it. */
function fromTemplate(c: CouponDoc, versions: readonly CouponTemplate[]): boolean {
  const span = Date.parse(c.validTo) - Date.parse(c.validFrom);
  return versions.some((t) => t.title === c.title && sameJson(t.terms, c.terms) && sameJson(t.scope, c.scope) && span === t.validDays * DAY_MS);
}

/**
 * Why the hub does not accept a coupon a store issued as a tier gift, or undefined.
 *
 * @example giftCouponRefusal(aCouponWithAMadeUpCode, ev) // 'coupon X is no tier gift the rules give M…'
 */
export function giftCouponRefusal(c: CouponDoc, ev: GiftEvidence): string | undefined {
  const m = c.memberId;
  if (!fromTemplate(c, ev.templates(c.templateId))) return `coupon ${c.code} is not what template ${c.templateId} issues`;
  const days = daysAround(c.issuedAt);
  let why = `coupon ${c.code} is no tier gift the rules give ${m}`;
  for (const rules of ev.rules) {
    for (const tier of rules.tiers) {
      const b = benefitsOf(rules, tier.code);
      if (!b) continue;
      if (b.upgradeGift?.includes(c.templateId) && tier.code !== rules.tiers[0]!.code && c.code === giftCouponCode(m, tierCause(tier.code), c.templateId)) {
        if (reaches(rules, ev.spend, days, tier)) return undefined;
        why = `${m}'s receipts do not reach tier ${tier.code}, whose upgrade gift ${c.code} is`;
      }
      const bd = b.birthdayGift;
      if (bd && 'templateId' in bd && bd.templateId === c.templateId) {
        for (const day of days) {
          if (c.code !== giftCouponCode(m, birthdayCause(day), c.templateId)) continue;
          const refusal = birthdayRefusal(ev, day, rules, tier);
          if (!refusal) return undefined;
          why = refusal;
        }
      }
    }
  }
  return why;
}

/** Why a birthday gift of `tier` on `day` is not due, or undefined. */
function birthdayRefusal(ev: GiftEvidence, day: string, rules: LoyaltyRules, tier: TierRule): string | undefined {
  const birthday = ev.member?.birthday;
  if (!birthday || birthday.slice(5, 7) !== day.slice(5, 7)) return `${day.slice(0, 7)} is not ${ev.member?.id ?? 'the member'}'s birthday month`;
  if (tier.code !== rules.tiers[0]!.code && !reaches(rules, ev.spend, [day], tier)) return `the receipts do not reach tier ${tier.code}, whose birthday gift it is`;
  return undefined;
}

/** Why the hub does not accept birthday points a store wrote, or undefined. */
export function birthdayPointsRefusal(p: LedgerDoc, ev: GiftEvidence): string | undefined {
  if (p._id !== docId.pts(p.memberId, birthdayCause(p.day)) || p.ref !== docId.member(p.memberId)) return 'a birthday gift is pts:<member>:birthday:<year> for member:<member>';
  let why = `no rules version gives a birthday gift of ${p.delta} points`;
  for (const rules of ev.rules) {
    for (const tier of rules.tiers) {
      const bd = benefitsOf(rules, tier.code)?.birthdayGift;
      if (!bd || !('points' in bd) || bd.points !== p.delta) continue;
      const refusal = birthdayRefusal(ev, p.day, rules, tier);
      if (!refusal) return undefined;
      why = refusal;
    }
  }
  return why;
}

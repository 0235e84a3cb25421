import type { MemberIndex } from './member-index.ts';
import { maskPhone } from './phone.ts';
import type { Coupon } from './schemas/coupon.ts';

/** A coupon as the till shows it: what it gives, not whom it was issued to. */
export function couponView(c: Coupon) {
  return { code: c.code, title: c.title, kind: c.terms.kind, terms: c.terms, scope: c.scope, validFrom: c.validFrom, validTo: c.validTo };
}

/**
 * What the POS needs to greet and serve a member; the phone is masked, the balance current.
 * The edge answers it from its replica's index, the hub from an index of one member's documents.
 */
export function memberSummary(index: MemberIndex, memberId: string, today: string, now: string) {
  const view = index.view(memberId, today, now);
  if (!view) return undefined;
  return {
    id: index.canonical(memberId),
    tier: view.tier.code,
    // balance: spendable now; pending: earned, vesting later (decision 018), with the next vesting day.
    points: { balance: view.points, pending: view.pending?.pending ?? 0, nextVesting: view.pending?.nextVesting ?? null },
    coupons: view.coupons.map(couponView),
    phoneMasked: maskPhone(view.profile.phone),
    name: view.profile.name ?? null,
  };
}
export type MemberSummary = NonNullable<ReturnType<typeof memberSummary>>;

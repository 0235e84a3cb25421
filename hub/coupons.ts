import { buildCoupon } from '../shared/coupons.ts';
import { docId } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { EVERYTHING, type DataScope } from '../shared/org-scope.ts';
import { newCouponCode } from '../shared/ids.ts';
import type { CouponTemplate } from '../shared/schemas/coupon.ts';
import type { CouponDoc } from '../shared/schemas/documents.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB, factKey } from './couch/databases.ts';
import type { HubMembers } from './members.ts';
import { memberInScope } from './org/scope-check.ts';

/**
 * Issues a coupon to a member: stored with the member's facts, and written into the database of
 * every store that serves the member, from where live replication brings it to the till. A
 * member outside the scope is not found, and nothing is written.
 */
export async function issueHubCoupon(
  deps: { couch: Couch; members: HubMembers; clock: () => Date },
  opts: { memberId: string; templateId: string; code?: string | undefined; validDays?: number | undefined },
  scope: DataScope = EVERYTHING,
): Promise<CouponDoc> {
  if (!(await memberInScope(deps.members, scope, opts.memberId)) || !(await deps.members.memberDoc(opts.memberId))) throw new AppError('member_not_found', `no member ${opts.memberId}`);
  const tpl = await deps.couch.get<Doc & { template: CouponTemplate }>(DB.registry, docId.template(opts.templateId));
  if (!tpl) throw new AppError('template_not_found', `no coupon template '${opts.templateId}'`);
  const coupon = buildCoupon(tpl.template, { memberId: opts.memberId, code: opts.code ?? newCouponCode(), issuedAt: deps.clock(), ...(opts.validDays ? { validDays: opts.validDays } : {}) });
  const [result] = await deps.couch.insertNew(DB.facts, [{ ...coupon, _id: factKey(opts.memberId, coupon._id) }]);
  if (result === 'exists') throw new AppError('bad_request', `coupon code ${coupon.code} exists`);
  await deps.members.projectTo(await deps.members.relevantStores(opts.memberId), [coupon as unknown as Doc]);
  return coupon;
}

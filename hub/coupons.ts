import { buildCoupon } from '../shared/coupons.ts';
import { docId } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { EVERYTHING, type DataScope } from '../shared/org-scope.ts';
import { couponCodeFor, newCouponCode } from '../shared/ids.ts';
import type { CouponTemplate } from '../shared/schemas/coupon.ts';
import type { CouponDoc } from '../shared/schemas/documents.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB, factKey } from './couch/databases.ts';
import type { HubMembers } from './members.ts';
import { memberInScope } from './org/scope-check.ts';

/**
 * Issues a coupon to a member: stored with the member's facts, and written into the database of
 * every store that serves the member, from where live replication brings it to the till. A
 * member outside the scope is not found, and nothing is written. With a `requestId` the code is
 * derived from the request, so the same request again answers the coupon it issued
 * (`created: false`) instead of a second one.
 */
export async function issueHubCoupon(
  deps: { couch: Couch; members: HubMembers; clock: () => Date },
  opts: { memberId: string; templateId: string; code?: string | undefined; validDays?: number | undefined; requestId?: string | undefined },
  scope: DataScope = EVERYTHING,
): Promise<{ coupon: CouponDoc; created: boolean }> {
  if (!(await memberInScope(deps.members, scope, opts.memberId)) || !(await deps.members.memberDoc(opts.memberId))) throw new AppError('member_not_found', `no member ${opts.memberId}`);
  const tpl = await deps.couch.get<Doc & { template: CouponTemplate }>(DB.registry, docId.template(opts.templateId));
  if (!tpl) throw new AppError('template_not_found', `no coupon template '${opts.templateId}'`);
  const code = opts.code ?? (opts.requestId ? couponCodeFor(opts.memberId, opts.templateId, opts.requestId) : newCouponCode());
  const coupon = buildCoupon(tpl.template, { memberId: opts.memberId, code, issuedAt: deps.clock(), ...(opts.validDays ? { validDays: opts.validDays } : {}) });
  const key = factKey(opts.memberId, coupon._id);
  const [result] = await deps.couch.insertNew(DB.facts, [{ ...coupon, _id: key }]);
  if (result === 'exists' && !opts.requestId) throw new AppError('bad_request', `coupon code ${coupon.code} exists`);
  // A repeated request: the coupon it made, projected again in case the first attempt stopped before that.
  const stored = result === 'created' ? coupon : ((await deps.couch.get<Doc>(DB.facts, key)) as unknown as CouponDoc & Doc);
  const { _rev, ...issued } = stored as CouponDoc & { _rev?: string };
  const shown = { ...issued, _id: coupon._id } as CouponDoc;
  await deps.members.projectTo(await deps.members.relevantStores(opts.memberId), [shown as unknown as Doc]);
  return { coupon: shown, created: result === 'created' };
}

import { AppError } from '../shared/errors.ts';
import { EVERYTHING, seesStore, type DataScope } from '../shared/org-scope.ts';
import type { HubMembers } from './members.ts';
import { memberInScope } from './org/scope-check.ts';

/**
 * A member as the admin API and the console show them: the summary the tills show (tier, points
 * and coupons are the member's, whichever store they came from), the stores that serve them and
 * their facts, both limited to the stores the scope sees. A member outside the scope is not found,
 * with the message of one that does not exist.
 */
export async function memberDetail(deps: { members: HubMembers; clock: () => Date }, memberId: string, scope: DataScope = EVERYTHING) {
  if (!(await memberInScope(deps.members, scope, memberId))) throw new AppError('member_not_found', `no member ${memberId}`);
  const [{ member, facts }, stores] = await Promise.all([deps.members.summaryAndFacts(memberId, 'Asia/Shanghai', deps.clock()), deps.members.relevantStores(memberId)]);
  if (!member) throw new AppError('member_not_found', `no member ${memberId}`);
  return {
    member,
    stores: stores.filter((s) => seesStore(scope, s)),
    facts: facts.filter((f) => typeof f.storeId !== 'string' || seesStore(scope, f.storeId)).map((f) => ({ id: f._id, type: f.type, storeId: f.storeId ?? null })),
  };
}

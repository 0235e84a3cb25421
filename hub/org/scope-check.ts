import { AppError } from '../../shared/errors.ts';
import { seesAnyStore, seesStore, type DataScope } from '../../shared/org-scope.ts';
import type { HubContext } from '../context.ts';
import type { HubMembers } from '../members.ts';
import type { Actor } from '../operators/access.ts';

/**
 * Whether a member falls under a scope: their home store, or a store that serves them (where
 * they bought, or a till looked them up), is in it. Read from HubMembers.relevantStores, which the
 * hub keeps for projection anyway (in memory, two documents on a miss), for the id asked and the
 * member it stands for now (a merged-away id is its survivor's).
 */
export async function memberInScope(members: HubMembers, scope: DataScope, memberId: string): Promise<boolean> {
  if (scope.stores === 'all') return true;
  const canonical = members.canonical(memberId);
  const stores = await members.relevantStores(canonical);
  if (seesAnyStore(scope, stores)) return true;
  return canonical !== memberId && seesAnyStore(scope, await members.relevantStores(memberId));
}

/**
 * The one way an admin route checks the caller's data scope (decision 010). Out of scope reads
 * as not there: a store is `store_not_found`, a member `member_not_found`, with the messages of
 * ids that do not exist, so a scope reveals nothing beyond itself. Work that spans every store
 * (One-ID) is `forbidden` to a scoped operator. `scope` is the value to pass into services.
 */
export class ScopeCheck {
  constructor(
    readonly scope: DataScope,
    private readonly members: HubMembers,
  ) {}

  /** The store id, when the caller may see that store. */
  store(storeId: string): string {
    if (!seesStore(this.scope, storeId)) throw new AppError('store_not_found', `no store ${storeId}`);
    return storeId;
  }

  /** The member id, when the caller may see that member. */
  async member(memberId: string, notFound = `no member ${memberId}`): Promise<string> {
    if (!(await memberInScope(this.members, this.scope, memberId))) throw new AppError('member_not_found', notFound);
    return memberId;
  }

  /** Refuses work over every store's data to an operator with a scope. */
  everything(what: string): void {
    if (this.scope.node !== null) throw new AppError('forbidden', `${what} spans every store: it is for operators without a scope (yours is ${this.scope.node})`);
  }
}

/** The scope of whoever calls, at the admin API or a console page (the admin token and unscoped operators: everything). */
export async function scopeCheck(ctx: HubContext, c: { var: { actor: Pick<Actor, 'scope'> } }): Promise<ScopeCheck> {
  return new ScopeCheck(await ctx.org.scope(c.var.actor.scope), ctx.members);
}

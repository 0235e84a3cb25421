import { tierPerks } from '../../shared/loyalty/tier-gifts.ts';
import { docId } from '../../shared/doc-ids.ts';
import { memberSummary as summarize } from '../../shared/member-summary.ts';
import { MemberDocSchema, type MemberDoc } from '../../shared/schemas/documents.ts';
import { getDoc, moment, type EdgeContext } from '../context.ts';

/** The member as the POS sees it, from the replica's index. */
export function memberSummary(ctx: EdgeContext, memberId: string) {
  const { now, today } = moment(ctx);
  return summarize(ctx.live.index, memberId, today, now);
}

/** The member's stored profile document; the index keeps only what the till needs. */
export async function memberDoc(ctx: EdgeContext, memberId: string): Promise<MemberDoc | undefined> {
  const doc = await getDoc(ctx, docId.member(memberId));
  return doc === undefined ? undefined : MemberDocSchema.parse(doc);
}

/** The profile of a member, or of one merged into it while the survivor's has not arrived. */
async function mergedMemberDoc(ctx: EdgeContext, memberId: string): Promise<MemberDoc | undefined> {
  for (const id of [memberId, ...ctx.live.index.mergedInto(memberId)]) {
    const doc = await memberDoc(ctx, id);
    if (doc) return doc;
  }
  return undefined;
}

/** The guide's profile view: the summary plus what helps serve the member, still masked. */
export async function memberProfile(ctx: EdgeContext, asked: string) {
  const memberId = ctx.live.index.canonical(asked);
  const summary = memberSummary(ctx, memberId);
  const p = summary && (await mergedMemberDoc(ctx, memberId));
  if (!summary || !p) return undefined;
  const { today } = moment(ctx);
  const balance = ctx.live.index.balance(memberId, today);
  const tier = ctx.live.index.tier(memberId, today);
  return {
    ...summary,
    tierName: tier.name ?? tier.code,
    ...tierLifeView(ctx, memberId, today),
    points: {
      balance: balance.balance,
      expired: balance.expired,
      nextExpiry: balance.nextExpiry ?? null,
      pending: balance.pending ?? 0,
      nextVesting: balance.nextVesting ?? null,
    },
    gender: p.gender ?? null,
    birthday: p.birthday ?? null,
    registeredAt: p.registeredAt,
    registeredStoreId: p.registeredStoreId,
    homeStoreId: p.homeStoreId,
    provisional: p.provisional,
    identities: [
      'phone',
      ...(p.cardNo ? ['card'] : []),
      ...(p.unionId ? ['unionid'] : []),
      ...(p.openIds?.length ? ['openid'] : []),
      'code',
    ],
  };
}

/** The member's tier history and what their tier gives (decision 019). */
function tierLifeView(ctx: EdgeContext, memberId: string, today: string) {
  const state = ctx.live.index.tierState(memberId, today);
  return { tierSince: state.since ?? null, tierHistory: state.history, benefits: tierPerks(ctx.live.index.rules, state.tier.code) };
}

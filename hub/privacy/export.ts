import { AppError } from '../../shared/errors.ts';
import { memberKeys } from '../../shared/identity-keys.ts';
import { consentByChannel } from '../../shared/privacy/consent.ts';
import { EVERYTHING, type DataScope } from '../../shared/org-scope.ts';
import type { MemberDoc } from '../../shared/schemas/documents.ts';
import type { Doc } from '../couch/couch.ts';
import { DB, storeDbName } from '../couch/databases.ts';
import type { HubContext } from '../context.ts';
import { memberInScope } from '../org/scope-check.ts';
import { erasureOf } from './erasure.ts';
import { consentFactsOf } from './consent.ts';

/** The format of the member's data export; grows only by fields. */
export const EXPORT_FORMAT = 1;

const FACT_GROUPS = [
  ['orders', 'order'],
  ['refunds', 'refund'],
  ['ledger', 'pts'],
  ['coupons', 'coupon'],
  ['redemptions', 'redeem'],
  ['events', 'event'],
  ['consent', 'consent'],
] as const;

const clean = ({ _rev, ...d }: Doc) => d;

/**
 * Everything the hub and the stores hold about a member (PIPL: the right to see one's data), as
 * one JSON document: the profile of the member and of every member One-ID merged into them,
 * their identity keys, the golden member with every source record, the merges, their facts
 * (orders, refunds, ledger, coupons, redemptions, events, consent), and per store that serves
 * them the ids of the documents that store's replica holds (the same documents, copied there).
 * Within the caller's scope, like the member's page; no masking (the export is for the person).
 */
export async function memberExport(ctx: HubContext, asked: string, scope: DataScope = EVERYTHING) {
  if (!(await memberInScope(ctx.members, scope, asked))) throw new AppError('member_not_found', `no member ${asked}`);
  const memberId = ctx.members.canonical(asked);
  const profile = await ctx.members.memberDoc(memberId);
  if (!profile) throw new AppError('member_not_found', `no member ${asked}`);
  const merged = await ctx.members.mergedInto(memberId);
  const ids = [memberId, ...merged];
  const profiles = (await ctx.couch.fetchDocs<MemberDoc & Doc>(DB.members, ids.map((id) => `member:${id}`))).filter((d): d is MemberDoc & Doc => d !== undefined);
  const keyIds = profiles.flatMap((p) => memberKeys(p).map((k) => `idk:${k}`));
  const keys = (await ctx.couch.fetchDocs(DB.members, keyIds)).filter((d): d is Doc => d !== undefined && ids.includes(String(d.memberId)));
  const aliases = (await ctx.couch.fetchDocs(DB.members, merged.map((id) => `alias:${id}`))).filter((d): d is Doc => d !== undefined);
  const facts: Doc[] = [];
  for (const id of ids) facts.push(...(await ctx.members.factsOf(id)));
  const stores = [...new Set((await Promise.all(ids.map((id) => ctx.members.relevantStores(id)))).flat())].sort();
  const docIds = [...profiles, ...keys, ...aliases, ...facts].map((d) => (d.type === 'redeem' ? `${d._id}@${String(d.storeId)}` : d._id));
  const replicas = [];
  for (const storeId of stores) {
    const held = await ctx.couch.fetchDocs(storeDbName(storeId), docIds);
    replicas.push({ storeId, documents: held.flatMap((d) => (d ? [d._id] : [])) });
  }
  const oneId = oneIdPart(ctx, memberId);
  const factGroups = Object.fromEntries(FACT_GROUPS.map(([name, type]) => [name, facts.filter((f) => f.type === type).map(clean)]));
  return {
    format: EXPORT_FORMAT,
    exportedAt: ctx.clock().toISOString(),
    memberId,
    ...(asked !== memberId ? { asked } : {}),
    erasure: await erasureOf(ctx, memberId),
    profile: profiles.map(clean),
    identities: keys.map((k) => ({ key: String(k.key), memberId: String(k.memberId) })),
    consent: consentByChannel(await consentFactsOf(ctx, memberId)),
    oneId,
    merges: aliases.map(clean),
    facts: factGroups,
    stores: replicas,
  };
}

/** The golden member and its source records, when One-ID has loaded (else said so). */
function oneIdPart(ctx: HubContext, memberId: string) {
  try {
    const found = ctx.identity.recordsOf(memberId);
    return found ? { goldenId: found.goldenId, records: found.records } : { goldenId: null, records: [] };
  } catch (err) {
    if (err instanceof AppError && err.code === 'unavailable') return { unavailable: true as const, goldenId: null, records: [] };
    throw err;
  }
}


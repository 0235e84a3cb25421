import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { memberKeys } from '../../shared/identity-keys.ts';
import { EVERYTHING, type DataScope } from '../../shared/org-scope.ts';
import { erasedMember, personalValues } from '../../shared/privacy/erasure.ts';
import { MemberDocSchema, type MemberDoc } from '../../shared/schemas/documents.ts';
import type { Doc } from '../couch/couch.ts';
import { DB, storeDbName } from '../couch/databases.ts';
import type { HubContext } from '../context.ts';
import { memberInScope } from '../org/scope-check.ts';

export const EraseBodySchema = z.strictObject({ reason: z.string().trim().min(3).max(500) });

/**
 * `erasure:<member>` in hub-members: that the member's personal data was erased, when, by whom
 * and why. It holds no personal data itself (the reason is the operator's text: the console
 * says not to put any there). Written before the work as an intent and marked done after it, so
 * a repeated request finishes what a crashed one began.
 */
interface ErasureDoc extends Doc {
  type: 'erasure';
  memberId: string;
  /** The member and every member One-ID merged into them. */
  ids: string[];
  reason: string;
  by: string;
  requestedAt: string;
  doneAt?: string;
  stores?: string[];
  records?: number;
}

const erasureKey = (memberId: string) => `erasure:${memberId}`;

export async function erasureOf(ctx: Pick<HubContext, 'couch'>, memberId: string) {
  const doc = await ctx.couch.get<ErasureDoc>(DB.members, erasureKey(memberId));
  return doc ? view(doc) : null;
}

const view = ({ _id, _rev, type, ...e }: ErasureDoc) => e;

/**
 * Erases a member's personal data (PIPL; decision 014) at the hub and in every store's replica:
 * the member documents (theirs and of every member merged into them) are written over with
 * erasedMember, their identity keys deleted, One-ID's source records and golden member emptied
 * of identities and profile, incidents about them scrubbed, and the databases compacted so no
 * old revision keeps the data. Their facts stay, under the pseudonymous id: sales, balances and
 * redemptions are unchanged. The stores' nodes drop the member from their index and compact
 * their replicas when the new revisions arrive. Idempotent: again, it answers the first erasure.
 */
export async function eraseMember(ctx: HubContext, asked: string, reason: string, by: string, scope: DataScope = EVERYTHING): Promise<{ erasure: ReturnType<typeof view>; created: boolean }> {
  if (!(await memberInScope(ctx.members, scope, asked))) throw new AppError('member_not_found', `no member ${asked}`);
  const memberId = ctx.members.canonical(asked);
  const done = await ctx.couch.get<ErasureDoc>(DB.members, erasureKey(memberId));
  if (done?.doneAt) return { erasure: view(done), created: false };
  if (!(await ctx.members.memberDoc(memberId))) throw new AppError('member_not_found', `no member ${asked}`);
  const now = ctx.clock().toISOString();
  const ids = [memberId, ...(await ctx.members.mergedInto(memberId))];
  await ctx.couch.update<ErasureDoc>(DB.members, erasureKey(memberId), (cur) => cur ?? { _id: erasureKey(memberId), type: 'erasure', memberId, ids, reason, by, requestedAt: now });

  const profiles = (await ctx.couch.fetchDocs(DB.members, ids.map((id) => `member:${id}`))).flatMap((d) => {
    const m = d && MemberDocSchema.safeParse(d);
    return m?.success ? [m.data] : [];
  });
  const stores = [...new Set((await Promise.all(ids.map((id) => ctx.members.relevantStores(id)))).flat())];
  const dbs = [DB.members, ...stores.map(storeDbName)];

  // One-ID first: while it still links the records, it knows every record of the person.
  const oneId = await ctx.identity.erase(ids);
  const secrets = personalValues(profiles, oneId.before);
  const keys = [...new Set(profiles.flatMap((p) => memberKeys(p)))];
  for (const db of dbs) await deleteKeys(ctx, db, keys, ids);
  await scrubIncidents(ctx, ids, secrets);
  // The member documents last, the hub's own after the stores': an erased profile at the hub
  // means everything that needed the profile's values was done (a repeated request, or the next
  // start, finishes the rest).
  for (const db of [...dbs.slice(1), DB.members]) {
    for (const id of ids) await eraseProfile(ctx, db, id, now);
  }
  for (const db of [...dbs, DB.incidents]) await ctx.couch.compact(db);
  // A store's replica bundle (for enrolling a new node) is rebuilt from the database as it is now.
  for (const storeId of stores) if (await ctx.bundles.find(storeId)) ctx.bundles.request(storeId);

  const saved = await ctx.couch.update<ErasureDoc>(DB.members, erasureKey(memberId), (cur) => (cur && !cur.doneAt ? { ...cur, doneAt: ctx.clock().toISOString(), stores, records: oneId.records.length } : undefined));
  await ctx.couch.compact(DB.members);
  ctx.log.info('member erased', { memberId, stores: stores.length, records: oneId.records.length });
  return { erasure: view(saved!), created: true };
}

/**
 * Deletes the member's identity keys in one database (those that name one of them), every
 * revision in conflict too: a store's own key and the hub's copy of it written concurrently
 * are two leaves, and deleting the winner alone would make the other one current.
 */
async function deleteKeys(ctx: HubContext, db: string, keys: string[], ids: string[]): Promise<void> {
  const found = await ctx.couch.fetchDocs(db, keys.map((k) => `idk:${k}`));
  for (const d of found) {
    if (!d) continue;
    const leaves = await leavesOf(ctx, db, d._id);
    const docs = leaves.filter((l) => ids.includes(String(l.memberId))).map((l) => ({ _id: l._id, _rev: l._rev!, _deleted: true }));
    if (docs.length > 0) await ctx.couch.db(db).bulk({ docs });
  }
}

/** The current revision of a document and the revisions in conflict with it, with their bodies. */
async function leavesOf(ctx: HubContext, db: string, id: string): Promise<Doc[]> {
  const cur = (await ctx.couch.db(db).get(id, { conflicts: true })) as Doc & { _conflicts?: string[] };
  const others = await Promise.all((cur._conflicts ?? []).map((rev) => ctx.couch.db(db).get(id, { rev }) as Promise<Doc>));
  const { _conflicts, ...winner } = cur;
  return [winner, ...others];
}

/** The member document erased; a revision in conflict with it (it, too, holds the profile) deleted. */
async function eraseProfile(ctx: HubContext, db: string, memberId: string, at: string): Promise<void> {
  const id = `member:${memberId}`;
  const cur = await ctx.couch.get<MemberDoc & Doc & { _conflicts?: string[] }>(db, id);
  if (!cur) return;
  const conflicts = ((await ctx.couch.db(db).get(id, { conflicts: true })) as { _conflicts?: string[] })._conflicts ?? [];
  if (conflicts.length > 0) await ctx.couch.db(db).bulk({ docs: conflicts.map((rev) => ({ _id: id, _rev: rev, _deleted: true })) });
  await ctx.couch.update<MemberDoc & Doc>(db, id, (c) => (c && !c.erasedAt ? (erasedMember(c, at) as MemberDoc & Doc) : undefined));
}

/**
 * Incidents about the member keep what happened (kind, stores, facts, amounts) but not who:
 * every personal value in them (a quarantined registration's copy, a conflicting key) becomes
 * `[erased]`.
 */
async function scrubIncidents(ctx: HubContext, ids: string[], secrets: string[]): Promise<void> {
  if (secrets.length === 0) return;
  const all = await ctx.couch.range(DB.incidents, { startkey: 'incident:', endkey: 'incident:\ufff0' }, 1_000_000);
  for (const incident of all) {
    const text = JSON.stringify(incident);
    const about = ids.some((id) => text.includes(id)) || secrets.some((s) => text.includes(s));
    if (!about) continue;
    let scrubbed = text;
    for (const s of secrets) scrubbed = scrubbed.split(JSON.stringify(s).slice(1, -1)).join('[erased]');
    if (scrubbed !== text) await ctx.couch.update(DB.incidents, incident._id, (cur) => (cur ? { ...(JSON.parse(scrubbed) as Doc), _id: cur._id, _rev: cur._rev } : undefined));
  }
}

/** Finishes the erasures a stopped hub had begun (an intent without `doneAt`); answers how many. */
export async function resumeErasures(ctx: HubContext): Promise<number> {
  const open = (await ctx.couch.range<ErasureDoc>(DB.members, { startkey: 'erasure:', endkey: 'erasure:\ufff0' }, 1_000_000)).filter((e) => !e.doneAt);
  for (const e of open) {
    try {
      await eraseMember(ctx, e.memberId, e.reason, e.by);
      ctx.log.info('finished an erasure a stopped hub had begun', { memberId: e.memberId });
    } catch (err) {
      ctx.log.error('could not finish an erasure; it is tried again at the next start or by repeating the request', { memberId: e.memberId, err: String(err) });
    }
  }
  return open.length;
}

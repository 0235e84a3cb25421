import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { parseNode, type DataScope } from '../../shared/org-scope.ts';
import { allMembers, popcount, segmentBits, type StoresUnder } from '../../shared/profile/segment-count.ts';
import { SegmentRule, type Condition } from '../../shared/profile/segment-rules.ts';
import type { Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import type { HubContext } from '../context.ts';

/*
 * Saved segments (issue 12, decision 023): a name and a rule, in versions like the loyalty rules
 * (hub/rules.ts: a change names the version it was made from; a stale one is refused), retired
 * or deleted. Counting reads the profile engine's columns (decision 021), never CouchDB: the rule
 * becomes a bitset over member numbers, narrowed to the members the caller's scope sees.
 */

export type Ctx = Pick<HubContext, 'couch' | 'profiles' | 'org' | 'identity' | 'clock' | 'audit' | 'log'>;

export const SegmentInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  description: z.string().max(400).optional(),
  rule: SegmentRule,
});
export type SegmentInput = z.infer<typeof SegmentInput>;
export const SegmentChange = SegmentInput.extend({ baseVersion: z.number().int().min(1) });

export interface SegmentDoc extends Doc {
  type: 'segment';
  name: string;
  description?: string;
  rule: Condition;
  version: number;
  retired?: boolean;
  by: string;
  at: string;
  createdAt: string;
}

export const SEGMENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const docId = (id: string) => `seg:${id}`;
const versionId = (id: string, v: number) => `seg-v:${id}@${String(v).padStart(6, '0')}`;
const idOf = (d: SegmentDoc) => d._id.slice(4);

export function segmentJson(d: SegmentDoc) {
  return { id: idOf(d), name: d.name, description: d.description ?? '', rule: d.rule, version: d.version, retired: d.retired === true, by: d.by, at: d.at, createdAt: d.createdAt };
}

export async function listSegments(ctx: Ctx) {
  const docs = await ctx.couch.range<SegmentDoc>(DB.segments, { startkey: 'seg:', endkey: 'seg:\ufff0' });
  return docs.map(segmentJson).sort((a, b) => Number(a.retired) - Number(b.retired) || a.name.localeCompare(b.name));
}

export async function getSegment(ctx: Ctx, id: string): Promise<SegmentDoc> {
  const d = SEGMENT_ID.test(id) ? await ctx.couch.get<SegmentDoc>(DB.segments, docId(id)) : undefined;
  if (!d) throw new AppError('segment_not_found', `no segment ${id.slice(0, 40)}`);
  return d;
}

export async function segmentVersions(ctx: Ctx, id: string) {
  await getSegment(ctx, id);
  const docs = await ctx.couch.range<SegmentDoc>(DB.segments, { startkey: `seg-v:${id}@`, endkey: `seg-v:${id}@\ufff0` });
  return docs.map(segmentJson).reverse();
}

export async function createSegment(ctx: Ctx, input: SegmentInput, by: string) {
  const now = ctx.clock();
  const id = newId(now);
  const doc: SegmentDoc = { _id: docId(id), type: 'segment', name: input.name, ...(input.description ? { description: input.description } : {}), rule: input.rule, version: 1, by, at: now.toISOString(), createdAt: now.toISOString() };
  await ctx.couch.insertNew(DB.segments, [doc, { ...doc, _id: versionId(id, 1) }]);
  return segmentJson(doc);
}

const stale = (base: number, current: number) =>
  new AppError('stale_version', `The segment changed since you opened version ${base}: version ${current} is current now; nothing was saved. Open it again and redo your change.`, { baseVersion: base, currentVersion: current });

/** A new version made from `baseVersion`; another change since: 409 stale_version and nothing written. */
export async function updateSegment(ctx: Ctx, id: string, change: z.infer<typeof SegmentChange>, by: string) {
  await getSegment(ctx, id);
  const now = ctx.clock().toISOString();
  const saved = await ctx.couch.update<SegmentDoc>(DB.segments, docId(id), (cur) => {
    if (!cur) throw new AppError('segment_not_found', `no segment ${id}`);
    if (cur.version !== change.baseVersion) throw stale(change.baseVersion, cur.version);
    const { description, ...rest } = cur;
    return { ...rest, name: change.name, ...(change.description ? { description: change.description } : {}), rule: change.rule, version: cur.version + 1, by, at: now };
  });
  const { _rev, ...copy } = saved!;
  await ctx.couch.insertNew(DB.segments, [{ ...copy, _id: versionId(id, saved!.version) }]);
  return segmentJson(saved!);
}

/** Retired: kept with its versions and snapshots (campaigns may hold them), no longer offered. */
export async function retireSegment(ctx: Ctx, id: string, by: string) {
  const saved = await ctx.couch.update<SegmentDoc>(DB.segments, docId(id), (cur) => {
    if (!cur) throw new AppError('segment_not_found', `no segment ${id}`);
    return cur.retired ? undefined : { ...cur, retired: true, by, at: ctx.clock().toISOString() };
  });
  if (!saved) throw new AppError('segment_not_found', `no segment ${id}`);
  return segmentJson(saved);
}

/** Deleted with its versions; refused while a snapshot of it exists (retire it instead). */
export async function deleteSegment(ctx: Ctx, id: string) {
  await getSegment(ctx, id);
  const snaps = await ctx.couch.db(DB.segments).list({ startkey: `snap:${id}:`, endkey: `snap:${id}:\ufff0`, limit: 1 });
  if (snaps.rows.length > 0) throw new AppError('segment_in_use', 'the segment has snapshots (campaigns may use them): retire it instead');
  const docs = [...(await ctx.couch.range<SegmentDoc>(DB.segments, { startkey: `seg-v:${id}@`, endkey: `seg-v:${id}@\ufff0` })), await getSegment(ctx, id)];
  await ctx.couch.db(DB.segments).bulk({ docs: docs.map((d) => ({ _id: d._id, _rev: d._rev!, _deleted: true })) as never });
  return { id, deleted: true };
}

// ——— counting ———

/** The stores under an org node id, and the scope's own node as the caller's stores. */
async function storesResolver(ctx: Ctx, scope: DataScope): Promise<StoresUnder> {
  const org = await ctx.org.org();
  return (nodeId) => {
    if (scope.node !== null && nodeId === scope.node) return scope.stores as ReadonlySet<string>;
    const node = parseNode(nodeId);
    return node ? org.storesUnder(node) : new Set();
  };
}

/** A scoped operator's members (decision 010): their home store or a store they bought at lies in the scope. */
const scopeRule = (node: string): Condition => ({
  any: [
    { field: 'homeStore', op: 'within', values: [node] },
    { field: 'storesVisited', op: 'within', values: [node] },
  ],
});

/** The members (by number) a rule holds for, among those the scope sees, with the ids by number. */
export async function evaluateRule(ctx: Ctx, rule: Condition, scope: DataScope) {
  if (!ctx.profiles.isBuilt) throw new AppError('unavailable', 'member profiles are still loading; try again shortly');
  const ids = ctx.profiles.members();
  const live = allMembers(ids.length);
  for (let n = 0; n < ids.length; n++) if (!ids.has(n)) live[n >>> 5]! &= ~(1 << (n & 31));
  const org = await storesResolver(ctx, scope);
  const within = scope.node === null ? live : segmentBits(scopeRule(scope.node), ctx.profiles, live, org);
  return { bits: segmentBits(rule, ctx.profiles, within, org), ids, base: popcount(within) };
}

/** How many members a rule (saved or not) holds for, of how many the caller sees. */
export async function countRule(ctx: Ctx, rule: Condition, scope: DataScope) {
  const started = performance.now();
  const r = await evaluateRule(ctx, rule, scope);
  return { count: popcount(r.bits), of: r.base, ms: Math.round((performance.now() - started) * 10) / 10 };
}

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { maskName } from '../../shared/mask-name.ts';
import { seesStore, type DataScope } from '../../shared/org-scope.ts';
import { maskPhone } from '../../shared/phone.ts';
import { membersOf, popcount } from '../../shared/profile/segment-count.ts';
import { dayString } from '../../shared/profile/source-facts.ts';
import type { Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import type { HubContext } from '../context.ts';
import { type ExportFormat, type ExportJob } from './export-jobs.ts';
import { evaluateRule, getSegment, type Ctx } from './segments.ts';

/*
 * A segment's members: a page of them, an export (CSV of members, or an advertising audience of
 * SHA-256 hashed E.164 phones) run as a job with progress, and snapshots (the exact member list at
 * a time, in chunked documents) for campaigns. Everything is narrowed to the caller's scope.
 */

export interface MemberRow {
  goldenId: string;
  storeMembers: string[];
  name: string;
  phone: string;
  homeStore: string;
  stage: string;
  tier: string;
  orders: number | null;
  spend: number | null;
  lastPurchaseDay: string;
}

/** Reads rows by member number from the columns (read once per page or export), and who the member is from One-ID. */
function rowReader(ctx: Ctx, scope: DataScope, reveal: boolean) {
  const enumOf = (field: string) => {
    const c = ctx.profiles.column(field);
    return c?.kind === 'enum' ? (n: number) => (c.codes[n] ? c.values[c.codes[n]! - 1]! : '') : () => '';
  };
  const intOf = (field: string) => {
    const c = ctx.profiles.column(field);
    return c && (c.kind === 'int' || c.kind === 'day') ? (n: number) => (n < 0 || c.values[n] === c.absent ? null : c.values[n]!) : () => null;
  };
  const home = enumOf('homeStore');
  const stage = enumOf('stage');
  const tier = enumOf('tier');
  const orders = intOf('orders');
  const spend = intOf('spend');
  const last = intOf('lastPurchaseDay');
  return (n: number, goldenId: string): MemberRow & { e164: string | undefined } => {
    const g = ctx.identity.goldenMember(goldenId);
    const phone = g?.profile.phone;
    const name = g?.profile.name ?? '';
    const store = home(n);
    const day = last(n);
    return {
      goldenId,
      storeMembers: (g?.records ?? []).flatMap((r) => (r.memberId ? [r.memberId] : [])).sort(),
      name: reveal ? name : name ? maskName(name) : '',
      phone: phone ? (reveal ? phone : maskPhone(phone)) : '',
      e164: phone,
      homeStore: store && seesStore(scope, store) ? store : '',
      stage: stage(n),
      tier: tier(n),
      orders: orders(n),
      spend: spend(n),
      lastPurchaseDay: day === null ? '' : dayString(day),
    };
  };
}

/** A page of a segment's members, by member number from `cursor` on. */
export async function segmentMembers(ctx: Ctx, id: string, scope: DataScope, reveal: boolean, cursor: number, limit: number) {
  const seg = await getSegment(ctx, id);
  const { bits, ids } = await evaluateRule(ctx, seg.rule, scope);
  const read = rowReader(ctx, scope, reveal);
  const members: MemberRow[] = [];
  let next: number | null = null;
  for (const n of membersOf(bits, cursor)) {
    if (members.length === limit) {
      next = n;
      break;
    }
    const { e164, ...row } = read(n, ids.at(n)!);
    members.push(row);
  }
  return { segment: { id, name: seg.name, version: seg.version }, total: popcount(bits), members, next: next === null ? null : String(next) };
}

// ——— exports ———

/** An export asked for again within this is the same job (a reload of the page, a second click). */
const REUSE_MS = 60 * 1000;
/** Members written between yields, so a large export does not hold the hub's event loop. */
const BATCH = 2000;

const CSV_HEADER = ['golden_id', 'store_member_ids', 'name', 'phone', 'home_store', 'stage', 'tier', 'orders', 'spend_cents', 'last_purchase_day'];
/** A CSV cell; text starting = + - @ is led by a ' so a spreadsheet never runs it as a formula (an E.164 phone stays as it is). */
export function csvCell(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^\+\d{6,15}$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
/** The audience file's line for a phone: the lower-case hex SHA-256 of its E.164 form (`+8613912345670`). */
export const hashedPhone = (e164: string) => createHash('sha256').update(e164.trim(), 'utf8').digest('hex');

export function exportJobJson(j: ExportJob) {
  return { ...j, progress: j.total === 0 ? (j.state === 'done' ? 1 : 0) : Math.min(1, j.done / j.total) };
}

/** Starts an export of a segment's members in the caller's scope; answers at once with the job. */
export async function startExport(ctx: ExportCtx, id: string, format: ExportFormat, who: { name: string; scope: DataScope }, reveal: boolean) {
  const seg = await getSegment(ctx, id);
  const all = ctx.segmentExports.all();
  const now = ctx.clock().getTime();
  for (const j of all) {
    const same = j.owner === who.name && j.segmentId === id && j.segmentVersion === seg.version && j.format === format && j.scope === who.scope.node && j.masked === (format === 'csv' && !reveal);
    if (same && (j.state === 'running' || now - Date.parse(j.startedAt) < REUSE_MS)) return exportJobJson(j);
  }
  const { bits, ids } = await evaluateRule(ctx, seg.rule, who.scope);
  if (all.filter((j) => j.state === 'running').length >= 4) throw new AppError('rate_limited', 'four exports are running: wait for one to finish');
  const job: ExportJob = {
    id: newId(ctx.clock(), 'exp-'),
    segmentId: id,
    segmentVersion: seg.version,
    format,
    state: 'running',
    done: 0,
    total: popcount(bits),
    rows: 0,
    owner: who.name,
    scope: who.scope.node,
    masked: format === 'csv' && !reveal,
    startedAt: ctx.clock().toISOString(),
  };
  await ctx.segmentExports.add(job);
  const read = rowReader(ctx, who.scope, format === 'csv' && reveal);
  // The members as counted now: the job runs across event-loop turns, in which a merge may free a
  // member number and a new member take it; such a row is written from its id alone.
  const members: [number, string][] = [];
  for (const n of membersOf(bits)) members.push([n, ids.at(n)!]);
  const out = ctx.segmentExports.writer(job);
  void (async () => {
    await out.write(format === 'csv' ? CSV_HEADER.join(',') + '\n' : 'phone_sha256\n');
    const seen = new Set<string>();
    let lines: string[] = [];
    const flush = async () => {
      job.rows += lines.length;
      if (lines.length) await out.write(lines.join('\n') + '\n');
      lines = [];
    };
    for (const [n, goldenId] of members) {
      const row = read(ids.at(n) === goldenId ? n : -1, goldenId);
      if (format === 'csv') lines.push([row.goldenId, row.storeMembers.join(' '), row.name, row.phone, row.homeStore, row.stage, row.tier, row.orders, row.spend, row.lastPurchaseDay].map(csvCell).join(','));
      else if (row.e164 && !seen.has(row.e164)) {
        seen.add(row.e164);
        lines.push(hashedPhone(row.e164));
      }
      job.done++;
      if (job.done % BATCH === 0) {
        await flush();
        await new Promise((r) => setImmediate(r));
      }
    }
    await flush();
    await out.close(true);
    await ctx.segmentExports.finish(job);
  })().catch(async (err) => {
    ctx.log.error('segments: export failed', { job: job.id, err: String(err) });
    await out.close(false).catch(() => undefined);
    await ctx.segmentExports.finish(job, err).catch(() => undefined);
  });
  return exportJobJson(job);
}

type ExportCtx = Ctx & Pick<HubContext, 'segmentExports'>;

/** A job of the caller's (another operator's job reads as not there). */
export function exportJob(ctx: ExportCtx, jobId: string, who: string): ExportJob {
  const j = ctx.segmentExports.get(jobId);
  if (!j || j.owner !== who) throw new AppError('export_not_found', `no export ${jobId.slice(0, 40)}`);
  return j;
}

/** The caller's jobs, newest first (the console's list). */
export function exportJobs(ctx: ExportCtx, who: string, segmentId?: string) {
  return ctx.segmentExports
    .all()
    .filter((j) => j.owner === who && (segmentId === undefined || j.segmentId === segmentId))
    .reverse()
    .map(exportJobJson);
}

/** The finished file of a job of the caller's, as a response: streamed from disk. */
export async function exportFile(ctx: ExportCtx, jobId: string, who: string): Promise<Response> {
  const j = exportJob(ctx, jobId, who);
  if (j.state !== 'done') throw new AppError('export_not_ready', `the export is ${j.state}${j.state === 'running' ? ` (${j.done} of ${j.total})` : ''}`);
  const { size, stream } = await ctx.segmentExports.open(j);
  return new Response(Readable.toWeb(stream) as ReadableStream, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-length': String(size), 'content-disposition': `attachment; filename="segment-${j.segmentId}-${j.format}.csv"` },
  });
}

// ——— snapshots ———

/** Golden ids per chunk document: a million members are 200 documents of ~150 KB. */
const CHUNK = 5000;

export interface SnapshotDoc extends Doc {
  type: 'segment-snapshot';
  segmentId: string;
  segmentVersion: number;
  rule: unknown;
  at: string;
  by: string;
  scope: string | null;
  count: number;
  chunks: number;
}
const snapJson = (d: SnapshotDoc) => ({ id: d._id.slice(d._id.lastIndexOf(':') + 1), segmentId: d.segmentId, segmentVersion: d.segmentVersion, at: d.at, by: d.by, scope: d.scope, count: d.count });

/** The segment's members now, kept as they are (golden ids, sorted), in chunks written before the header that lists them. */
export async function takeSnapshot(ctx: Ctx, id: string, who: { name: string; scope: DataScope }) {
  const seg = await getSegment(ctx, id);
  const { bits, ids } = await evaluateRule(ctx, seg.rule, who.scope);
  const golden: string[] = [];
  for (const n of membersOf(bits)) golden.push(ids.at(n)!);
  golden.sort();
  const at = ctx.clock();
  const snapId = newId(at);
  const chunks: Doc[] = [];
  for (let i = 0; i < golden.length; i += CHUNK) chunks.push({ _id: `snapc:${snapId}:${String(chunks.length).padStart(5, '0')}`, ids: golden.slice(i, i + CHUNK).join('\n') });
  for (let i = 0; i < chunks.length; i += 20) await ctx.couch.insertNew(DB.segments, chunks.slice(i, i + 20));
  const head: SnapshotDoc = { _id: `snap:${id}:${snapId}`, type: 'segment-snapshot', segmentId: id, segmentVersion: seg.version, rule: seg.rule, at: at.toISOString(), by: who.name, scope: who.scope.node, count: golden.length, chunks: chunks.length };
  await ctx.couch.insertNew(DB.segments, [head]);
  return snapJson(head);
}

/** Snapshots a caller may read: all without a scope, else those taken with the same scope. */
const readable = (d: SnapshotDoc, scope: DataScope) => scope.node === null || d.scope === scope.node;

export async function listSnapshots(ctx: Ctx, id: string, scope: DataScope) {
  await getSegment(ctx, id);
  const docs = await ctx.couch.range<SnapshotDoc>(DB.segments, { startkey: `snap:${id}:`, endkey: `snap:${id}:\ufff0` });
  return docs.filter((d) => readable(d, scope)).map(snapJson).reverse();
}

/** A snapshot's golden ids from `offset`, `limit` of them. */
export async function readSnapshot(ctx: Ctx, id: string, snapId: string, scope: DataScope, offset: number, limit: number) {
  const head = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(snapId) ? await ctx.couch.get<SnapshotDoc>(DB.segments, `snap:${id}:${snapId}`) : undefined;
  if (!head || !readable(head, scope)) throw new AppError('snapshot_not_found', `no snapshot ${snapId.slice(0, 40)}`);
  const first = Math.floor(offset / CHUNK);
  const last = Math.min(head.chunks - 1, Math.floor((offset + limit - 1) / CHUNK));
  const keys: string[] = [];
  for (let c = first; c <= last; c++) keys.push(`snapc:${snapId}:${String(c).padStart(5, '0')}`);
  const docs = keys.length ? await ctx.couch.fetchDocs(DB.segments, keys) : [];
  const members = docs.flatMap((d) => (d && typeof d.ids === 'string' && d.ids ? d.ids.split('\n') : [])).slice(offset - first * CHUNK, offset - first * CHUNK + limit);
  return { ...snapJson(head), offset, members, next: offset + members.length < head.count ? offset + members.length : null };
}

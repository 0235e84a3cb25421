import { MemberId } from '../../shared/schemas/common.ts';
import type { TagEvent } from '../../shared/profile/tag-rules.ts';
import { statusOf, type Couch, type Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';

/*
 * When each golden member entered and left each tag (issue 12, decision 022): history, not
 * derivable once rules change, so it is written. One document per member per month
 * (`th:<golden id>:<YYYY-MM>`, hub-tag-history), the month's events appended in order: a nightly
 * run that changes a million members' tags writes one document per changed member, and a
 * member's timeline reads one range, newest month first. Golden ids are MemberIds (no `:`), so
 * one member's range never reaches another's.
 */

export interface TagHistoryDoc extends Doc {
  type: 'tag-history';
  member: string;
  month: string;
  events: TagEvent[];
}

const docId = (member: string, month: string) => `th:${member}:${month}`;
const memberRange = (member: string) => ({ startkey: `th:${member}:`, endkey: `th:${member}:\ufff0` });
const sameEvent = (a: TagEvent, b: TagEvent) => a.tag === b.tag && a.change === b.change && a.day === b.day && a.cause.kind === b.cause.kind && a.cause.ref === b.cause.ref;

/**
 * Appends members' tag events to their month documents, in as few writes as the months touched
 * (one bulk write, retried for the documents another writer changed meanwhile). An event already
 * stored (same tag, change, day and cause: a run repeated after a crash) is not stored twice.
 * The documents of members `unrecorded` says have none are written without being read first (a
 * large import's members: the read of documents that are not there was 40% of the pass); one
 * that is there after all conflicts, and is read and appended to at the next attempt.
 */
export async function recordTagEvents(couch: Couch, changes: Iterable<readonly [string, readonly TagEvent[]]>, unrecorded: (member: string) => boolean = () => false): Promise<number> {
  const byDoc = new Map<string, { member: string; month: string; events: TagEvent[] }>();
  for (const [member, events] of changes) {
    if (!MemberId.safeParse(member).success) throw new Error(`tag history: '${String(member).slice(0, 80)}' is not a golden member id`);
    for (const e of events) {
      const month = e.day.slice(0, 7);
      const id = docId(member, month);
      const entry = byDoc.get(id) ?? { member, month, events: [] };
      entry.events.push(e);
      byDoc.set(id, entry);
    }
  }
  let stored = 0;
  let pending = [...byDoc.keys()];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 10) throw new Error(`tag history: ${pending.length} documents still in conflict after 10 attempts`);
    const toRead = attempt === 0 ? pending.filter((id) => !unrecorded(byDoc.get(id)!.member)) : pending;
    const read = await couch.fetchDocs<TagHistoryDoc>(DB.tagHistory, toRead);
    const current = new Map(toRead.map((id, i) => [id, read[i]]));
    const docs = pending.map((id) => {
      const { member, month, events } = byDoc.get(id)!;
      const stored = current.get(id);
      const had = stored?.events ?? [];
      const fresh = events.filter((e) => !had.some((h) => sameEvent(h, e)));
      return { doc: { _id: id, ...(stored?._rev ? { _rev: stored._rev } : {}), type: 'tag-history', member, month, events: [...had, ...fresh] } as TagHistoryDoc, fresh: fresh.length };
    });
    const write = docs.filter((d) => d.fresh > 0);
    if (write.length === 0) break;
    const results = await couch.bulk(DB.tagHistory, write.map((d) => d.doc));
    pending = [];
    results.forEach((r, i) => {
      if (!r.error) stored += write[i]!.fresh;
      else if (r.error === 'conflict') pending.push(write[i]!.doc._id);
      else throw new Error(`tag history: storing ${write[i]!.doc._id}: ${r.error} ${r.reason ?? ''}`);
    });
  }
  return stored;
}

/**
 * A member's tag events, newest first (within a day, in the order they were recorded, reversed),
 * `limit` of them; `before` is a month `YYYY-MM`: only months before it (paging by month).
 */
export async function tagHistoryOf(couch: Couch, member: string, opts: { limit?: number; before?: string } = {}): Promise<{ events: TagEvent[]; next: string | null }> {
  if (!MemberId.safeParse(member).success) return { events: [], next: null };
  const range = memberRange(member);
  const limit = opts.limit ?? 200;
  let res;
  try {
    res = await couch.db(DB.tagHistory).list({ descending: true, include_docs: true, startkey: opts.before ? docId(member, opts.before) : range.endkey, endkey: range.startkey, inclusive_end: true });
  } catch (err) {
    if (statusOf(err) === 404) return { events: [], next: null };
    throw err;
  }
  const events: TagEvent[] = [];
  let last: string | null = null;
  let more = false;
  for (const row of res.rows) {
    const doc = row.doc as unknown as TagHistoryDoc | undefined;
    if (!doc || (opts.before && doc.month >= opts.before)) continue;
    if (events.length >= limit) {
      more = true;
      break;
    }
    events.push(...[...doc.events].reverse());
    last = doc.month;
  }
  // A month is never split across pages: the next page is the months before the last one given.
  const next = more ? last : null;
  return { events, next };
}

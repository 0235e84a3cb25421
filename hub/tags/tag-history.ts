import { idHash } from '../../shared/compact-facts.ts';
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
 *
 * A member's very first events, when a run gives first tags to many members at once (the run
 * after a large import), are kept a bucket of members per document instead
 * (`tf:<bucket>:<day>`, the golden id's hash): the embedded server's cost is per document, and a
 * document per member made that run's writes most of the hub's work after an import (decision
 * 041). Being first, they are older than any month document of the member: read before them.
 */

export interface TagHistoryDoc extends Doc {
  type: 'tag-history';
  member: string;
  month: string;
  events: TagEvent[];
}

/** Members' first events of one day whose ids hash to one bucket: `[golden id, events]` each. */
export interface FirstTagsDoc extends Doc {
  type: 'tag-first';
  bucket: number;
  day: string;
  members: [string, TagEvent[]][];
}

export const FIRST_TAG_BUCKETS = 1024;
export const firstTagsBucket = (member: string) => idHash(member) % FIRST_TAG_BUCKETS;
const firstTagsPrefix = (bucket: number) => `tf:${String(bucket).padStart(4, '0')}:`;
const firstTagsId = (bucket: number, day: string) => `${firstTagsPrefix(bucket)}${day}`;
const firstTagsRange = (bucket: number) => ({ startkey: firstTagsPrefix(bucket), endkey: `${firstTagsPrefix(bucket)}\ufff0` });
export const FIRST_TAGS_RANGE = { startkey: 'tf:', endkey: 'tf:\ufff0' };

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
  return appendAll<TagHistoryDoc>(
    couch,
    [...byDoc.keys()],
    (id) => !unrecorded(byDoc.get(id)!.member),
    (id, stored) => {
      const { member, month, events } = byDoc.get(id)!;
      const had = stored?.events ?? [];
      const fresh = events.filter((e) => !had.some((h) => sameEvent(h, e)));
      return { doc: { _id: id, ...(stored?._rev ? { _rev: stored._rev } : {}), type: 'tag-history', member, month, events: [...had, ...fresh] }, fresh: fresh.length };
    },
  );
}

/**
 * Stores members' first events (none of them has any history yet) in the documents of their
 * buckets and days, one bulk write for the lot: written without a read first, since a bucket's
 * document of the day is new unless a run earlier that day wrote it; then it conflicts, and is
 * read and appended to. An event already there for the member is not stored twice.
 */
export async function recordFirstTags(couch: Couch, changes: Iterable<readonly [string, readonly TagEvent[]]>): Promise<number> {
  const byDoc = new Map<string, { bucket: number; day: string; members: Map<string, TagEvent[]> }>();
  for (const [member, events] of changes) {
    if (!MemberId.safeParse(member).success) throw new Error(`tag history: '${String(member).slice(0, 80)}' is not a golden member id`);
    const bucket = firstTagsBucket(member);
    for (const e of events) {
      const id = firstTagsId(bucket, e.day);
      const entry = byDoc.get(id) ?? { bucket, day: e.day, members: new Map<string, TagEvent[]>() };
      entry.members.set(member, [...(entry.members.get(member) ?? []), e]);
      byDoc.set(id, entry);
    }
  }
  return appendAll<FirstTagsDoc>(
    couch,
    [...byDoc.keys()],
    () => false,
    (id, stored) => {
      const { bucket, day, members } = byDoc.get(id)!;
      const all = new Map<string, TagEvent[]>(stored?.members ?? []);
      let fresh = 0;
      for (const [member, events] of members) {
        const had = all.get(member) ?? [];
        const added = events.filter((e) => !had.some((h) => sameEvent(h, e)));
        fresh += added.length;
        if (added.length > 0) all.set(member, [...had, ...added]);
      }
      return { doc: { _id: id, ...(stored?._rev ? { _rev: stored._rev } : {}), type: 'tag-first', bucket, day, members: [...all] }, fresh };
    },
  );
}

/**
 * Writes documents that only grow, in one bulk write per attempt: `merge` makes each from what is
 * stored (or nothing) and says how many of its events are new (none: not written). The documents
 * `readFirst` names are read before the first attempt; the others only after a conflict
 * (another writer, or there after all). Answers the events stored.
 */
async function appendAll<T extends Doc>(couch: Couch, ids: string[], readFirst: (id: string) => boolean, merge: (id: string, stored: T | undefined) => { doc: T; fresh: number }): Promise<number> {
  let stored = 0;
  let pending = ids;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 10) throw new Error(`tag history: ${pending.length} documents still in conflict after 10 attempts`);
    const toRead = attempt === 0 ? pending.filter(readFirst) : pending;
    const read = await couch.fetchDocs<T>(DB.tagHistory, toRead);
    const current = new Map(toRead.map((id, i) => [id, read[i]]));
    const write = pending.map((id) => merge(id, current.get(id))).filter((d) => d.fresh > 0);
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

/** A member's first events, kept in its bucket's documents (oldest first), if it has any. */
export async function firstTagsOf(couch: Couch, member: string): Promise<TagEvent[]> {
  let docs: FirstTagsDoc[];
  try {
    docs = await couch.range<FirstTagsDoc>(DB.tagHistory, firstTagsRange(firstTagsBucket(member)), 10_000);
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw err;
  }
  return docs.flatMap((d) => (d.members ?? []).find(([m]) => m === member)?.[1] ?? []);
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
  let first: TagEvent[];
  try {
    [res, first] = await Promise.all([
      couch.db(DB.tagHistory).list({ descending: true, include_docs: true, startkey: opts.before ? docId(member, opts.before) : range.endkey, endkey: range.startkey, inclusive_end: true }),
      firstTagsOf(couch, member),
    ]);
  } catch (err) {
    if (statusOf(err) === 404) return { events: [], next: null };
    throw err;
  }
  // Each month's events, oldest first: the member's first events (older than any month document) before its month's.
  const months = new Map<string, TagEvent[]>();
  for (const e of first) months.set(e.day.slice(0, 7), [...(months.get(e.day.slice(0, 7)) ?? []), e]);
  for (const row of res.rows) {
    const doc = row.doc as unknown as TagHistoryDoc | undefined;
    if (doc) months.set(doc.month, [...(months.get(doc.month) ?? []), ...doc.events]);
  }
  const events: TagEvent[] = [];
  let last: string | null = null;
  let more = false;
  for (const month of [...months.keys()].sort().reverse()) {
    if (opts.before && month >= opts.before) continue;
    if (events.length >= limit) {
      more = true;
      break;
    }
    events.push(...[...months.get(month)!].reverse());
    last = month;
  }
  // A month is never split across pages: the next page is the months before the last one given.
  const next = more ? last : null;
  return { events, next };
}

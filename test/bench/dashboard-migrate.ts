import { Couch, seqNumber, type Doc } from '../../hub/couch/couch.ts';
import { DB } from '../../hub/couch/databases.ts';
import { CounterDocs, factDocIds, foldFacts, foldMembers, memberDocIds, type Change, type FactLike, type MemberLike } from '../../shared/dashboard/aggregates.ts';
import { MemberStates } from '../../shared/dashboard/member-states.ts';
import { localDate } from '../../shared/local-time.ts';

/*
 * The dashboard's counters (decision 013) for documents a migration writes straight into the
 * hub's databases, folded in process as the documents are generated, and written with the
 * checkpoints at the databases' current sequences: the hub's catch-up then finds nothing to do,
 * where following the feeds of 8,000,000 documents through the embedded server takes hours.
 *
 * The folding is the hub's own (shared/dashboard/aggregates.ts, member-states.ts), batch by
 * batch as hub/dashboard/counters.ts does it: load what a batch touches, fold, keep the counters
 * then the members. Only where the documents are read from differs (the generator, not the
 * feed), and where they are kept (a map, not hub-dashboard). The test
 * test/integration/dashboard-migrate.test.ts holds the result against a real hub's catch-up.
 */

const BATCH = 5000;
const COUNTERS_BULK = 1000;
const CHUNKS_BULK = 500;

type Counted = { seq: number };

export class CounterFold {
  /** Every counter document but the members', by id. */
  readonly counters = new Map<string, Counted>();
  readonly members = new MemberStates();
  private factsSeq = 0;
  private membersSeq = 0;
  facts = 0;
  registrations = 0;

  /** `homeOf`: a member's home store as the hub reads it from their profile ('' when unknown). */
  constructor(
    private readonly homeOf: (memberId: string) => string,
    private readonly timeZone: string,
  ) {}

  /** Facts (hub-facts documents) in the order they were written. */
  foldFacts(docs: Iterable<FactLike>): void {
    for (const batch of batches(docs)) {
      const changes = batch.map((doc) => ({ seq: ++this.factsSeq, doc }));
      const counter = new CounterDocs();
      this.load(counter, factDocIds(changes));
      // Where each member leaves from (their last receipt day) is known once their documents are in.
      this.load(counter, factDocIds(changes, counter).filter((id) => !counter.has(id)));
      foldFacts(counter, changes, this.homeOf);
      this.keep(counter);
      this.facts += batch.length;
    }
  }

  /** hub-members documents (profiles and keys): registrations, by the day in HQ's zone, as the hub's members feed reads them. */
  foldMembers(docs: Iterable<Doc>): void {
    for (const batch of batches(docs)) {
      const changes: Change<MemberLike>[] = batch.map((doc) => ({ seq: ++this.membersSeq, doc: { ...doc, day: typeof doc.registeredAt === 'string' ? localDate(doc.registeredAt, this.timeZone) : '' } }));
      const counter = new CounterDocs();
      this.load(counter, memberDocIds(changes));
      foldMembers(counter, changes);
      this.keep(counter);
      this.registrations += changes.filter((c) => c.doc.type === 'member').length;
    }
  }

  private load(docs: CounterDocs, ids: string[]): void {
    for (const id of ids) docs.load(id, id.startsWith('mbr:') ? this.members.get(id.slice('mbr:'.length)) : this.counters.get(id));
  }

  /** The counters, then the members: the order the hub stores them in (aggregates.ts says why; here nothing dies between). */
  private keep(docs: CounterDocs): void {
    const { counters, members } = docs.written();
    for (const [id, doc] of counters) this.counters.set(id, doc);
    for (const [id, doc] of members) this.members.put(id.slice('mbr:'.length), doc as never);
  }
}

function* batches<T>(items: Iterable<T>): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** The feeds' current sequences: what the checkpoints are written at. */
export async function feedSeqs(couch: Couch): Promise<{ facts: number; members: number; online: number }> {
  const seq = async (db: string) => seqNumber(((await couch.server.db.get(db)) as { update_seq: unknown }).update_seq);
  return { facts: await seq(DB.facts), members: await seq(DB.members), online: await seq(DB.identity) };
}

/**
 * Replaces hub-dashboard with the folded counters, every document and member at its feed's
 * sequence `at` (all the fold saw is at or below it, every later change above it), then the
 * checkpoints there. Run with the hub stopped, on databases nothing writes to meanwhile: the
 * fold must be of exactly what they hold. Imported online orders are not generated: refused if
 * hub-identity holds any (the hub's own catch-up would count them; the checkpoint would skip them).
 */
export async function writeCounters(couch: Couch, fold: CounterFold, at: { facts: number; members: number; online: number }): Promise<{ counters: number; chunks: number }> {
  const imported = await couch.range(DB.identity, { startkey: 'src:', endkey: 'src:\ufff0' }, 1);
  if (imported.length > 0) throw new Error('hub-identity holds imported orders: the migration folds none; let the hub catch up instead');
  await couch.server.db.destroy(DB.dashboard).catch(() => undefined);
  await couch.ensureDb(DB.dashboard);
  const bulk = async (docs: Doc[], size: number) => {
    for (let i = 0; i < docs.length; i += size) {
      const res = await couch.db(DB.dashboard).bulk({ docs: docs.slice(i, i + size) });
      const bad = res.find((r) => r.error);
      if (bad) throw new Error(`hub-dashboard ${bad.id}: ${bad.error}`);
    }
  };
  // `reg:` counts the members feed; `online:` none here; the rest the facts feed.
  const counters = [...fold.counters].map(([id, doc]) => ({ ...doc, _id: id, seq: id.startsWith('reg:') ? at.members : at.facts }) as Doc);
  await bulk(counters, COUNTERS_BULK);
  const chunks = fold.members.changedChunks().map((c) => ({ _id: c._id, members: c.members.map(([id, home, receipts, lastDay]) => [id, home, receipts, lastDay, at.facts]) }) as Doc);
  await bulk(chunks, CHUNKS_BULK);
  const now = new Date().toISOString();
  await bulk((['facts', 'members', 'online'] as const).map((feed) => ({ _id: `cp:${feed}`, seq: at[feed], at: now })), 3);
  return { counters: counters.length, chunks: chunks.length };
}

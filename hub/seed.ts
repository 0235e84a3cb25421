import { rng, seedMemberDocs } from '../shared/seed-members.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB, factKey, storeDbName } from './couch/databases.ts';
import { currentRules } from './rules.ts';
import type { IngestWorker } from './workers/ingest.ts';
import type { StoreDoc } from './stores.ts';

/**
 * Synthetic members with a store as their home (demo, bench): written centrally and into the
 * store's database, as the projection would. Members `first` .. `first+count-1`; re-running
 * writes nothing new.
 */
export async function seedStoreMembers(couch: Couch, ingest: IngestWorker, store: StoreDoc, count: number, opts: { first?: number; seed?: number; now?: Date; onProgress?: (done: number) => void } = {}) {
  const random = rng(opts.seed ?? 42 + (opts.first ?? 0));
  const at = { storeId: store.id, timeZone: store.timeZone, rules: await currentRules(couch), now: opts.now ?? new Date() };
  const first = opts.first ?? 0;
  const batch = 2000;
  for (let start = first; start < first + count; start += batch) {
    const docs: Doc[] = [];
    for (let i = start; i < Math.min(first + count, start + batch); i++) docs.push(...(seedMemberDocs(i, random, at) as Doc[]));
    const central = docs.filter((d) => d.type === 'member' || d.type === 'idk');
    const facts = docs.filter((d) => d.type === 'pts').map((d) => ({ ...d, _id: factKey(String(d.memberId), d._id) }));
    await couch.insertNew(DB.members, central);
    await couch.insertNew(DB.facts, facts);
    await couch.insertNew(storeDbName(store.id), docs);
    opts.onProgress?.(Math.min(first + count, start + batch) - first);
  }
  // Before a node is enrolled nothing but the hub writes to the store's database: the ingest
  // worker need not read back what was just written.
  if (!store.enrolledAt) await ingest.skipTo(store.id, (await couch.db(storeDbName(store.id)).info()).update_seq);
}

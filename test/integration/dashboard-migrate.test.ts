import { afterAll, expect, it } from 'vitest';
import { Couch, seqNumber, type Doc } from '../../hub/couch/couch.ts';
import { DB } from '../../hub/couch/databases.ts';
import type { LoyaltyRules } from '../../shared/schemas/rules.ts';
import { bulkLoad, memberDocs, migrateCounters, receiptDocs, storeId } from '../bench/dashboard-bench.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, startHub, withStoredDatabases, type HubProcess } from '../support/hub.ts';

/*
 * The dashboard bench writes the counters as a migration would (test/bench/dashboard-migrate.ts:
 * the generated documents folded in process, written at the databases' sequences). They must be
 * the hub's own: on a small data set loaded the bench's way, hub-dashboard as the migration
 * writes it is compared document by document with hub-dashboard as a real hub's catch-up leaves
 * it; then a hub started on the migrated counters answers the same figures and writes none of
 * them (its catch-up finds nothing to do).
 */

const MEMBERS = 800;
const FACTS = 5000;

let dir: string;
let hub: HubProcess | undefined;
afterAll(async () => {
  await hub?.stop().catch(() => undefined);
  if (dir) removeDir(dir);
});

/** hub-dashboard's documents by id, as stored. */
async function dashboardDocs(couch: Couch): Promise<Map<string, Doc>> {
  const out = new Map<string, Doc>();
  for await (const page of couch.pages(DB.dashboard)) for (const d of page) out.set(d._id, d);
  return out;
}

// A store's entry at zero counts nothing: folded in another order (the load sends two bulks at a
// time, so the feed's order is not the generator's), a member whose last receipt passed through a
// day leaves an entry at zero there, and a whole `act:` document of them, where the other order
// never made it.
const zero = (v: unknown) => v === 0 || (typeof v === 'object' && v !== null && Object.values(v).every((x) => x === 0));

/** What a document counts: its revision, the time of a checkpoint and every `seq` left out (where each was folded up to may differ), entries in id order. */
function counted(d: Doc): unknown {
  const { _rev: _, seq: __, at: ___, ...rest } = d as Doc & { seq?: number; at?: string };
  if (Array.isArray(rest.members)) return { ...rest, members: (rest.members as unknown[][]).map((m) => m.slice(0, 4)).sort((a, b) => String(a[0]).localeCompare(String(b[0]))) };
  if (Array.isArray(rest.stores)) return { ...rest, stores: (rest.stores as [string, unknown][]).filter(([, v]) => !zero(v)).sort((a, b) => a[0].localeCompare(b[0])) };
  return rest;
}

/** A document with store entries, all at zero: it counts what its absence counts. */
const countsNothing = (d: Doc) => Array.isArray(d.stores) && (d.stores as [string, unknown][]).every(([, v]) => zero(v));

async function figures(h: HubProcess) {
  const admin = adminClient(h);
  for (;;) {
    const stats = (await admin.get('/members/stats')).body;
    if (stats.upToDate) break;
  }
  const sales = (await admin.get('/sales/daily?days=366')).body;
  const members = (await admin.get('/members/stats')).body;
  return { sales: sales.days, points: sales.points, members: members.members };
}

it('the migrated counters are the hub catch-up\'s, document by document, and a hub started on them folds nothing', { timeout: 600_000 }, async () => {
  dir = tempDir('dash-migrate-');
  const port = await freePort();
  hub = await startHub(dir, port);
  const admin = adminClient(hub);
  for (let k = 0; k < 20; k++) await admin.post('/stores', { id: storeId(k), name: `Bench ${storeId(k)}`, region: k < 10 ? 'East' : 'West' });
  const rules = (await admin.get('/rules')).body.rules as LoyaltyRules;
  await hub.stop();
  hub = undefined;
  const now = new Date();
  const data = { members: MEMBERS, facts: FACTS, rules, now };

  // Loaded as the bench loads it, and migrated.
  const { docs: migrated, identitySeq } = await withStoredDatabases(dir, async (couch) => {
    await bulkLoad(couch, DB.members, memberDocs(MEMBERS, rules, now, true));
    await bulkLoad(couch, DB.facts, memberDocs(MEMBERS, rules, now, false));
    await bulkLoad(couch, DB.facts, receiptDocs(FACTS - MEMBERS, MEMBERS, now));
    await migrateCounters(couch, data, () => undefined);
    const docs = await dashboardDocs(couch);
    // Then forgotten: the hub counts the same documents from its feeds.
    await couch.server.db.destroy(DB.dashboard);
    return { docs, identitySeq: seqNumber((await couch.db(DB.identity).info()).update_seq) };
  });

  hub = await startHub(dir, port);
  const caughtUp = await figures(hub);
  // A stop may leave a batch under way to the next start (decision 013 point 9): started again, the
  // hub replays it, and at rest past its snapshot interval it has stored everything before it stops.
  await hub.stop();
  hub = await startHub(dir, port);
  expect(await figures(hub)).toEqual(caughtUp);
  await new Promise((r) => setTimeout(r, 12_000));
  await hub.stop();
  hub = undefined;
  const own = await withStoredDatabases(dir, dashboardDocs);
  expect(caughtUp.members.total).toBe(MEMBERS);

  // hub-identity holds no orders here, only One-ID's own state: the migration stores its checkpoint at
  // the database's sequence, and the hub, with nothing of the feed's to fold, may store none.
  expect(migrated.get('cp:online')?.seq).toBe(identitySeq);
  const ids = (docs: Map<string, Doc>) => [...docs].filter(([id, d]) => id !== 'cp:online' && !countsNothing(d)).map(([id]) => id).sort();
  expect(ids(migrated)).toEqual(ids(own));
  for (const id of ids(own)) expect(counted(migrated.get(id)!), id).toEqual(counted(own.get(id)!));
  // The checkpoints are where the hub's catch-up ended: each feed's last change.
  for (const feed of ['facts', 'members']) expect(migrated.get(`cp:${feed}`)!.seq, feed).toBe(own.get(`cp:${feed}`)!.seq);

  // A hub on migrated counters: the same figures, and not one counter or member chunk written again.
  const before = await withStoredDatabases(dir, async (couch) => {
    await migrateCounters(couch, data, () => undefined);
    return dashboardDocs(couch);
  });
  hub = await startHub(dir, port);
  expect(await figures(hub)).toEqual(caughtUp);
  await hub.stop();
  hub = undefined;
  const after = await withStoredDatabases(dir, dashboardDocs);
  const revs = (docs: Map<string, Doc>) => [...docs].filter(([id]) => !id.startsWith('cp:')).map(([id, d]) => `${id} ${d._rev}`);
  expect(revs(after)).toEqual(revs(before));
});


import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LiveIndex } from '../../edge/live-index.ts';
import { openStoreDb, type StoreDb } from '../../edge/store-db.ts';
import { eventually } from '../support/hub.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * What replication writes is folded a whole write at a time. PouchDB stores a replicated batch in
 * id order, so a One-ID merge's `alias:` comes before the survivor's `member:` and `pts:` in the
 * node's own sequence, and the feed tells of them over several turns: a till identifying the
 * member between two of them got the merged member with the points of the merged-away side only
 * (hub-sync.test.ts, about one run in four under load).
 */

const TODAY = '2026-03-01';
const at = '2026-01-01T00:00:00.000Z';
const member = (id: string, phone: string, rev: string) => ({ _id: `member:${id}`, _rev: rev, type: 'member', id, phone, memberCode: `1000000000${id.slice(-2)}`, homeStoreId: 'S002', registeredAt: at, registeredStoreId: 'S002', provisional: false });
const pts = (id: string, delta: number, rev: string) => ({ _id: `pts:${id}:join`, _rev: rev, type: 'pts', memberId: id, delta, reason: 'join', ref: `member:${id}`, storeId: 'S002', at, day: '2026-01-01' });

let dir: string;
let db: StoreDb | undefined;
let live: LiveIndex | undefined;
afterEach(async () => {
  live?.stopFollowing();
  await db?.close();
  removeDir(dir);
});

it("a merge's alias and the survivor's documents of one replicated write are folded in the same turn", async () => {
  dir = tempDir();
  db = await openStoreDb(dir);
  live = await LiveIndex.open(db, join(dir, 'index.snapshot.json'));
  live.follow();
  const l = live;
  // The provisional member registered here while offline, with 300 points.
  await db.bulkDocs([member('MP01', '+8613800138011', '1-a1'), pts('MP01', 300, '1-a2')], { new_edits: false });
  await eventually(async () => (l.index.points('MP01', TODAY) === 300 ? true : undefined), 5_000, 'the provisional member', 5);

  // Every turn until the write is folded, what a till identifying MP01 would be shown.
  const seen: string[] = [];
  let watching = true;
  const watch = () => {
    const id = l.index.canonical('MP01');
    seen.push(`${id}:${l.index.points(id, TODAY)}`);
    if (watching) setImmediate(watch);
  };
  watch();
  // One write from the hub: the survivor, their points, and the alias (with filler before it in id order).
  const filler = Array.from({ length: 40 }, (_, i) => ({ _id: `coupon:C${String(i).padStart(3, '0')}`, _rev: '1-f', type: 'coupon', code: `C${String(i).padStart(3, '0')}`, memberId: 'MS11', templateId: 'T', title: 't', kind: 'cash', terms: { kind: 'cash', amountOffCents: 100, minSpendCents: 0 }, scope: {}, validFrom: at, validTo: '2027-01-01T00:00:00.000Z', issuedAt: at, storeId: 'S001' }));
  await db.bulkDocs([member('MS11', '+8613800138011', '1-b1'), pts('MS11', 886, '1-b2'), ...filler, { _id: 'alias:MP01', _rev: '1-c1', type: 'alias', from: 'MP01', to: 'MS11', at }], { new_edits: false });
  await eventually(async () => (l.index.canonical('MP01') === 'MS11' && l.index.points('MS11', TODAY) === 1186 ? true : undefined), 5_000, 'the merge folded', 5);
  watching = false;
  expect(seen[0]).toBe('MP01:300');
  expect(seen.at(-1)).toBe('MS11:1186');
  expect(seen.filter((s) => s !== 'MP01:300' && s !== 'MS11:1186')).toEqual([]);
});

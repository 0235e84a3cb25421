import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveIndex } from '../../edge/live-index.ts';
import { openStoreDb, type StoreDb } from '../../edge/store-db.ts';
import { eventually } from '../support/hub.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * Documents the hub hands a node with an answer (a member found through the hub, another
 * store's receipt) are stored with the hub's revisions and folded at once; replication bringing
 * the same revisions later changes nothing, and the follower still folds what comes after.
 *
 * What replication writes is folded a whole write at a time. PouchDB stores a replicated batch in
 * id order, so a One-ID merge's `alias:` comes before the survivor's `member:` and `pts:` in the
 * node's own sequence, and the feed tells of them over several turns: a till identifying the
 * member between two of them got the merged member with the points of the merged-away side only
 * (hub-sync.test.ts, about one run in four under load).
 */

const TODAY = '2026-03-01';
const member = { _id: 'member:M0001', _rev: '1-aaaa', type: 'member', id: 'M0001', phone: '+8613800138001', memberCode: '100000000001', homeStoreId: 'S002', registeredAt: '2026-01-01T00:00:00.000Z', registeredStoreId: 'S002', provisional: false };
const key = { _id: 'idk:phone:+8613800138001', _rev: '1-bbbb', type: 'idk', key: 'phone:+8613800138001', memberId: 'M0001' };
const pts = (cause: string, delta: number, rev: string) => ({ _id: `pts:M0001:${cause}`, _rev: rev, type: 'pts', memberId: 'M0001', delta, reason: 'join', ref: 'member:M0001', storeId: 'S002', at: '2026-01-01T00:00:00.000Z', day: '2026-01-01' });

let dir: string;
let db: StoreDb | undefined;
let live: LiveIndex | undefined;
afterEach(async () => {
  live?.stopFollowing();
  await db?.close();
  removeDir(dir);
});

async function open() {
  dir = tempDir();
  db = await openStoreDb(dir);
  live = await LiveIndex.open(db, join(dir, 'index.snapshot.json'));
  live.follow();
  return live;
}

describe('LiveIndex.applyFromHub', () => {
  it('folds the documents before it returns, with the revisions the hub gave them', async () => {
    const l = await open();
    await l.applyFromHub([member, key, pts('join', 700, '1-cccc')]);
    expect(l.index.memberIdFor('phone:+8613800138001')).toBe('M0001');
    expect(l.index.points('M0001', TODAY)).toBe(700);
    expect((await db!.get('pts:M0001:join'))._rev).toBe('1-cccc');
  });

  it('the same revisions again, as replication brings them, change nothing; what comes after is still followed', async () => {
    const l = await open();
    await l.applyFromHub([member, key, pts('join', 700, '1-cccc')]);
    // Replication delivers the very same revisions: no conflict, no second count.
    await db!.bulkDocs([member, key, pts('join', 700, '1-cccc')], { new_edits: false });
    const info = await db!.get('pts:M0001:join', { conflicts: true });
    expect((info as { _conflicts?: string[] })._conflicts).toBeUndefined();
    // A fact arriving later by replication alone is folded by the follower (it was not skipped as the node's own).
    await db!.bulkDocs([pts('bonus', 50, '1-dddd')], { new_edits: false });
    await eventually(async () => (l.index.points('M0001', TODAY) === 750 ? true : undefined), 5_000, 'the follower folds the later fact', 20);
    expect(l.index.points('M0001', TODAY)).toBe(750);
  });

  it('a snapshot taken after covers what came from the hub', async () => {
    const l = await open();
    await l.applyFromHub([member, key, pts('join', 700, '1-cccc')]);
    await eventually(async () => (l.pendingSnapshotChanges > 0 ? true : undefined), 5_000, 'changes counted', 20);
    await new Promise((r) => setTimeout(r, 100)); // the follower reaches the hub's documents
    await l.persist();
    l.stopFollowing();
    const again = await LiveIndex.open(db!, join(dir, 'index.snapshot.json'));
    expect(again.index.points('M0001', TODAY)).toBe(700);
    expect(again.index.memberIdFor('phone:+8613800138001')).toBe('M0001');
  });
});

describe('the follower', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const memberOf = (id: string, phone: string, rev: string) => ({ _id: `member:${id}`, _rev: rev, type: 'member', id, phone, memberCode: `1000000000${id.slice(-2)}`, homeStoreId: 'S002', registeredAt: at, registeredStoreId: 'S002', provisional: false });
  const ptsOf = (id: string, delta: number, rev: string) => ({ _id: `pts:${id}:join`, _rev: rev, type: 'pts', memberId: id, delta, reason: 'join', ref: `member:${id}`, storeId: 'S002', at, day: '2026-01-01' });

  it("a merge's alias and the survivor's documents of one replicated write are folded in the same turn", async () => {
    const l = await open();
    // The provisional member registered here while offline, with 300 points.
    await db!.bulkDocs([memberOf('MP01', '+8613800138011', '1-a1'), ptsOf('MP01', 300, '1-a2')], { new_edits: false });
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
    await db!.bulkDocs([memberOf('MS11', '+8613800138011', '1-b1'), ptsOf('MS11', 886, '1-b2'), ...filler, { _id: 'alias:MP01', _rev: '1-c1', type: 'alias', from: 'MP01', to: 'MS11', at }], { new_edits: false });
    await eventually(async () => (l.index.canonical('MP01') === 'MS11' && l.index.points('MS11', TODAY) === 1186 ? true : undefined), 5_000, 'the merge folded', 5);
    watching = false;
    expect(seen[0]).toBe('MP01:300');
    expect(seen.at(-1)).toBe('MS11:1186');
    expect(seen.filter((s) => s !== 'MP01:300' && s !== 'MS11:1186')).toEqual([]);
  });
});

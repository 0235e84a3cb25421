import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, type HubProcess } from '../support/hub.ts';

/*
 * Decision 029 with a real hub: a hub stopped cleanly leaves its facts in
 * <hub dir>/snapshots/profiles-latest.snap and the next start answers the same profiles from it,
 * without a full build; a hub killed leaves the older file, and the start catches up from the
 * feeds' sequence numbers; a damaged file is refused and the facts are read from the databases,
 * with the same answers.
 */

// The nightly run only on 1 January: no full build happens in this test unless a start needs one.
const HUB_FLAGS = ['--profiles-nightly', '0 3 1 1 *', '--profiles-zone', 'Asia/Shanghai'];
let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let store: { dir: string; token: string };
let edge: EdgeProcess;
const snapFile = () => join(hubDir, 'snapshots', 'profiles-latest.snap');
const api = () => adminClient(hub);
const pos = () => client(edge.url, store.token);
const status = async () => (await api().get('/profiles/status')).body.engine;
const profileOf = async (id: string) => {
  const r = await api().get(`/members/${id}/profile`);
  return r.status === 200 ? r.body.profile : undefined;
};
/** The hub started again; resolves once its engine has a base. */
async function restart() {
  hub = await startHub(hubDir, hubPort, HUB_FLAGS);
  return eventually(async () => {
    const s = await status();
    return s.built ? s : undefined;
  }, 120_000, 'the profiles after the restart');
}
const checkout = async (receiptNo: string, memberId: string, yuan: number) => {
  const r = await pos().post('/v1/checkouts', { receiptNo, memberId, lines: [{ sku: 'BEANS-1KG', category: 'coffee/beans', qty: 1, unitPrice: yuan * 100 }] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
};
/** A start's full pass over the tags has recorded its events (the timeline shows them). */
const tagsRecorded = (what: string) => eventually(async () => ((await api().get('/profiles/status')).body.tags.fullRuns >= 1 ? true : undefined), 60_000, what);
const ordersAre = (id: string, n: number, what: string) =>
  eventually(async () => {
    const p = await profileOf(id);
    return p?.orders === n ? p : undefined;
  }, 90_000, what);

beforeAll(async () => {
  hubDir = tempDir('memberedge-hub-');
  hubPort = await freePort();
  hub = await startHub(hubDir, hubPort, HUB_FLAGS);
  store = await enrollStore(hub, 'S001');
  edge = await startEdge(store.dir, ['--heartbeat-interval', '1']);
}, 180_000);

afterAll(async () => {
  await edge?.stop();
  await hub?.stop();
  removeDir(store.dir);
  removeDir(hubDir);
});

it('a restart answers from the snapshot, catches up from the feeds, and a damaged file means a full build with the same answers', { timeout: 600_000 }, async () => {
  // The first start had no file: a full build, then its snapshot.
  const first = await eventually(async () => ((await status()).lastSnapshot ? status() : undefined), 60_000, 'the first snapshot');
  expect(first.lastStart).toMatchObject({ from: 'databases', refused: 'no snapshot file' });
  expect(first.lastSnapshot.after).toBe('build');

  const joined = await pos().post('/v1/members', { phone: '+86 137 0000 2901', name: 'Snap Shot' });
  expect(joined.status, JSON.stringify(joined.body)).toBe(201);
  const me: string = joined.body.member.id;
  await checkout('P1', me, 120);
  await ordersAre(me, 1, 'the first order in the profile');

  // A clean stop writes the facts; the start reads them and builds nothing from the databases.
  await hub.stop();
  expect(existsSync(snapFile())).toBe(true);
  const fromFile = await restart();
  expect(fromFile.lastStart.from).toBe('snapshot');
  expect(fromFile.lastBuild ?? null).toBeNull();
  expect(await profileOf(me)).toMatchObject({ orders: 1, spend: 12_000 });

  // A fact after that start, then the hub killed: the file on disk is still the one the stop wrote,
  // and the next start reads the fact from the feed, after the file's sequence number.
  await checkout('P2', me, 80);
  await ordersAre(me, 2, 'the second order');
  const written = readFileSync(snapFile());
  await hub.kill();
  const caught = await restart();
  expect(caught.lastStart.from).toBe('snapshot');
  expect(caught.lastStart.caughtUp).toBeGreaterThan(0);
  expect(caught.lastBuild ?? null).toBeNull();
  expect(readFileSync(snapFile()).equals(written)).toBe(true);
  await tagsRecorded("the caught-up start's tags");
  const fromSnapshot = (await profileOf(me))!;
  expect(fromSnapshot).toMatchObject({ orders: 2, spend: 20_000 });
  const timeline = (await api().get(`/members/${me}/timeline?limit=200`)).body.entries;
  expect(timeline.filter((e: { kind: string }) => e.kind === 'purchase')).toHaveLength(2);

  // A clean stop writes what was caught up; a byte changed in its pages: refused, a full build from
  // the databases, and the same profile and timeline as the start from the file gave.
  await hub.stop();
  const bytes = readFileSync(snapFile());
  bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x01;
  writeFileSync(snapFile(), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  const rebuilt = await restart();
  expect(rebuilt.lastStart.from).toBe('databases');
  expect(rebuilt.lastStart.refused).toMatch(/checksum/);
  expect(rebuilt.lastBuild).toBeTruthy();
  await tagsRecorded("the rebuilt start's tags");
  expect(await profileOf(me)).toEqual(fromSnapshot);
  expect((await api().get(`/members/${me}/timeline?limit=200`)).body.entries).toEqual(timeline);
  // The full build wrote a good file again.
  await eventually(async () => ((await status()).lastSnapshot?.after === 'build' ? true : undefined), 30_000, 'a snapshot after the full build');

  // An order the store takes while the hub is down comes in after a start from that file.
  await hub.stop();
  await checkout('P3', me, 50);
  expect((await restart()).lastStart.from).toBe('snapshot');
  expect(await ordersAre(me, 3, 'the order taken while the hub was down')).toMatchObject({ spend: 25_000 });
});

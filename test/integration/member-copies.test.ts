import { afterAll, beforeAll, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { DB, storeDbName } from '../../hub/couch/databases.ts';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../hub/couch/embedded.ts';
import { HubMembers } from '../../hub/members.ts';
import { createLog } from '../../shared/cli/log.ts';
import { seedMemberDocs, rng } from '../../shared/seed-members.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * A store that looks a member up is listed as serving them and sent their documents. A hub that
 * dies between the two must not leave the store listed but empty (the chaos run found such a
 * store answering 404 for a member the hub said it served): the next start makes the copy.
 */

let dir: string;
let embedded: EmbeddedCouch;
let couch: Couch;

beforeAll(async () => {
  dir = tempDir('memberedge-copies-');
  embedded = await startEmbeddedCouch(dir, createLog('test', true));
  couch = new Couch(embedded.url);
  await couch.ensureCentral();
  await couch.ensureDb(storeDbName('S002'));
  await couch.ensureDb(storeDbName('S003'));
  const docs = seedMemberDocs(7, rng(1), { storeId: 'S001', timeZone: 'Asia/Shanghai', rules: DEFAULT_RULES, now: new Date() });
  await couch.insertNew(DB.members, docs.filter((d) => d.type === 'member' || d.type === 'idk') as never);
  await couch.insertNew(DB.facts, docs.filter((d) => d.type === 'pts').map((d) => ({ ...d, _id: `m:${(d as { memberId: string }).memberId}:${d._id}` })) as never);
});
afterAll(async () => {
  await embedded?.stop();
  removeDir(dir);
});

it('a copy announced before the hub died is made on the next start, then forgotten', async () => {
  const before = new HubMembers(couch);
  await before.serveAt('MSEED00000007', 'S002'); // ...and the hub dies before projecting
  expect(await before.relevantStores('MSEED00000007')).toEqual(['S001', 'S002']);
  expect(await couch.get(storeDbName('S002'), 'member:MSEED00000007')).toBeUndefined();

  const after = new HubMembers(couch);
  expect(await after.resumeCopies()).toBe(1);
  expect(await couch.get(storeDbName('S002'), 'member:MSEED00000007')).toMatchObject({ id: 'MSEED00000007' });
  expect(await couch.get(storeDbName('S002'), 'pts:MSEED00000007:join')).toMatchObject({ reason: 'join' });
  expect(await after.resumeCopies()).toBe(0);
});

it('a copy announced just before the hub died lists the store as serving the member when it is made', async () => {
  await couch.ensureDb(storeDbName('S009'));
  // The journal entry is written, then the hub dies before the store is listed.
  await couch.insertNew(DB.members, [{ _id: 'copy:MSEED00000007:S009', type: 'copy', memberId: 'MSEED00000007', storeId: 'S009' }]);
  const after = new HubMembers(couch);
  expect(await after.relevantStores('MSEED00000007')).not.toContain('S009');
  expect(await after.resumeCopies()).toBe(1);
  expect(await couch.get(storeDbName('S009'), 'member:MSEED00000007')).toMatchObject({ id: 'MSEED00000007' });
  expect(await new HubMembers(couch).relevantStores('MSEED00000007')).toContain('S009');
});

it('a lookup leaves nothing to resume', async () => {
  const members = new HubMembers(couch);
  const found = await members.lookupFor('MSEED00000007', 'S003', 'Asia/Shanghai', new Date());
  expect(found?.member.id).toBe('MSEED00000007');
  expect(await couch.range(DB.members, { startkey: 'copy:', endkey: 'copy:\ufff0' })).toEqual([]);
});

it('two stores looking a member up at the same moment both end up serving them', async () => {
  const members = new HubMembers(couch);
  await couch.ensureDb(storeDbName('S004'));
  await couch.ensureDb(storeDbName('S005'));
  await Promise.all([members.lookupFor('MSEED00000007', 'S004', 'Asia/Shanghai', new Date()), members.lookupFor('MSEED00000007', 'S005', 'Asia/Shanghai', new Date())]);
  expect((await members.relevantStores('MSEED00000007')).sort()).toEqual(['S001', 'S002', 'S003', 'S004', 'S005', 'S009']);
  expect((await new HubMembers(couch).relevantStores('MSEED00000007')).sort()).toEqual(['S001', 'S002', 'S003', 'S004', 'S005', 'S009']);
});

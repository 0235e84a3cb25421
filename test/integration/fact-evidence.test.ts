import { afterAll, beforeAll, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { storeDbName } from '../../hub/couch/databases.ts';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../hub/couch/embedded.ts';
import { HubMembers } from '../../hub/members.ts';
import { ensureDefaultRules } from '../../hub/rules.ts';
import { judgeFacts } from '../../hub/workers/fact-evidence.ts';
import { createLog } from '../../shared/cli/log.ts';
import type { AnyDoc } from '../../shared/schemas/documents.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * The ingest judges a batch of a store's changes with what the hub knows and looks ahead in the
 * store's database for what the batch refers to. PouchDB pushes a batch in id order, so a
 * registration's `event:<store>:<member>:register` comes before its `member:<member>`: an ingest
 * page that ends between them must not quarantine the event (the 10-minute chaos run did, 11
 * times).
 */

let dir: string;
let embedded: EmbeddedCouch;
let couch: Couch;

beforeAll(async () => {
  dir = tempDir('memberedge-evidence-');
  embedded = await startEmbeddedCouch(dir, createLog('test', true));
  couch = new Couch(embedded.url);
  await couch.ensureCentral();
  await ensureDefaultRules(couch);
  await couch.ensureDb(storeDbName('S001'));
  await couch.ensureDb(storeDbName('S002'));
});
afterAll(async () => {
  await embedded?.stop();
  removeDir(dir);
});

const at = '2026-11-29T10:00:00.000Z';
const member = (id: string, storeId: string) => ({ _id: `member:${id}`, type: 'member', id, homeStoreId: storeId, registeredStoreId: storeId, registeredAt: at, provisional: false, name: 'Walk In', phone: '+8613700000001', memberCode: `C${id.slice(-4)}` });
const registerEvent = (id: string, storeId: string): AnyDoc => ({ _id: `event:${storeId}:${id}:register`, type: 'event', kind: 'register', memberId: id, storeId, terminalId: 'T1', at, day: '2026-11-29' }) as AnyDoc;

it("a registration's event is taken in when the member's profile is further on in the store's database", async () => {
  await couch.insertNew(storeDbName('S001'), [member('M01TESTREG0001', 'S001')]);
  const verdict = await judgeFacts({ couch, members: new HubMembers(couch) }, 'S001', [registerEvent('M01TESTREG0001', 'S001')]);
  expect(verdict.quarantined).toEqual([]);
  expect(verdict.accepted.map((d) => d._id)).toEqual(['event:S001:M01TESTREG0001:register']);
});

it("another store's registration found there is no evidence: the event is quarantined", async () => {
  // S002's database holds a member registered at S001 (a projection): S002 did not register them.
  await couch.insertNew(storeDbName('S002'), [member('M01TESTREG0002', 'S001')]);
  const verdict = await judgeFacts({ couch, members: new HubMembers(couch) }, 'S002', [registerEvent('M01TESTREG0002', 'S002')]);
  expect(verdict.accepted).toEqual([]);
  expect(verdict.quarantined.map((q) => q.reason)).toEqual(['M01TESTREG0002 was not registered at S002']);
});

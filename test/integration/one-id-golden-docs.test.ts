import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { DB } from '../../hub/couch/databases.ts';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../hub/couch/embedded.ts';
import { IdentityDb } from '../../hub/identity/identity-db.ts';
import { createLog } from '../../shared/cli/log.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * Golden members' own documents (`golden:<id>`) written behind single records: once the hub has
 * read every such document's revision at its start, a member not among them is written without
 * a read first; one another process wrote meanwhile is read and written at the next attempt.
 */
describe("golden members' own documents", () => {
  let couch: EmbeddedCouch;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('memberedge-golden-docs-');
    couch = await startEmbeddedCouch(dir, createLog('test', true));
  });
  afterAll(async () => {
    await couch?.stop();
    if (dir) removeDir(dir);
  });

  /** A Couch whose reads of revisions in hub-golden are counted. */
  function counted() {
    const db = new Couch(couch.url);
    const reads = { revs: 0 };
    const real = db.db.bind(db);
    db.db = ((name: string) => {
      const d = real(name);
      if (name !== DB.golden) return d;
      return new Proxy(d, { get: (t, p, r) => (p === 'fetchRevs' ? (...a: unknown[]) => (reads.revs++, (t.fetchRevs as (...x: unknown[]) => unknown)(...a)) : Reflect.get(t, p, r)) });
    }) as typeof db.db;
    return { db, reads };
  }

  it('are written without reading revisions once every member document is known, and another writer is caught', async () => {
    const first = new IdentityDb(new Couch(couch.url));
    await first.ensure();
    await first.writeMembers([['GOLD00000000000000A1', { records: ['crm:1'] }]]);

    // A new start: it reads the member documents there are, then writes.
    const { db, reads } = counted();
    const identity = new IdentityDb(db);
    expect(await identity.memberDocIds()).toEqual(['GOLD00000000000000A1']);
    await identity.writeMembers([
      ['GOLD00000000000000A1', { records: ['crm:1', 'api:2'] }],
      ['GOLD00000000000000B2', { records: ['api:3'] }],
    ]);
    expect(reads.revs).toBe(0);
    expect(await identity.storedMember('GOLD00000000000000A1')).toEqual({ records: ['crm:1', 'api:2'] });
    expect(await identity.storedMember('GOLD00000000000000B2')).toEqual({ records: ['api:3'] });

    // A document it does not know of (another process): a conflict, read, and written over.
    await new Couch(couch.url).db(DB.golden).insert({ _id: 'golden:GOLD00000000000000C3', type: 'golden', member: { records: ['stale'] } });
    await identity.writeMembers([['GOLD00000000000000C3', { records: ['api:4'] }]]);
    expect(reads.revs).toBe(1);
    expect(await identity.storedMember('GOLD00000000000000C3')).toEqual({ records: ['api:4'] });

    // Gone members: a document known is deleted; one never written needs no request at all.
    await identity.dropMembers(['GOLD00000000000000B2', 'GOLD00000000000000D4']);
    expect(await identity.storedMember('GOLD00000000000000B2')).toBeUndefined();
    expect(reads.revs).toBe(1);
    // Written again after its deletion, still without a read.
    await identity.writeMembers([['GOLD00000000000000B2', { records: ['api:5'] }]]);
    expect(await identity.storedMember('GOLD00000000000000B2')).toEqual({ records: ['api:5'] });
    expect(reads.revs).toBe(1);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveIndex } from '../../edge/live-index.ts';
import { openStoreDb, type StoreDb } from '../../edge/store-db.ts';
import { AnyDocSchema, type IdentityKeyDoc, type MemberDoc } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';

/*
 * The index snapshot is a cache of the database: a node must read the format the version before
 * it wrote, and must rebuild from the database (not misread) a format it does not know.
 */

const member: MemberDoc = { _id: 'member:M0001', type: 'member', id: 'M0001', phone: '+8613800138001', name: '李雷', memberCode: '100000000001', homeStoreId: 'S001', registeredAt: '2026-01-01T00:00:00.000Z', registeredStoreId: 'S001', provisional: false };
const key: IdentityKeyDoc = { _id: 'idk:phone:+8613800138001', type: 'idk', key: 'phone:+8613800138001', memberId: 'M0001' };

/** A snapshot laid out as format 2 wrote it (phone and name in `profile`, phone keys with their prefix), headed with `format`. M0002 is known only to the snapshot. */
function snapshotInFormatTwoLayout(format: number, seq: number): string {
  const parts = [
    { kind: 'head', rules: DEFAULT_RULES, templates: [] },
    { kind: 'members', members: [{ id: 'M0001', profile: { phone: '+8613800138001', name: '李雷' } }, { id: 'M0002', profile: { phone: '+8613800138002' } }] },
    { kind: 'keys', keys: [['phone:+8613800138001', 'M0001'], ['phone:+8613800138002', 'M0002']] },
  ];
  return [{ format, seq }, ...parts].map((l) => JSON.stringify(l)).join('\n') + '\n';
}

describe('index snapshot formats', () => {
  let dir: string;
  let db: StoreDb | undefined;
  afterEach(async () => {
    await db?.close();
    removeDir(dir);
  });

  async function openWith(snapshot: string) {
    dir = tempDir();
    db = await openStoreDb(dir);
    for (const doc of [member, key]) AnyDocSchema.parse(doc); // what a rebuild reads must be valid
    await db.bulkDocs([member, key]);
    const file = join(dir, 'index.snapshot.json');
    writeFileSync(file, snapshot);
    return { live: await LiveIndex.open(db, file), file };
  }

  it('reads a format 2 snapshot and writes format 3', async () => {
    const seq = 2;
    const { live, file } = await openWith(snapshotInFormatTwoLayout(2, seq));
    expect(live.index.memberIdFor('phone:+8613800138002')).toBe('M0002'); // from the snapshot, so it was read
    expect(live.index.get('M0001')).toMatchObject({ phone: '+8613800138001', name: '李雷' });
    expect(live.index.memberIdFor('phone:+8613800138001')).toBe('M0001');
    await live.persist();
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!)).toEqual({ format: 3, seq });
    const again = await LiveIndex.open(db!, file);
    expect(again.index.get('M0002')).toMatchObject({ phone: '+8613800138002' });
    expect(again.index.memberIdFor('phone:+8613800138001')).toBe('M0001');
  });

  it('rebuilds from the database when the snapshot is of a format it does not know', async () => {
    const { live } = await openWith(snapshotInFormatTwoLayout(99, 2));
    expect(live.index.get('M0002')).toBeUndefined();
    expect(live.index.memberIdFor('phone:+8613800138001')).toBe('M0001');
    expect(live.index.get('M0001')).toMatchObject({ phone: '+8613800138001', name: '李雷' });
  });
});

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeCli, removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, startHub, type HubProcess } from '../support/hub.ts';

/*
 * A failed `enroll` that saved nothing worth keeping (the hub refused the code, or could not be
 * reached) leaves no directory and no file behind; a directory that existed before stays, with
 * what it held.
 */

let hub: HubProcess;
const dirs: string[] = [];
const scratch = () => {
  const d = tempDir('memberedge-enroll-');
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  hub = await startHub(scratch(), await freePort());
});
afterAll(async () => {
  await hub?.stop();
  dirs.forEach(removeDir);
});

/** Runs a failing enroll into a new dir two levels deep, and into an existing dir holding a file of its own. */
async function failsCleanly(hubUrl: string, code: string, expected: RegExp) {
  const parent = scratch();
  const fresh = join(parent, 'var', 'memberedge');
  const r1 = await edgeCli(['enroll', '--hub', hubUrl, '--code', code, '--data', fresh]);
  expect(r1.code).toBe(1);
  expect(r1.stderr).toMatch(expected);
  expect(readdirSync(parent)).toEqual([]); // not even the intermediate directory it made

  const existing = scratch();
  writeFileSync(join(existing, 'notes.txt'), 'mine\n');
  const r2 = await edgeCli(['enroll', '--hub', hubUrl, '--code', code, '--data', existing]);
  expect(r2.code).toBe(1);
  expect(r2.stderr).toMatch(expected);
  expect(readdirSync(existing)).toEqual(['notes.txt']);

  // A node id from an earlier run is kept: the hub may know this node by it.
  const earlier = scratch();
  writeFileSync(join(earlier, 'node-id'), '0123456789abcdef0123456789abcdef\n');
  const r3 = await edgeCli(['enroll', '--hub', hubUrl, '--code', code, '--data', earlier]);
  expect(r3.code).toBe(1);
  expect(readdirSync(earlier)).toEqual(['node-id']);
  expect(readFileSync(join(earlier, 'node-id'), 'utf8')).toBe('0123456789abcdef0123456789abcdef\n');
}

describe('a failed enroll leaves nothing behind', () => {
  it('when the hub refuses the code', async () => {
    await failsCleanly(hub.url, 'AAAA-BBBB-CCCC-DDDD', /enrollment_code_invalid/);
  });

  it('when the hub cannot be reached', async () => {
    await failsCleanly(`http://127.0.0.1:${await freePort()}`, 'AAAA-BBBB-CCCC-DDDD', /cannot reach the hub .*ECONNREFUSED/);
  });

  it('but a successful enroll into an existing dir still works, and keeps what it saved', async () => {
    const added = await adminClient(hub).post('/stores', { id: 'S031', name: 'Thirty-one' });
    const dir = scratch();
    mkdirSync(join(dir, 'sub'));
    const ok = await edgeCli(['enroll', '--hub', hub.url, '--code', added.body.enrollment.code, '--data', dir]);
    expect(ok.code, ok.stderr).toBe(0);
    for (const f of ['node.json', 'hub.json', 'node-id', 'sub']) expect(existsSync(join(dir, f)), f).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, edgeCli, edgeCliOk, lastLine, provisionNode, removeDir, runTool, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, type HubProcess } from '../support/hub.ts';

/*
 * The edge CLI around a serving node: a second `serve` on a busy port fails before it starts
 * anything, and terminals are listed and revoked while the node serves.
 */

const dirs: string[] = [];
const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const p of running.reverse()) await p.stop();
  dirs.forEach(removeDir);
});

describe('edge serve on a port in use', () => {
  let hub: HubProcess;
  let first: EdgeProcess;
  let second: { dir: string; token: string };

  beforeAll(async () => {
    hub = await startHub(tempDir('memberedge-hub-'), await freePort());
    running.push(hub);
    dirs.push(hub.dir);
    const a = await enrollStore(hub, 'S061');
    second = await enrollStore(hub, 'S062');
    dirs.push(a.dir, second.dir);
    first = await startEdge(a.dir);
    running.push(first);
  });

  it('exits 1 with one clear line before replicating, and the first node still serves', async () => {
    const port = new URL(first.url).port;
    const r = await runTool('edge', ['serve', '--data', second.dir, '--port', port, '--host', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use (another edge serve?); choose another with --port`);
    expect(r.stderr).not.toContain('replicating with the hub');
    expect(r.stderr).not.toContain('EADDRINUSE');
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(r.stdout).not.toContain('ready at');
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    // Nothing reached the hub: the second store never sent a heartbeat.
    const fleet = (await adminClient(hub).get('/fleet')).body.stores as { storeId: string; lastHeartbeatAt: string | null }[];
    expect(fleet.find((s) => s.storeId === 'S062')?.lastHeartbeatAt).toBeNull();
    // Its database was closed: the same dir serves at once on a free port.
    const again = await startEdge(second.dir);
    running.push(again);
    expect((await client(again.url, second.token).post('/v1/members/identify', { phone: '13800138000' })).status).toBe(404);
  });
});

describe('terminal list and revoke', () => {
  let node: EdgeProcess;
  let dir: string;
  let t1: string;
  let t2: string;

  beforeAll(async () => {
    ({ dir, token: t1 } = await provisionNode({ terminalId: 'T1' }));
    dirs.push(dir);
    t2 = lastLine(await edgeCliOk(['terminal', 'add', '--data', dir, '--id', 'T2']));
    node = await startEdge(dir);
    running.push(node);
  });

  const identify = (token: string) => client(node.url, token).post('/v1/members/identify', { phone: '13800138000' });

  it('lists each terminal with its creation time and state, never a token or its hash', async () => {
    const out = await edgeCliOk(['terminal', 'list', '--data', dir]);
    const file = readFileSync(join(dir, 'terminals.json'), 'utf8');
    const hashes = [...file.matchAll(/"tokenHash": "([0-9a-f]+)"/g)].map((m) => m[1]!);
    expect(hashes).toHaveLength(2);
    for (const secret of [t1, t2, ...hashes]) expect(out).not.toContain(secret);
    expect(out).toMatch(/^T1 +\d{4}-\d\d-\d\dT[\d:.]+Z +active$/m);
    expect(out).toMatch(/^T2 +\d{4}-\d\d-\d\dT[\d:.]+Z +active$/m);
  });

  it('a revoked token stops working within seconds while the node serves, also one verified before', async () => {
    expect((await identify(t1)).status).toBe(404); // verified: past the check
    expect((await identify(t2)).status).toBe(404);
    const out = await edgeCliOk(['terminal', 'revoke', '--data', dir, '--id', 'T1']);
    expect(out).toContain('terminal T1 revoked');
    await eventually(async () => ((await identify(t1)).status === 401 ? true : undefined), 10_000, 'T1 refused');
    expect((await identify(t2)).status).toBe(404);
    expect(await edgeCliOk(['terminal', 'list', '--data', dir])).toMatch(/^T1 +\S+ +revoked \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    // Revoking again changes nothing; a new token for T1 works at once.
    expect(await edgeCliOk(['terminal', 'revoke', '--data', dir, '--id', 'T1'])).toContain('already revoked');
    const fresh = lastLine(await edgeCliOk(['terminal', 'add', '--data', dir, '--id', 'T1']));
    expect((await identify(fresh)).status).toBe(404);
    expect((await identify(t1)).status).toBe(401);
  });

  it('an unknown id, or a dir that is not a node, is a clear error with exit 1', async () => {
    const unknown = await edgeCli(['terminal', 'revoke', '--data', dir, '--id', 'T9']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no terminal T9');
    const notNode = tempDir();
    dirs.push(notNode);
    for (const sub of ['list', 'revoke']) {
      const r = await edgeCli(['terminal', sub, '--data', notNode, '--id', 'T1']);
      expect(r.code, sub).toBe(1);
      expect(r.stderr, sub).toContain('is not a node data dir');
    }
  });
});

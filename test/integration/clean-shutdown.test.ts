import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, removeDir, startEdge, tempDir, type EdgeProcess } from '../support/edge-node.ts';
import { enrollStore, eventually, freePort } from '../support/hub.ts';

/*
 * Stopping is quiet: a store node that stops while replicating leaves the hub printing nothing,
 * and Ctrl-C in a terminal (SIGINT to the whole foreground process group: the hub and its
 * embedded database child) shuts the hub down in order, without errors, leaving no child.
 */

const dirs: string[] = [];
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  dirs.forEach(removeDir);
});

/** `hub serve` as a terminal runs it: the leader of its own process group. */
async function hubInItsOwnGroup(dir: string, port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'hub', 'cli.ts'), 'serve', '--data', dir, '--port', String(port), '--quiet', '--sweep-interval', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup.push(async () => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  const ready = await eventually(async () => /hub ready at (\S+) \(database: embedded pouchdb-server on (\S+),/.exec(out) ?? undefined, 60_000, 'hub ready');
  const readyAt = out.indexOf('\n', ready.index) + 1;
  /** What the hub printed after its ready line: with --quiet, only warnings and errors would show. */
  return { url: ready[1]!, couchUrl: ready[2]!, dir, afterReady: () => out.slice(readyAt), exited, ctrlC: () => process.kill(-child.pid!, 'SIGINT') };
}

const online = (edge: EdgeProcess) =>
  eventually(async () => {
    const h = (await (await fetch(`${edge.url}/healthz`)).json()) as { sync?: { state: string } };
    return h.sync?.state === 'online' ? true : undefined;
  }, 60_000, 'sync online');

describe('stopping quietly', () => {
  let hub: Awaited<ReturnType<typeof hubInItsOwnGroup>>;
  let store: { dir: string; token: string };

  beforeAll(async () => {
    const hubDir = tempDir('memberedge-hub-');
    dirs.push(hubDir);
    hub = await hubInItsOwnGroup(hubDir, await freePort());
    store = await enrollStore(hub, 'S071', { members: 5 });
    dirs.push(store.dir);
  });

  it('a store node that stops mid-replication leaves the hub printing nothing', async () => {
    // The node's live replication holds long-polls open at the hub's gateway; it leaves mid-answer.
    const node = await startEdge(store.dir);
    await online(node);
    await new Promise((r) => setTimeout(r, 1000));
    await node.stop();
    await new Promise((r) => setTimeout(r, 1500));
    expect(hub.afterReady()).toBe('');
  }, 120_000);

  it('Ctrl-C on the hub while a store replicates: it exits 0, prints nothing, leaves no database child', async () => {
    const node = await startEdge(store.dir);
    cleanup.push(() => node.stop());
    await online(node);
    await new Promise((r) => setTimeout(r, 1000));
    hub.ctrlC();
    const code = await Promise.race([hub.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    expect(code).toBe(0);
    expect(hub.afterReady()).toBe('');
    // The embedded database stopped with the hub, not before it (and is not left running).
    await expect(fetch(`${hub.couchUrl}/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  }, 120_000);
});

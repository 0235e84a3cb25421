import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enroll } from '../../edge/enroll.ts';
import { Couch } from '../../hub/couch/couch.ts';
import { startEmbeddedCouch } from '../../hub/couch/embedded.ts';
import { IdentityDb } from '../../hub/identity/identity-db.ts';
import { createLog } from '../../shared/cli/log.ts';
import { addFirstTerminal, edgeCliOk, HUB_BUNDLE, runTool, spawnReady, tempDir, type ServiceProcess } from './edge-node.ts';

export { freePort } from '../../hub/couch/embedded.ts';

/** Reads the databases as a stopped hub left them: its database started alone on the hub's data dir. */
export async function withStoredDatabases<T>(hubDir: string, read: (couch: Couch) => Promise<T>): Promise<T> {
  const embedded = await startEmbeddedCouch(hubDir, createLog('test', true));
  try {
    return await read(new Couch(embedded.url));
  } finally {
    await embedded.stop();
  }
}

/** Reads One-ID's storage as a stopped hub left it. */
export const readStoredIdentity = <T>(hubDir: string, read: (db: IdentityDb) => Promise<T>): Promise<T> => withStoredDatabases(hubDir, (couch) => read(new IdentityDb(couch)));

export type HubProcess = ServiceProcess & { dir: string };

/** The pid of a running hub's embedded database child (pouchdb-server-child.cjs). */
export function couchPid(hub: ServiceProcess): number {
  const line = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(hub.child.pid)], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.includes('pouchdb-server-child'));
  if (!line) throw new Error('no database child');
  return Number(line.trim().split(/\s+/)[0]);
}

/** Whether a process still runs (Linux /proc): a zombie has ended, and let go of its files and ports. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Starts `hub serve` from its bundle (with its embedded database) on a loopback port and waits for its ready line. `env` is added to the test's. */
export async function startHub(dir: string, port: number, extra: string[] = [], env: Record<string, string> = {}): Promise<HubProcess> {
  const p = await spawnReady([HUB_BUNDLE, 'serve', '--data', dir, '--port', String(port), '--quiet', '--sweep-interval', '1', ...extra], env);
  return {
    ...p,
    dir,
    async kill() {
      let couch: number | undefined;
      try {
        couch = couchPid(p);
      } catch {
        /* between two of its database's lives: nothing to wait for */
      }
      await p.kill();
      // Its database child notices within 0.5 s and exits; the next hub on this dir needs its files.
      if (couch !== undefined) await eventually(async () => (alive(couch) ? undefined : true), 10_000, "the killed hub's database to exit", 50);
    },
  };
}

/** The admin API of a hub, with the token the hub saved in its data dir. */
export function adminClient(hub: { url: string; dir: string }) {
  const token = readFileSync(join(hub.dir, 'admin-token'), 'utf8').trim();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${hub.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { get: (p: string) => call('GET', p), post: (p: string, b?: unknown) => call('POST', p, b ?? {}), put: (p: string, b: unknown) => call('PUT', p, b), del: (p: string) => call('DELETE', p) };
}

/**
 * Adds a store at the hub with `members` synthetic members, enrolls a fresh node for it, adds
 * terminal T1. The enrollment runs `edge enroll`'s code in the test's process (a CLI process
 * cost ~2.5 s on the loaded suite, 75 times: decision 043); `cli` runs the command itself, for
 * a test of what it prints (`enrollOutput`).
 */
export async function enrollStore(hub: { url: string; dir: string }, storeId: string, opts: { members?: number; first?: number; cli?: boolean } = {}) {
  const admin = adminClient(hub);
  const added = await admin.post('/stores', { id: storeId, name: `Store ${storeId}` });
  if (added.status !== 201) throw new Error(`store add ${storeId}: ${JSON.stringify(added.body)}`);
  if (opts.members) await admin.post(`/stores/${storeId}/seed`, { count: opts.members, first: opts.first ?? 0 });
  const dir = tempDir(`memberedge-${storeId}-`);
  const code = added.body.enrollment.code as string;
  let enrollOutput = '';
  if (opts.cli) enrollOutput = await edgeCliOk(['enroll', '--hub', hub.url, '--code', code, '--data', dir]);
  else await enrollNode(dir, hub.url, code);
  const token = await addFirstTerminal(dir);
  return { dir, token, enrollOutput };
}

/** Enrolls a node's data dir with the code `edge enroll` runs, in the test's process (see enrollStore). */
export const enrollNode = (dir: string, hubUrl: string, code: string) => enroll({ dir, hubUrl, code, log: createLog('test', true) });

/** Polls until `probe` returns a value that is not undefined, or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 20_000, what = 'condition', everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs a hub CLI command against a running hub (its admin token from its data dir). */
export async function hubCliOk(hub: { url: string; dir: string }, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await runTool('hub', [...args, '--hub', hub.url, '--data', hub.dir]);
  if (r.code !== 0) throw new Error(`hub ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

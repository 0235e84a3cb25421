import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startEdge, tempDir, type EdgeProcess } from './edge-node.ts';
import { adminClient, enrollStore, eventually, freePort, startHub, type HubProcess } from './hub.ts';

export type FleetStore = { id: string; dir: string; token: string; edge?: EdgeProcess };

/** The sync state a store's node reports on /healthz. */
export const syncStateOf = async (s: FleetStore) => ((await (await fetch(`${s.edge!.url}/healthz`)).json()) as { sync: { state: string } }).sync.state;

/**
 * `hub serve` flags for tests of the profiles' nightly recompute: it runs when the test asks
 * (recomputeProfiles), never on its own between two of the test's reads.
 */
export const NIGHTLY_WHEN_ASKED = ['--profiles-nightly', 'off', '--profiles-zone', 'UTC'];

/** Runs the nightly recompute now and waits for it to end, its passes over tags and store documents included. */
export async function recomputeProfiles(admin: ReturnType<typeof adminClient>, timeoutMs = 60_000): Promise<void> {
  const asked = await admin.post('/profiles/recompute');
  if (asked.status !== 202) throw new Error(`recompute refused: ${asked.status} ${JSON.stringify(asked.body)}`);
  const run = asked.body.run as number;
  await eventually(async () => ((await admin.get('/profiles/status')).body.engine.builds.ended >= run ? true : undefined), timeoutMs, `recompute run ${run}`, 250);
}

/**
 * A hub (started with `hubFlags`) and two enrolled stores, S001 (seed members 0-19) and S002
 * (100-119), each served by a node started with `edgeFlags`, both online. The hub's port is fixed
 * so a test can kill it and start it again at the same address.
 */
export async function startTwoStoreFleet(edgeFlags: string[], hubFlags: string[] = []): Promise<{ hubDir: string; hubPort: number; hub: HubProcess; stores: FleetStore[] }> {
  const hubDir = tempDir('memberedge-hub-');
  const hubPort = await freePort();
  const hub = await startHub(hubDir, hubPort, hubFlags);
  // The two stores side by side: each step waits mostly on a process starting.
  const [s1, s2] = await Promise.all([enrollStore(hub, 'S001', { members: 20 }), enrollStore(hub, 'S002', { members: 20, first: 100 })]);
  const stores: FleetStore[] = [
    { id: 'S001', ...s1 },
    { id: 'S002', ...s2 },
  ];
  await Promise.all(stores.map(async (s) => (s.edge = await startEdge(s.dir, edgeFlags))));
  await Promise.all(stores.map((s) => eventually(async () => ((await syncStateOf(s)) === 'online' ? true : undefined), 20_000, `${s.id} online`)));
  return { hubDir, hubPort, hub, stores };
}

/** Stops the nodes and the hub (as it is now: a test may have started it again) and removes their data. */
export async function stopFleet(hub: HubProcess | undefined, hubDir: string | undefined, stores: FleetStore[]): Promise<void> {
  for (const s of stores) await s.edge?.stop();
  await hub?.stop();
  for (const s of stores) removeDir(s.dir);
  if (hubDir) removeDir(hubDir);
}

/**
 * Documents written into a store's database at the hub with the store's own credentials (its
 * `hub.json`), as a stolen or tampered box could: the gateway's status and answer per document.
 */
export async function pushAsStore(hubUrl: string, storeDir: string, docs: unknown[]): Promise<{ status: number; results: { id: string; ok?: boolean; error?: string; reason?: string }[] }> {
  const creds = JSON.parse(readFileSync(join(storeDir, 'hub.json'), 'utf8')) as { username: string; password: string; db: string };
  const res = await fetch(`${hubUrl}/couch/${creds.db}/_bulk_docs`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ docs }),
  });
  return { status: res.status, results: (await res.json()) as { id: string; ok?: boolean; error?: string; reason?: string }[] };
}

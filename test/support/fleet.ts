import { removeDir, startEdge, tempDir, type EdgeProcess } from './edge-node.ts';
import { enrollStore, eventually, freePort, startHub, type HubProcess } from './hub.ts';

export type FleetStore = { id: string; dir: string; token: string; edge?: EdgeProcess };

/** The sync state a store's node reports on /healthz. */
export const syncStateOf = async (s: FleetStore) => ((await (await fetch(`${s.edge!.url}/healthz`)).json()) as { sync: { state: string } }).sync.state;

/**
 * A hub and two enrolled stores, S001 (seed members 0-19) and S002 (100-119), each served by a
 * node started with `edgeFlags`, both online. The hub's port is fixed so a test can kill it and
 * start it again at the same address.
 */
export async function startTwoStoreFleet(edgeFlags: string[]): Promise<{ hubDir: string; hubPort: number; hub: HubProcess; stores: FleetStore[] }> {
  const hubDir = tempDir('memberedge-hub-');
  const hubPort = await freePort();
  const hub = await startHub(hubDir, hubPort);
  const s1 = await enrollStore(hub, 'S001', { members: 20 });
  const s2 = await enrollStore(hub, 'S002', { members: 20, first: 100 });
  const stores: FleetStore[] = [
    { id: 'S001', ...s1 },
    { id: 'S002', ...s2 },
  ];
  for (const s of stores) s.edge = await startEdge(s.dir, edgeFlags);
  for (const s of stores) await eventually(async () => ((await syncStateOf(s)) === 'online' ? true : undefined), 20_000, `${s.id} online`);
  return { hubDir, hubPort, hub, stores };
}

/** Stops the nodes and the hub (as it is now: a test may have started it again) and removes their data. */
export async function stopFleet(hub: HubProcess | undefined, hubDir: string | undefined, stores: FleetStore[]): Promise<void> {
  for (const s of stores) await s.edge?.stop();
  await hub?.stop();
  for (const s of stores) removeDir(s.dir);
  if (hubDir) removeDir(hubDir);
}

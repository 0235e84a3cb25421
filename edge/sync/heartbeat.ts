import type { StoreDb } from '../store-db.ts';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import { paths } from '../node-dir.ts';
import type { SyncStatus } from './replication.ts';

/**
 * The node's heartbeat: a document `heartbeat:<store>` (version, clock, sync state) that
 * replicates to the hub's fleet status, and the same in sync-status.json for `doctor`.
 */
export async function writeHeartbeat(db: StoreDb, dir: string, hb: { storeId: string; version: string; clock: Date; sync: SyncStatus; members: number }): Promise<void> {
  const id = `heartbeat:${hb.storeId}`;
  const body = { type: 'heartbeat', storeId: hb.storeId, version: hb.version, clock: hb.clock.toISOString(), sync: hb.sync, members: hb.members };
  await writeFileAtomic(paths(dir).syncStatus, JSON.stringify(body, null, 2) + '\n');
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await db.get(id).catch(() => undefined);
    try {
      await db.put({ _id: id, ...(current ? { _rev: current._rev } : {}), ...body });
      return;
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }
}

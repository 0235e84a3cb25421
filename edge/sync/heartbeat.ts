import type { StoreDb } from '../store-db.ts';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import { paths } from '../node-dir.ts';
import type { SyncStatus } from './replication.ts';

export interface HeartbeatBody {
  storeId: string;
  version: string;
  clock: Date;
  sync: SyncStatus;
  members: number;
  /** How often the node writes its heartbeat: the hub's fleet view counts missed ones. */
  heartbeatEverySeconds: number;
}

const body = (hb: HeartbeatBody) => ({
  type: 'heartbeat',
  storeId: hb.storeId,
  version: hb.version,
  clock: hb.clock.toISOString(),
  heartbeatEverySeconds: hb.heartbeatEverySeconds,
  sync: hb.sync,
  members: hb.members,
});

/** sync-status.json, what `doctor` reads: the same content as the heartbeat, kept current by the node. */
export async function writeSyncStatusFile(dir: string, hb: HeartbeatBody): Promise<void> {
  await writeFileAtomic(paths(dir).syncStatus, JSON.stringify(body(hb), null, 2) + '\n');
}

/**
 * The node's heartbeat: a document `heartbeat:<store>` (version, clock, sync state) that
 * replicates to the hub's fleet status, and the same in sync-status.json for `doctor`.
 */
export async function writeHeartbeat(db: StoreDb, dir: string, hb: HeartbeatBody): Promise<void> {
  const id = `heartbeat:${hb.storeId}`;
  await writeSyncStatusFile(dir, hb);
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await db.get(id).catch(() => undefined);
    try {
      await db.put({ _id: id, ...(current ? { _rev: current._rev } : {}), ...body(hb) });
      return;
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }
}

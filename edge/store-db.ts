import PouchDB from 'pouchdb-node';
import { AppError } from '../shared/errors.ts';
import { coalescedLeveldown } from './coalesced-leveldown.ts';
import { paths } from './node-dir.ts';

export type StoreDb = PouchDB.Database<Record<string, unknown>>;

/*
 * LevelDB's own memory, passed through PouchDB to leveldown. The node answers reads from its
 * index and reads the database only for a retry, a refund or a guide's profile, so LevelDB's
 * block cache (8 MB by default) buys little. The write buffer is 8 MB (4 MB by default): with
 * 1 MB each flush made a small level-0 table that overlapped all of level 1 (document ids are
 * random), so compaction rewrote level 1 for every megabyte written. LevelDB's compaction thread
 * then used as much CPU as the node's main thread (0.35 ms a checkout, measured with perf),
 * on a two-core box beside it; with 8 MB it uses a quarter of that, checkouts at 10 connections
 * went up by a quarter to a third, and RSS stayed the same (docs/decisions/003). PouchDB's reads
 * of one batch go to LevelDB as one (see coalesced-leveldown.ts).
 */
const LEVELDB_OPTIONS = { db: coalescedLeveldown, cacheSize: 2 * 1024 * 1024, writeBufferSize: 8 * 1024 * 1024 };

/** Opens the node's replica. LevelDB allows one process at a time: say so plainly. */
export async function openStoreDb(dir: string): Promise<StoreDb> {
  const db = new PouchDB<Record<string, unknown>>(paths(dir).db, LEVELDB_OPTIONS as PouchDB.Configuration.DatabaseConfiguration);
  try {
    await db.info();
  } catch (err) {
    const msg = String((err as Error)?.message ?? err);
    if (/lock/i.test(msg)) {
      throw new AppError('unavailable', `the node's database in ${dir} is in use by another process (is 'edge serve' running?); stop it first`);
    }
    throw err;
  }
  return db;
}

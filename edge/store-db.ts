import PouchDB from 'pouchdb-node';
import { AppError } from '../shared/errors.ts';
import { paths } from './node-dir.ts';

export type StoreDb = PouchDB.Database<Record<string, unknown>>;

/*
 * LevelDB's own memory, passed through PouchDB to leveldown. The node answers reads from its
 * index and reads the database only for a retry, a refund or a guide's profile, so LevelDB's
 * block cache (8 MB by default) buys little; a smaller write buffer (4 MB by default, two of them
 * while one is flushed) costs more, smaller flushes, which at 3,000+ checkouts a second did not
 * show in throughput. Together with MALLOC_ARENA_MAX this took ~25 MB off the node's memory
 * outside the JS heap (docs/decisions/003-edge-write-path-and-memory.md).
 */
const LEVELDB_OPTIONS = { cacheSize: 2 * 1024 * 1024, writeBufferSize: 1024 * 1024 };

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

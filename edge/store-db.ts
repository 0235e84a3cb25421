import PouchDB from 'pouchdb-node';
import { AppError } from '../shared/errors.ts';
import { paths } from './node-dir.ts';

export type StoreDb = PouchDB.Database<Record<string, unknown>>;

/** Opens the node's replica. LevelDB allows one process at a time: say so plainly. */
export async function openStoreDb(dir: string): Promise<StoreDb> {
  const db = new PouchDB<Record<string, unknown>>(paths(dir).db);
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

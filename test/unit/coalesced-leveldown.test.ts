import leveldown from 'leveldown';
import PouchDB from 'pouchdb-node';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { coalescedLeveldown } from '../../edge/coalesced-leveldown.ts';
import { tempDir } from '../support/edge-node.ts';

type Raw = {
  open(cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  put(k: string, v: string, cb: (err?: Error) => void): void;
  get(k: string, opts: { asBuffer?: boolean }, cb: (err: Error | null, v?: unknown) => void): void;
  _getMany(keys: unknown[], opts: object, cb: (err: Error | null, v?: unknown[]) => void): void;
};
const call = <T>(f: (cb: (err?: Error | null, v?: T) => void) => void) => new Promise<T>((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v as T))));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** leveldown's own getMany, counted (the wrapper binds it when it makes the instance). */
let manyCalls = 0;
const proto = Object.getPrototypeOf(leveldown(join(tempDir(), 'unopened'))) as Raw;
const getMany = proto._getMany;
proto._getMany = function (this: Raw, keys, opts, cb) {
  manyCalls++;
  getMany.call(this, keys, opts, cb);
};

async function openRaw(): Promise<{ db: Raw; manyCalls: () => number }> {
  const dir = tempDir();
  dirs.push(dir);
  const db = coalescedLeveldown(join(dir, 'db')) as Raw;
  const before = manyCalls;
  await call((cb) => db.open(cb));
  return { db, manyCalls: () => manyCalls - before };
}

describe('coalescedLeveldown', () => {
  it('answers the reads of one turn with one getMany, each with its own value or NotFound', async () => {
    const { db, manyCalls } = await openRaw();
    await call((cb) => db.put('a', 'A', cb));
    await call((cb) => db.put('c', 'C', cb));
    const read = (k: string) => call<unknown>((cb) => db.get(k, { asBuffer: false }, cb)).then(String, (err: Error) => `error ${err.message}`);
    const answers = await Promise.all(['a', 'b', 'c', 'a'].map(read));
    expect(answers).toEqual(['A', 'error NotFound: ', 'C', 'A']);
    expect(manyCalls()).toBe(1);
    // A read alone is an ordinary get.
    expect(await read('c')).toBe('C');
    expect(manyCalls()).toBe(1);
    await call((cb) => db.close(cb));
  });

  it('reads with other options in the same turn still get their own kind of answer', async () => {
    const { db } = await openRaw();
    await call((cb) => db.put('k', 'V', cb));
    const [asString, asBuffer] = await Promise.all([
      call<unknown>((cb) => db.get('k', { asBuffer: false }, cb)),
      call<unknown>((cb) => db.get('k', { asBuffer: true }, cb)),
    ]);
    expect(asString).toBe('V');
    expect(Buffer.isBuffer(asBuffer) && asBuffer.toString()).toBe('V');
    await call((cb) => db.close(cb));
  });

  it('sends reads still waiting before a close, which answers them first', async () => {
    const { db } = await openRaw();
    await call((cb) => db.put('k', 'V', cb));
    const reads = [0, 1, 2].map(() => call<unknown>((cb) => db.get('k', { asBuffer: false }, cb)));
    const closed = call((cb) => db.close(cb));
    expect(await Promise.all(reads)).toEqual(['V', 'V', 'V']);
    await closed;
  });

  it("serves PouchDB: documents written, read back, conflicts found, destroyed", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = new PouchDB<Record<string, unknown>>(join(dir, 'pouch'), { db: coalescedLeveldown } as PouchDB.Configuration.DatabaseConfiguration);
    const docs = Array.from({ length: 50 }, (_, i) => ({ _id: `doc:${i}`, n: i }));
    expect((await db.bulkDocs(docs)).every((r) => 'ok' in r && r.ok)).toBe(true);
    // The same ids again: PouchDB must have read each one's metadata to refuse them.
    const again = await db.bulkDocs(docs.slice(0, 10));
    expect(again.map((r) => ('error' in r ? r.name ?? r.error : 'ok'))).toEqual(Array(10).fill('conflict'));
    const back = await Promise.all(docs.map((d) => db.get(d._id)));
    expect(back.map((d) => d.n)).toEqual(docs.map((d) => d.n));
    await expect(db.get('doc:missing')).rejects.toMatchObject({ status: 404 });
    expect((await db.info()).doc_count).toBe(50);
    await db.destroy();
  });
});

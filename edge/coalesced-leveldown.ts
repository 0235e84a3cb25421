import leveldown from 'leveldown';

type Callback = (err: Error | null, value?: unknown) => void;
interface GetOptions { asBuffer?: boolean; fillCache?: boolean }
interface Get { key: unknown; options: GetOptions; callback: Callback }
interface LevelDown {
  _get(key: unknown, options: GetOptions, callback: Callback): void;
  _getMany(keys: unknown[], options: GetOptions, callback: (err: Error | null, values?: unknown[]) => void): void;
  _close(callback: (err?: Error) => void): void;
}

/**
 * leveldown, with the reads asked in one turn of the event loop sent to LevelDB as one
 * `getMany`. PouchDB's bulkDocs reads each document's metadata with a get of its own before it
 * writes: a checkout's batch of six documents was six jobs on libuv's pool, each waking a pool
 * thread and each answered by its own callback. On a store's two cores the main thread lost the
 * CPU at every wake (a fifth of its profile was spent in leveldown's get and batch calls), and the
 * checkout's tail with it. One getMany is one job and one callback, under one snapshot, which
 * is what PouchDB's batch asks for anyway.
 */
export function coalescedLeveldown(location: string): unknown {
  const db = leveldown(location) as unknown as LevelDown;
  const get = db._get.bind(db);
  const getMany = db._getMany.bind(db);
  const close = db._close.bind(db);
  let pending: Get[] = [];

  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    if (batch.length === 1) return get(batch[0]!.key, batch[0]!.options, batch[0]!.callback);
    // Reads with other options (rare: PouchDB asks alike) go on their own.
    const first = batch[0]!.options;
    const same = batch.filter((g) => g.options.asBuffer === first.asBuffer && g.options.fillCache === first.fillCache);
    for (const g of batch) if (!same.includes(g)) get(g.key, g.options, g.callback);
    getMany(same.map((g) => g.key), first, (err, values) => {
      same.forEach((g, i) => {
        if (err) return g.callback(err);
        const value = values![i];
        // leveldown's own get says so with this message; levelup makes it a NotFoundError.
        if (value === undefined) return g.callback(new Error('NotFound: '));
        g.callback(null, value);
      });
    });
  };

  db._get = (key, options, callback) => {
    pending.push({ key, options, callback });
    if (pending.length === 1) process.nextTick(flush);
  };
  // Reads still waiting are sent before the close, which leveldown holds until they are answered.
  db._close = (callback) => {
    flush();
    close(callback);
  };
  return db;
}
// PouchDB destroys a database through the factory it was given.
coalescedLeveldown.destroy = (leveldown as unknown as { destroy: unknown }).destroy;

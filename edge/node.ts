import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { startIdleGc } from './idle-gc.ts';
import type { EdgeContext } from './context.ts';
import { KeyedLock } from './keyed-lock.ts';
import { LiveIndex, type Progress } from './live-index.ts';
import type { Log } from './log.ts';
import { paths, readNodeConfig } from './node-dir.ts';
import { openStoreDb } from './store-db.ts';
import { TerminalRegistry } from './terminals.ts';
import { VERSION } from './version.ts';

export interface NodeOptions {
  dir: string;
  log: Log;
  clock?: () => Date;
  progress?: Progress;
}

/** Opens a node's data dir: config, replica, index. Used by `serve` and by the CLI's writers. */
export async function openNode(opts: NodeOptions): Promise<EdgeContext & { close(): Promise<void> }> {
  const config = await readNodeConfig(opts.dir);
  const db = await openStoreDb(opts.dir);
  const live = await LiveIndex.open(db, paths(opts.dir).snapshot, opts.progress);
  return {
    storeId: config.storeId,
    timeZone: config.timeZone,
    version: VERSION,
    live,
    locks: new KeyedLock(),
    clock: opts.clock ?? (() => new Date()),
    log: opts.log,
    async close() {
      if (live.pendingSnapshotChanges > 0) await live.persist();
      await db.close();
    },
  };
}

export interface ServeOptions extends NodeOptions {
  port: number;
  host: string;
  identifyRate: { perMinute: number; burst: number };
  /** How often the index snapshot is saved when something changed. */
  snapshotEveryMs: number;
}

export interface RunningNode {
  url: string;
  ctx: EdgeContext;
  close(): Promise<void>;
}

/** Serves the API until closed; saves the index snapshot now and then, and on close. */
export async function serveNode(opts: ServeOptions): Promise<RunningNode> {
  const node = await openNode(opts);
  const terminals = await TerminalRegistry.load(opts.dir);
  let lastRequestAt = Date.now();
  const app = createApp(node, { terminals, identifyRate: opts.identifyRate, onRequest: () => (lastRequestAt = Date.now()) });
  const stopIdleGc = startIdleGc({ lastRequestAt: () => lastRequestAt });

  let saving: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (saving || node.live.pendingSnapshotChanges === 0) return;
    saving = node.live
      .persist()
      .catch((err) => opts.log.error('index snapshot failed', { err: String(err) }))
      .finally(() => (saving = undefined));
  }, opts.snapshotEveryMs);
  timer.unref();

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    ctx: node,
    async close() {
      clearInterval(timer);
      stopIdleGc();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await saving;
      await node.close();
    },
  };
}

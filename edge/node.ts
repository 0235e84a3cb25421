import type { ServerType } from '@hono/node-server';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { startIdleGc } from './idle-gc.ts';
import type { EdgeContext } from './context.ts';
import { KeyedLock } from './keyed-lock.ts';
import { LiveIndex, type Progress } from './live-index.ts';
import { listen } from '../shared/cli/listen-error.ts';
import type { Log } from '../shared/cli/log.ts';
import { paths, readNodeConfig } from './node-dir.ts';
import { openStoreDb } from './store-db.ts';
import { HubAccess } from './sync/hub-access.ts';
import { writeHeartbeat, writeSyncStatusFile } from './sync/heartbeat.ts';
import { readHubLink, replicationRemote } from './sync/hub-link.ts';
import { Replication } from './sync/replication.ts';
import { throttle } from './sync/throttle.ts';
import { TerminalRegistry } from './terminals.ts';
import { GuideAccounts } from './guide/accounts.ts';
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
  /** How often an enrolled node writes its heartbeat (also on every change of sync state). */
  heartbeatEveryMs?: number;
}

export interface RunningNode {
  url: string;
  ctx: EdgeContext;
  close(): Promise<void>;
}

/**
 * Serves the API until closed; saves the index snapshot now and then, and on close. It listens
 * before it starts anything else (replication, heartbeat, timers): a port in use is then one
 * clear error, with the database closed and nothing sent to the hub.
 */
export async function serveNode(opts: ServeOptions): Promise<RunningNode> {
  const node = await openNode(opts);
  let server: ServerType;
  let sync: Awaited<ReturnType<typeof prepareSync>>;
  let lastRequestAt = Date.now();
  try {
    const terminals = await TerminalRegistry.load(opts.dir);
    const guides = await GuideAccounts.load(opts.dir, node.clock);
    sync = await prepareSync(node, opts);
    const replication = sync?.replication;
    const app = createApp(node, {
      terminals,
      guides,
      identifyRate: opts.identifyRate,
      onRequest: () => (lastRequestAt = Date.now()),
      ...(replication ? { syncStatus: () => replication.snapshot() } : {}),
    });
    server = await listen(app.fetch, { port: opts.port, host: opts.host, command: 'edge serve' });
  } catch (err) {
    await node.close();
    throw err;
  }
  sync?.start();
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

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    ctx: node,
    async close() {
      clearInterval(timer);
      stopIdleGc();
      await sync?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await saving;
      await node.close();
    },
  };
}


/**
 * On an enrolled node: live replication with the hub, the index following what it brings, the
 * hub's lookup for the services, and the heartbeat, ready to start once the node listens. A
 * node without hub.json runs standalone.
 */
async function prepareSync(node: EdgeContext, opts: ServeOptions) {
  const link = await readHubLink(opts.dir);
  if (!link) return undefined;
  const replication = new Replication(node.live.db, replicationRemote(link, node.clock), opts.log, node.clock, await lastPushedSeq(opts.dir));
  replication.noteLocalSeq(Number((await node.live.db.info()).update_seq) || 0);
  node.hub = new HubAccess(link, replication, opts.log, node.clock);
  const heartbeatEveryMs = opts.heartbeatEveryMs ?? 30_000;
  const current = () => ({ storeId: node.storeId, version: node.version, clock: node.clock(), sync: replication.snapshot(), members: node.live.index.members.size, heartbeatEverySeconds: heartbeatEveryMs / 1000 });
  const beat = () => writeHeartbeat(node.live.db, opts.dir, current()).catch((err) => opts.log.warn('heartbeat failed', { err: String(err) }));
  // sync-status.json follows every change of the status (at most about once a second), not only
  // the heartbeat: doctor reads it, and must not say "last push never" while /healthz shows one.
  const statusFile = throttle(1000, () => writeSyncStatusFile(opts.dir, current()).catch((err) => opts.log.warn('sync status file failed', { err: String(err) })));
  replication.onStatus(statusFile.call);
  replication.onStateChange((s) => {
    opts.log.info('sync state', { state: s.state, ...(s.lastError ? { err: s.lastError } : {}) });
    void beat();
  });
  let timer: NodeJS.Timeout | undefined;
  return {
    replication,
    start() {
      node.live.follow((seq) => replication.noteLocalSeq(seq));
      replication.start();
      void beat();
      timer = setInterval(beat, heartbeatEveryMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await replication.stop();
      await statusFile.flush();
      node.live.stopFollowing();
      await node.live.compacted();
    },
  };
}

async function lastPushedSeq(dir: string): Promise<number> {
  try {
    return Number((JSON.parse(await readFile(paths(dir).syncStatus, 'utf8')) as { sync?: { pushedSeq?: number } }).sync?.pushedSeq) || 0;
  } catch {
    return 0;
  }
}


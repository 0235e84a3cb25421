import { existsSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import { paths, readNodeConfig } from './node-dir.ts';
import { openStoreDb } from './store-db.ts';
import { basicAuth, readHubLink, remoteDb } from './sync/hub-link.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

const MIN_FREE_BYTES = 2 * 1024 ** 3;
const MAX_SKEW_MS = 60_000;
/** sync-status.json older than this many heartbeats (or a minute) means `serve` is not running. */
const STALE_HEARTBEATS = 3;

/** Checks what a field engineer would check on a store machine, and says what to fix. */
export async function doctor(dir: string, now = () => new Date()): Promise<Check[]> {
  const checks: Check[] = [];
  const config = await readNodeConfig(dir).catch((err: Error) => err);
  if (config instanceof Error) return [{ name: 'node data dir', ok: false, detail: config.message, fix: `run 'edge enroll --hub URL --code CODE --data ${dir}'` }];
  checks.push({ name: 'node data dir', ok: true, detail: `store ${config.storeId}, time zone ${config.timeZone}` });

  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  checks.push({ name: 'disk space', ok: free >= MIN_FREE_BYTES, detail: `${(free / 1024 ** 3).toFixed(1)} GiB free`, fix: 'free disk space: the replica grows with every receipt' });

  const link = await readHubLink(dir);
  if (!link) {
    checks.push({ name: 'enrolled', ok: false, detail: 'no hub.json: this node runs standalone', fix: `run 'edge enroll --hub URL --code CODE --data ${dir}'` });
    return checks;
  }
  checks.push({ name: 'enrolled', ok: true, detail: `with ${link.hubUrl} since ${link.enrolledAt}` });

  const t0 = Date.now();
  const health = await fetch(`${link.hubUrl}/healthz`, { signal: AbortSignal.timeout(5000) })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as { time?: string; couch?: string } }))
    .catch((err: Error) => err);
  const rtt = Date.now() - t0;
  if (health instanceof Error) {
    checks.push({ name: 'hub reachable', ok: false, detail: `${link.hubUrl}: ${health.message}`, fix: 'check the network and the hub URL; the till keeps working offline meanwhile' });
    return [...checks, ...(await lag(dir, now))];
  }
  checks.push({ name: 'hub reachable', ok: health.status === 200, detail: `${rtt} ms, hub database ${health.body.couch ?? 'unknown'}`, fix: 'the hub answers but its database is down: call HQ' });
  if (health.body.time) {
    const skew = Date.parse(health.body.time) + rtt / 2 - now().getTime();
    checks.push({ name: 'clock', ok: Math.abs(skew) <= MAX_SKEW_MS, detail: `${Math.round(skew / 1000)} s off the hub`, fix: 'set up time sync (chrony / systemd-timesyncd): business days and expiry depend on the clock' });
  }

  const auth = await fetch(`${link.hubUrl}/couch/${link.db}/`, { headers: { authorization: basicAuth(link) }, signal: AbortSignal.timeout(5000) }).catch((err: Error) => err);
  const authOk = !(auth instanceof Error) && auth.ok;
  checks.push({
    name: 'credentials',
    ok: authOk,
    detail: auth instanceof Error ? auth.message : `hub answered ${auth.status}`,
    fix: 'the store may be disabled or enrolled again elsewhere: ask HQ for a new code, delete hub.json and run enroll',
  });
  return [...checks, ...(await lag(dir, now, authOk ? link : undefined))];
}

/** Replication lag: from the running node's status file, else by comparing the replicas. */
async function lag(dir: string, now: () => Date, link?: Awaited<ReturnType<typeof readHubLink>>): Promise<Check[]> {
  const file = paths(dir).syncStatus;
  if (existsSync(file)) {
    const s = JSON.parse(await readFile(file, 'utf8')) as {
      clock: string;
      heartbeatEverySeconds?: number;
      sync: { state: string; pendingUp: number; pendingDown: number; lastPushAt: string | null; lastPullAt: string | null; lastError?: string | null };
    };
    const staleMs = Math.max(60_000, STALE_HEARTBEATS * 1000 * (Number(s.heartbeatEverySeconds) || 30));
    if (now().getTime() - Date.parse(s.clock) < staleMs) {
      const ok = s.sync.state === 'online' && s.sync.pendingUp < 1000;
      const why = s.sync.lastError ? ` (${s.sync.lastError})` : '';
      return [
        {
          name: 'replication',
          ok,
          detail: `${s.sync.state}${why}; ${s.sync.pendingUp} to push, ${s.sync.pendingDown} to pull; last push ${s.sync.lastPushAt ?? 'never'}, last pull ${s.sync.lastPullAt ?? 'never'}`,
          fix: 'the node is serving but not in sync: see the checks above and the node log',
        },
      ];
    }
  }
  if (!link) return [];
  const db = await openStoreDb(dir).catch((err: Error) => err);
  if (db instanceof Error) return [{ name: 'replication', ok: false, detail: db.message, fix: "the node's database is held by another process" }];
  try {
    const [local, remote] = await Promise.all([db.info(), remoteDb(link).info()]);
    const behind = Math.max(0, remote.doc_count - local.doc_count);
    return [{ name: 'replication', ok: behind < 1000, detail: `serve is not running; the hub has ${remote.doc_count} documents, this replica ${local.doc_count}`, fix: "start 'edge serve': it catches up by itself" }];
  } finally {
    await db.close();
  }
}

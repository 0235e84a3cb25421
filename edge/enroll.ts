import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { AppError } from '../shared/errors.ts';
import type { Log } from '../shared/cli/log.ts';
import { LiveIndex, writeSnapshot } from './live-index.ts';
import { writeFileAtomic } from '../shared/cli/write-file-atomic.ts';
import { createNodeDir, paths, readNodeConfig } from './node-dir.ts';
import { openStoreDb } from './store-db.ts';
import { readHubLink, remoteDb, writeHubLink, type HubLinkConfig } from './sync/hub-link.ts';
import { copyReplica } from './sync/initial-copy.ts';

export interface EnrollProgress {
  (phase: 'pull' | 'index', done: number, total: number): void;
}

/**
 * Brings a store machine online: exchanges the enrollment code for the store's credentials,
 * copies the store's replica from the hub, replicates what changed meanwhile and builds the
 * index (decision 006). Safe to run again, or after a failure half-way: the credentials are
 * saved before the copy, the copy rewrites the same revisions, and the node's random id lets
 * the hub accept the same code from the same node.
 */
export async function enroll(opts: { dir: string; hubUrl: string; code: string | undefined; log: Log; progress?: EnrollProgress }) {
  const started = Date.now();
  const undo = await undoableRun(opts.dir);
  let link = await readHubLink(opts.dir);
  let resumed = true;
  if (!link) {
    try {
      if (!opts.code) throw nothingKept(new AppError('bad_request', '--code is required: ask HQ for an enrollment code (hub: store add / store code)'));
      link = await exchangeCode(opts.dir, opts.hubUrl, opts.code);
    } catch (err) {
      if (err instanceof Error && keepNothing.has(err)) await undo();
      throw err;
    }
    resumed = false;
  }

  const db = await openStoreDb(opts.dir);
  try {
    // The replica is copied once (fast), then replication brings what changed during the copy;
    // pulled.json records where that starts, so a second run goes straight to replication.
    let pulled = await readPulled(opts.dir);
    if (!pulled) {
      const copy = await copyReplica(db, link, (done, total) => opts.progress?.('pull', done, total));
      await writeSnapshot(paths(opts.dir).snapshot, (await db.info()).update_seq, copy.index);
      pulled = { since: copy.since, at: new Date().toISOString() };
      await writeFileAtomic(paths(opts.dir).pulled, JSON.stringify(pulled) + '\n');
    }
    await new Promise<void>((resolve, reject) => {
      db.replicate
        .from(remoteDb(link), { since: pulled.since, batch_size: 1000, batches_limit: 4 } as PouchDB.Replication.ReplicateOptions)
        .on('complete', () => resolve())
        .on('denied', (err) => reject(err))
        .on('error', (err) => reject(err));
    });
    const live = await LiveIndex.open(db, paths(opts.dir).snapshot, (_p, done, all) => opts.progress?.('index', done, all));
    if (live.pendingSnapshotChanges > 0) await live.persist();
    const index = live.index;
    return {
      storeId: link.storeId,
      hubUrl: link.hubUrl,
      resumed,
      seconds: (Date.now() - started) / 1000,
      documents: (await db.info()).doc_count,
      members: index.members.size,
      coupons: [...index.members.values()].reduce((n, m) => n + (m.coupons?.length ?? 0), 0),
      rulesVersion: index.rules.version,
      templates: index.templates.size,
    };
  } finally {
    await db.close();
  }
}

/*
 * A failed enrollment leaves nothing behind when nothing worth keeping was saved: the hub
 * refused the code, or the request never reached it. When it may have reached the hub (a
 * timeout, a dropped connection, a 5xx) the node id stays, so that a retry with the same code
 * is recognised as this node's (the hub may have marked the code used by it).
 */
const keepNothing = new WeakSet<Error>();
const nothingKept = (err: AppError) => (keepNothing.add(err), err);
/** Errors of a request that never left this machine or never found the hub. */
const NEVER_ARRIVED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/** Removes what this run created in the data dir: the dir itself if it made it, else its new files. */
async function undoableRun(dir: string): Promise<() => Promise<void>> {
  const createdDir = await mkdir(dir, { recursive: true, mode: 0o700 });
  const existed = new Set([paths(dir).nodeId, paths(dir).config].filter((f) => existsSync(f)));
  return async () => {
    if (createdDir) return rm(createdDir, { recursive: true, force: true });
    for (const f of [paths(dir).nodeId, paths(dir).config]) if (!existed.has(f)) await rm(f, { force: true });
  };
}

async function exchangeCode(dir: string, hubUrl: string, code: string): Promise<HubLinkConfig> {
  const base = hubUrl.replace(/\/$/, '');
  if (!URL.canParse(`${base}/v1/enroll`)) throw nothingKept(new AppError('bad_request', `--hub ${hubUrl} is not a URL (e.g. https://hub.example.com)`));
  const nodeId = await ensureNodeId(dir);
  let res: Response;
  try {
    res = await fetch(`${base}/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: code.trim(), nodeId }), signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } })?.cause?.code ?? '';
    const failure = new AppError('unavailable', `cannot reach the hub at ${base}: ${cause || String((err as Error)?.message ?? err)}; check the URL and the network, then run enroll again`);
    throw NEVER_ARRIVED.has(cause) ? nothingKept(failure) : failure;
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
    store?: { id: string; timeZone: string; db: string };
    credentials?: { username: string; password: string };
  };
  if (!res.ok || !body.store || !body.credentials) {
    const refused = new AppError('bad_request', `the hub refused the enrollment: ${body.error?.message ?? res.statusText} (${body.error?.code ?? res.status})`);
    throw res.status >= 400 && res.status < 500 ? nothingKept(refused) : refused;
  }

  if (existsSync(paths(dir).config)) {
    const existing = await readNodeConfig(dir);
    if (existing.storeId !== body.store.id) throw new AppError('bad_request', `${dir} belongs to store ${existing.storeId}, the code to ${body.store.id}; use another --data dir`);
  } else {
    await createNodeDir(dir, { format: 1, storeId: body.store.id, timeZone: body.store.timeZone, createdAt: new Date().toISOString() });
  }
  const link: HubLinkConfig = { hubUrl: base, storeId: body.store.id, db: body.store.db, username: body.credentials.username, password: body.credentials.password, enrolledAt: new Date().toISOString() };
  await writeHubLink(dir, link);
  return link;
}

async function ensureNodeId(dir: string): Promise<string> {
  const file = paths(dir).nodeId;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const id = randomBytes(16).toString('hex');
  await writeFile(file, id + '\n', { mode: 0o600 });
  return id;
}

async function readPulled(dir: string): Promise<{ since: string | number; at: string } | undefined> {
  if (!existsSync(paths(dir).pulled)) return undefined;
  return JSON.parse(await readFile(paths(dir).pulled, 'utf8')) as { since: string | number; at: string };
}

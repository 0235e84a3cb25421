import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, renameSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { PROJECT_ROOT } from '../project-root.ts';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Log } from '../../shared/cli/log.ts';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import { newSecret } from '../../shared/secrets.ts';
import { HEAP_GROWING_FLAG } from '../heap-growth.ts';

/**
 * The embedded CouchDB-compatible server (pouchdb-server) for a hub without COUCH_URL: a child
 * process on a loopback port, its files in DIR/couch, restarted when it dies. Only the hub talks
 * to it; stores reach their databases through the hub's gateway, never directly (a single
 * `_changes?feed=longpoll&filter=_selector` request kills pouchdb-server).
 *
 * It answers only requests with the hub's admin credential, generated on first start into
 * DIR/couch-admin.json (mode 0600): any other process on the machine gets 401.
 */
export interface EmbeddedCouch {
  /** For CouchDB clients (`new Couch(url)`): the admin credential is in it. Never print it. */
  url: string;
  /** The server's address without the credential, to print. */
  address: string;
  /** The Authorization header for a plain `fetch`. */
  authHeader: string;
  /** Resolves when the server answers again (after a start or a restart). */
  ready(): Promise<void>;
  /** For tests and operators: kill the child as a crash would; the supervisor restarts it. */
  crash(): void;
  /** The running child's process id (its memory is watched with the hub's, hub/last-words.ts). */
  pid(): number | undefined;
  /** Stops supervising and stops the server (and waits until it is gone). */
  stop(): Promise<void>;
}

const RESTART_DELAYS_MS = [200, 500, 1000, 2000, 5000];
/** A child that ran this long had a crash, not a broken start: the count of quick deaths begins anew. */
const SETTLED_MS = 30_000;
/**
 * Quick deaths in a row after which the hub stops restarting it and gives up (onGiveUp): a
 * database that cannot stay up (its files, its port, its credential) is no passing fault, and a
 * hub answering every request with an error forever hides that (decision 028).
 */
export const MAX_QUICK_DEATHS = 6;
/** The child's stderr, in DIR/couch/stderr.log: moved aside beyond this size (one old file is kept). */
const MAX_STDERR_BYTES = 1024 * 1024;
/** Lines of the child's stderr kept in memory, to say with its death what it said before. */
const TAIL_LINES = 30;
const ADMIN_USER = 'memberedge-hub';
/** pouchdb-server's log.txt is moved aside at start beyond this size (one old file is kept). */
const MAX_LOG_BYTES = 1024 * 1024;

interface AdminCredential {
  username: string;
  password: string;
}

/** The hub's credential for its embedded database: made on first start, kept in the data dir (mode 0600). */
export async function embeddedCredential(dataDir: string): Promise<AdminCredential> {
  const file = join(resolve(dataDir), 'couch-admin.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as AdminCredential;
  const credential = { username: ADMIN_USER, password: newSecret() };
  await writeFileAtomic(file, JSON.stringify(credential, null, 2) + '\n', 0o600);
  return credential;
}

/**
 * pouchdb-server's config.json: the admin, and a log that says only what went wrong, in a file of
 * its own directory; other settings it saved there are kept. The password goes in as given and
 * pouchdb-server replaces it with its hash on start (in DIR/couch, which only the hub's user may enter).
 */
async function writeServerConfig(dir: string, admin: AdminCredential): Promise<string> {
  const file = join(dir, 'config.json');
  const current = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>) : {};
  const config = { ...current, admins: { [admin.username]: admin.password }, log: { file: join(dir, 'log.txt'), level: 'error' } };
  await writeFileAtomic(file, JSON.stringify(config, null, 2) + '\n', 0o600);
  return file;
}

/** Keeps a log file bounded: beyond `max` bytes it becomes `<file>.1` (replacing the previous one). */
function rotateLog(file: string, max: number): void {
  try {
    if (statSync(file).size > max) renameSync(file, `${file}.1`);
  } catch {
    /* no log yet */
  }
}

/**
 * What the child wrote on stderr: its last lines in memory, and everything in DIR/couch/stderr.log
 * (bounded), so that its death can be explained with what it said, in the hub's log and after the
 * fact. Written synchronously: a hub that dies a moment later has still kept it.
 */
class StderrTail {
  private lines: string[] = [];
  constructor(readonly file: string) {}

  add(text: string): string[] {
    const lines = text.split('\n').map((l) => l.trimEnd()).filter(Boolean);
    this.lines.push(...lines.map((l) => l.slice(0, 500)));
    if (this.lines.length > TAIL_LINES) this.lines = this.lines.slice(-TAIL_LINES);
    this.append(text.endsWith('\n') ? text : `${text}\n`);
    return lines;
  }

  note(line: string): void {
    this.append(`--- ${new Date().toISOString()} ${line}\n`);
  }

  /** The last lines, and forgets them: the next death is told with what the next child said. */
  take(): string[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }

  private append(text: string) {
    try {
      rotateLog(this.file, MAX_STDERR_BYTES);
      appendFileSync(this.file, text, { mode: 0o600 });
    } catch {
      /* the hub's log still has it */
    }
  }
}

/** Why a child died, as far as its exit tells, for the operator reading the log. */
export function deathCause(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return "killed with SIGKILL from outside: most often the kernel's OOM killer (the machine ran out of memory), else an operator; it could say nothing";
  if (signal) return `ended by ${signal}`;
  if (code === 70) return 'an uncaught error in the database server (its stack is in stderrTail)';
  if (code === 134) return "V8's heap limit (JavaScript heap out of memory) or another abort";
  return `exited with code ${code} (stderrTail says why, if it could)`;
}

export interface EmbeddedCouchOptions {
  port?: number;
  /**
   * Called once when the child died MAX_QUICK_DEATHS times in a row without staying up: the hub
   * then exits non-zero. Without it the supervisor keeps restarting (tests, tools).
   */
  onGiveUp?: (err: Error) => void;
}

export async function startEmbeddedCouch(dataDir: string, log: Log, opts: EmbeddedCouchOptions = {}): Promise<EmbeddedCouch> {
  // Absolute: the server runs in its own directory, where a relative path names another place.
  const root = resolve(dataDir);
  const dir = join(root, 'couch');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // pouchdb-server rewrites config.json (the admin's hash) with its default mode: the directory
  // keeps others out, also for data dirs made before it was created 0700.
  await chmod(dir, 0o700);
  const admin = await embeddedCredential(root);
  const config = await writeServerConfig(dir, admin);
  const port = opts.port ?? (await freePort());
  const address = `http://127.0.0.1:${port}`;
  const authHeader = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
  const url = `http://${encodeURIComponent(admin.username)}:${encodeURIComponent(admin.password)}@127.0.0.1:${port}`;
  const bin = join(PROJECT_ROOT, 'hub', 'couch', 'pouchdb-server-child.cjs');
  let child: ChildProcess | undefined;
  let stopping = false;
  let failures = 0;
  let startedAt = 0;
  const tail = new StderrTail(join(dir, 'stderr.log'));

  const launch = () => {
    startedAt = Date.now();
    rotateLog(join(dir, 'log.txt'), MAX_LOG_BYTES);
    child = spawn(process.execPath, [HEAP_GROWING_FLAG, bin, '--port', String(port), '--host', '127.0.0.1', '--dir', dir, '--config', config, '--no-stdout-logs'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
      // database must outlive the hub's orderly shutdown (workers, stores' requests) that the
      // signal starts; the hub stops it last. It still exits when the hub dies (the ppid check).
      detached: true,
      env: { ...process.env, MEMBEREDGE_COUCH_ADMIN_FILE: join(root, 'couch-admin.json') },
    });
    const pid = child.pid;
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of tail.add(d.toString())) log.warn('embedded couch stderr', { line });
    });
    child.once('exit', (code, signal) => {
      child = undefined;
      const ranSeconds = Math.round((Date.now() - startedAt) / 100) / 10;
      tail.note(`the database server (pid ${pid}) exited: code ${code}, signal ${signal}, after ${ranSeconds} s${stopping ? ' (the hub stopped it)' : ''}`);
      if (stopping) return;
      if (Date.now() - startedAt > SETTLED_MS) failures = 0;
      failures++;
      // pouchdb-server's own errors (a request it failed) are in log.txt, not on stderr: named, not read.
      const facts = { pid, code, signal, ranSeconds, cause: deathCause(code, signal), stderrTail: tail.take(), stderrFile: tail.file, serverLog: join(dir, 'log.txt') };
      if (failures >= MAX_QUICK_DEATHS && opts.onGiveUp) {
        log.fatal('embedded couch keeps dying: giving up', { ...facts, quickDeathsInARow: failures });
        opts.onGiveUp(new Error(`the embedded database died ${failures} times in a row, each within ${SETTLED_MS / 1000} s of its start (last: ${facts.cause}); see ${tail.file}`));
        return;
      }
      const delay = RESTART_DELAYS_MS[Math.min(failures - 1, RESTART_DELAYS_MS.length - 1)]!;
      log.error('embedded couch exited; restarting', { ...facts, inMs: delay, ...(failures > 1 ? { quickDeathsInARow: failures, givesUpAt: MAX_QUICK_DEATHS } : {}) });
      setTimeout(() => !stopping && launch(), delay).unref();
    });
  };
  launch();

  const couch: EmbeddedCouch = {
    url,
    address,
    authHeader,
    async ready() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const res = await fetch(`${address}/`, { headers: { authorization: authHeader }, signal: AbortSignal.timeout(1000) });
          if (res.ok) return;
        } catch {
          /* not up yet */
        }
        if (Date.now() > deadline) throw new Error(`embedded couch did not answer on ${address} within 30 s; its stderr (${tail.file}) ends: ${tail.take().slice(-5).join(' | ') || '(nothing)'}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    crash() {
      child?.kill('SIGKILL');
    },
    pid: () => child?.pid,
    async stop() {
      stopping = true;
      const c = child;
      if (!c) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
  await couch.ready();
  return couch;
}

/** A port nothing listens on right now, on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

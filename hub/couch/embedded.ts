import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Log } from '../../shared/cli/log.ts';

/**
 * The embedded CouchDB-compatible server (pouchdb-server) for a hub without COUCH_URL: a child
 * process on a loopback port, its files in DIR/couch, restarted when it dies. Only the hub talks
 * to it; stores reach their databases through the hub's gateway, never directly (a single
 * `_changes?feed=longpoll&filter=_selector` request kills pouchdb-server).
 */
export interface EmbeddedCouch {
  url: string;
  /** Resolves when the server answers again (after a start or a restart). */
  ready(): Promise<void>;
  /** For tests and operators: kill the child as a crash would; the supervisor restarts it. */
  crash(): void;
  /** Stops supervising and stops the server (and waits until it is gone). */
  stop(): Promise<void>;
}

const RESTART_DELAYS_MS = [200, 500, 1000, 2000, 5000];

export async function startEmbeddedCouch(dataDir: string, log: Log, opts: { port?: number } = {}): Promise<EmbeddedCouch> {
  const dir = join(dataDir, 'couch');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const bin = fileURLToPath(new URL('./pouchdb-server-child.cjs', import.meta.url));
  let child: ChildProcess | undefined;
  let stopping = false;
  let failures = 0;
  let startedAt = 0;

  const launch = () => {
    startedAt = Date.now();
    child = spawn(process.execPath, [bin, '--port', String(port), '--host', '127.0.0.1', '--dir', dir, '--config', join(dir, 'config.json'), '--no-stdout-logs'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
      // database must outlive the hub's orderly shutdown (workers, stores' requests) that the
      // signal starts; the hub stops it last. It still exits when the hub dies (the ppid check).
      detached: true,
    });
    child.stderr?.on('data', (d: Buffer) => log.warn('embedded couch stderr', { line: d.toString().trim().slice(0, 500) }));
    child.once('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      // A child that ran for a while had a crash, not a broken start: begin the back-off anew.
      if (Date.now() - startedAt > 30_000) failures = 0;
      const delay = RESTART_DELAYS_MS[Math.min(failures++, RESTART_DELAYS_MS.length - 1)]!;
      log.error('embedded couch exited; restarting', { code, signal, inMs: delay });
      setTimeout(() => !stopping && launch(), delay).unref();
    });
  };
  launch();

  const couch: EmbeddedCouch = {
    url,
    async ready() {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
          if (res.ok) return;
        } catch {
          /* not up yet */
        }
        if (Date.now() > deadline) throw new Error(`embedded couch did not answer on ${url} within 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    crash() {
      child?.kill('SIGKILL');
    },
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

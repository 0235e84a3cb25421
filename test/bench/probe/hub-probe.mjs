/*
 * A measuring probe for a hub started by a bench (issue 14, decision 032): loaded into every node
 * process with `NODE_OPTIONS="--import $PWD/test/bench/probe/hub-probe.mjs"`, it acts only in
 * `hub serve` and writes to HUB_PROBE_DIR (default /tmp/hub-probe):
 *   hub-<pid>.cpuprofile  the inspector's CPU profile, written when the hub exits (or on SIGUSR2)
 *   hub-<pid>.start       the wall-clock time the profile started (cpu-window.mjs maps samples to it)
 *   hub-<pid>.lag         every event-loop stall over 30 ms (HUB_PROBE_LAG_MS): time and length
 *   hub-<pid>.requests    every request the hub answered: time it came, ms, method, path, status
 *   hub-<pid>.fetch       every request the hub made to its database: time sent, ms, method, path, body bytes
 *   db-<pid>.lag          the embedded database's event-loop stalls, as hub-<pid>.lag
 * Then `node test/bench/probe/cpu-window.mjs <profile> <start file> FROM TO` (ISO times) sums
 * the samples of that window, and `node test/bench/probe/request-window.mjs` what the database
 * did while chosen requests were answered. Not for production: the profile and the logs cost time themselves.
 */
import { Session } from 'node:inspector';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';

const dir = process.env.HUB_PROBE_DIR ?? '/tmp/hub-probe';
const LAG_MS = Number(process.env.HUB_PROBE_LAG_MS ?? 30);

/** Appends every event-loop stall over LAG_MS to `file`: the time it was noticed and its length. */
function logStalls(file) {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const lag = now - last - 5;
    last = now;
    if (lag > LAG_MS) appendFileSync(file, `${new Date().toISOString()} ${lag.toFixed(1)}\n`);
  }, 5).unref();
}

// The hub from its sources (hub/cli.ts) or its bundle (dist/hub.mjs, what benches start: decision 038).
const isHub = process.argv.some((a) => a.endsWith('cli.ts') || a.endsWith('hub.mjs')) && process.argv.includes('serve');
// The hub's embedded database (hub/couch/pouchdb-server-child.cjs): its event-loop stalls only.
const isDatabase = process.argv.some((a) => a.endsWith('pouchdb-server-child.cjs'));
if (isHub || isDatabase) mkdirSync(dir, { recursive: true });
if (isDatabase) logStalls(`${dir}/db-${process.pid}.lag`);
if (isHub) {
  const name = `${dir}/hub-${process.pid}`;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  writeFileSync(`${name}.start`, JSON.stringify({ wall0: Date.now() }));
  logStalls(`${name}.lag`);
  const dump = () => session.post('Profiler.stop', (err, r) => err || writeFileSync(`${name}.cpuprofile`, JSON.stringify(r.profile)));
  const exit = process.exit.bind(process);
  process.exit = (code) => {
    dump();
    exit(code);
  };
  process.on('SIGUSR2', dump);
  // Every request the hub answered: when it came, how long its answer took, its method and path.
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, res) {
    if (event === 'request') {
      const at = new Date().toISOString();
      const t = performance.now();
      res.on('finish', () => appendFileSync(`${name}.requests`, `${at} ${(performance.now() - t).toFixed(1)} ${req.method} ${String(req.url).split('?')[0].slice(0, 120)} ${res.statusCode}\n`));
    }
    return emit.apply(this, arguments);
  };
  const fetch0 = globalThis.fetch;
  globalThis.fetch = async function (input, init) {
    const at = new Date().toISOString();
    const t = performance.now();
    const url = typeof input === 'string' ? input : (input.url ?? String(input));
    const body = init?.body;
    const bytes = body == null ? 0 : typeof body === 'string' ? body.length : (body.byteLength ?? body.length ?? -1);
    try {
      return await fetch0(input, init);
    } finally {
      appendFileSync(`${name}.fetch`, `${at} ${(performance.now() - t).toFixed(1)} ${init?.method ?? 'GET'} ${url.replace(/^https?:\/\/[^/]+/, '').slice(0, 120)} ${bytes}\n`);
    }
  };
}

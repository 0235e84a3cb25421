/*
 * A measuring probe for a hub started by a bench (issue 14, decision 032): loaded into every node
 * process with `NODE_OPTIONS="--import $PWD/test/bench/probe/hub-probe.mjs"`, it acts only in
 * `hub serve` and writes to HUB_PROBE_DIR (default /tmp/hub-probe):
 *   hub-<pid>.cpuprofile  the inspector's CPU profile, written when the hub exits (or on SIGUSR2)
 *   hub-<pid>.start       the wall-clock time the profile started (cpu-window.mjs maps samples to it)
 *   hub-<pid>.lag         every event-loop stall over 30 ms: time and length
 *   hub-<pid>.fetch       every request the hub made to its database: time, ms, method, path, body bytes
 * Then `node test/bench/probe/cpu-window.mjs <profile> <start file> FROM TO` (ISO times) sums
 * the samples of that window. Not for production: the profile and the logs cost time themselves.
 */
import { Session } from 'node:inspector';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';

const isHub = process.argv.some((a) => a.endsWith('cli.ts')) && process.argv.includes('serve');
if (isHub) {
  const dir = process.env.HUB_PROBE_DIR ?? '/tmp/hub-probe';
  mkdirSync(dir, { recursive: true });
  const name = `${dir}/hub-${process.pid}`;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  writeFileSync(`${name}.start`, JSON.stringify({ wall0: Date.now() }));
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const lag = now - last - 5;
    last = now;
    if (lag > 30) appendFileSync(`${name}.lag`, `${new Date().toISOString()} ${lag.toFixed(1)}\n`);
  }, 5).unref();
  const dump = () => session.post('Profiler.stop', (err, r) => err || writeFileSync(`${name}.cpuprofile`, JSON.stringify(r.profile)));
  const exit = process.exit.bind(process);
  process.exit = (code) => {
    dump();
    exit(code);
  };
  process.on('SIGUSR2', dump);
  const fetch0 = globalThis.fetch;
  globalThis.fetch = async function (input, init) {
    const t = performance.now();
    const url = typeof input === 'string' ? input : (input.url ?? String(input));
    const body = init?.body;
    const bytes = body == null ? 0 : typeof body === 'string' ? body.length : (body.byteLength ?? body.length ?? -1);
    try {
      return await fetch0(input, init);
    } finally {
      appendFileSync(`${name}.fetch`, `${new Date().toISOString()} ${(performance.now() - t).toFixed(1)} ${init?.method ?? 'GET'} ${url.replace(/^https?:\/\/[^/]+/, '').slice(0, 120)} ${bytes}\n`);
    }
  };
}

import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedMemberId, seedPhone } from '../../edge/seed.ts';
import { provisionNode, removeDir, ROOT, startEdge, storeRuntime } from '../support/edge-node.ts';

/*
 * Issue 2's figures: identify and checkout against one edge node with 100,000 members, with a
 * trivial Hono endpoint measured in the same run as the ceiling. Servers run in their own
 * processes; autocannon runs here. Each figure is the median of several runs.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** RSS split: anonymous (JS heap, LevelDB, malloc) and file-backed (the node binary, mapped tables); and the peak. */
function memoryMb(pid: number) {
  const kb = (text: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN) / 1024;
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: kb(status, 'VmRSS'), anonymous: kb(rollup, 'Anonymous'), peak: kb(status, 'VmHWM'), tables: tableRssMb(pid) };
}

/** Resident pages of LevelDB's table files, which it maps into memory to read them (clean pages the kernel can drop). */
function tableRssMb(pid: number): number {
  let kb = 0;
  let inTable = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inTable = line.endsWith('.ldb');
    else if (inTable && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)![1]);
  }
  return kb / 1024;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, connections: number, request: autocannon.Request): Promise<Run> {
  const r = await autocannon({ url, connections, duration: SECONDS, requests: [request] });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function measure(name: string, url: string, connections: number, request: () => autocannon.Request) {
  await load(url, connections, request()); // warm-up, not counted
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await load(url, connections, request()));
  const row = {
    name,
    connections,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
  };
  console.error(`${name} c=${connections}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}`);
  return row;
}

function startTrivial(): Promise<{ url: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/trivial-server.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => {
      const m = /ready at (\S+)/.exec(String(d));
      if (m) resolve({ url: m[1]!, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`trivial server exited ${code}`)));
  });
}

export async function benchEdge() {
  console.error('building the edge bundle…');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  console.error(`provisioning a node with ${MEMBERS} members…`);
  const { dir, token } = await provisionNode({ members: MEMBERS });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const readyMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = Date.now();
    const n = await startEdge(dir, ['--identify-rate', '100000000', '--identify-burst', '100000000'], { bundle: true });
    readyMs.push(Date.now() - t);
    await n.stop();
  }
  const edge = await startEdge(dir, ['--identify-rate', '100000000', '--identify-burst', '100000000'], { bundle: true });
  const rssAtStart = rssMb(edge.child.pid!);
  const trivial = await startTrivial();

  const random = () => Math.floor(Math.random() * MEMBERS);
  const trivialReq = () => ({ method: 'POST' as const, path: '/echo', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: seedPhone(1) }) });
  const identifyReq = (): autocannon.Request => ({
    method: 'POST',
    path: '/v1/members/identify',
    headers,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ phone: seedPhone(random()).slice(3) }) }),
  });
  let receipt = 0;
  const checkoutReq = (): autocannon.Request => ({
    method: 'POST',
    path: '/v1/checkouts',
    headers,
    setupRequest: (req) => ({
      ...req,
      body: JSON.stringify({
        receiptNo: `B${process.pid}-${++receipt}`,
        memberId: seedMemberId(random()),
        lines: [
          { sku: 'BEANS-1KG', category: 'coffee', qty: 1, unitPrice: 8800 },
          { sku: 'CUP-001', category: 'cups', qty: 2, unitPrice: 2500 },
        ],
        pointsToRedeem: 10,
      }),
    }),
  });

  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  for (const c of [10, 50]) {
    rows.push(await measure('trivial Hono JSON', trivial.url, c, trivialReq));
    rows.push(await measure('identify by phone', edge.url, c, identifyReq));
  }
  for (const c of [10, 50]) rows.push(await measure('checkout (member, 2 lines, points)', edge.url, c, checkoutReq));
  // Read the moment the last load run ends, then after the node has been idle for 10 s.
  const memAfter = memoryMb(edge.child.pid!);
  await new Promise((r) => setTimeout(r, 10_000));
  const memIdle = memoryMb(edge.child.pid!);

  trivial.stop();
  await edge.stop();
  // The node has to come back as fast with the receipts of the benchmark in it.
  const t = Date.now();
  const again = await startEdge(dir, [], { bundle: true });
  const readyAfterMs = Date.now() - t;
  await again.stop();
  removeDir(dir);

  const trivialAt = (c: number) => rows.find((r) => r.name.startsWith('trivial') && r.connections === c)!.rps;
  return {
    members: MEMBERS,
    runs: RUNS,
    seconds: SECONDS,
    rows: rows.map((r) => ({ ...r, ratioToTrivial: r.rps / trivialAt(r.connections) })),
    readyMs: median(readyMs),
    readyAfterBenchMs: readyAfterMs,
    checkoutsWritten: receipt,
    rssMb: { atStart: rssAtStart, afterBench: memAfter.rss, idle10s: memIdle.rss, peak: memIdle.peak },
    anonymousMb: { afterBench: memAfter.anonymous, idle10s: memIdle.anonymous },
    tableFilesMb: { afterBench: memAfter.tables, idle10s: memIdle.tables },
    runtime: storeRuntime(),
  };
}


import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedMemberId, seedPhone } from '../../edge/seed.ts';
import { openStoreDb } from '../../edge/store-db.ts';
import { RULES_ID } from '../../shared/doc-ids.ts';
import { localDate } from '../../shared/local-time.ts';
import { chunkOf, storeChunk, type Product } from '../../shared/products/master.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { EDGE_BUNDLE, provisionNode, removeDir, ROOT, spawnReady, startEdge, storeRuntime, tempDir } from '../support/edge-node.ts';

/*
 * Issue 2's figures: identify and checkout against one edge node with 100,000 members, with a
 * trivial Hono endpoint measured in the same run as the ceiling. Servers run in their own
 * processes; autocannon runs here. Each figure is the median of several runs.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const random = () => Math.floor(Math.random() * MEMBERS);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time a process has used so far (user + system, all its threads), in ms. */
function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/pid/stat, after the command name in parentheses; in clock ticks (100 a second).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
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
  /** Requests answered in the run. */
  total: number;
}

async function load(url: string, connections: number, request: autocannon.Request): Promise<Run> {
  const r = await autocannon({ url, connections, duration: SECONDS, requests: [request] });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, total: r.requests.total };
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

const MASTER_SKUS = 50_000;
const masterSku = (i: number) => `SKU-${String(i).padStart(7, '0')}`;

/** The richer rules of issue 13, and a 50,000-SKU product master, written into a stopped node's replica. */
async function richerRules(dir: string): Promise<void> {
  const db = await openStoreDb(dir);
  const day = localDate(new Date(), 'Asia/Shanghai');
  const month = day.slice(0, 7);
  const current = await db.get(RULES_ID);
  const rules: LoyaltyRules = LoyaltyRulesSchema.parse({
    ...DEFAULT_RULES,
    version: 2,
    earning: {
      lineRules: [
        { name: 'no points on tobacco', categoryPrefix: 'tobacco', ratePct: 0 },
        { name: 'no points on gift cards', skus: ['GIFTCARD-100', 'GIFTCARD-200'], ratePct: 0 },
        { name: 'snacks double this month', categoryPrefix: 'dept1', from: `${month}-01`, to: `${month}-28` > day ? `${month}-28` : day, ratePct: 200 },
        { name: 'S001 opening week', stores: ['S001'], from: '2026-01-01', to: '2026-01-07', ratePct: 300 },
        { name: 'brand 7', brand: 'Brand 7', ratePct: 150 },
      ],
      memberDay: { daysOfMonth: [8, Number(day.slice(8, 10))], multiplierPct: 200 },
      birthdayMonth: { multiplierPct: 150 },
    },
    couponStacking: { order: ['gift', 'cash', 'percent'], exclusive: [['cash', 'percent']], maxPerKind: { cash: 1 }, giftAddsLine: true },
  });
  await db.put({ ...current, rules });
  const byChunk = new Map<number, Product[]>();
  for (let i = 0; i < MASTER_SKUS; i++) {
    const p: Product = { sku: masterSku(i), category: `dept${i % 12}/aisle${i % 40}/shelf${i % 300}`, brand: `Brand ${(i * 7) % 800}` };
    byChunk.set(chunkOf(p.sku), [...(byChunk.get(chunkOf(p.sku)) ?? []), p]);
  }
  await db.bulkDocs([...byChunk].map(([c, ps]) => storeChunk(c, ps)));
  await db.close();
}

type Headers = Record<string, string>;

/** A checkout of a random member with these lines (made anew per request), 10 points as cash. */
const checkout = (headers: Headers, receiptNo: () => string, lines: () => object[]): autocannon.Request => ({
  method: 'POST',
  path: '/v1/checkouts',
  headers,
  setupRequest: (req) => ({ ...req, body: JSON.stringify({ receiptNo: receiptNo(), memberId: seedMemberId(random()), lines: lines(), pointsToRedeem: 10 }) }),
});

/** Today's checkout: two lines with their categories. */
const todaysCheckout = (headers: Headers, receiptNo: () => string) =>
  checkout(headers, receiptNo, () => [
    { sku: 'BEANS-1KG', category: 'coffee', qty: 1, unitPrice: 8800 },
    { sku: 'CUP-001', category: 'cups', qty: 2, unitPrice: 2500 },
  ]);

/** The checkout of issue 13's goal: three lines the product master prices (category, brand). */
const richerCheckout = (headers: Headers, receiptNo: () => string) =>
  checkout(headers, receiptNo, () => [
    { sku: masterSku(random() % MASTER_SKUS), qty: 1, unitPrice: 8800 },
    { sku: masterSku(random() % MASTER_SKUS), qty: 2, unitPrice: 2500 },
    { sku: masterSku(random() % MASTER_SKUS), qty: 1, unitPrice: 1299 },
  ]);

const EDGE_ARGS = ['--identify-rate', '100000000', '--identify-burst', '100000000'];

/**
 * The bundled edge as the store runs it; with BENCH_EDGE_CPU_PROF set, under `--cpu-prof` with
 * its profile written into that directory when it stops (`name` tells the profiles apart).
 */
function startBundled(dir: string, name: string) {
  const profDir = process.env.BENCH_EDGE_CPU_PROF;
  if (!profDir) return startEdge(dir, EDGE_ARGS);
  const { nodeFlags, env } = storeRuntime();
  return spawnReady([...nodeFlags, '--cpu-prof', '--cpu-prof-dir', join(profDir, name), EDGE_BUNDLE, 'serve', '--data', dir, '--port', '0', '--quiet', ...EDGE_ARGS], env);
}

const RICHER_ROUNDS = Number(process.env.BENCH_RICHER_ROUNDS ?? 6);

/**
 * Issue 13's goal, measured fairly: today's checkout and the richer one on twin nodes copied
 * from the same fresh node (the richer one with the richer rules and the product master in its
 * replica), all running, loaded in turn in short rounds (A B C, then C B A, …) so that their
 * databases grow alike and no variant always follows another, after a warm-up of each. A node
 * that has taken 200,000 checkouts is slower than a fresh one: measuring one variant after the
 * other on one node measured that as well. A third twin keeps today's rules and takes the
 * richer checkout's receipt (the same three SKUs, which it knows nothing of): what a bigger
 * receipt costs without the rules.
 */
async function compareRicher(dirs: { todays: string; richer: string; sameReceipt: string }, headers: Headers) {
  await richerRules(dirs.richer);
  let receipt = 0;
  const no = () => `R${process.pid}-${++receipt}`;
  const variant = async (name: string, dir: string, request: () => autocannon.Request) => ({ name, node: await startBundled(dir, name), request, runs: [] as Run[], cpuMs: 0 });
  const todays = await variant('todays', dirs.todays, () => todaysCheckout(headers, no));
  const sameReceipt = await variant('same-receipt', dirs.sameReceipt, () => richerCheckout(headers, no));
  const richer = await variant('richer', dirs.richer, () => richerCheckout(headers, no));
  const all = [todays, sameReceipt, richer];
  for (const v of all) await load(v.node.url, 10, v.request());
  // The twins not under load are paused (SIGSTOP) during a round: what a node does when its load
  // stops (LevelDB compacting what it was written, the idle-time GC) then falls in its own rounds,
  // as it would on a store's box of its own, not in the round of the twin measured next.
  const pause = (v: (typeof all)[number], paused: boolean) => v.node.child.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  for (let i = 0; i < RICHER_ROUNDS; i++) {
    for (const v of i % 2 === 0 ? all : [...all].reverse()) {
      for (const other of all) if (other !== v) pause(other, true);
      const cpu = cpuMs(v.node.child.pid!);
      v.runs.push(await load(v.node.url, 10, v.request()));
      v.cpuMs += cpuMs(v.node.child.pid!) - cpu;
      for (const other of all) if (other !== v) pause(other, false);
    }
  }
  for (const v of all) await v.node.stop();
  // The node's own CPU per checkout (what it did between a round's start and end, over the
  // checkouts it answered): on a machine others share, steadier than the throughput.
  const summary = (v: (typeof all)[number], name: string) => {
    const runs = v.runs;
    const row = {
      name,
      connections: 10,
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      non2xx: runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
      cpuMsPerCheckout: v.cpuMs / runs.reduce((s, r) => s + r.total, 0),
    };
    console.error(`${name} c=10: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, CPU ${row.cpuMsPerCheckout.toFixed(3)} ms a checkout, non-2xx ${row.non2xx} (rounds: ${runs.map((r) => `${r.rps.toFixed(0)}/${r.p99}`).join(' ')})`);
    return row;
  };
  const todaysRow = summary(todays, "today's checkout (2 lines with their categories), today's rules");
  const sameReceiptRow = summary(sameReceipt, "the richer checkout's receipt (3 SKUs), today's rules, no master");
  const richerRow = summary(richer, 'the richer checkout (3 SKUs priced by the master), the richer rules');
  // Each round's runs were back to back: their ratio is the least disturbed by the machine's drift.
  const pairRatios = richer.runs.map((r, i) => r.rps / todays.runs[i]!.rps);
  const result = {
    rounds: RICHER_ROUNDS,
    rows: [todaysRow, sameReceiptRow, richerRow],
    p99Ms: richerRow.p99,
    rpsRatio: richerRow.rps / todaysRow.rps,
    pairRatioMedian: median(pairRatios),
    pairRatios,
    /** The rules and the master alone: the richer checkout against today's rules on the same receipt. */
    rulesOnlyRatio: richerRow.rps / sameReceiptRow.rps,
    goal: "p99 <= 10 ms, throughput within 10% of today's checkout",
  };
  console.error(`richer rules at c=10: p99 ${result.p99Ms} ms (today's ${todaysRow.p99} ms), throughput ${(100 * result.rpsRatio).toFixed(1)}% of today's (median of the rounds' ratios ${(100 * result.pairRatioMedian).toFixed(1)}%), ${(100 * result.rulesOnlyRatio).toFixed(1)}% of the same receipt under today's rules`);
  return result;
}

export async function benchEdge() {
  console.error(`provisioning a node with ${MEMBERS} members…`);
  const { dir, token } = await provisionNode({ members: MEMBERS });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  // Twins of the fresh node for issue 13's comparison, taken before any receipt is written.
  const twins = { todays: tempDir(), richer: tempDir(), sameReceipt: tempDir() };
  for (const twin of Object.values(twins)) cpSync(dir, twin, { recursive: true });

  const readyMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = Date.now();
    const n = await startEdge(dir, EDGE_ARGS);
    readyMs.push(Date.now() - t);
    await n.stop();
  }
  const edge = await startEdge(dir, EDGE_ARGS);
  const rssAtStart = rssMb(edge.child.pid!);
  const trivial = await startTrivial();

  const trivialReq = () => ({ method: 'POST' as const, path: '/echo', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: seedPhone(1) }) });
  const identifyReq = (): autocannon.Request => ({
    method: 'POST',
    path: '/v1/members/identify',
    headers,
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ phone: seedPhone(random()).slice(3) }) }),
  });
  let receipt = 0;
  const checkoutReq = () => todaysCheckout(headers, () => `B${process.pid}-${++receipt}`);

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

  // Issue 13: the same checkout under the richer rules (exclusions, category and brand rates,
  // member day, birthday month, stacking) with lines priced by a 50,000-SKU product master,
  // against today's checkout on a twin node (compareRicher).
  const richer = await compareRicher(twins, headers);
  for (const twin of Object.values(twins)) removeDir(twin);
  // The node has to come back as fast with the receipts of the benchmark in it.
  const t = Date.now();
  const again = await startEdge(dir, []);
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
    richer,
    rssMb: { atStart: rssAtStart, afterBench: memAfter.rss, idle10s: memIdle.rss, peak: memIdle.peak },
    anonymousMb: { afterBench: memAfter.anonymous, idle10s: memIdle.anonymous },
    tableFilesMb: { afterBench: memAfter.tables, idle10s: memIdle.tables },
    runtime: storeRuntime(),
  };
}


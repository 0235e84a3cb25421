import buildBundles from '../support/build-bundles.ts';
import { FAULT_KINDS, formatChaos, runChaos, type FaultKind } from '../support/chaos.ts';
import { benchEdge } from './edge-bench.ts';
import { benchHub } from './hub-bench.ts';
import { benchOneId } from './one-id-bench.ts';
import { benchScope } from './scope-bench.ts';
import { benchFuzz, fuzzMarkdown } from './fuzz-bench.ts';
import { benchGuide } from './guide-bench.ts';
import { benchDashboard } from './dashboard-bench.ts';
import { benchSegments } from './segments-bench.ts';
import { benchProfiles } from './profiles-bench.ts';
import { benchProfileStart } from './profiles-start-bench.ts';
import { benchTagRules, tagBenchMarkdown } from './tag-rules-bench.ts';

/**
 * `npm run bench [-- edge|guide|hub|one-id|scope|tags|fuzz|chaos|dashboard|profiles|profiles-start|segments]`: runs the benchmarks (all but fuzz, chaos and dashboard by default) and prints a Markdown
 * report for docs/benchmarks.md. Wall-clock figures are reported, never asserted: CI does not
 * run this.
 */
const only = process.argv[2];
// Every bench starts its edges and hubs from the bundles, as the tests do (decision 038).
buildBundles();
if (!only || only === 'edge') await reportEdge();
if (!only || only === 'guide') await reportGuide();
if (!only || only === 'hub') await reportHub();
if (!only || only === 'one-id') await reportOneId();
if (!only || only === 'scope') await reportScope();
if (!only || only === 'tags') console.log(tagBenchMarkdown(benchTagRules()));
// Not part of the default run: 100,000 requests take a while and report findings, not speed.
if (only === 'fuzz') await reportFuzz();
// Ten minutes of faults and traffic, then the healed fleet's agreement (CHAOS_SECONDS, CHAOS_SEED, CHAOS_FAULTS).
if (only === 'chaos') await reportChaos();
// A million members and five million facts are loaded first: long, and not part of the default run (BENCH_DASH_MEMBERS, BENCH_DASH_FACTS).
if (only === 'dashboard') await reportDashboard();
// Eight million synthetic members take a while to fill: not part of the default run (BENCH_SEGMENT_SIZES, BENCH_SEGMENT_RUNS).
if (only === 'segments') await reportSegments();
// A million golden members and ten million facts in process, then a start from CouchDB at 50,000 (BENCH_PROFILE_MEMBERS, BENCH_PROFILE_FACTS, BENCH_PROFILE_START_MEMBERS).
if (only === 'profiles') await reportProfiles();
// Decision 029: the start from the snapshot file against the start from CouchDB (BENCH_PROFILE_START_MEMBERS), and at full size from a file written in process (BENCH_PROFILE_SNAPSHOT_MEMBERS, BENCH_PROFILE_CATCHUP).
if (only === 'profiles-start') await reportProfileStart();

async function reportProfileStart() {
  const r = await benchProfileStart();
  const f = (x: number, d = 1) => x.toFixed(d);
  const n = (x: number) => Math.round(x).toLocaleString('en');
  const s = (ms: number | undefined) => f((ms ?? 0) / 1000);
  const out: string[] = [];
  if (r.couch) {
    const c = r.couch;
    out.push(
      `### Profiles at start: from CouchDB and from the snapshot (${n(c.members)} golden members, ${n(c.docs)} documents in hub-facts, same run)`,
      '',
      '| start | seconds |',
      '| --- | ---: |',
      `| from CouchDB: every fact read from hub-facts, every member computed | ${f(c.fromCouchSeconds)} |`,
      `| from the snapshot (${f(c.snapshotMb)} MB), total | **${s(c.fromSnapshot.ms)}** |`,
      `| … reading the file | ${s(c.fromSnapshot.readMs)} |`,
      `| … catching up: ${n(c.catchUpDocs)} documents written to hub-facts after the file (${n(c.fromSnapshot.caughtUp ?? 0)} facts) | ${s(c.fromSnapshot.catchUpMs)} |`,
      `| … every member computed | ${s(c.fromSnapshot.computeMs)} |`,
      `| writing the file after the build (not on the start's path) | ${f(c.snapshotWriteSeconds)} |`,
      '',
      `- from the snapshot / from CouchDB: ${f(c.fromSnapshot.ms / 1000 / c.fromCouchSeconds, 2)}; loading hub-facts (setup): ${f(c.loadDbSeconds, 0)} s; facts held after the start: ${n(c.facts)}`,
      '',
    );
  }
  if (r.full) {
    const x = r.full;
    out.push(
      `### Profiles at start from the snapshot at full size (${n(x.members)} golden members, ${n(x.facts)} facts, ${n(x.factsHeld)} held; the file written from a base filled in process)`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| **start from the snapshot, total (profiles ready)** | **${s(x.fromSnapshot.ms)} s** |`,
      `| … reading the file (${n(x.snapshotMb)} MB: pages, heads, tables; checksum) | ${s(x.fromSnapshot.readMs)} s |`,
      `| … catching up: ${n(x.catchUpDocs)} documents written to hub-facts after the file (${n(x.fromSnapshot.caughtUp ?? 0)} facts) | ${s(x.fromSnapshot.catchUpMs)} s |`,
      `| … every member computed | ${s(x.fromSnapshot.computeMs)} s |`,
      `| same run: the same facts filed in process (the least a start from CouchDB spends before computing) | ${f(x.fileInProcessSeconds)} s |`,
      `| writing the file (after a full build) / again at the stop | ${f(x.writeSeconds)} s / ${s(x.stopWrite?.ms)} s |`,
      `| RSS after the start (collected); peak RSS of the process (the in-process base included) | ${n(x.rssAfterStartMb)} MB; ${n(x.peakRssMb)} MB |`,
    );
  }
  console.log(out.join('\n'));
}

async function reportProfiles() {
  const r = await benchProfiles();
  const f = (n: number, d = 1) => n.toFixed(d);
  const n = (x: number) => x.toLocaleString('en');
  console.log(
    [
      `### Member profiles (${n(r.members)} golden members, ${n(r.facts)} synthetic facts fed in process: orders, refunds, points, coupons, events over two years; ${n(r.factsHeld)} held after duplicates)`,
      '',
      '| measure | value | goal |',
      '| --- | ---: | --- |',
      `| full recompute: lists rebuilt from the facts | ${f(r.loadSeconds)} s | |`,
      `| full recompute: every member's profile computed into the columns | ${f(r.computeSeconds)} s | |`,
      `| full recompute, total | ${f(r.loadSeconds + r.computeSeconds)} s | ≤ 120 s |`,
      `| baseline: the same facts generated and summed, nothing kept | ${f(r.baselineScanSeconds)} s | |`,
      `| peak memory (max RSS of the process) | ${n(Math.round(r.peakRssMb))} MB | ≤ 4,096 MB |`,
      `| heap used after the recompute${r.factsHeapMb !== undefined ? ` (after the lists were filled: ${n(Math.round(r.factsHeapMb))} MB)` : ''}; typed columns; packed facts (outside the heap) | ${n(Math.round(r.heapUsedMb))} MB; ${n(Math.round(r.columnsMb))} MB; ${n(Math.round(r.factPagesMb))} MB | |`,
      `| one new fact, incremental update: p50 / p99 (${n(r.incremental.n)} updates) | ${f(r.incremental.p50, 3)} / ${f(r.incremental.p99, 3)} ms | p99 ≤ 5 ms |`,
      `| the same updates, CPU time of the process (waiting for a core left out): p50 / p99 | ${f(r.incrementalCpu.p50, 3)} / ${f(r.incrementalCpu.p99, 3)} ms | |`,
      `| baseline: filing the fact only, p50 / p99 | ${f(r.baselineFile.p50, 3)} / ${f(r.baselineFile.p99, 3)} ms | |`,
      `| start from CouchDB: ${n(r.start.members)} members, ${n(r.start.docs)} documents in hub-facts read and every member computed | ${f(r.start.rebuildSeconds)} s | |`,
      '',
      `- loading those ${n(r.start.docs)} documents into hub-facts (setup, not measured): ${f(r.start.loadDbSeconds, 0)} s`,
    ].join('\n'),
  );
}

async function reportGuide() {
  const r = await benchGuide();
  const f = (n: number, d = 2) => n.toFixed(d);
  console.log(
    [
      `### Guide profile page (${r.members.toLocaleString('en')} members seeded with \`edge seed\`; the member has ${r.receipts} receipts; ${r.requests.toLocaleString('en')} requests each, one at a time, interleaved)`,
      '',
      '| request | p50 ms | p95 ms | p99 ms | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      `| \`GET /guide/m/:id\` (signed-in guide, ${r.profile.bytes.toLocaleString('en')} bytes of HTML) | ${f(r.profile.p50)} | ${f(r.profile.p95)} | ${f(r.profile.p99)} | p95 ≤ 20 ms |`,
      `| baseline: \`GET /v1/members/:id\`, same member (POS) | ${f(r.baseline.p50)} | ${f(r.baseline.p95)} | ${f(r.baseline.p99)} | |`,
      '',
      `- ratio of p95s: ${f(r.profile.p95 / r.baseline.p95)}; the first profile request after start ${f(r.coldProfileMs)} ms; seeding the node ${f(r.seedSeconds, 0)} s (setup, not measured)`,
    ].join('\n'),
  );
}

async function reportFuzz() {
  const r = await benchFuzz();
  for (const [name, report] of [['edge POS API', r.edge], ['hub admin, store API and gateway', r.hub]] as const) if (report) console.log(fuzzMarkdown(name, report) + '\n');
}

async function reportChaos() {
  const seconds = Number(process.env.CHAOS_SECONDS ?? 600);
  const seed = Number(process.env.CHAOS_SEED ?? 20261129);
  // CHAOS_FAULTS=partition,kill_hub,... injects only those kinds, to tell one hole from another.
  const faults = process.env.CHAOS_FAULTS ? (process.env.CHAOS_FAULTS.split(',').filter((k) => (FAULT_KINDS as readonly string[]).includes(k)) as FaultKind[]) : undefined;
  const r = await runChaos({ seconds, seed, convergeBoundMs: 120_000, log: (l) => console.error(l), ...(faults ? { faults } : {}) });
  console.log(formatChaos(r));
  if (!r.converged || r.violations.length > 0) process.exitCode = 1;
}

async function reportOneId() {
  const r = await benchOneId();
  const f = (n: number, d = 1) => n.toFixed(d);
  // Without the quality run (BENCH_ONE_ID_QUALITY=0, issue 14's large runs) or the hub run (BENCH_ONE_ID_HUB=0) their rows say so.
  const { quality: q, hub: h } = r;
  const na = 'not measured (BENCH_ONE_ID_QUALITY=0)';
  const nh = 'not measured (BENCH_ONE_ID_HUB=0)';
  console.log(
    [
      `### One-ID (${r.records.toLocaleString('en')} source records, ${r.people.toLocaleString('en')} people, ${r.multiChannelPeople.toLocaleString('en')} in two or more channels)`,
      '',
      '| figure | measured | goal |',
      '| --- | ---: | --- |',
      `| precision of links against the truth | ${q ? f(q.precision, 5) : na} | ≥ 0.999 |`,
      `| recall on records that share a real key | ${q ? f(q.recall, 5) : na} | ≥ 0.99 |`,
      `| golden members holding two true people | ${q ? q.membersWithTwoPeople : na} | 0 (no junk key merges two people) |`,
      `| end to end, files → golden members stored in the hub's database | ${h ? `${f(h.endToEndSeconds)} s` : nh} | ≤ 300 s at 1M; ≤ 30 min at 15M |`,
      `| then every member's profile and tags (the hub's work after an import, beside the API) | ${h ? `${f(h.afterImportSeconds)} s` : nh} | |`,
      // The hub links each record as it reads it: an import runs no full pass (a start without a snapshot does).
      `| resolution step (resolveAll over every record), in process | ${q ? `${f(q.resolveSeconds, 2)} s` : na} | ≤ 20 s at 1M; ≤ 3 min at 15M |`,
      `| one new record linked and stored through the API (${h?.incremental.count ?? 0}) | ${h ? `p50 ${f(h.incremental.p50)} ms, p99 ${f(h.incremental.p99)} ms (bare one-document write to the embedded server: p50 ${f(h.bareWrite.p50)} ms, p99 ${f(h.bareWrite.p99)} ms)` : nh} | p99 ≤ 20 ms |`,
      `| peak RSS, hub / its database / together (anonymous: database / together) | ${h ? `${f(h.peakHubRssMb, 0)} / ${f(h.peakDbRssMb, 0)} / ${f(h.peakRssMb, 0)} MB (${f(h.peakDbAnonMb, 0)} / ${f(h.peakAnonMb, 0)} MB)` : nh} | together ≤ 8 GB at 15M |`,
      `| restart: clean stop, start, until a record links | ${h ? `${f(h.restartToReadySeconds)} s` : nh} | ≤ 60 s at 15M |`,
      `| One-ID's figures (GET /identity/metrics, a pass over every member) / worst /healthz meanwhile | ${h ? `${f(h.figures.seconds, 2)} s / ${f(h.figures.healthWorstMs)} ms (idle p50 ${f(h.figures.healthIdleMs)} ms)` : nh} | the hub answers meanwhile |`,
      '',
      ...(q ? [`- accepted records ${q.acceptedRecords.toLocaleString('en')}; golden members ${q.metrics.members.toLocaleString('en')}${h ? ` (hub: ${h.hubMembers.toLocaleString('en')})` : ''}; identification rate ${f(q.metrics.identificationRate * 100)}%; duplicates removed ${q.metrics.duplicatesRemoved.toLocaleString('en')}; average completeness ${f(q.metrics.averageCompleteness * 100)}%; quarantined keys ${q.quarantinedKeys}`] : []),
      ...(h && !q ? [`- hub: records ${h.hubRecords.toLocaleString('en')}, golden members ${h.hubMembers.toLocaleString('en')}`] : []),
      `- generating the files ${f(r.generateSeconds)} s${q ? `; the import pipeline alone (read, map, clean) ${f(q.pipelineSeconds)} s` : ''}${h ? `; in the hub, storing golden members ${f(h.hubStoreMs / 1000)} s (${h.bucketsWritten} buckets)` : ''}`,
      ...(h ? [`- disk: the hub's data dir ${h.diskMb} MB, of which the One-ID snapshot ${h.snapshotMb} MB`] : []),
    ].join('\n'),
  );
}

async function reportEdge() {
  const r = await benchEdge();
  const f = (n: number, d = 0) => n.toFixed(d);
  const lines = [
    `### Edge node (${r.members.toLocaleString('en')} members; median of ${r.runs} runs of ${r.seconds} s after a warm-up)`,
    '',
    '| scenario | connections | req/s | p50 ms | p99 ms | ratio to trivial | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map((x) => `| ${x.name} | ${x.connections} | ${f(x.rps)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.ratioToTrivial, 2)} | ${x.non2xx} |`),
    '',
    '',
    `Issue 13, on twin nodes copied from the fresh node, loaded in turn (${r.richer.rounds} rounds of ${r.seconds} s each at 10 connections, A B C then C B A; medians; CPU is the node's own per checkout over all rounds):`,
    '',
    '| checkout | req/s | p50 ms | p99 ms | CPU ms a checkout | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...r.richer.rows.map((x) => `| ${x.name} | ${f(x.rps)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.cpuMsPerCheckout, 3)} | ${x.non2xx} |`),
    '',
    `- the richer checkout: ${f(100 * r.richer.rpsRatio, 1)}% of today's throughput (median of the rounds' own ratios ${f(100 * r.richer.pairRatioMedian, 1)}%; rounds ${r.richer.pairRatios.map((x) => f(100 * x, 0) + '%').join(', ')}), ${f(100 * r.richer.rulesOnlyRatio, 1)}% of the same receipt under today's rules; p99 ${f(r.richer.p99Ms, 2)} ms; goal: ${r.richer.goal}`,
    `- serve ready: ${r.readyMs} ms (median of 3 starts); after the benchmark's ${r.checkoutsWritten.toLocaleString('en')} checkouts: ${r.readyAfterBenchMs} ms`,
    `- edge RSS: ${f(r.rssMb.atStart)} MB after start, ${f(r.rssMb.afterBench)} MB right after the benchmark (${f(r.anonymousMb.afterBench)} MB anonymous, ${f(r.tableFilesMb.afterBench)} MB mapped LevelDB tables), ${f(r.rssMb.idle10s)} MB after 10 s idle (${f(r.anonymousMb.idle10s)} MB anonymous, ${f(r.tableFilesMb.idle10s)} MB tables); peak ${f(r.rssMb.peak)} MB`,
    `- edge run as deploy/memberedge-edge.service runs it: \`${Object.entries(r.runtime.env).map(([k, v]) => `${k}=${v} `).join('')}node ${r.runtime.nodeFlags.join(' ')} dist/edge.mjs serve\``,
  ];
  console.log(lines.join('\n'));
}

async function reportHub() {
  const r = await benchHub();
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(
    [
      '### Hub and sync',
      '',
      '| figure | measured | baseline in the same run | ratio | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      `| enroll a store, ${r.enroll.members.toLocaleString('en')} members (${r.enroll.documents.toLocaleString('en')} documents), end to end | ${f(r.enroll.enrollSeconds)} s | bare PouchDB pull ${f(r.enroll.barePullSeconds)} s | ${f(r.enroll.ratio, 2)} | ≤ 30 s |`,
      `| ${r.offline.receipts.toLocaleString('en')} offline receipts central after the hub is back | ${f(r.offline.seconds)} s | bare PouchDB push of as many documents ${f(r.offline.barePushSeconds)} s | ${f(r.offline.ratio, 2)} | ≤ 30 s |`,
      `| receipt at the store → hub central data (${r.latency.samples} samples) | p50 ${r.latency.receiptP50} ms, p99 ${r.latency.receiptP99} ms | | | p99 ≤ 2 s |`,
      `| coupon issued at the hub → valid at the till (${r.latency.samples} samples) | p50 ${r.latency.couponP50} ms, p99 ${r.latency.couponP99} ms | | | p99 ≤ 2 s |`,
      '',
      `- CPU while the offline receipts came in: the hub ${f(r.offline.hubCpuSeconds)} s, its database ${f(r.offline.databaseCpuSeconds)} s`,
      `- setup, not measured against a goal: seeding the ${r.enroll.members.toLocaleString('en')} members at the hub ${f(r.enroll.seedSeconds, 0)} s; the hub's replica bundle for the store (built in the background) ready ${f(r.enroll.bundleSeconds, 0)} s after`,
      `- ${r.fleet.stores} store nodes on this machine, one hub (hub process + its embedded database): idle ${f(r.fleet.idleCpu * 100)}% of a core, ${f(r.fleet.idleRssMb, 0)} MB; with every store selling (${f(r.fleet.receiptsPerSecond)} receipts/s in all) ${f(r.fleet.loadCpu * 100)}% of a core (the hub ${f(r.fleet.loadHubCpu * 100)}%, its database ${f((r.fleet.loadCpu - r.fleet.loadHubCpu) * 100)}%), ${f(r.fleet.loadRssMb, 0)} MB; largest lag afterwards ${r.fleet.maxLagDocs} documents`,
    ].join('\n'),
  );
}

async function reportSegments() {
  const r = await benchSegments();
  const f = (n: number, d = 1) => n.toFixed(d);
  const n = (x: number) => x.toLocaleString('en');
  console.log(
    [
      `### Segment count (a 5-condition rule: age between, gender in, spend365 ≥, tags contain any, home store within a region; ${r.runs} runs each, interleaved with the baseline)`,
      '',
      '| members | matched | count p50 ms | count p95 ms | baseline p50 ms | baseline p95 ms | p50 ratio | goal |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...r.rows.map((x) => `| ${n(x.members)} | ${n(x.matched)} | ${f(x.count.p50)} | ${f(x.count.p95)} | ${f(x.baseline.p50)} | ${f(x.baseline.p95)} | ${f(x.count.p50 / x.baseline.p50)} | ${x.members <= 1_000_000 ? '≤ 200 ms' : '≤ 1,000 ms'} |`),
      '',
      `- baseline: one plain loop summing one Int32Array column over every member; the columns (${r.rows.map((x) => `${f(x.columnBytes / 1e6, 0)} MB`).join(', ')}) filled synthetically in ${r.rows.map((x) => `${f(x.fillMs / 1000)} s`).join(', ')} (setup, not measured)`,
    ].join('\n'),
  );
}

async function reportScope() {
  const r = await benchScope();
  const f = (n: number) => n.toFixed(2);
  const [token, all, scoped] = r.rows;
  console.log(
    [
      `### Data scope: GET /admin/v1/members/:id (${r.rounds.toLocaleString('en')} calls per caller, interleaved; ${r.members.toLocaleString('en')} members in two regions)`,
      '',
      '| caller | p50 ms | p95 ms | mean ms | p50 ratio to the token | p50 ratio to the unscoped session |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...r.rows.map((x) => `| ${x.caller} | ${f(x.p50)} | ${f(x.p95)} | ${f(x.mean)} | ${f(x.p50 / token!.p50)} | ${f(x.p50 / all!.p50)} |`),
      '',
      `- the scope check alone (scoped against unscoped session): p50 ${f(((scoped!.p50 - all!.p50) / all!.p50) * 100)}%, p95 ${f(((scoped!.p95 - all!.p95) / all!.p95) * 100)}%, mean ${f(((scoped!.mean - all!.mean) / all!.mean) * 100)}% (goal ≤ 10%)`,
    ].join('\n'),
  );
}

async function reportDashboard() {
  const r = await benchDashboard();
  const f = (n: number, d = 1) => n.toFixed(d);
  const n = (x: number) => x.toLocaleString('en');
  const row = (name: string, s: { p50: number; p95: number; n: number }, goal = '') => `| ${name} | ${f(s.p50)} | ${f(s.p95)} | ${s.n} | ${goal} |`;
  console.log(
    [
      `### Dashboard (${n(r.members)} members, ${n(r.facts)} facts: each member's join gift and ${n(r.facts - r.members)} receipts over a year at ${r.stores} stores)`,
      '',
      '| request | p50 ms | p95 ms | n | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      ...Object.entries(r.server).map(([name, s]) => row(name, s, name.startsWith('GET /console ') ? 'server time for its data p95 ≤ 300 ms' : '')),
      row('first contentful paint of /console in chromium (logged in, load to paint)', r.paint.dashboard, '≤ 1,000 ms'),
      row('baseline: first contentful paint of /console/login', r.paint.login),
      ...Object.entries(r.search).map(([name, s]) => row(name, s, name.startsWith('search') ? 'p95 ≤ 100 ms' : '')),
      '',
      `- loading (setup, straight into the hub's databases with the hub stopped): members ${f(r.loadMembersSeconds, 0)} s, facts ${f(r.loadFactsSeconds, 0)} s${r.loadMembersSeconds === 0 ? ' (a kept data set: loaded by an earlier run)' : ''}`,
      r.migration
        ? `- the counters migrated in process (documents generated again, folded, checked, written at the databases' sequences): ${f(r.migration.seconds, 0)} s, ${n(r.migration.counters)} counter documents and ${n(r.migration.chunks)} member chunks`
        : '- the counters: migrated by an earlier run on this data set',
      `- the hub's start ${f(r.hubStartSeconds)} s; its counters' catch-up after it ${f(r.catchUpSeconds, 1)} s`,
      `- the view of members by name (built by the hub in the background from its start) ready ${f(r.nameIndexSeconds, 0)} s after the hub's start; the hub at rest (One-ID loaded too) ${f(r.restSeconds, 0)} s after its start: every request above was measured after both`,
      ...Object.entries(r.loadAverage).map(([phase, l]) => `- load average ${phase}: ${l}`),
      `- figures after the catch-up: ${n(r.figures.total)} members, ${n(r.figures.buyers)} buyers, ${n(r.figures.receiptsToday)} receipts today`,
    ].join('\n'),
  );
}

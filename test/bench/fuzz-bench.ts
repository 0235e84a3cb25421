import { writeFileSync } from 'node:fs';
import { anyRequest, edgeRoutes, hubRoutes, runFuzz, seedFrom, setupEdge, setupHub, violationGroups, describeRequest, type FuzzReport } from '../support/fuzz.ts';

/**
 * `npm run bench -- fuzz`: the fuzz harness of the CI tests (test/support/fuzz.ts) at length,
 * half the requests to an edge node, half to a hub. Knobs: BENCH_FUZZ_REQUESTS (100000 in all),
 * BENCH_FUZZ_SEED (20261129), BENCH_FUZZ_ONLY (edge or hub), BENCH_FUZZ_HEALTH_EVERY (10:
 * requests between two /healthz reads; the processes being alive is checked after every one),
 * BENCH_FUZZ_PROGRESS (a file the report so far is written to every 1,000 requests).
 */
export async function benchFuzz(): Promise<{ edge?: FuzzReport; hub?: FuzzReport }> {
  const total = Number(process.env.BENCH_FUZZ_REQUESTS ?? 100_000);
  const seed = seedFrom('BENCH_FUZZ_SEED', 20261129);
  const only = process.env.BENCH_FUZZ_ONLY;
  const runs = only ? total : Math.ceil(total / 2);
  const out: { edge?: FuzzReport; hub?: FuzzReport } = {};
  const healthEvery = Number(process.env.BENCH_FUZZ_HEALTH_EVERY ?? 10);
  const progress = (what: string) => (r: FuzzReport) => {
    if (r.requests % 5000 === 0) process.stderr.write(`fuzz ${what}: ${r.requests}/${runs}, ${r.violations.length} violations\n`);
    if (process.env.BENCH_FUZZ_PROGRESS) writeFileSync(process.env.BENCH_FUZZ_PROGRESS, fuzzMarkdown(`${what} (so far)`, r) + '\n');
  };
  if (only !== 'hub') {
    const s = await setupEdge();
    try {
      s.target.healthEvery = healthEvery;
      out.edge = await runFuzz(s.target, anyRequest(edgeRoutes(s.fixture)), { seed, runs, onProgress: progress('edge') });
    } finally {
      await s.stop();
    }
  }
  if (only !== 'edge') {
    const s = await setupHub();
    try {
      s.target.healthEvery = healthEvery;
      out.hub = await runFuzz(s.target, anyRequest(hubRoutes(s.fixture)), { seed, runs, onProgress: progress('hub') });
    } finally {
      await s.stop();
    }
  }
  return out;
}

/** A report as Markdown: requests by route and status, by status and code, and the violations found. */
export function fuzzMarkdown(name: string, r: FuzzReport): string {
  const statuses = [...new Set([...r.byRoute.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const groups = violationGroups(r);
  const perRoute = new Map<string, number>();
  for (const v of r.violations) perRoute.set(v.route, (perRoute.get(v.route) ?? 0) + 1);
  return [
    `### Fuzz: ${name} (${r.requests.toLocaleString('en')} requests, seed ${r.seed}, ${r.seconds.toFixed(0)} s, ${(r.requests / r.seconds).toFixed(0)} requests/s with the checks)`,
    '',
    `| route | ${statuses.join(' | ')} | violations |`,
    `| --- | ${statuses.map(() => '---:').join(' | ')} | ---: |`,
    ...[...r.byRoute.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([route, m]) => `| \`${route}\` | ${statuses.map((s) => m.get(s) ?? '').join(' | ')} | ${perRoute.get(route) ?? 0} |`),
    '',
    '| status and code | requests |',
    '| --- | ---: |',
    ...[...r.byCode.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `| ${k} | ${n.toLocaleString('en')} |`),
    '',
    groups.length ? `${r.violations.length.toLocaleString('en')} invariant violations, ${groups.length} distinct (route → kind (status code) ×count, the shortest request):` : 'No invariant violations.',
    '',
    ...groups.map((g) => `- \`${g.key}\` ×${g.count}: ${g.example.detail.replace(/\n/g, ' ').slice(0, 240)}  \n  \`#${g.example.index} ${describeRequest(g.example.request).slice(0, 400).replace(/`/g, "'")}\``),
  ].join('\n');
}

import { benchEdge } from './edge-bench.ts';

/**
 * `npm run bench`: runs the benchmarks and prints a Markdown report for docs/benchmarks.md.
 * Wall-clock figures are reported, never asserted: CI does not run this.
 */
const r = await benchEdge();
const f = (n: number, d = 0) => n.toFixed(d);
const lines = [
  `### Edge node (${r.members.toLocaleString('en')} members; median of ${r.runs} runs of ${r.seconds} s after a warm-up)`,
  '',
  '| scenario | connections | req/s | p50 ms | p99 ms | ratio to trivial | non-2xx |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...r.rows.map((x) => `| ${x.name} | ${x.connections} | ${f(x.rps)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${f(x.ratioToTrivial, 2)} | ${x.non2xx} |`),
  '',
  `- serve ready: ${r.readyMs} ms (median of 3 starts); after the benchmark's ${r.checkoutsWritten.toLocaleString('en')} checkouts: ${r.readyAfterBenchMs} ms`,
  `- edge RSS: ${f(r.rssMb.atStart)} MB after start, ${f(r.rssMb.afterBench)} MB right after the benchmark, ${f(r.rssMb.idle10s)} MB after 10 s idle`,
];
console.log(lines.join('\n'));

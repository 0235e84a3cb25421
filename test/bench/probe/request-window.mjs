// What the database did while the hub answered chosen requests (hub-probe.mjs's logs): the
// requests' p50/p99 inside the hub, the database requests made meanwhile by kind, and the
// slowest requests with the database requests and event-loop stalls that overlapped them.
// usage: node request-window.mjs /tmp/hub-probe/hub-<pid> 'POST /admin/v1/identity/records' [SLOWEST=15]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
const [base, match, slowest = '15'] = process.argv.slice(2);
const lines = (ext) => (existsSync(`${base}.${ext}`) ? readFileSync(`${base}.${ext}`, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ')) : []);
const [wantMethod, wantPath] = match.split(' ');
const reqs = lines('requests').filter((f) => f[2] === wantMethod && f[3] === wantPath).map((f) => ({ s: Date.parse(f[0]), ms: Number(f[1]) }));
if (reqs.length === 0) throw new Error(`no ${match} in ${base}.requests`);
const from = Math.min(...reqs.map((r) => r.s)), to = Math.max(...reqs.map((r) => r.s + r.ms));
const db = lines('fetch').map((f) => ({ s: Date.parse(f[0]), ms: Number(f[1]), kind: `${f[2]} ${f[3].split('?')[0].replace(/^\/([^/]+)(\/[^/]*)?.*$/, (_, d, rest) => `${d}${rest && rest.startsWith('/_') ? rest : rest ? '/<doc>' : ''}`)}` })).filter((d) => d.s + d.ms >= from && d.s <= to);
// The lag file gives when a stall was noticed (its end) and its length.
const stalls = (rows) => rows.map((f) => ({ s: Date.parse(f[0]) - Number(f[1]), ms: Number(f[1]) })).filter((l) => l.s + l.ms >= from && l.s <= to);
const lags = stalls(lines('lag'));
// The embedded database's stalls (db-<pid>.lag beside the hub's files), whichever process it was.
const dir = dirname(base);
const dbLags = stalls(readdirSync(dir).filter((f) => /^db-\d+\.lag$/.test(f)).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' '))));
const sorted = reqs.map((r) => r.ms).sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
console.log(`${reqs.length} × ${match} in ${((to - from) / 1000).toFixed(1)} s: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${sorted.at(-1)} ms; database requests meanwhile ${db.length} (${(db.length / reqs.length).toFixed(2)} per request); hub stalls ${lags.length}, database stalls ${dbLags.length} (${dbLags.reduce((n, l) => n + l.ms, 0).toFixed(0)} ms)`);
const kinds = new Map();
for (const d of db) {
  const k = kinds.get(d.kind) ?? { n: 0, ms: 0, max: 0 };
  k.n++, (k.ms += d.ms), (k.max = Math.max(k.max, d.ms));
  kinds.set(d.kind, k);
}
for (const [kind, k] of [...kinds].sort((a, b) => b[1].n - a[1].n)) console.log(`  ${kind.padEnd(36)} ${String(k.n).padStart(6)}  avg ${(k.ms / k.n).toFixed(1)} ms  max ${k.max.toFixed(1)} ms`);
console.log(`slowest ${slowest}: ms | hub stalls | database stalls | database requests overlapping (kind:ms)`);
for (const r of [...reqs].sort((a, b) => b.ms - a.ms).slice(0, Number(slowest))) {
  const end = r.s + r.ms;
  const over = (x) => x.s < end && x.s + x.ms > r.s;
  console.log(`  ${r.ms.toFixed(1).padStart(6)} | ${lags.filter(over).map((l) => l.ms.toFixed(0)).join(',') || '-'} | ${dbLags.filter(over).map((l) => l.ms.toFixed(0)).join(',') || '-'} | ${db.filter(over).map((d) => `${d.kind}:${d.ms.toFixed(0)}`).join(' ')}`);
}

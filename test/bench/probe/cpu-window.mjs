// The samples of a CPU profile (hub-probe.mjs) within a window of wall-clock time: self and inclusive
// milliseconds per function, gaps (the process stopped), and with STACKS_OF=name the stacks through it.
// usage: node cpu-window.mjs hub-<pid>.cpuprofile hub-<pid>.start [FROM TO]  (ISO times; TOP=n rows)
import { readFileSync } from 'node:fs';
const [file, startFile, from, to] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const { wall0 } = JSON.parse(readFileSync(startFile, 'utf8'));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const fname = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
let t = p.startTime; const times = [];
for (const d of p.timeDeltas) { t += d; times.push(t); }
const wallOf = (us) => wall0 + (us - p.startTime) / 1000;
const lo = from ? Date.parse(from) : -Infinity, hi = to ? Date.parse(to) : Infinity;
const self = new Map(), incl = new Map(); let total = 0, idle = 0;
const gaps = [];
for (let i = 0; i < p.samples.length; i++) {
  const w = wallOf(times[i]); if (w < lo || w > hi) continue;
  const dt = (p.timeDeltas[i + 1] ?? 1000) / 1000; // ms this sample covers (approx)
  if (dt > 100) gaps.push([new Date(w).toISOString(), dt]);
  const n = nodes.get(p.samples[i]); total += dt;
  const nm = fname(n);
  if (/\(idle\)|\(program\)|\(garbage/.test(n.callFrame.functionName)) { if (n.callFrame.functionName === '(idle)') idle += dt; }
  self.set(nm, (self.get(nm) ?? 0) + dt);
  const seen = new Set(); let id = n.id;
  while (id !== undefined) { const f = fname(nodes.get(id)); if (!seen.has(f)) { seen.add(f); incl.set(f, (incl.get(f) ?? 0) + dt); } id = parent.get(id); }
}
console.log(`window total ${total.toFixed(0)} ms, idle ${idle.toFixed(0)} ms; big sample gaps: ${JSON.stringify(gaps.slice(0, 10))}`);
console.log('--- self');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(0).padStart(7), k);
console.log('--- inclusive');
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 60))) console.log(v.toFixed(0).padStart(7), k);
const target = process.env.STACKS_OF;
if (target) {
  const stacks = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const w = wallOf(times[i]); if (w < lo || w > hi) continue;
    const n = nodes.get(p.samples[i]); const dt = (p.timeDeltas[i + 1] ?? 1000) / 1000;
    let id = n.id; const chain = []; let hit = false;
    while (id !== undefined) { const f = fname(nodes.get(id)); if (f.startsWith(target)) hit = true; if (hit || chain.length === 0) if (!/node:|undici|streams\/|task_queues|\(root\)|runMicrotasks|lib\/nano/.test(f)) chain.push(f); id = parent.get(id); }
    if (!hit) continue;
    const k = chain.slice(0, 8).join(' < ');
    stacks.set(k, (stacks.get(k) ?? 0) + dt);
  }
  console.log(`--- stacks through ${target}`);
  for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(v.toFixed(0).padStart(7), k);
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedMemberId } from '../../shared/seed-members.ts';
import { removeDir, tempDir } from '../support/edge-node.ts';
import { adminClient, freePort, startHub } from '../support/hub.ts';

/*
 * Issue 11's figure "a scope check adds ≤ 10% to an API call's latency": GET /admin/v1/members/:id
 * against one hub, in one run, by the admin token, an operator without a scope and an operator
 * scoped to a region (same role), their requests interleaved so that drift hits all three alike.
 * The operator without a scope isolates the scope check from the session's own cost.
 */

const MEMBERS = Number(process.env.BENCH_SCOPE_MEMBERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_SCOPE_ROUNDS ?? 1000);
const WARMUP = 100;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export interface ScopeBenchRow {
  caller: string;
  p50: number;
  p95: number;
  mean: number;
}

export async function benchScope(): Promise<{ members: number; rounds: number; rows: ScopeBenchRow[] }> {
  const dir = tempDir('bench-scope-');
  const hub = await startHub(dir, await freePort(), ['--login-rate', '600', '--login-burst', '100']);
  try {
    const admin = adminClient(hub);
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    await admin.post('/org/cities', { name: 'Shanghai', region: 'East' });
    await admin.post('/org/cities', { name: 'Chengdu', region: 'West' });
    for (const [id, city] of [['S001', 'Shanghai'], ['S002', 'Chengdu']] as const) {
      await admin.post('/stores', { id, name: `Bench ${id}`, city });
      await admin.post(`/stores/${id}/seed`, { count: MEMBERS / 2, first: id === 'S001' ? 0 : MEMBERS / 2 });
    }
    // Operators: the same role, with and without a scope, each with a session of their own.
    const session = async (name: string, scope?: string) => {
      const added = await admin.post('/operators', { name, role: 'analyst', ...(scope ? { scope } : {}) });
      const login = await fetch(`${hub.url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password: added.body.password }) });
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const changed = await fetch(`${hub.url}/console/api/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': ((await login.json()) as { csrfToken: string }).csrfToken },
        body: JSON.stringify({ current: added.body.password, next: `pw ${randomBytes(9).toString('base64url')}` }),
      });
      return changed.headers.getSetCookie()[0]!.split(';')[0]!;
    };
    const callers: { caller: string; headers: Record<string, string> }[] = [
      { caller: 'admin token', headers: { authorization: `Bearer ${token}` } },
      { caller: 'operator session, no scope', headers: { cookie: await session('bench-all') } },
      { caller: 'operator session, scope region:East', headers: { cookie: await session('bench-east', 'region:East') } },
    ];
    // Members of S001 (region East), so every caller gets the same 200 answer.
    const ids = Array.from({ length: MEMBERS / 2 }, (_, i) => seedMemberId(i));
    const times = callers.map(() => [] as number[]);
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const id = ids[round % ids.length]!;
      for (const [i, c] of callers.entries()) {
        const t0 = performance.now();
        const res = await fetch(`${hub.url}/admin/v1/members/${id}`, { headers: c.headers });
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${c.caller}: ${res.status} for ${id}`);
        if (round >= WARMUP) times[i]!.push(ms);
      }
    }
    return { members: MEMBERS, rounds: ROUNDS, rows: callers.map((c, i) => ({ caller: c.caller, p50: percentile(times[i]!, 50), p95: percentile(times[i]!, 95), mean: times[i]!.reduce((a, b) => a + b, 0) / ROUNDS })) };
  } finally {
    await hub.stop();
    removeDir(dir);
  }
}

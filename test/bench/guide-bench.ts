import { signInGuide } from '../support/guide-session.ts';
import { performance } from 'node:perf_hooks';
import { seedMemberId } from '../../edge/seed.ts';
import { client, edgeCliOk, lastLine, provisionNode, removeDir, startEdge } from '../support/edge-node.ts';

/*
 * Issue 11's figure for the guide pages: the server time of a member's profile page at a node
 * with 100,000 members (seeded with `edge seed`), against the POS API's GET /v1/members/:id of
 * the same member measured in the same run (the same process, the same member, interleaved so
 * that both see the same machine). One request at a time over a kept-alive loopback connection:
 * with nothing queued, the time the client sees is the server's time plus a loopback round trip
 * (both sides pay it), an upper bound on the server time.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const REQUESTS = Number(process.env.BENCH_GUIDE_REQUESTS ?? 2000);
/** The benched member has this many receipts (so the page reads purchases and categories), the others only their join gift. */
const RECEIPTS = 30;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export interface GuideBench {
  members: number;
  requests: number;
  receipts: number;
  seedSeconds: number;
  profile: { p50: number; p95: number; p99: number; bytes: number };
  baseline: { p50: number; p95: number; p99: number };
  coldProfileMs: number;
}

export async function benchGuide(): Promise<GuideBench> {
  const seedStart = performance.now();
  const { dir, token } = await provisionNode({ members: MEMBERS });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const edge = await startEdge(dir, ['--identify-rate', '100000000', '--identify-burst', '100000000']);
  try {
    const password = lastLine(await edgeCliOk(['guide', 'add', 'bench', '--data', dir]));
    const memberId = seedMemberId(Math.floor(MEMBERS / 2));
    const pos = client(edge.url, token);
    const categories = ['tea', 'cups', 'beans', 'grinders', 'kettles'];
    for (let i = 0; i < RECEIPTS; i++) {
      const res = await pos.post('/v1/checkouts', { receiptNo: `GB${i}`, memberId, lines: [{ sku: `SKU-${i}`, category: categories[i % categories.length], qty: 1 + (i % 3), unitPrice: 4_900 + i * 100 }] });
      if (res.status !== 201) throw new Error(`checkout: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const { cookie } = await signInGuide(edge.url, 'bench', password);

    const profileUrl = `${edge.url}/guide/m/${memberId}`;
    const posUrl = `${edge.url}/v1/members/${memberId}`;
    const timed = async (url: string, headers: Record<string, string>) => {
      const t0 = performance.now();
      const res = await fetch(url, { headers });
      const body = await res.arrayBuffer();
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
      return { ms, bytes: body.byteLength };
    };
    const coldProfileMs = (await timed(profileUrl, { cookie })).ms;
    // Warm-up, then interleaved measurements.
    for (let i = 0; i < 200; i++) {
      await timed(profileUrl, { cookie });
      await timed(posUrl, { authorization: `Bearer ${token}` });
    }
    const profile: number[] = [];
    const baseline: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const p = await timed(profileUrl, { cookie });
      profile.push(p.ms);
      bytes = p.bytes;
      baseline.push((await timed(posUrl, { authorization: `Bearer ${token}` })).ms);
    }
    const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) });
    return { members: MEMBERS, requests: REQUESTS, receipts: RECEIPTS, seedSeconds, profile: { ...stats(profile), bytes }, baseline: stats(baseline), coldProfileMs };
  } finally {
    await edge.stop();
    removeDir(dir);
  }
}

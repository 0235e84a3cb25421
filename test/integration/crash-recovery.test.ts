import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, provisionNode, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';

/*
 * kill -9 under a stream of checkouts: every checkout that got a 2xx must be there after the
 * restart, and no points may be counted twice, whatever the index snapshot had seen.
 */

const MEMBERS = 20;
const WORKERS = 8;
const memberIds = Array.from({ length: MEMBERS }, (_, i) => `MSEED${String(i).padStart(8, '0')}`);

let dir: string;
let token: string;
let node: EdgeProcess | undefined;

beforeAll(async () => {
  ({ dir, token } = await provisionNode({ members: MEMBERS }));
});
afterAll(async () => {
  await node?.stop();
  removeDir(dir);
});

interface Attempt {
  body: { receiptNo: string; memberId: string; lines: { sku: string; qty: number; unitPrice: number }[]; pointsToRedeem?: number };
  status?: number;
  checkout?: { pointsEarned: number; pointsRedeemed: number };
}

async function streamUntilKilled(url: string, round: number, killAfterMs: number, kill: () => Promise<void>): Promise<Attempt[]> {
  const pos = client(url, token);
  const attempts: Attempt[] = [];
  let alive = true;
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let n = 0; alive; n++) {
      const k = w * 7919 + n * 104729 + round;
      const a: Attempt = {
        body: {
          receiptNo: `C${round}-${w}-${n}`,
          memberId: memberIds[k % MEMBERS]!,
          lines: [
            { sku: `SKU-${k % 13}`, qty: 1 + (k % 3), unitPrice: 990 + (k % 5000) },
            { sku: 'BAG', qty: 1, unitPrice: 50 },
          ],
          ...(k % 4 === 0 ? { pointsToRedeem: 20 } : {}),
        },
      };
      attempts.push(a);
      try {
        const res = await pos.post('/v1/checkouts', a.body);
        a.status = res.status;
        a.checkout = res.body?.checkout;
      } catch {
        return; // the node died under this request: whether it was written is checked after restart
      }
    }
  });
  await new Promise((r) => setTimeout(r, killAfterMs));
  alive = false;
  await kill();
  await Promise.all(workers);
  return attempts;
}

it('loses no acknowledged checkout and double-counts no points across kill -9', async () => {
  node = await startEdge(dir, ['--snapshot-interval', '1']);
  let pos = client(node.url, token);
  const initial = new Map<string, number>();
  for (const id of memberIds) initial.set(id, (await pos.get(`/v1/members/${id}`)).body.member.points.balance);

  const all: Attempt[] = [];
  // Two rounds: the second starts from a node that recovered from the first crash.
  for (const [round, killAfterMs] of [[1, 2500], [2, 1700]] as const) {
    const running = node;
    all.push(...(await streamUntilKilled(running.url, round, killAfterMs, () => running.kill())));
    node = await startEdge(dir, ['--snapshot-interval', '1']);
    pos = client(node.url, token);
  }

  const acknowledged = all.filter((a) => a.status === 201 || a.status === 200);
  expect(acknowledged.length).toBeGreaterThan(100);
  expect(all.filter((a) => a.status !== undefined && a.status >= 300)).toEqual([]);

  // Every receipt tried is asked for again: an acknowledged one must be found as it was (200);
  // one cut off by the kill is either found (200) or recorded now (201), never twice.
  const earned = new Map<string, number>();
  for (const a of all) {
    const res = await pos.post('/v1/checkouts', a.body);
    if (a.status !== undefined) {
      expect(res.status, a.body.receiptNo).toBe(200);
      expect(res.body.checkout.pointsEarned).toBe(a.checkout!.pointsEarned);
    } else {
      expect([200, 201]).toContain(res.status);
    }
    const c = res.body.checkout;
    earned.set(a.body.memberId, (earned.get(a.body.memberId) ?? 0) + c.pointsEarned - c.pointsRedeemed);
  }

  for (const id of memberIds) {
    const statement = (await pos.get(`/v1/members/${id}/points?limit=1000`)).body;
    const receipts = all.filter((a) => a.body.memberId === id).length;
    expect(statement.balance, id).toBe(initial.get(id)! + (earned.get(id) ?? 0));
    expect(statement.ledger.filter((e: { reason: string }) => e.reason === 'earn')).toHaveLength(receipts);
    expect(statement.ledger.reduce((s: number, e: { delta: number }) => s + e.delta, 0)).toBe(statement.balance);
  }
}, 120_000);

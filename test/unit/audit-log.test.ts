import { describe, expect, it } from 'vitest';
import type { Couch, Doc } from '../../hub/couch/couch.ts';
import { AuditLog, type AuditInput } from '../../hub/operators/audit.ts';
import { createLog } from '../../shared/cli/log.ts';

/** A database whose writes finish when the test says: what the log queues meanwhile is seen. */
function slowCouch() {
  const writes: Doc[][] = [];
  const pending: { finish: () => void; fail: (err: Error) => void }[] = [];
  const couch = {
    insertNew: (_db: string, docs: Doc[]) =>
      new Promise((resolve, reject) => {
        writes.push(docs);
        pending.push({ finish: () => resolve(docs.map(() => 'created')), fail: reject });
      }),
  } as unknown as Couch;
  const settle = async (how: 'finish' | 'fail' = 'finish') => {
    const next = pending.shift()!;
    if (how === 'finish') next.finish();
    else next.fail(new Error('database gone'));
    await new Promise((r) => setImmediate(r));
  };
  return { couch, writes, settle };
}

const entry = (target: string): AuditInput => ({ actor: { kind: 'token', name: 'token' }, method: 'GET', route: '/admin/v1/members/:id', target, status: 200, ip: '127.0.0.1' });

describe('the audit log stores entries in the background', () => {
  it('starts a write at most once an interval: a steady stream of calls is one write per interval, a call after a quiet spell is written at once', async () => {
    const writes: { at: number; n: number }[] = [];
    const couch = { insertNew: async (_db: string, docs: Doc[]) => (writes.push({ at: performance.now(), n: docs.length }), docs.map(() => 'created')) } as unknown as Couch;
    const audit = new AuditLog(couch, () => new Date('2026-12-01T04:00:00Z'), createLog('test', true), 50);
    const start = performance.now();
    const recorded: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      recorded.push(audit.record(entry(`S${i}`)));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(recorded);
    expect(writes.reduce((n, w) => n + w.n, 0)).toBe(40);
    expect(writes[0]!.at - start).toBeLessThan(5); // the first at once
    expect(writes.length).toBeLessThanOrEqual(Math.ceil((performance.now() - start) / 50) + 1);
    // Timers keep whole milliseconds of a loop time read a moment earlier: one fires up to ~1 ms early.
    for (let i = 1; i < writes.length; i++) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(45);
    await new Promise((r) => setTimeout(r, 60));
    const quietAt = performance.now();
    await audit.record(entry('QUIET'));
    expect(writes.at(-1)!.at - quietAt).toBeLessThan(5);
  });

  it('writes the entries that arrive during a write together, in order, and settles each once it is stored', async () => {
    const { couch, writes, settle } = slowCouch();
    const audit = new AuditLog(couch, () => new Date('2026-12-01T04:00:00Z'), createLog('test', true), 0);
    const stored: string[] = [];
    const first = audit.record(entry('A')).then(() => stored.push('A'));
    const later = ['B', 'C', 'D'].map((t) => audit.record(entry(t)).then(() => stored.push(t)));
    let settled = false;
    const all = audit.settled().then(() => (settled = true));
    expect(writes.map((w) => w.map((d) => (d as Doc & { target: string }).target))).toEqual([['A']]);

    await settle();
    await first;
    expect(stored).toEqual(['A']);
    expect(writes.map((w) => w.map((d) => (d as Doc & { target: string }).target))).toEqual([['A'], ['B', 'C', 'D']]);
    expect(settled).toBe(false);

    await settle();
    await Promise.all([...later, all]);
    expect(stored).toEqual(['A', 'B', 'C', 'D']);
    expect(settled).toBe(true);
  });

  it('logs a write that failed, settles its entries all the same, and goes on with the next', async () => {
    const { couch, writes, settle } = slowCouch();
    const lines: string[] = [];
    const log = createLog('test', true);
    const audit = new AuditLog(couch, () => new Date('2026-12-01T04:00:00Z'), { ...log, error: (msg: string, fields?: object) => lines.push(`${msg} ${JSON.stringify(fields)}`) } as typeof log, 0);
    const lost = audit.record(entry('LOST'));
    const next = audit.record(entry('NEXT'));
    await settle('fail');
    await lost;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('audit entry not stored');
    expect(lines[0]).toContain('database gone');
    await settle();
    await next;
    expect(writes).toHaveLength(2);
    await audit.settled();
  });
});

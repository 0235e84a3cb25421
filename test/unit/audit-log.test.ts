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
  it('writes the entries that arrive during a write together, in order, and settles each once it is stored', async () => {
    const { couch, writes, settle } = slowCouch();
    const audit = new AuditLog(couch, () => new Date('2026-12-01T04:00:00Z'), createLog('test', true));
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
    const audit = new AuditLog(couch, () => new Date('2026-12-01T04:00:00Z'), { ...log, error: (msg: string, fields?: object) => lines.push(`${msg} ${JSON.stringify(fields)}`) } as typeof log);
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

import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from '../../shared/concurrency-gate.ts';

describe('ConcurrencyGate', () => {
  it('runs at most `limit` tasks at once, all of them in the end, in order, failures included', async () => {
    const gate = new ConcurrencyGate(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 20 }, (_, i) =>
      gate.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 2 + (i % 3)));
        running--;
        if (i === 7) throw new Error('seven');
        return i;
      }),
    );
    const results = await Promise.allSettled(tasks);
    expect(most).toBe(3);
    expect(started).toEqual([...started].sort((a, b) => a - b));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(19);
    expect((results[7] as PromiseRejectedResult).reason.message).toBe('seven');
    // A failure gave its slot back: the gate still runs tasks.
    expect(await gate.run(async () => 'after')).toBe('after');
  });
});

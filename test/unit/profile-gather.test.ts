import { afterEach, expect, it, vi } from 'vitest';
import { createLog } from '../../shared/cli/log.ts';
import { DB } from '../../hub/couch/databases.ts';
import { ProfileEngine } from '../../hub/profile/engine.ts';

/*
 * One-ID's changes reach the profile engine one record at a time when records come from the API
 * or the stores (issue 14). Each recompute is followed by the tag history's read and write and
 * the stores' documents: recomputed one by one, a stream of records paid that per record, in
 * the database its own writes wait on. The engine gathers them for a moment and recomputes them
 * together; a large change still goes in slices, one per turn of the event loop.
 */

const log = createLog('test', true);
const clock = () => new Date('2026-11-30T04:00:00Z');

async function builtEngine() {
  const computed: { ids: readonly string[] | 'all'; because: string | undefined }[] = [];
  const empty = async function* () {};
  const couch = { db: () => ({ info: async () => ({ update_seq: '0' }), changes: async () => ({ results: [], last_seq: '0' }) }), pages: () => empty() };
  const directory = { goldenOf: () => undefined, goldenIds: () => [], member: () => ({ sources: [], attributes: { gender: 'U', isMember: false } }) };
  const extension = { extend: () => undefined, computed: async (ids: readonly string[] | 'all', because?: string) => void computed.push({ ids, because }) };
  const engine = new ProfileEngine({ couch, directory, log, clock, timeZone: 'Asia/Shanghai', ready: Promise.resolve(), extension } as never);
  await engine.rebuild();
  computed.length = 0;
  return { engine, computed };
}

afterEach(() => {
  vi.useRealTimers();
});

it("a stream of One-ID's changes is recomputed together, once, a moment after the first", async () => {
  const { engine, computed } = await builtEngine();
  vi.useFakeTimers();
  for (let i = 0; i < 8; i++) {
    engine.membersChanged([`G${i}`]);
    // Records arriving 10 ms apart: each an event-loop turn (and an immediate) of its own.
    await vi.advanceTimersByTimeAsync(10);
  }
  expect(computed).toEqual([]);
  await vi.advanceTimersByTimeAsync(100);
  expect(computed).toEqual([{ ids: ['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7'], because: 'identity' }]);
  // The next change waits its own moment.
  engine.membersChanged(['G8']);
  await vi.advanceTimersByTimeAsync(100);
  expect(computed.map((c) => c.ids)).toEqual([['G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7'], ['G8']]);
  await engine.stop();
});

it('a large change goes in slices of 2,000 members, one after the other without waiting again', async () => {
  const { engine, computed } = await builtEngine();
  vi.useFakeTimers();
  engine.membersChanged(Array.from({ length: 4500 }, (_, i) => `G${i}`));
  await vi.advanceTimersByTimeAsync(100);
  expect(computed.map((c) => (c.ids === 'all' ? -1 : c.ids.length))).toEqual([2000]);
  // The slices after the first run at the next turns (immediates), with no other wait.
  const before = Date.now();
  await vi.runAllTimersAsync();
  expect(Date.now() - before).toBeLessThan(5);
  expect(computed.map((c) => (c.ids === 'all' ? -1 : c.ids.length))).toEqual([2000, 2000, 500]);
  await engine.stop();
});

it('a stop cancels the recompute waiting', async () => {
  const { engine, computed } = await builtEngine();
  vi.useFakeTimers();
  engine.membersChanged(['G1']);
  await engine.stop();
  await vi.advanceTimersByTimeAsync(500);
  expect(computed).toEqual([]);
});

it('every member is computed a slice at a time, the event loop serving between; a change made meanwhile reaches the new base', async () => {
  const ids = Array.from({ length: 7000 }, (_, i) => `G${i}`);
  const computedAt = new Map<string, number>();
  let turns = 0;
  let changedDuring: string | undefined;
  let engine: ProfileEngine;
  const empty = async function* () {};
  const couch = { db: () => ({ info: async () => ({ update_seq: '0' }), changes: async () => ({ results: [], last_seq: '0' }) }), pages: () => empty() };
  const directory = {
    goldenOf: () => undefined,
    goldenIds: () => ids,
    member: (g: string) => {
      computedAt.set(g, turns);
      // A One-ID change to a member computed at the first turn, told while later ones are computed.
      if (g === 'G4000' && changedDuring === undefined) (changedDuring = 'G1'), engine.membersChanged(['G1']);
      return { sources: [], attributes: { gender: 'U', isMember: false } };
    },
  };
  const recomputed: (readonly string[] | 'all')[] = [];
  const extension = { extend: () => undefined, computed: async (changed: readonly string[] | 'all') => void recomputed.push(changed) };
  engine = new ProfileEngine({ couch, directory, log, clock, timeZone: 'Asia/Shanghai', ready: Promise.resolve(), extension } as never);
  const counting = setInterval(() => turns++, 0);
  try {
    await engine.rebuild();
    // 7,000 members in slices of 2,000: the loop turned between them (timers ran mid-compute).
    expect(computedAt.get('G6999')! - computedAt.get('G0')!).toBeGreaterThan(0);
    expect(changedDuring).toBe('G1');
    // G1 was computed before its change; it is recomputed on the new base once the compute is done.
    const seenBefore = computedAt.get('G1')!;
    await new Promise((r) => setTimeout(r, 50));
    expect(recomputed).toContainEqual(['G1']);
    expect(computedAt.get('G1')!).toBeGreaterThan(seenBefore);
  } finally {
    clearInterval(counting);
    await engine.stop();
  }
});

it('a recompute asked for while one waits to begin is that one; each ends with its passes, numbered as asked', async () => {
  const { engine, computed } = await builtEngine();
  const built = engine.status().builds;
  // The engine's queue is busy (a One-ID change's passes): the asks wait, and the second joins the first.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const busy = engine.queue(() => gate);
  const first = engine.runNightly();
  const second = engine.runNightly();
  expect(second.run).toBe(first.run);
  expect(first.run).toBe(built.asked + 1);
  expect(engine.status().builds.ended).toBe(built.ended);
  release();
  await busy;
  await first.done;
  expect(engine.status().builds.ended).toBe(first.run);
  expect(computed.filter((c) => c.ids === 'all')).toHaveLength(1);
  // Once it has begun, a new ask is a run of its own.
  const third = engine.runNightly();
  expect(third.run).toBe(first.run + 1);
  await third.done;
  expect(computed.filter((c) => c.ids === 'all')).toHaveLength(2);
  expect(engine.status().builds).toEqual({ asked: third.run, ended: third.run });
  await engine.stop();
});

it("an import's orders are read at its end, before every member is computed, not beside it", async () => {
  const read: string[] = [];
  const empty = async function* () {};
  const couch = {
    db: (name: string) => ({ info: async () => ({ update_seq: '0' }), changes: async () => (read.push(name), { results: [], last_seq: '0' }) }),
    pages: () => empty(),
  };
  const directory = { goldenOf: () => undefined, goldenIds: () => [], member: () => ({ sources: [], attributes: { gender: 'U', isMember: false } }) };
  const computed: (readonly string[] | 'all')[] = [];
  const extension = { extend: () => undefined, computed: async (ids: readonly string[] | 'all') => void computed.push(ids) };
  const engine = new ProfileEngine({ couch, directory, log, clock, timeZone: 'Asia/Shanghai', ready: Promise.resolve(), extension } as never);
  await engine.rebuild();
  read.length = 0;
  computed.length = 0;

  engine.bulkChange(true);
  await engine.catchUp();
  expect(read).toEqual([DB.facts]);
  read.length = 0;
  engine.bulkChange(false);
  await engine.catchUp();
  // The orders filed first, then every member computed once, then the feeds followed as before.
  expect(read).toEqual([DB.identity, DB.facts, DB.identity]);
  expect(computed).toEqual(['all']);
  await engine.stop();
});

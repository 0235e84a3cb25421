import { expect, it } from 'vitest';
import { createLog } from '../../shared/cli/log.ts';
import { IdentityService } from '../../hub/identity/service.ts';
import { ProfileEngine } from '../../hub/profile/engine.ts';

/*
 * A hub told to stop while it reads a large base (One-ID's records, the profile engine's facts)
 * gives up between pages instead of reading to the end: at full size that was minutes of a
 * SIGTERM that did nothing. The databases here are endless: a load that does not give up never
 * ends, and the test times out.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let pagesRead = 0;
async function* endless<T>(page: () => T[]): AsyncGenerator<T[]> {
  for (;;) {
    await sleep(5);
    pagesRead++;
    yield page();
  }
}
const log = createLog('test', true);
const clock = () => new Date('2026-11-30T04:00:00Z');

it("One-ID's load gives up between pages when the hub closes it, and says it did", { timeout: 10_000 }, async () => {
  pagesRead = 0;
  const couch = { range: async () => [], pages: () => endless(() => []) };
  const db = { records: () => endless(() => []) };
  const identity = new IdentityService({ couch, db, members: {}, log, clock, options: { sourcePriority: ['crm'] } } as never);
  const loading = identity.load();
  await sleep(100);
  expect(pagesRead).toBeGreaterThan(2);
  await identity.close();
  expect(await loading).toBe(false);
  const read = pagesRead;
  await sleep(50);
  expect(pagesRead).toBe(read);
  expect(identity.isLoaded).toBe(false);
});

it("the profile engine's build gives up between pages when the hub stops it, and keeps the base it had", { timeout: 10_000 }, async () => {
  pagesRead = 0;
  const couch = { db: () => ({ info: async () => ({ update_seq: '7-x' }), changes: async () => ({ results: [], last_seq: '7-x' }) }), pages: () => endless(() => []) };
  const directory = { goldenOf: () => undefined, member: () => undefined, goldenIds: () => [] };
  const engine = new ProfileEngine({ couch, directory, log, clock, timeZone: 'Asia/Shanghai', ready: new Promise(() => undefined) } as never);
  const building = engine.rebuild();
  await sleep(100);
  expect(engine.status().building).toBe(true);
  await engine.stop();
  await building;
  expect(engine.isBuilt).toBe(false);
  const read = pagesRead;
  await sleep(50);
  expect(pagesRead).toBe(read);
});

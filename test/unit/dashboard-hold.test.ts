import { expect, it } from 'vitest';
import { DB } from '../../hub/couch/databases.ts';
import { DashboardCounters } from '../../hub/dashboard/counters.ts';
import { createLog } from '../../shared/cli/log.ts';

/*
 * While One-ID imports run, the dashboard does not read their orders (hub-identity's chunks):
 * pages of them read beside the storing of an import's golden members slowed it at 8M records
 * (docs/scale.md). They are counted when the last import ends; meanwhile the figures say they
 * are not up to date.
 */

it("an import's orders are counted at its end, the figures not up to date until then", async () => {
  const read: string[] = [];
  const empty = async function* () {};
  const couch = {
    range: async () => [],
    pages: () => empty(),
    get: async () => undefined,
    db: (name: string) => ({ changes: async () => (read.push(name), { results: [], last_seq: '0' }) }),
  };
  const counters = new DashboardCounters({ couch, log: createLog('test', true), timeZone: 'Asia/Shanghai' } as never);
  const everything = { sees: () => true, online: true };

  counters.bulkChange(true);
  await counters.catchUp();
  expect(read.sort()).toEqual([DB.facts, DB.members].sort());
  expect((await counters.figures('2026-12-02', 7, everything)).upToDate).toBe(false);

  read.length = 0;
  counters.bulkChange(false);
  await counters.catchUp();
  expect(read).toContain(DB.identity);
  expect((await counters.figures('2026-12-02', 7, everything)).upToDate).toBe(true);
  await counters.stop();
});

import { expect, it } from 'vitest';
import { createLog } from '../../shared/cli/log.ts';
import { StoreProfiles } from '../../hub/profile/store-profiles.ts';

/*
 * The pass that writes the profile documents stores receive runs over every member after a full
 * build: at a million members, minutes of reads and writes that a hub's stop waited for. Told to
 * stop, it gives up between batches; the next start's pass writes what is left.
 */

it('the store documents pass gives up between batches when the hub stops', async () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `G${i}`);
  const written: string[] = [];
  let passes: StoreProfiles | undefined;
  const couch = {
    fetchDocs: async (_db: string, docIds: string[]) => docIds.map(() => undefined),
    bulk: async (_db: string, docs: { _id: string; memberId: string }[]) => {
      written.push(...docs.map((d) => d.memberId));
      passes!.stop(); // the stop comes while the first batch is written
      return docs.map((d) => ({ id: d._id, rev: '1-a' }));
    },
  };
  passes = new StoreProfiles({
    couch: couch as never,
    log: createLog('test', true),
    clock: () => new Date('2026-11-30T04:00:00Z'),
    profiles: { profile: () => new Map([['orders', 1]]), members: () => ({ length: ids.length, at: (n: number) => ids[n], has: (n: number) => n < ids.length }) },
    storeMembersOf: (g) => [`M${g}`],
    members: { canonical: (id) => id, relevantStoresOf: async (m) => new Map(m.map((id) => [id, ['S001']])) },
    recommendations: () => [],
  });
  await passes.computed('all');
  expect(written).toHaveLength(500);
  expect(passes.lastRun?.written).toBe(500);
});

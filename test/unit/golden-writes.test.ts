import { expect, it } from 'vitest';
import type { Couch } from '../../hub/couch/couch.ts';
import { IdentityDb } from '../../hub/identity/identity-db.ts';

/*
 * Golden buckets are written in batches: the next batch is built on the hub's thread while the
 * last is written by the database (issue 14: at 8M records the two took turns). Its bodies come
 * before its revisions are read (that read waits behind the write at the database). At most one
 * write is under way; a conflict is read again and written again; a refusal fails the whole.
 */

function fakeCouch(answer: (docs: { _id: string }[], call: number) => { id: string; rev?: string; error?: string }[]) {
  const events: string[] = [];
  let calls = 0;
  let open = 0;
  let mostOpen = 0;
  const couch = {
    db: () => ({ fetchRevs: async ({ keys }: { keys: string[] }) => (events.push(`revs ${keys.join(',')}`), { rows: keys.map((key) => ({ key, error: 'not_found' })) }) }),
    bulk: async (_db: string, docs: { _id: string }[]) => {
      const call = calls++;
      open++;
      mostOpen = Math.max(mostOpen, open);
      events.push(`write ${docs.map((d) => d._id).join(',')} started`);
      await new Promise((r) => setTimeout(r, 20));
      events.push(`write ${docs.map((d) => d._id).join(',')} done`);
      open--;
      return answer(docs, call);
    },
  };
  return { couch: couch as unknown as Couch, events, mostOpen: () => mostOpen };
}

const ok = (docs: { _id: string }[]) => docs.map((d) => ({ id: d._id, rev: '1-a' }));

it('builds the next batch while the last is written, one write at a time', async () => {
  const { couch, events, mostOpen } = fakeCouch(ok);
  const db = new IdentityDb(couch);
  await db.writeBuckets([1, 2, 3], (b) => (events.push(`build ${b}`), { [`G${b}`]: { n: b } }), 1);
  expect(events).toEqual([
    'build 1',
    'revs gm:00001',
    'write gm:00001 started',
    'build 2',
    'revs gm:00002',
    'write gm:00001 done',
    'write gm:00002 started',
    'build 3',
    'revs gm:00003',
    'write gm:00002 done',
    'write gm:00003 started',
    'write gm:00003 done',
  ]);
  expect(mostOpen()).toBe(1);
});

it('a conflict is read again and written again; a refusal fails the write', async () => {
  const conflicted = fakeCouch((docs, call) => docs.map((d) => (call === 0 && d._id === 'gm:00002' ? { id: d._id, error: 'conflict' } : { id: d._id, rev: '2-b' })));
  await new IdentityDb(conflicted.couch).writeBuckets([1, 2], (b) => ({ [`G${b}`]: { n: b } }), 2);
  expect(conflicted.events).toEqual(['revs gm:00001,gm:00002', 'write gm:00001,gm:00002 started', 'write gm:00001,gm:00002 done', 'revs gm:00002', 'write gm:00002 started', 'write gm:00002 done']);

  const refused = fakeCouch((docs, call) => docs.map((d) => (call === 0 ? { id: d._id, error: 'forbidden' } : { id: d._id, rev: '1-a' })));
  await expect(new IdentityDb(refused.couch).writeBuckets([1, 2, 3], (b) => ({ [`G${b}`]: { n: b } }), 1)).rejects.toThrow(/writing golden members: forbidden/);
  // The batch built meanwhile was not written after the refusal.
  expect(refused.events.filter((e) => e.endsWith('started'))).toEqual(['write gm:00001 started']);
});

it('a batch whose revisions cannot be read fails the call only after the write under way has ended', async () => {
  const { couch, events } = fakeCouch(ok);
  let reads = 0;
  (couch as unknown as { db: () => unknown }).db = () => ({
    fetchRevs: async ({ keys }: { keys: string[] }) => {
      events.push(`revs ${keys.join(',')}`);
      if (++reads === 2) throw new Error('database gone');
      return { rows: keys.map((key) => ({ key, error: 'not_found' })) };
    },
  });
  await expect(new IdentityDb(couch).writeBuckets([1, 2, 3], (b) => ({ [`G${b}`]: { n: b } }), 1)).rejects.toThrow(/database gone/);
  events.push('call ended');
  expect(events).toEqual(['revs gm:00001', 'write gm:00001 started', 'revs gm:00002', 'write gm:00001 done', 'call ended']);
});

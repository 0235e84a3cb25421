import { describe, expect, it } from 'vitest';
import type { Couch } from '../../hub/couch/couch.ts';
import type { HubMembers } from '../../hub/members.ts';
import { membersByName } from '../../hub/member-search.ts';
import { AppError } from '../../shared/errors.ts';
import { EVERYTHING } from '../../shared/org-scope.ts';

/** A database whose view of members by name answers with `rows`, or never (its index still being built). */
function couchWith(rows: { id: string }[] | 'never'): Couch {
  return {
    update: async () => undefined,
    db: () => ({ view: () => (rows === 'never' ? new Promise(() => {}) : Promise.resolve({ rows })) }),
    fetchDocs: async (_db: string, ids: string[]) => ids.map((id) => ({ _id: id, type: 'member', name: `name of ${id}` })),
  } as unknown as Couch;
}
const members = { canonical: (id: string) => (id === 'M2' ? 'M1' : id) } as unknown as HubMembers;

describe('members by name', () => {
  it('while the index is still being built, a search answers 503 unavailable within about 3 s, saying what to do meanwhile', async () => {
    const t0 = Date.now();
    const err = await membersByName(couchWith('never'), members, 'wang', EVERYTHING).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect([err.code, err.status]).toEqual(['unavailable', 503]);
    expect(err.message).toContain('phone, card or member id');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - t0).toBeLessThan(6000);
  });

  it('lists canonical members once each, at most the limit, with their documents; spaces alone find no one', async () => {
    const rows = ['M1', 'M2', 'M3', 'M4'].map((id) => ({ id: `member:${id}` }));
    const { found, more } = await membersByName(couchWith(rows), members, 'Wang', EVERYTHING, 2);
    expect(found.map((f) => [f.id, f.doc?.name])).toEqual([
      ['M1', 'name of member:M1'],
      ['M3', 'name of member:M3'],
    ]);
    expect(more).toBe(true);
    expect(await membersByName(couchWith('never'), members, '   ', EVERYTHING)).toEqual({ found: [], more: false });
  });
});

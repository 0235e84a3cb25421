import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MEMBERS_DDOC } from '../../hub/ddocs/members.ts';
import { nameSearchKey } from '../../shared/name-key.ts';

/** Runs the view's map function as CouchDB would, collecting what it emits. */
function mapOf(source: string) {
  return (doc: unknown) => {
    const out: [unknown, unknown][] = [];
    const fn = new Function('emit', `return (${source});`)((k: unknown, v: unknown) => out.push([k, v])) as (d: unknown) => void;
    fn(doc);
    return out;
  };
}

describe('members by name', () => {
  const map = mapOf(MEMBERS_DDOC.views.by_name.map);

  it('folds width, case and spaces: one key for the ways a name is typed', () => {
    expect(['Li Na', ' li  na ', 'ＬＩ ＮＡ', 'LINA'].map(nameSearchKey)).toEqual(['lina', 'lina', 'lina', 'lina']);
    expect(nameSearchKey('王 伟')).toBe('王伟');
  });

  it('the view emits nameSearchKey of a member’s name, for members with a name only', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        const key = nameSearchKey(name);
        expect(map({ _id: 'member:M1', type: 'member', id: 'M1', name })).toEqual(key ? [[key, null]] : []);
      }),
    );
    expect(map({ _id: 'member:M1', type: 'member', id: 'M1' })).toEqual([]);
    expect(map({ _id: 'idk:phone:+86139', type: 'idk', name: 'Li Na' })).toEqual([]);
    expect(map({ _id: 'member:M2', type: 'member', name: 42 })).toEqual([]);
  });
});

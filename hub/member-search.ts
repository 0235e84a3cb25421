import { nameSearchKey } from '../shared/name-key.ts';
import type { DataScope } from '../shared/org-scope.ts';
import type { Couch } from './couch/couch.ts';
import { DB } from './couch/databases.ts';
import { MEMBERS_DDOC } from './ddocs/members.ts';
import type { HubMembers } from './members.ts';
import { memberInScope } from './org/scope-check.ts';

let installed: Promise<void> | undefined;

/** Stores the design document when it is missing or older than this release's (once per process). */
function ensureDdoc(couch: Couch): Promise<void> {
  installed ??= couch
    .update(DB.members, MEMBERS_DDOC._id, (cur) => (cur && cur.version === MEMBERS_DDOC.version ? undefined : { ...MEMBERS_DDOC }))
    .then(() => undefined)
    .catch((err) => {
      installed = undefined;
      throw err;
    });
  return installed;
}

/** At most this many rows are read for one search: a common surname's first page, not every Wang. */
const READ_AT_MOST = 200;

/**
 * Members whose name starts with what was typed (compared as nameSearchKey), within the scope,
 * at most `limit`, as canonical member ids in name order. One range read of the view: its index
 * grows with each member, so a search reads a page whatever the number of members. Text that
 * makes no key (spaces only) finds no one.
 */
export async function membersByName(couch: Couch, members: HubMembers, typed: string, scope: DataScope, limit = 20): Promise<{ ids: string[]; more: boolean }> {
  const key = nameSearchKey(typed);
  if (key === '') return { ids: [], more: false };
  await ensureDdoc(couch);
  const res = await couch.db(DB.members).view<null>('members', 'by_name', { startkey: key, endkey: `${key}\ufff0`, limit: READ_AT_MOST });
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const row of res.rows) {
    const id = members.canonical(String(row.id).slice('member:'.length));
    if (seen.has(id)) continue;
    seen.add(id);
    if (!(await memberInScope(members, scope, id))) continue;
    if (ids.length === limit) return { ids, more: true };
    ids.push(id);
  }
  return { ids, more: res.rows.length === READ_AT_MOST };
}

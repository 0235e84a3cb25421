import { AppError } from '../shared/errors.ts';
import { nameSearchKey } from '../shared/name-key.ts';
import type { DataScope } from '../shared/org-scope.ts';
import type { MemberDoc } from '../shared/schemas/documents.ts';
import { docId } from '../shared/doc-ids.ts';
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
 * How long a search waits for the view. The index is built once over every member (the bench
 * measured 49 s for 20,000 members on pouchdb-server), then kept up as members arrive; until it
 * is there, a search says so rather than hold the page.
 */
const WAIT_FOR_INDEX_MS = 3000;

const byName = (couch: Couch, key: string, limit: number) => couch.db(DB.members).view<null>('members', 'by_name', { startkey: key, endkey: `${key}\ufff0`, limit });

/**
 * Builds the view of members by name in the background (at the hub's start), so that the first
 * search by name does not wait for a pass over every member. Answers how long it took.
 */
export async function warmNameIndex(couch: Couch): Promise<number> {
  const t0 = Date.now();
  await ensureDdoc(couch);
  await byName(couch, '', 0);
  return Date.now() - t0;
}

/**
 * Members whose name starts with what was typed (compared as nameSearchKey), within the scope,
 * at most `limit`, as canonical member ids in name order, with their documents (read in one
 * request). One range read of the view: its index grows with each member, so a search reads a
 * page whatever the number of members. Text that makes no key (spaces only) finds no one; while
 * the index is still being built, 503 `unavailable`.
 */
export async function membersByName(couch: Couch, members: HubMembers, typed: string, scope: DataScope, limit = 20): Promise<{ found: { id: string; doc: MemberDoc | undefined }[]; more: boolean }> {
  const key = nameSearchKey(typed);
  if (key === '') return { found: [], more: false };
  await ensureDdoc(couch);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('unavailable', 'the index of members by name is still being built (once, over every member); search by phone, card or member id meanwhile, or try again in a few minutes')), WAIT_FOR_INDEX_MS);
  });
  const res = await Promise.race([byName(couch, key, READ_AT_MOST), waited]).finally(() => clearTimeout(timer));
  const ids: string[] = [];
  const seen = new Set<string>();
  let more = res.rows.length === READ_AT_MOST;
  for (const row of res.rows) {
    const id = members.canonical(String(row.id).slice('member:'.length));
    if (seen.has(id)) continue;
    seen.add(id);
    if (!(await memberInScope(members, scope, id))) continue;
    if (ids.length === limit) {
      more = true;
      break;
    }
    ids.push(id);
  }
  const docs = await couch.fetchDocs<MemberDoc & { _id: string }>(DB.members, ids.map(docId.member));
  return { found: ids.map((id, i) => ({ id, doc: docs[i] })), more };
}

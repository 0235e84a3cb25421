/**
 * `_design/members` in hub-members: members by name, for the console's search by name (a
 * prefix of `shared/name-key.ts`'s key). The map function is source text (CouchDB evaluates
 * it), so the key is written out again here; test/unit/member-name-view.test.ts holds it equal
 * to nameSearchKey.
 */
export const MEMBERS_DDOC = {
  _id: '_design/members',
  /** Raised when a view changes, so a running hub replaces the stored design document. */
  version: 1,
  views: {
    by_name: {
      map: `function (doc) {
  if (doc.type !== 'member' || typeof doc.name !== 'string') return;
  var key = (doc.name.normalize ? doc.name.normalize('NFKC') : doc.name).toLowerCase().replace(/\\s+/g, '');
  if (key) emit(key, null);
}`,
    },
  },
} as const;

/**
 * A person's name as a search key: compatibility forms folded (full-width letters, ligatures),
 * lower case, without spaces, so "Li Na", "li na" and "ＬＩ ＮＡ" are one key. The hub's view of
 * members by name (hub/ddocs/members.ts) emits the same key; a test holds the two equal.
 *
 * @example nameSearchKey(' Li  Na ') // 'lina'
 */
export function nameSearchKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

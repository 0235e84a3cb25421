import { completeness } from './completeness.ts';
import { packTime, unpackTime } from './packed-time.ts';
import type { GoldenMember, Link } from './resolver.ts';
import type { GoldenIdentities } from './survivorship.ts';

/** A golden member as the API answers it: ids of records, not the records. */
export interface StoredGolden {
  id: string;
  profile: GoldenMember['profile'];
  identities: GoldenIdentities;
  keys: string[];
  quarantinedKeys: string[];
  sources: string[];
  records: string[];
  /** Merge history: which records, which key linked them, when. */
  links: Link[];
  completeness: number;
}

/**
 * A golden member as hub-golden holds it (decisions 036 and 042): the view without what is
 * derived (completeness), repeated (the id, which is its key in the bucket or its document's id)
 * or empty (identity kinds, quarantined keys and links it has none of), and what it repeats of
 * itself said by position: a key that is `<type>:<identity>` of one of its identities is that
 * identity's number in `keyCandidates`, a link's records their places in `records`, its key a
 * key's number, times by their milliseconds, openIds as pairs. The buckets' write is most of an
 * import's storing phase, and the embedded database's cost follows the bytes.
 */
export interface PackedGolden {
  profile: PackedProfile;
  identities: Partial<Omit<GoldenIdentities, 'openIds'>> & { openIds?: PackedOpenId[] };
  keys: Ref[];
  quarantinedKeys?: string[];
  sources: string[];
  records: string[];
  links?: PackedLink[];
}

/** A number: a place in a list the member holds; a string: the value itself. */
type Ref = number | string;
type PackedProfile = Omit<GoldenMember['profile'], 'registeredAt'> & { registeredAt?: string | number };
type PackedOpenId = [appId: string, openId: string] | { appId: string; openId: string };
type PackedLink = [a: Ref, b: Ref, key: Ref, at: number | string] | Link;

const IDENTITY_KINDS = ['phones', 'cardNos', 'unionIds', 'openIds', 'buyerNicks', 'jdPins', 'memberIds'] as const satisfies readonly (keyof GoldenIdentities)[];

/**
 * The keys a member's identities would make, written out plainly (not normalised again: what is
 * stored must read back the same whatever a later version normalises). A stored key found here
 * is stored as its place.
 */
function keyCandidates(ids: GoldenIdentities): string[] {
  return [
    ...ids.phones.map((v) => `phone:${v}`),
    ...ids.cardNos.map((v) => `card:${v}`),
    ...ids.unionIds.map((v) => `unionid:${v}`),
    ...ids.openIds.map((o) => `openid:${o.appId}:${o.openId}`),
    ...ids.buyerNicks.map((v) => `tmall:${v}`),
    ...ids.jdPins.map((v) => `jd:${v}`),
    ...ids.memberIds.map((v) => `member:${v}`),
  ];
}

const placesOf = (list: readonly string[]) => new Map(list.map((v, i) => [v, i]));
const ref = (places: ReadonlyMap<string, number>, v: string): Ref => places.get(v) ?? v;
const deref = (list: readonly string[], r: Ref): string => (typeof r === 'number' ? list[r]! : r);

/** What the API answers for a golden member the resolver holds. */
export function goldenView(m: GoldenMember): StoredGolden {
  return {
    id: m.id,
    profile: m.profile,
    identities: m.identities,
    keys: m.keys,
    quarantinedKeys: m.quarantinedKeys,
    sources: m.sources,
    records: m.records.map((r) => r.id),
    links: m.links,
    completeness: completeness(m.profile),
  };
}

export function packGolden(g: StoredGolden): PackedGolden {
  const identities: PackedGolden['identities'] = {};
  for (const kind of IDENTITY_KINDS) {
    if (g.identities[kind].length === 0) continue;
    if (kind === 'openIds') identities.openIds = g.identities.openIds.map((o) => [o.appId, o.openId]);
    else identities[kind] = g.identities[kind];
  }
  const keyPlaces = placesOf(keyCandidates(g.identities));
  const recordPlaces = placesOf(g.records);
  const { registeredAt, ...profile } = g.profile;
  return {
    profile: registeredAt === undefined ? profile : { ...profile, registeredAt: packTime(registeredAt) },
    identities,
    keys: g.keys.map((k) => ref(keyPlaces, k)),
    ...(g.quarantinedKeys.length > 0 ? { quarantinedKeys: g.quarantinedKeys } : {}),
    sources: g.sources,
    records: g.records,
    ...(g.links.length > 0 ? { links: g.links.map((l): PackedLink => [ref(recordPlaces, l.a), ref(recordPlaces, l.b), ref(keyPlaces, l.key), packTime(l.at)]) } : {}),
  };
}

/** The view again, from a packed member or one stored before (decision 036's packing, or whole). */
export function unpackGolden(id: string, p: PackedGolden | StoredGolden): StoredGolden {
  const given = p.identities;
  const identities: GoldenIdentities = {
    phones: given.phones ?? [],
    cardNos: given.cardNos ?? [],
    unionIds: given.unionIds ?? [],
    openIds: (given.openIds ?? []).map((o: PackedOpenId) => (Array.isArray(o) ? { appId: o[0], openId: o[1] } : o)),
    buyerNicks: given.buyerNicks ?? [],
    jdPins: given.jdPins ?? [],
    memberIds: given.memberIds ?? [],
  };
  const candidates = keyCandidates(identities);
  const { registeredAt, ...rest } = p.profile as PackedProfile;
  const profile: GoldenMember['profile'] = registeredAt === undefined ? rest : { ...rest, registeredAt: unpackTime(registeredAt) };
  return {
    id,
    profile,
    identities,
    keys: (p.keys as Ref[]).map((k) => deref(candidates, k)),
    quarantinedKeys: p.quarantinedKeys ?? [],
    sources: p.sources,
    records: p.records,
    links: ((p.links ?? []) as PackedLink[]).map((l) => (Array.isArray(l) ? { a: deref(p.records, l[0]), b: deref(p.records, l[1]), key: deref(candidates, l[2]), at: unpackTime(l[3]) } : l)),
    completeness: completeness(profile),
  };
}

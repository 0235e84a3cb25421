import { completeness } from './completeness.ts';
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
 * A golden member as hub-golden holds it (decision 036): the view without what is derived
 * (completeness), repeated (the id, which is its key in the bucket or its document's id) or
 * empty (identity kinds, quarantined keys and links it has none of): 22% of the view's
 * bytes at the bench's data, and the buckets' write is most of an import's storing phase.
 */
export interface PackedGolden {
  profile: GoldenMember['profile'];
  identities: Partial<GoldenIdentities>;
  keys: string[];
  quarantinedKeys?: string[];
  sources: string[];
  records: string[];
  links?: Link[];
}

const IDENTITY_KINDS = ['phones', 'cardNos', 'unionIds', 'openIds', 'buyerNicks', 'jdPins', 'memberIds'] as const satisfies readonly (keyof GoldenIdentities)[];

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
  const identities: Partial<GoldenIdentities> = {};
  for (const kind of IDENTITY_KINDS) if (g.identities[kind].length > 0) (identities as Record<string, unknown>)[kind] = g.identities[kind];
  return {
    profile: g.profile,
    identities,
    keys: g.keys,
    ...(g.quarantinedKeys.length > 0 ? { quarantinedKeys: g.quarantinedKeys } : {}),
    sources: g.sources,
    records: g.records,
    ...(g.links.length > 0 ? { links: g.links } : {}),
  };
}

/** The view again, from a packed member or one stored whole (before decision 036). */
export function unpackGolden(id: string, p: PackedGolden | StoredGolden): StoredGolden {
  const given = p.identities;
  return {
    id,
    profile: p.profile,
    identities: {
      phones: given.phones ?? [],
      cardNos: given.cardNos ?? [],
      unionIds: given.unionIds ?? [],
      openIds: given.openIds ?? [],
      buyerNicks: given.buyerNicks ?? [],
      jdPins: given.jdPins ?? [],
      memberIds: given.memberIds ?? [],
    },
    keys: p.keys,
    quarantinedKeys: p.quarantinedKeys ?? [],
    sources: p.sources,
    records: p.records,
    links: p.links ?? [],
    completeness: completeness(p.profile),
  };
}

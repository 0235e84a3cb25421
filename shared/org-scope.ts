/*
 * The organisation tree (region → city → store) and an operator's data scope along it (issue 11,
 * decision 010). Pure: the hub reads the stores and cities, these functions say which stores a
 * scope covers and whether a store, a member, an incident or a fleet row falls under it. Names
 * from outside are only ever compared or used as Map keys.
 */
import { StoreId } from './schemas/common.ts';
import { OrgName } from './schemas/org.ts';

export const NODE_KINDS = ['region', 'city', 'store'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** A node of the tree, as a scope names it: `region:East`, `city:Shanghai`, `store:S001`. */
export interface OrgNode {
  kind: NodeKind;
  name: string;
}

/** A store as the tree needs it: where it was put. `city` absent: directly in its region (stores added before cities). */
export interface OrgStore {
  id: string;
  name?: string;
  region: string;
  city?: string | undefined;
}
export interface OrgCity {
  name: string;
  region: string;
}
/** Everything the tree is built from: the hub's stores and cities. */
export interface OrgData {
  stores: readonly OrgStore[];
  cities: readonly OrgCity[];
}

/** Region and city names compare without case (as store ids do); the first spelling is shown. */
export const nameKey = (name: string) => name.toLowerCase();
/** Store ids are unique regardless of case (hub/stores.ts keeps them under the upper-case id). */
export const storeKey = (id: string) => id.toUpperCase();

/**
 * A node id read from text, or undefined when it names no node that could exist (unknown kind, a
 * name the schemas refuse).
 *
 * @example parseNode('city:Shanghai') // { kind: 'city', name: 'Shanghai' }
 * @example parseNode('planet:Mars') // undefined
 */
export function parseNode(text: string): OrgNode | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const kind = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (kind === 'store') return StoreId.safeParse(name).success ? { kind, name } : undefined;
  if (kind === 'region' || kind === 'city') return OrgName.safeParse(name).success && name.trim() === name ? { kind, name } : undefined;
  return undefined;
}

/** @example nodeId({ kind: 'region', name: 'East' }) // 'region:East' */
export const nodeId = (node: OrgNode) => `${node.kind}:${node.name}`;

/** Where a store is: its city's region when it is in a city the hub knows (a city has one region), else its own. */
export function placeOf(store: OrgStore, cities: ReadonlyMap<string, OrgCity>): { region: string; city?: string } {
  if (store.city === undefined) return { region: store.region };
  const city = cities.get(nameKey(store.city));
  return city ? { region: city.region, city: city.name } : { region: store.region, city: store.city };
}

export interface StoreLeaf {
  id: string;
  storeId: string;
  name: string;
}
export interface CityBranch {
  id: string;
  name: string;
  stores: StoreLeaf[];
}
export interface RegionBranch {
  id: string;
  name: string;
  cities: CityBranch[];
  /** Stores directly in the region (added with `--region` only, before cities). */
  stores: StoreLeaf[];
}
export interface OrgTree {
  regions: RegionBranch[];
}

/**
 * The org tree, every level sorted by name: regions named by a store or a city, cities, stores.
 * Built once per change of the stores and cities, with the lookups scopes need.
 */
export class Org {
  readonly tree: OrgTree;
  private readonly cities = new Map<string, OrgCity>();
  /** Node key (`region:<lower name>`, `city:<lower name>`, `store:<UPPER ID>`) → the stores under it (upper-case ids). */
  private readonly under = new Map<string, Set<string>>();
  /** Node key → the spelling of its id the tree shows. */
  private readonly ids = new Map<string, string>();
  /** Store key → its city's and region's node keys. */
  private readonly ancestors = new Map<string, string[]>();
  private readonly scopes = new Map<string, DataScope>();

  constructor(data: OrgData) {
    for (const c of data.cities) if (!this.cities.has(nameKey(c.name))) this.cities.set(nameKey(c.name), c);
    const regions = new Map<string, RegionBranch>();
    const cityBranches = new Map<string, CityBranch>();
    const region = (name: string) => {
      const key = nameKey(name);
      let r = regions.get(key);
      if (!r) {
        r = { id: `region:${name}`, name, cities: [], stores: [] };
        regions.set(key, r);
        this.index(`region:${key}`, r.id);
      }
      return r;
    };
    const city = (name: string, regionName: string) => {
      const key = nameKey(name);
      let c = cityBranches.get(key);
      if (!c) {
        c = { id: `city:${name}`, name, stores: [] };
        cityBranches.set(key, c);
        region(regionName).cities.push(c);
        this.index(`city:${key}`, c.id);
      }
      return c;
    };
    for (const c of this.cities.values()) city(c.name, c.region);
    for (const s of data.stores) {
      const key = storeKey(s.id);
      if (this.ancestors.has(key)) continue;
      // A city no document describes (it should not happen): in the region of the first store naming it, for every store naming it.
      if (s.city !== undefined && !this.cities.has(nameKey(s.city))) this.cities.set(nameKey(s.city), { name: s.city, region: s.region });
      const place = placeOf(s, this.cities);
      const leaf: StoreLeaf = { id: `store:${s.id}`, storeId: s.id, name: s.name ?? s.id };
      const up = [`region:${nameKey(place.region)}`];
      if (place.city !== undefined) {
        city(place.city, place.region).stores.push(leaf);
        up.unshift(`city:${nameKey(place.city)}`);
      } else region(place.region).stores.push(leaf);
      this.index(`store:${key}`, leaf.id);
      this.ancestors.set(key, up);
      for (const node of [`store:${key}`, ...up]) this.under.get(node)!.add(key);
    }
    const byName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const byStore = (xs: StoreLeaf[]) => xs.sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
    for (const r of regions.values()) {
      byName(r.cities);
      byStore(r.stores);
      for (const c of r.cities) byStore(c.stores);
    }
    this.tree = { regions: byName([...regions.values()]) };
  }

  private index(key: string, id: string) {
    this.under.set(key, new Set());
    this.ids.set(key, id);
  }

  /** The city of that name, if the hub has it. */
  city(name: string): OrgCity | undefined {
    return this.cities.get(nameKey(name));
  }

  /** The node's id as the tree spells it, or undefined when there is no such node. */
  find(node: OrgNode): string | undefined {
    return this.ids.get(keyOf(node));
  }

  /** The stores under a node (upper-case ids); none for a node the tree does not have. */
  storesUnder(node: OrgNode): ReadonlySet<string> {
    return this.under.get(keyOf(node)) ?? new Set();
  }

  /**
   * What an operator with this scope may see: everything without a scope (the admin token, an
   * unscoped admin); else the stores under the node, none if the tree has no such node (a scope
   * that names nothing sees nothing).
   */
  scope(scope: string | null | undefined): DataScope {
    if (scope === null || scope === undefined) return EVERYTHING;
    let s = this.scopes.get(scope);
    if (!s) {
      const node = parseNode(scope);
      s = { node: scope, stores: node ? this.storesUnder(node) : new Set() };
      this.scopes.set(scope, s);
    }
    return s;
  }

  /**
   * Whether `inner` lies within `outer` (a node within itself; everything within no scope).
   *
   * @example org.within({ kind: 'store', name: 'S001' }, { kind: 'region', name: 'East' }) // true when S001 is in a city of East
   */
  within(inner: OrgNode | null, outer: OrgNode | null): boolean {
    if (outer === null) return true;
    if (inner === null) return false;
    const target = keyOf(outer);
    const key = keyOf(inner);
    if (key === target) return true;
    if (inner.kind === 'store') return this.ancestors.get(storeKey(inner.name))?.includes(target) ?? false;
    if (inner.kind === 'city') {
      const c = this.cities.get(nameKey(inner.name));
      return c !== undefined && outer.kind === 'region' && nameKey(c.region) === nameKey(outer.name);
    }
    return false;
  }
}

const keyOf = (node: OrgNode) => `${node.kind}:${node.kind === 'store' ? storeKey(node.name) : nameKey(node.name)}`;

/**
 * Which data a caller may see: `stores: 'all'` for no scope, else the stores (upper-case ids)
 * under the node. A value handed to the hub's services, which filter by it.
 */
export type DataScope = { node: null; stores: 'all' } | { node: string; stores: ReadonlySet<string> };
export const EVERYTHING: DataScope = { node: null, stores: 'all' };

/** @example seesStore({ node: 'store:S002', stores: new Set(['S002']) }, 's002') // true */
export function seesStore(scope: DataScope, storeId: string): boolean {
  return scope.stores === 'all' || scope.stores.has(storeKey(storeId));
}

/**
 * Whether any of these stores is in scope: a member falls under a scope when their home store or
 * a store that serves them (where they bought or were looked up) does; an incident when any store
 * it involves does.
 *
 * @example seesAnyStore(scopeOfS002, ['S001', 'S002']) // true: a member who bought at both
 */
export function seesAnyStore(scope: DataScope, storeIds: readonly string[]): boolean {
  return scope.stores === 'all' || storeIds.some((id) => typeof id === 'string' && (scope.stores as ReadonlySet<string>).has(storeKey(id)));
}

/** An incident is in scope when a store it involves is (both stores of a double redemption see it). */
export const seesIncident = (scope: DataScope, incident: { storeId: string; stores?: readonly string[] }) => seesAnyStore(scope, [incident.storeId, ...(incident.stores ?? [])]);

/**
 * The tree as a scope sees it: only the stores in scope, with the cities and regions above them;
 * a city or region scope keeps its node even when no store is in it yet.
 */
export function pruneTree(org: Org, scope: DataScope): OrgTree {
  if (scope.stores === 'all') return org.tree;
  const node = parseNode(scope.node);
  const keepNode = (id: string) => node !== undefined && node.kind !== 'store' && org.find(node) === id;
  const sees = (leaf: StoreLeaf) => seesStore(scope, leaf.storeId);
  const regions: RegionBranch[] = [];
  for (const r of org.tree.regions) {
    const cities = r.cities.flatMap((c) => {
      const stores = c.stores.filter(sees);
      return stores.length > 0 || keepNode(c.id) || keepNode(r.id) ? [{ ...c, stores }] : [];
    });
    const stores = r.stores.filter(sees);
    if (cities.length > 0 || stores.length > 0 || keepNode(r.id)) regions.push({ ...r, cities, stores });
  }
  return { regions };
}

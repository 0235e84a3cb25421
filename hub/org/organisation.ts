import { AppError } from '../../shared/errors.ts';
import { EVERYTHING, nameKey, Org, parseNode, pruneTree, seesStore, type DataScope, type OrgNode, type OrgTree } from '../../shared/org-scope.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import type { AddStore, StoreDoc, Stores } from '../stores.ts';

/** A city of the org tree, in `hub-registry` beside the stores: in one region, for good. */
interface CityDoc extends Doc {
  type: 'city';
  name: string;
  region: string;
  createdAt: string;
}
const cityKey = (name: string) => `city:${nameKey(name)}`;

/**
 * How long a read tree serves scopes before it is read again. Every change made through this hub
 * forgets it at once; the time bounds what another hub process on the same database would miss.
 */
const TREE_TTL_MS = 5000;

/**
 * The org tree at the hub (region → city → store, decision 010): its cities, where stores are,
 * and the data scope an operator's scope node stands for. Regions exist by being named (by a
 * store or a city). The tree is read once and kept until it changes, so a scope costs a lookup.
 */
export class Organisation {
  private cached: { org: Org; until: number } | undefined;
  private reading: Promise<Org> | undefined;
  /** Counts changes: a read that began before one is not kept (it may have missed it). */
  private generation = 0;

  constructor(
    private readonly couch: Couch,
    private readonly stores: Stores,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The tree as it is now (read again after a change, or after a few seconds). */
  async org(): Promise<Org> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.org;
    if (!this.reading) {
      const reading: Promise<Org> = this.read().finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
      this.reading = reading;
    }
    return this.reading;
  }

  private async read(): Promise<Org> {
    const generation = this.generation;
    const [stores, cities] = await Promise.all([this.stores.list(), this.couch.range<CityDoc>(DB.registry, { startkey: 'city:', endkey: 'city:\ufff0' }, 100_000)]);
    const org = new Org({ stores, cities });
    if (generation === this.generation) this.cached = { org, until: Date.now() + TREE_TTL_MS };
    return org;
  }

  private forget() {
    this.generation++;
    this.cached = undefined;
    this.reading = undefined;
  }

  /** What an operator with this scope node may see (null: everything, without reading the tree). */
  async scope(node: string | null): Promise<DataScope> {
    return node === null ? EVERYTHING : (await this.org()).scope(node);
  }

  /** The tree, pruned to what the scope sees. */
  async tree(scope: DataScope): Promise<OrgTree> {
    return pruneTree(await this.org(), scope);
  }

  /**
   * An operator's scope as given to `operator add`: it must name a node the tree has, within the
   * scope of whoever adds them (an operator cannot grant more than they see). Answers the node's
   * id as the tree spells it.
   */
  async scopeNode(text: string, within: DataScope): Promise<string> {
    const org = await this.org();
    const node = parseNode(text);
    const id = node && org.find(node);
    if (!node || id === undefined) throw new AppError('validation_failed', "scope: no such node of the org tree ('hub org' lists them: region:NAME, city:NAME, store:ID)", { field: 'scope' });
    if (!org.within(node, within.node === null ? null : (parseNode(within.node) ?? null))) throw new AppError('forbidden', `scope: ${id} is outside your own scope (${within.node})`);
    return id;
  }

  /** Whether a node (an operator's scope; null: everything) lies within a scope: operators manage only operators within their own. */
  async nodeWithin(node: string | null, scope: DataScope): Promise<boolean> {
    if (scope.node === null) return true;
    const inner = node === null ? undefined : parseNode(node);
    const outer = parseNode(scope.node);
    return inner !== undefined && outer !== undefined && (await this.org()).within(inner, outer);
  }

  /** A new city in a region (a region not yet named by any store or city comes to be with it). */
  async addCity(input: { name: string; region: string }, scope: DataScope): Promise<{ name: string; region: string }> {
    const region = await this.regionSpelling(input.region);
    await this.requirePlaceInScope({ region }, scope);
    const city: CityDoc = { _id: cityKey(input.name), type: 'city', name: input.name, region, createdAt: this.clock().toISOString() };
    const [result] = await this.couch.insertNew(DB.registry, [city]);
    if (result === 'exists') throw new AppError('city_exists', `there is a city ${input.name} already ('hub org' shows where)`);
    this.forget();
    return { name: city.name, region: city.region };
  }

  /** A new store, placed in a city (and its region) or a region; an operator with a scope adds stores only within it. */
  async addStore(input: AddStore, ttlMs: number | undefined, scope: DataScope): Promise<{ store: StoreDoc; code: string; expiresAt: string }> {
    const place = await this.place(input);
    await this.requirePlaceInScope(place, scope);
    try {
      return await this.stores.add({ ...input, ...place }, ttlMs);
    } finally {
      this.forget();
    }
  }

  /**
   * Moves a store into a city or a region. A store outside the caller's scope is not found (as
   * if it did not exist); a destination outside it is forbidden.
   */
  async moveStore(storeId: string, to: { city?: string | undefined; region?: string | undefined }, scope: DataScope): Promise<StoreDoc> {
    const store = await this.stores.get(storeId);
    if (!store || !seesStore(scope, store.id)) throw new AppError('store_not_found', `no store ${storeId}`);
    const place = await this.place(to);
    await this.requirePlaceInScope(place, scope);
    try {
      return await this.stores.move(store.id, place);
    } finally {
      this.forget();
    }
  }

  /** Where `{city}` or `{region}` puts a store: a city the hub knows, in its region; a region as it is spelled already, if it is. */
  private async place(to: { city?: string | undefined; region?: string | undefined }): Promise<{ region: string; city?: string }> {
    if (to.city === undefined) return { region: await this.regionSpelling(to.region ?? 'default') };
    const city = await this.couch.get<CityDoc>(DB.registry, cityKey(to.city));
    if (!city) throw new AppError('validation_failed', `city: no city ${to.city} ('hub org city add ${to.city} --region R' adds it)`, { field: 'city' });
    if (to.region !== undefined && nameKey(to.region) !== nameKey(city.region)) throw new AppError('validation_failed', `region: city ${city.name} is in region ${city.region}`, { field: 'region' });
    return { region: city.region, city: city.name };
  }

  /** A region's name as the tree spells it already (names compare without case), else as given. */
  private async regionSpelling(name: string): Promise<string> {
    const id = (await this.org()).find({ kind: 'region', name });
    return id === undefined ? name : id.slice('region:'.length);
  }

  private async requirePlaceInScope(place: { region: string; city?: string }, scope: DataScope): Promise<void> {
    if (scope.node === null) return;
    const org = await this.org();
    const target: OrgNode = place.city !== undefined ? { kind: 'city', name: place.city } : { kind: 'region', name: place.region };
    const outer = parseNode(scope.node);
    // A city or region outside the tree yet (a new region) is within a region scope of that name only.
    const within = outer !== undefined && (org.within(target, outer) || (outer.kind === 'region' && nameKey(outer.name) === nameKey(place.region)));
    if (!within) throw new AppError('forbidden', `${target.kind}:${target.kind === 'city' ? place.city : place.region} is outside your scope (${scope.node})`);
  }
}

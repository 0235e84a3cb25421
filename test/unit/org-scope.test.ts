import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVERYTHING, Org, parseNode, pruneTree, seesAnyStore, seesIncident, seesStore, type OrgData, type OrgNode, type OrgTree } from '../../shared/org-scope.ts';
import { AddCitySchema, MoveStoreSchema, OrgName } from '../../shared/schemas/org.ts';

const DATA: OrgData = {
  cities: [
    { name: 'Shanghai', region: 'East' },
    { name: 'Hangzhou', region: 'East' },
    { name: 'Chengdu', region: 'West' },
  ],
  stores: [
    { id: 'S001', name: 'Jing An', region: 'East', city: 'Shanghai' },
    { id: 'S003', region: 'east', city: 'Hangzhou' },
    { id: 'S002', region: 'West', city: 'Chengdu' },
    { id: 'S009', region: 'West' }, // added before cities: directly in its region
    { id: 'S010', region: 'default' },
  ],
};
const storesOf = (tree: OrgTree) => tree.regions.flatMap((r) => [...r.stores, ...r.cities.flatMap((c) => c.stores)].map((s) => s.storeId)).sort();

describe('node ids', () => {
  it('read region:, city: and store: ids; anything else names no node', () => {
    expect(parseNode('region:East')).toEqual({ kind: 'region', name: 'East' });
    expect(parseNode('city:上海')).toEqual({ kind: 'city', name: '上海' });
    expect(parseNode('store:S001')).toEqual({ kind: 'store', name: 'S001' });
    for (const bad of ['East', 'region:', 'planet:Mars', 'store:../S001', 'store:__proto__', 'region:__proto__', 'city:constructor', 'region:toString', 'region: East', 'city:a\u202Eb', 'region:a:b', `region:${'x'.repeat(41)}`, '__proto__:x', ':East']) expect(parseNode(bad), bad).toBeUndefined();
  });

  it('names refuse prototype keys, hidden characters and the separator', () => {
    for (const bad of ['__proto__', 'constructor', 'hasOwnProperty', 'prototype', 'a:b', '', '  ', 'x\u0000', 'x'.repeat(41)]) expect(OrgName.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    expect(OrgName.parse('  华东 ')).toBe('华东');
    expect(AddCitySchema.safeParse({ name: 'Suzhou', region: 'East', extra: 1 }).success).toBe(false);
    expect(MoveStoreSchema.safeParse({ city: 'Suzhou' }).success).toBe(true);
    expect(MoveStoreSchema.safeParse({ region: 'East' }).success).toBe(true);
    for (const bad of [{}, { city: 'A', region: 'B' }, { city: '__proto__' }]) expect(MoveStoreSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

describe('the tree', () => {
  const org = new Org(DATA);

  it('regions, their cities and stores, sorted; a store without a city sits in its region; names compare without case', () => {
    expect(org.tree).toEqual({
      regions: [
        { id: 'region:East', name: 'East', stores: [], cities: [
          { id: 'city:Hangzhou', name: 'Hangzhou', stores: [{ id: 'store:S003', storeId: 'S003', name: 'S003' }] },
          { id: 'city:Shanghai', name: 'Shanghai', stores: [{ id: 'store:S001', storeId: 'S001', name: 'Jing An' }] },
        ] },
        { id: 'region:West', name: 'West', stores: [{ id: 'store:S009', storeId: 'S009', name: 'S009' }], cities: [{ id: 'city:Chengdu', name: 'Chengdu', stores: [{ id: 'store:S002', storeId: 'S002', name: 'S002' }] }] },
        { id: 'region:default', name: 'default', cities: [], stores: [{ id: 'store:S010', storeId: 'S010', name: 'S010' }] },
      ],
    });
  });

  it('the stores under a node', () => {
    const under = (n: string) => [...org.storesUnder(parseNode(n)!)].sort();
    expect(under('region:East')).toEqual(['S001', 'S003']);
    expect(under('region:EAST')).toEqual(['S001', 'S003']);
    expect(under('region:West')).toEqual(['S002', 'S009']);
    expect(under('city:shanghai')).toEqual(['S001']);
    expect(under('store:s002')).toEqual(['S002']);
    expect(under('store:S404')).toEqual([]);
    expect(under('region:Nowhere')).toEqual([]);
  });

  it('a scope: none sees everything; a node sees its stores; a node that does not exist sees nothing', () => {
    expect(org.scope(null)).toBe(EVERYTHING);
    expect(seesStore(org.scope(null), 'ANY')).toBe(true);
    const s2 = org.scope('store:S002');
    expect(seesStore(s2, 'S002') && seesStore(s2, 's002')).toBe(true);
    expect(seesStore(s2, 'S001')).toBe(false);
    for (const nothing of ['store:S404', 'region:Nowhere', 'junk', 'store:__proto__']) expect(org.scope(nothing).stores, nothing).toEqual(new Set());
  });

  it('a member falls under a scope when one of their stores does; an incident when one of its stores does', () => {
    const east = org.scope('region:East');
    const west = org.scope('region:West');
    expect(seesAnyStore(east, ['S001'])).toBe(true);
    expect(seesAnyStore(west, ['S001'])).toBe(false);
    expect(seesAnyStore(west, ['S001', 'S002'])).toBe(true); // bought at both: both see them
    expect(seesAnyStore(east, [])).toBe(false); // a member the hub does not know
    expect(seesAnyStore(EVERYTHING, [])).toBe(true);
    expect(seesIncident(west, { storeId: 'S001', stores: ['S001', 'S002'] })).toBe(true);
    expect(seesIncident(west, { storeId: 'S001', stores: ['S001'] })).toBe(false);
  });

  it('a pruned tree keeps the stores in scope and what is above them, and the scope node itself', () => {
    expect(pruneTree(org, EVERYTHING)).toBe(org.tree);
    expect(pruneTree(org, org.scope('store:S002'))).toEqual({ regions: [{ id: 'region:West', name: 'West', stores: [], cities: [{ id: 'city:Chengdu', name: 'Chengdu', stores: [{ id: 'store:S002', storeId: 'S002', name: 'S002' }] }] }] });
    expect(storesOf(pruneTree(org, org.scope('region:East')))).toEqual(['S001', 'S003']);
    const empty = new Org({ cities: [{ name: 'Suzhou', region: 'East' }], stores: [] });
    expect(pruneTree(empty, empty.scope('city:Suzhou')).regions[0]!.cities).toEqual([{ id: 'city:Suzhou', name: 'Suzhou', stores: [] }]);
    expect(pruneTree(org, org.scope('region:Nowhere'))).toEqual({ regions: [] });
  });

  it('within: a store in its city and region, a city in its region, nothing in a store but itself', () => {
    const n = (t: string) => parseNode(t)!;
    expect(org.within(n('store:S001'), n('region:east'))).toBe(true);
    expect(org.within(n('store:S001'), n('city:Shanghai'))).toBe(true);
    expect(org.within(n('store:S001'), n('region:West'))).toBe(false);
    expect(org.within(n('city:Chengdu'), n('region:West'))).toBe(true);
    expect(org.within(n('region:West'), n('city:Chengdu'))).toBe(false);
    expect(org.within(n('city:Chengdu'), n('store:S002'))).toBe(false);
    expect(org.within(n('store:S002'), n('store:s002'))).toBe(true);
    expect(org.within(null, null) && org.within(n('store:S002'), null)).toBe(true);
    expect(org.within(null, n('region:West'))).toBe(false);
  });
});

// Random trees: a few regions (spelled in different cases), cities in them, stores in a city, directly in a region, or in a city the hub never heard of.
const REGIONS = ['East', 'EAST', 'West', 'north', '华东'];
const orgData = fc
  .record({
    cities: fc.uniqueArray(fc.record({ name: fc.constantFrom('Shanghai', 'shanghai', 'Chengdu', 'Suzhou', '北京', 'Xi-an'), region: fc.constantFrom(...REGIONS) }), { selector: (c) => c.name.toLowerCase(), maxLength: 5 }),
    stores: fc.uniqueArray(
      fc.record({ id: fc.stringMatching(/^S[0-9]{1,2}$/), region: fc.constantFrom(...REGIONS), city: fc.option(fc.constantFrom('Shanghai', 'CHENGDU', 'Suzhou', '北京', 'Ghost'), { nil: undefined }) }),
      { selector: (s) => s.id, maxLength: 12 },
    ),
  })
  .map((d): OrgData => d);
const nodeOf = (d: OrgData) =>
  fc.oneof(
    fc.constantFrom(...REGIONS, 'Nowhere').map((name): OrgNode => ({ kind: 'region', name })),
    fc.constantFrom('Shanghai', 'chengdu', 'Suzhou', '北京', 'Ghost', 'Nowhere').map((name): OrgNode => ({ kind: 'city', name })),
    fc.constantFrom(...d.stores.map((s) => s.id), 'S404').map((name): OrgNode => ({ kind: 'store', name })),
  );

describe('properties over random trees', () => {
  it('every store is in the tree exactly once, in exactly one region', () => {
    fc.assert(
      fc.property(orgData, (d) => {
        const org = new Org(d);
        expect(storesOf(org.tree)).toEqual(d.stores.map((s) => s.id).sort());
        for (const s of d.stores) expect(org.tree.regions.filter((r) => org.storesUnder({ kind: 'region', name: r.name }).has(s.id.toUpperCase())), s.id).toHaveLength(1);
      }),
    );
  });

  it('a scope sees a store exactly when the store lies within its node; the pruned tree shows exactly those stores', () => {
    fc.assert(
      fc.property(orgData.chain((d) => fc.tuple(fc.constant(d), nodeOf(d))), ([d, node]) => {
        const org = new Org(d);
        const scope = org.scope(`${node.kind}:${node.name}`);
        const seen = d.stores.filter((s) => seesStore(scope, s.id)).map((s) => s.id);
        expect(seen).toEqual(d.stores.filter((s) => org.within({ kind: 'store', name: s.id }, node)).map((s) => s.id));
        expect(storesOf(pruneTree(org, scope))).toEqual([...seen].sort());
      }),
    );
  });

  it('a member seen by a store scope is seen by its city and region scopes (visibility grows up the tree)', () => {
    fc.assert(
      fc.property(orgData, fc.array(fc.stringMatching(/^S[0-9]{1,2}$/), { maxLength: 4 }), (d, memberStores) => {
        const org = new Org(d);
        for (const r of org.tree.regions) {
          const region = org.scope(r.id);
          for (const c of r.cities) {
            const city = org.scope(c.id);
            for (const leaf of c.stores) if (seesAnyStore(org.scope(leaf.id), memberStores)) expect(seesAnyStore(city, memberStores) && seesAnyStore(region, memberStores)).toBe(true);
            if (seesAnyStore(city, memberStores)) expect(seesAnyStore(region, memberStores)).toBe(true);
          }
        }
        expect(seesAnyStore(EVERYTHING, memberStores)).toBe(true);
      }),
    );
  });

  it('node ids the tree hands out read back as the same node', () => {
    fc.assert(
      fc.property(orgData, (d) => {
        const org = new Org(d);
        for (const r of org.tree.regions) for (const id of [r.id, ...r.cities.map((c) => c.id), ...r.stores.map((s) => s.id), ...r.cities.flatMap((c) => c.stores.map((s) => s.id))]) expect(org.find(parseNode(id)!)).toBe(id);
      }),
    );
  });
});

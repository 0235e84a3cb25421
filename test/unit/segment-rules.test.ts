import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileColumns } from '../../hub/profile/columns.ts';
import type { Profile, ProfileValue } from '../../shared/profile/fields.ts';
import { allMembers, matchesProfile, membersOf, popcount, segmentBits } from '../../shared/profile/segment-count.ts';
import { ruleFromForm, ruleToForm } from '../../shared/profile/segment-form.ts';
import { comparisons, SegmentRule, type Condition } from '../../shared/profile/segment-rules.ts';

const STORES = ['S001', 'S002', 'S003', 's004'];
const ORG = new Map<string, Set<string>>([
  ['region:East', new Set(['S001', 'S002'])],
  ['city:Hangzhou', new Set(['S003', 'S004'])],
  ['store:S002', new Set(['S002'])],
]);
const storesUnder = (node: string) => ORG.get(node) ?? new Set<string>();
const TAGS = ['vip', 'coffee_lover', 'dormant', 'new'];
const CATS = ['coffee', 'coffee/beans', 'coffee/grinders', 'tea'];
const DAYS = ['2026-01-01', '2026-03-15', '2026-06-30', '2026-11-29'];

const profileArb: fc.Arbitrary<Profile> = fc
  .record(
    {
      age: fc.integer({ min: 15, max: 80 }),
      orders: fc.integer({ min: 0, max: 12 }),
      gender: fc.constantFrom('M', 'F', 'U'),
      stage: fc.constantFrom('member', 'active', 'dormant'),
      lastPurchaseDay: fc.constantFrom(...DAYS),
      homeStore: fc.constantFrom(...STORES),
      tags: fc.uniqueArray(fc.constantFrom(...TAGS)),
      channels: fc.uniqueArray(fc.constantFrom('store', 'ecommerce', 'marketplace')),
      storesVisited: fc.uniqueArray(fc.constantFrom(...STORES)),
      categoryScore: fc.uniqueArray(fc.tuple(fc.constantFrom(...CATS), fc.integer({ min: 1, max: 5000 })), { selector: (t) => t[0] }),
    },
    { requiredKeys: [] },
  )
  .map((r) => {
    const p = new Map<string, ProfileValue>();
    for (const [k, v] of Object.entries(r)) {
      if (k === 'categoryScore') p.set(k, new Map(v as [string, number][]));
      else if (Array.isArray(v)) p.set(k, new Set(v as string[]));
      else p.set(k, v as ProfileValue);
    }
    return p;
  });

const intOp = fc.constantFrom('eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'known', 'unknown');
const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ field: fc.constantFrom('age', 'orders'), op: intOp, value: fc.integer({ min: 0, max: 80 }) }).map((c) => (c.op === 'known' || c.op === 'unknown' ? { field: c.field, op: c.op } : c)),
  fc.record({ field: fc.constant('age'), op: fc.constant('between'), min: fc.integer({ min: 10, max: 50 }), max: fc.integer({ min: 30, max: 90 }) }),
  fc.record({ field: fc.constant('lastPurchaseDay'), op: intOp, value: fc.constantFrom(...DAYS) }).map((c) => (c.op === 'known' || c.op === 'unknown' ? { field: c.field, op: c.op } : c)),
  fc.record({ field: fc.constantFrom('gender'), op: fc.constantFrom('in', 'notIn'), values: fc.uniqueArray(fc.constantFrom('M', 'F', 'U'), { minLength: 1 }) }),
  fc.record({ field: fc.constantFrom('stage'), op: fc.constantFrom('in', 'notIn'), values: fc.uniqueArray(fc.constantFrom('member', 'active', 'dormant', 'churned'), { minLength: 1 }) }),
  fc.record({ field: fc.constantFrom('gender', 'stage', 'homeStore'), op: fc.constantFrom('known', 'unknown') }),
  fc.record({ field: fc.constantFrom('tags'), op: fc.constantFrom('containsAny', 'containsAll', 'containsNone'), values: fc.uniqueArray(fc.constantFrom(...TAGS, 'nobody'), { minLength: 1 }) }),
  fc.record({ field: fc.constantFrom('channels'), op: fc.constantFrom('containsAny', 'containsAll', 'containsNone'), values: fc.uniqueArray(fc.constantFrom('store', 'ecommerce', 'marketplace'), { minLength: 1 }) }),
  fc.record({ field: fc.constantFrom('homeStore', 'storesVisited'), op: fc.constant('within'), values: fc.uniqueArray(fc.constantFrom(...ORG.keys(), 'region:Nowhere'), { minLength: 1 }) }),
  fc.record({ field: fc.constant('categoryScore'), key: fc.constantFrom('coffee', 'coffee/beans', 'tea', 'wine'), op: intOp, value: fc.integer({ min: 0, max: 6000 }) }).map((c) => (c.op === 'known' || c.op === 'unknown' ? { field: c.field, key: c.key, op: c.op } : c)),
);
const ruleArb: fc.Arbitrary<Condition> = fc.letrec<{ rule: Condition }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('rule'), { minLength: 1, maxLength: 4 }).map((all) => ({ all })),
    fc.array(tie('rule'), { minLength: 1, maxLength: 4 }).map((any) => ({ any })),
    tie('rule').map((not) => ({ not })),
  ),
})).rule;

/** Columns of these profiles; members at `gone` written and then cleared (numbers free after a merge). */
function build(profiles: Profile[], gone: Set<number>) {
  const cols = new ProfileColumns(undefined, 8);
  profiles.forEach((p, n) => cols.write(n, p));
  const live = allMembers(profiles.length);
  for (const n of gone) {
    cols.clear(n);
    live[n >>> 5]! &= ~(1 << (n & 31));
  }
  return { cols, live };
}

describe('segment rules', () => {
  it('are valid as generated (the schema takes what the compiler reads)', () => {
    fc.assert(fc.property(ruleArb, (rule) => {
      const depth = (c: Condition): number => ('all' in c ? 1 + Math.max(...c.all.map(depth)) : 'any' in c ? 1 + Math.max(...c.any.map(depth)) : 'not' in c ? 1 + depth(c.not) : 0);
      const issues = SegmentRule.safeParse(rule).error?.issues ?? [];
      if (depth(rule) <= 6 && comparisons(rule).length <= 40) expect(issues).toEqual([]);
      else expect(issues.length).toBeGreaterThan(0);
    }), { numRuns: 300 });
  });

  it('refuse an unknown field, a wrong operator, a missing key, a value of the wrong type, each at its path', () => {
    const r = SegmentRule.safeParse({
      all: [
        { field: 'shoeSize', op: 'gt', value: 40 },
        { any: [{ field: 'tags', op: 'gt', value: 3 }] },
        { field: 'categoryScore', op: 'gt', value: 3 },
        { field: 'lastPurchaseDay', op: 'gte', value: 3 },
        { field: 'stage', op: 'in', values: ['zombie'] },
        { field: 'homeStore', op: 'within', values: ['planet:Mars'] },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['all.0.field', 'all.1.any.0.op', 'all.2.key', 'all.3.value', 'all.4.values', 'all.5.values'].sort());
  });

  it('refuse more conditions than the bound and unknown keys', () => {
    expect(SegmentRule.safeParse({ any: Array.from({ length: 41 }, () => ({ field: 'age', op: 'gt', value: 1 })) }).success).toBe(false);
    expect(SegmentRule.safeParse({ field: 'age', op: 'gt', value: 1, extra: 1 }).success).toBe(false);
    expect(SegmentRule.safeParse({ field: 'age', op: 'gt', value: 1.5 }).success).toBe(false);
  });

  it('counted over columns select exactly the members the plain per-member reading selects', () => {
    fc.assert(
      fc.property(fc.array(profileArb, { minLength: 1, maxLength: 90 }), ruleArb, fc.array(fc.nat(89)), (profiles, rule, goneList) => {
        const gone = new Set(goneList.filter((n) => n < profiles.length));
        const { cols, live } = build(profiles, gone);
        const got = [...membersOf(segmentBits(rule, cols, live, storesUnder))];
        const want = profiles.flatMap((p, n) => (!gone.has(n) && matchesProfile(rule, p, storesUnder) ? [n] : []));
        expect(got).toEqual(want);
        expect(popcount(segmentBits(rule, cols, live, storesUnder))).toBe(want.length);
      }),
      { numRuns: 400 },
    );
  });

  it('not is the complement within the members that exist', () => {
    fc.assert(
      fc.property(fc.array(profileArb, { minLength: 1, maxLength: 70 }), ruleArb, fc.array(fc.nat(69)), (profiles, rule, goneList) => {
        const gone = new Set(goneList.filter((n) => n < profiles.length));
        const { cols, live } = build(profiles, gone);
        const yes = segmentBits(rule, cols, live, storesUnder);
        const no = segmentBits({ not: rule }, cols, live, storesUnder);
        for (let w = 0; w < live.length; w++) {
          expect(yes[w]! & no[w]!).toBe(0);
          expect((yes[w]! | no[w]!) >>> 0).toBe(live[w]! >>> 0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a category key counts its sub-categories, and within names stores whatever their case', () => {
    const p = new Map<string, ProfileValue>([
      ['categoryScore', new Map([['coffee/beans', 300], ['coffee/grinders', 200], ['tea', 900]])],
      ['homeStore', 's004'],
    ]);
    const { cols, live } = build([p], new Set());
    const count = (rule: Condition) => popcount(segmentBits(rule, cols, live, storesUnder));
    expect(count({ field: 'categoryScore', key: 'coffee', op: 'eq', value: 500 })).toBe(1);
    expect(count({ field: 'categoryScore', key: 'coffee/beans', op: 'gt', value: 300 })).toBe(0);
    expect(count({ field: 'homeStore', op: 'within', values: ['city:Hangzhou'] })).toBe(1);
    expect(count({ field: 'homeStore', op: 'within', values: ['region:East'] })).toBe(0);
  });

  it('membersOf starts where asked', () => {
    const bits = new Uint32Array([0b1011, 0x80000001]);
    expect([...membersOf(bits)]).toEqual([0, 1, 3, 32, 63]);
    expect([...membersOf(bits, 2)]).toEqual([3, 32, 63]);
    expect([...membersOf(bits, 33)]).toEqual([63]);
  });
});

describe('the segment editor form', () => {
  it('reads rows into a rule and writes a flat rule back into the same rows', () => {
    const values: [string, string][] = [
      ['match', 'any'],
      ['c0.field', 'age'], ['c0.op', 'between'], ['c0.value', '25..45'],
      ['c1.field', 'tags'], ['c1.op', 'containsAny'], ['c1.value', 'vip, coffee_lover'], ['c1.not', '1'],
      ['c2.field', 'categoryScore'], ['c2.op', 'gte'], ['c2.key', 'coffee'], ['c2.value', '500'],
      ['c3.field', 'homeStore'], ['c3.op', 'within'], ['c3.value', 'region:East, store:S001'],
      ['c4.field', 'lastPurchaseDay'], ['c4.op', 'lt'], ['c4.value', '2026-06-01'],
    ];
    const read = ruleFromForm(values);
    expect(read).toEqual({
      ok: true,
      rule: {
        any: [
          { field: 'age', op: 'between', min: 25, max: 45 },
          { not: { field: 'tags', op: 'containsAny', values: ['vip', 'coffee_lover'] } },
          { field: 'categoryScore', op: 'gte', key: 'coffee', value: 500 },
          { field: 'homeStore', op: 'within', values: ['region:East', 'store:S001'] },
          { field: 'lastPurchaseDay', op: 'lt', value: '2026-06-01' },
        ],
      },
    });
    if (read.ok) expect(ruleFromForm(ruleToForm(read.rule))).toEqual(read);
  });

  it('puts each fault on its row, and a nested rule in the JSON box', () => {
    const read = ruleFromForm([['c0.field', 'age'], ['c0.op', 'containsAny'], ['c0.value', '1'], ['c1.field', 'orders'], ['c1.op', 'gt'], ['c1.value', 'many']]);
    expect(read.ok).toBe(false);
    if (!read.ok) expect([...read.errors.keys()].sort()).toEqual(['c1.value']);
    const read2 = ruleFromForm([['c0.field', 'age'], ['c0.op', 'containsAny'], ['c0.value', '1, 2']]);
    if (!read2.ok) expect([...read2.errors.keys()]).toEqual(['c0.op']);
    expect(read2.ok).toBe(false);
    const nested: Condition = { all: [{ any: [{ field: 'age', op: 'gt', value: 3 }] }] };
    expect(ruleToForm(nested)).toEqual([['json', JSON.stringify(nested, null, 2)]]);
    expect(ruleFromForm(ruleToForm(nested))).toEqual({ ok: true, rule: nested });
  });
});

import { describe, expect, test } from 'vitest';
import type { Profile, ProfileValue } from '../../shared/profile/fields.ts';
import { DEFAULT_TAG_RULES } from '../../shared/profile/tag-catalogue.ts';
import { compileTagRules, TAG_CLASSES, TagRuleSchema, tagsOf, type TagRule } from '../../shared/profile/tag-rules.ts';
import { boundaryProfiles, holdsWithNothingKnown } from './tag-boundaries.ts';

const DAY = '2026-06-15';
const P = (entries: [string, ProfileValue][]): Profile => new Map(entries);
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/*
 * Hand-written profiles beside the generated ones: what the boundary generator does not reach
 * (a category counted through its sub-categories, the month after December, unknown fields that
 * a `containsNone` or a band must not take for "none", mixed channels).
 */
const HAND = new Map<string, { day?: string; inside: Profile[]; outside: Profile[] }>([
  ['lover_coffee', { inside: [P([['categoryScore', new Map([['coffee/beans', 150_000], ['coffee/equipment', 50_000]])]])], outside: [P([['categoryScore', new Map([['coffee/beans', 199_999], ['coffeehouse', 500_000]])]])] }],
  ['birthday_next_month', { day: '2026-12-01', inside: [P([['birthMonth', 1]])], outside: [P([['birthMonth', 12]]), P([['birthMonth', 13]])] }],
  ['birthday_this_month', { day: '2026-01-31', inside: [P([['birthMonth', 1]])], outside: [P([['birthMonth', 12]]), P([['age', 30]])] }],
  ['no_contact_consent', { inside: [P([['consents', new Set<string>()]])], outside: [P([]), P([['consents', new Set(['phone'])]])] }],
  ['omnichannel', { inside: [P([['channels', new Set(['store', 'ecommerce', 'marketplace'])]])], outside: [P([['channels', new Set(['ecommerce', 'marketplace'])]])] }],
  ['store_only', { inside: [P([['channels', new Set(['store'])]])], outside: [P([['channels', new Set(['store', 'marketplace'])]]), P([['channels', new Set<string>()]])] }],
  ['online_only', { inside: [P([['channels', new Set(['marketplace'])]])], outside: [P([['channels', new Set(['store', 'ecommerce'])]])] }],
  ['top_category_coffee', { inside: [P([['categoryScore', new Map([['coffee/beans', 300], ['coffee/cups', 300], ['snacks', 400]])]])], outside: [P([['categoryScore', new Map([['snacks', 400], ['coffee/beans', 300]])]])] }],
  ['low_spender', { inside: [P([['spend365', 1]])], outside: [P([['spend365', 0]]), P([['spend', 50_000]])] }],
  ['tier_gold_or_above', { inside: [P([['tier', 'L4']])], outside: [P([['tier', 'L2']]), P([['tier', 'l3']])] }],
]);

describe('the default tag catalogue', () => {
  test('has at least 80 rules, in all four classes, with unique codes and names in both languages', () => {
    expect(DEFAULT_TAG_RULES.length).toBeGreaterThanOrEqual(80);
    for (const cls of TAG_CLASSES) expect(DEFAULT_TAG_RULES.filter((r) => r.class === cls).length, cls).toBeGreaterThanOrEqual(15);
    expect(new Set(DEFAULT_TAG_RULES.map((r) => r.code)).size).toBe(DEFAULT_TAG_RULES.length);
    for (const r of DEFAULT_TAG_RULES) {
      expect(r.names['zh-CN'], r.code).toMatch(/[\u4e00-\u9fff]/);
      expect(r.names.en, r.code).toMatch(/^[A-Z]/);
      expect(r.status).toBe('active');
    }
    // Names tell tags apart in both languages.
    expect(new Set(DEFAULT_TAG_RULES.map((r) => r.names['zh-CN'])).size).toBe(DEFAULT_TAG_RULES.length);
    expect(new Set(DEFAULT_TAG_RULES.map((r) => r.names.en)).size).toBe(DEFAULT_TAG_RULES.length);
  });

  test('each rule parses back to itself (what the hub stores, it reads again)', () => {
    for (const r of DEFAULT_TAG_RULES) expect(TagRuleSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  test.each(DEFAULT_TAG_RULES.map((r) => [r.code, r] as [string, TagRule]))('%s: tags members just inside it, not those just outside', (code, rule) => {
    const day = rule.valid?.from ?? DAY;
    const generated = boundaryProfiles(rule.condition, day);
    const hand = HAND.get(code);
    expect(generated !== null || hand !== undefined, `${code}: no boundary profiles (generated or by hand)`).toBe(true);
    const compiled = compileTagRules([rule]);
    const tagged = (p: Profile, d: string) => tagsOf(compiled, p, d).has(code);
    if (generated) {
      expect(generated.inside.length).toBeGreaterThan(0);
      expect(generated.outside.length).toBeGreaterThan(0);
      generated.inside.forEach((p, i) => expect(tagged(p, day), `inside #${i}: ${JSON.stringify([...p], replacer)}`).toBe(true));
      generated.outside.forEach((p, i) => expect(tagged(p, day), `outside #${i}: ${JSON.stringify([...p], replacer)}`).toBe(false));
    }
    if (hand) {
      hand.inside.forEach((p, i) => expect(tagged(p, hand.day ?? day), `hand inside #${i}`).toBe(true));
      hand.outside.forEach((p, i) => expect(tagged(p, hand.day ?? day), `hand outside #${i}`).toBe(false));
    }
    // A member the hub knows nothing about: every comparison fails, `not` of one holds.
    expect(tagged(new Map(), day)).toBe(holdsWithNothingKnown(rule.condition));
    // A window: tags on its first and last day, not the day before or after.
    const inside = (generated?.inside ?? hand!.inside)[0]!;
    if (rule.valid?.from) {
      expect(tagged(inside, rule.valid.from)).toBe(true);
      expect(tagged(inside, addDays(rule.valid.from, -1))).toBe(false);
    }
    if (rule.valid?.to) {
      expect(tagged(inside, rule.valid.to)).toBe(true);
      expect(tagged(inside, addDays(rule.valid.to, 1))).toBe(false);
    }
    // Retired, it tags no one.
    expect(tagsOf([{ ...rule, status: 'retired' }], inside, day).size).toBe(0);
  });
});

describe('the boundary generator', () => {
  test('puts a band at its two ends and one step beyond each', () => {
    const b = boundaryProfiles({ field: 'age', op: 'between', min: 18, max: 24 }, DAY)!;
    expect(b.inside.map((p) => p.get('age'))).toEqual([18, 24]);
    expect(b.outside.map((p) => p.get('age'))).toEqual([17, 25]);
  });

  test('moves one part of an all outside at a time, the others kept inside', () => {
    const b = boundaryProfiles({ all: [{ field: 'orders', op: 'ge', value: 3 }, { field: 'fullPriceShare', op: 'ge', value: 8000 }] }, DAY)!;
    expect(b.inside.map((p) => [p.get('orders'), p.get('fullPriceShare')])).toEqual([[3, 8000]]);
    expect(b.outside.map((p) => [p.get('orders'), p.get('fullPriceShare')])).toEqual([
      [2, 8000],
      [3, 7999],
    ]);
  });

  test('gives up on a field needed two ways', () => {
    expect(boundaryProfiles({ all: [{ field: 'age', op: 'ge', value: 18 }, { field: 'age', op: 'lt', value: 30 }] }, DAY)).toBeNull();
  });
});

const replacer = (_: string, v: unknown) => (v instanceof Set ? [...v] : v instanceof Map ? [...v] : v);

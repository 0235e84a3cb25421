import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PROFILE_FIELDS, type Profile, type ProfileValue } from '../../shared/profile/fields.ts';
import { previewTagRule } from '../../shared/profile/tag-preview.ts';
import { compileCondition, scoreOf, tagChanges, tagRuleErrors, TagRuleSchema, tagsOf, topIncludes, type Condition, type TagRule } from '../../shared/profile/tag-rules.ts';

const DAY = '2026-06-15';
const base = { code: 'test_tag', class: 'value', names: { 'zh-CN': '测试', en: 'Test' } } as const;
const parse = (condition: unknown, extra: Record<string, unknown> = {}) => TagRuleSchema.safeParse({ ...base, condition, ...extra });
const holds = (c: Condition, p: [string, ProfileValue][], day = DAY) => compileCondition(c)(new Map(p), day);

describe('a tag rule is checked against the profile fields when parsed', () => {
  test('an unknown field is refused at its path, by name', () => {
    const errors = tagRuleErrors({ ...base, condition: { all: [{ field: 'age', op: 'ge', value: 18 }, { field: 'shoeSize', op: 'ge', value: 42 }] } });
    expect(errors).toEqual([{ path: 'condition.all.1.field', message: expect.stringContaining("unknown field 'shoeSize'"), rule: 'tagUnknownField', field: 'shoeSize' }]);
  });

  test('a rule naming tags is refused: tags are what the rules compute (a segment combines them)', () => {
    const errors = tagRuleErrors({ ...base, condition: { all: [{ field: 'age', op: 'ge', value: 18 }, { field: 'tags', op: 'containsAny', values: ['high_spender'] }] } });
    expect(errors).toEqual([{ path: 'condition.all.1.field', message: expect.stringContaining('cannot name tags'), rule: 'tagNamesTags', field: 'tags' }]);
  });

  test('an operator the kind has not is refused: a set compared with a day, an enum with ≥, an int with in', () => {
    expect(tagRuleErrors({ ...base, condition: { field: 'channels', op: 'lt', value: '2026-01-01' } })).toEqual([expect.objectContaining({ path: 'condition.value', rule: 'whole' })]);
    expect(tagRuleErrors({ ...base, condition: { field: 'gender', op: 'ge', value: 1 } })).toEqual([expect.objectContaining({ path: 'condition.op', rule: 'tagOpForKind', message: expect.stringContaining('gender is an enum field') })]);
    expect(tagRuleErrors({ ...base, condition: { field: 'age', op: 'in', values: ['18'] } })).toEqual([expect.objectContaining({ path: 'condition.op', rule: 'tagOpForKind' })]);
    expect(tagRuleErrors({ ...base, condition: { field: 'channels', op: 'topIncludes', n: 1, key: 'store' } })).toEqual([expect.objectContaining({ path: 'condition.op', rule: 'tagOpForKind' })]);
  });

  test('operands: missing, extra, of the wrong kind, outside an enum, a band upside down, a window backwards', () => {
    const paths = (c: unknown, extra?: Record<string, unknown>) => tagRuleErrors({ ...base, condition: c, ...extra }).map((e) => `${e.path}:${e.rule}`);
    expect(paths({ field: 'age', op: 'ge' })).toEqual(['condition.value:required']);
    expect(paths({ field: 'age', op: 'ge', value: 1, values: ['x'] })).toEqual(['condition.values:tagOperand']);
    expect(paths({ field: 'firstPurchaseDay', op: 'ge', value: 20260101 })).toEqual(['condition.value:tagDay']);
    expect(paths({ field: 'stage', op: 'in', values: ['active', 'sleepy'] })).toEqual(['condition.values:tagEnumValue']);
    expect(paths({ field: 'spend', op: 'between', min: 10, max: 5 })).toEqual(['condition.max:tagBetween']);
    expect(paths({ field: 'categoryScore', op: 'ge', value: 5 })).toEqual(['condition.key:required']);
    expect(paths({ field: 'age', op: 'ge', value: 1 }, { valid: { from: '2026-02-01', to: '2026-01-01' } })).toEqual(['valid.to:tagWindow']);
    expect(paths({ all: [], any: [] }).length).toBeGreaterThan(0);
    expect(paths({ not: { field: 'age', op: 'ge', value: 1 }, field: 'age' })).toEqual(['condition:tagNode']);
    expect(paths({ field: 'age', op: 'ge', value: { month: 0 } })).toEqual([]);
    expect(paths({ field: 'spend', op: 'between', min: 0, max: { month: 1 } })).not.toEqual([]);
  });

  test('names that are prototype keys are just unknown fields, and nothing else accepts them', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(tagRuleErrors({ ...base, condition: { field: name, op: 'ge', value: 1 } })).toEqual([expect.objectContaining({ rule: 'tagUnknownField' })]);
    // As a key of the rule's own objects (JSON.parse makes it an own key), it is an unknown key: refused.
    expect(tagRuleErrors(JSON.parse('{"code":"ab","class":"value","names":{"zh-CN":"x","en":"y"},"condition":{"__proto__":{"op":"ge"},"field":"age","op":"ge","value":1}}')).map((e) => e.path)).toEqual(['condition']);
    // As a score key or an enum-free value, such text is only compared: it tags no one by accident.
    const c = { field: 'categoryScore', key: '__proto__', op: 'ge', value: 1 } as Condition;
    expect(parse(c).success).toBe(true);
    expect(holds(c, [['categoryScore', new Map([['coffee', 5]])]])).toBe(false);
    expect(holds(c, [['categoryScore', new Map([['__proto__', 5]])]])).toBe(true);
  });

  test('deep or wide trees are refused', () => {
    let deep: unknown = { field: 'age', op: 'ge', value: 1 };
    for (let i = 0; i < 9; i++) deep = { not: deep };
    expect(tagRuleErrors({ ...base, condition: deep }).map((e) => e.rule)).toContain('tagDepth');
    const wide = { all: Array.from({ length: 50 }, () => ({ any: [{ field: 'age', op: 'ge', value: 1 }, { field: 'age', op: 'le', value: 9 }, { field: 'spend', op: 'ge', value: 9 }] })) };
    expect(tagRuleErrors({ ...base, condition: wide }).map((e) => e.rule)).toContain('tagTooMany');
  });

  test('code, class and names: checked, and the status and version defaulted', () => {
    expect(tagRuleErrors({ ...base, code: 'Bad Code', condition: { field: 'age', op: 'ge', value: 1 } }).map((e) => e.path)).toEqual(['code']);
    expect(tagRuleErrors({ ...base, class: 'mood', condition: { field: 'age', op: 'ge', value: 1 } }).map((e) => e.path)).toEqual(['class']);
    expect(tagRuleErrors({ ...base, names: { en: 'x' }, condition: { field: 'age', op: 'ge', value: 1 } }).map((e) => e.path)).toEqual(['names.zh-CN']);
    const r = parse({ field: 'age', op: 'ge', value: 1 });
    expect(r.success && [r.data.status, r.data.version]).toEqual(['active', 0]);
  });
});

describe('evaluation', () => {
  test('comparisons on an unknown field never hold, their not does', () => {
    for (const c of [{ field: 'age', op: 'ne', value: 3 }, { field: 'gender', op: 'notIn', values: ['M'] }, { field: 'channels', op: 'containsNone', values: ['store'] }, { field: 'categoryScore', key: 'x', op: 'le', value: 5 }] as Condition[]) {
      expect(holds(c, [])).toBe(false);
      expect(holds({ not: c }, [])).toBe(true);
    }
  });

  test('scores: a category counts its sub-categories, an absent key is 0, a sibling with the same prefix is not under it', () => {
    const s = new Map([['coffee', 1], ['coffee/beans', 2], ['coffee/beans/dark', 4], ['coffeehouse', 100]]);
    expect(scoreOf(s, 'coffee')).toBe(7);
    expect(scoreOf(s, 'coffee/beans')).toBe(6);
    expect(scoreOf(s, 'tea')).toBe(0);
    expect(holds({ field: 'categoryScore', key: 'tea', op: 'eq', value: 0 }, [['categoryScore', s]])).toBe(true);
  });

  test('top n: keys compared at the key’s level, ties to the first in order', () => {
    const s = new Map([['coffee/beans', 3], ['coffee/cups', 3], ['snacks', 5], ['tea', 6]]);
    expect(topIncludes(s, 1, 'coffee')).toBe(true);
    expect(topIncludes(s, 1, 'tea')).toBe(false);
    expect(topIncludes(s, 2, 'tea')).toBe(true);
    expect(topIncludes(s, 1, 'coffee/beans')).toBe(false);
    expect(topIncludes(s, 3, 'coffee/cups')).toBe(false); // tea, snacks, and coffee/beans first on the tie
    expect(topIncludes(s, 4, 'coffee/cups')).toBe(true);
    expect(topIncludes(new Map([['a', 1], ['b', 1]]), 1, 'a')).toBe(true);
    expect(topIncludes(new Map([['a', 1], ['b', 1]]), 1, 'b')).toBe(false);
    expect(topIncludes(s, 5, 'wine')).toBe(false);
  });

  test('a set compared by its size; month of the day, wrapping after December', () => {
    expect(holds({ field: 'storesVisited', op: 'ge', value: 3 }, [['storesVisited', new Set(['a', 'b', 'c'])]])).toBe(true);
    expect(holds({ field: 'storesVisited', op: 'ge', value: 3 }, [['storesVisited', new Set(['a', 'b'])]])).toBe(false);
    expect(holds({ field: 'birthMonth', op: 'eq', value: { month: 1 } }, [['birthMonth', 1]], '2026-12-31')).toBe(true);
    expect(holds({ field: 'birthMonth', op: 'eq', value: { month: 0 } }, [['birthMonth', 12]], '2026-12-01')).toBe(true);
  });

  test('day fields compare as days', () => {
    const c: Condition = { field: 'firstPurchaseDay', op: 'between', min: '2026-01-01', max: '2026-03-31' };
    expect(holds(c, [['firstPurchaseDay', '2026-03-31']])).toBe(true);
    expect(holds(c, [['firstPurchaseDay', '2026-04-01']])).toBe(false);
  });

  test('tagChanges: entered and left, in tag order, with the day and the cause', () => {
    expect(tagChanges(new Set(['b', 'a', 'c']), new Set(['c', 'd', 'a']), DAY, { kind: 'fact', ref: 'rcpt:1' })).toEqual([
      { tag: 'b', change: 'left', day: DAY, cause: { kind: 'fact', ref: 'rcpt:1' } },
      { tag: 'd', change: 'entered', day: DAY, cause: { kind: 'fact', ref: 'rcpt:1' } },
    ]);
    expect(tagChanges(new Set(['a']), new Set(['a']), DAY, { kind: 'nightly' })).toEqual([]);
  });
});

// ---- properties over generated rules and profiles ------------------------------------------

const INT_FIELDS = PROFILE_FIELDS.filter((f) => f.kind === 'int').map((f) => f.name);
const SET_VALUES = ['store', 'ecommerce', 'marketplace', 'sms', 'wechat', 's1', 's2'];
const KEYS = ['coffee', 'coffee/beans', 'snacks', 'tea', 'tmall'];

const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ field: fc.constantFrom(...INT_FIELDS), op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge' as const), value: fc.integer({ min: -5, max: 20 }) }),
  fc.record({ field: fc.constantFrom(...INT_FIELDS), op: fc.constant('between' as const), min: fc.integer({ min: -5, max: 8 }), max: fc.integer({ min: 8, max: 20 }) }),
  fc.record({ field: fc.constantFrom('stage'), op: fc.constantFrom('in', 'notIn' as const), values: fc.subarray(['active', 'dormant', 'churned', 'member'], { minLength: 1 }) }),
  fc.record({ field: fc.constantFrom('channels', 'consents', 'storesVisited'), op: fc.constantFrom('containsAny', 'containsAll', 'containsNone' as const), values: fc.subarray(SET_VALUES, { minLength: 1 }) }),
  fc.record({ field: fc.constantFrom('categoryScore', 'channelShare'), key: fc.constantFrom(...KEYS), op: fc.constantFrom('ge', 'lt' as const), value: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ field: fc.constantFrom('categoryScore'), op: fc.constant('topIncludes' as const), n: fc.integer({ min: 1, max: 3 }), key: fc.constantFrom(...KEYS) }),
) as fc.Arbitrary<Condition>;

const conditionArb: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, fc.record({ all: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }), fc.record({ any: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }), fc.record({ not: tie('c') })) as fc.Arbitrary<Condition>,
})).c;

const ruleArb: fc.Arbitrary<unknown> = fc.record(
  {
    code: fc.stringMatching(/^[a-z][a-z0-9_]{1,20}$/),
    class: fc.constantFrom('natural', 'preference', 'behaviour', 'value'),
    names: fc.record({ 'zh-CN': fc.string({ minLength: 1, maxLength: 20 }), en: fc.string({ minLength: 1, maxLength: 20 }) }),
    condition: conditionArb,
    valid: fc.record({ from: fc.constantFrom('2026-01-01', '2026-06-01'), to: fc.constantFrom('2026-06-30', '2026-12-31') }, { requiredKeys: [] }),
    status: fc.constantFrom('active', 'retired'),
    version: fc.nat(1000),
  },
  { requiredKeys: ['code', 'class', 'names', 'condition'] },
);

const profileArb: fc.Arbitrary<Profile> = fc
  .record({
    ints: fc.dictionary(fc.constantFrom(...INT_FIELDS), fc.integer({ min: -5, max: 20 }), { maxKeys: 12 }),
    stage: fc.option(fc.constantFrom('active', 'dormant', 'churned', 'member', 'fan')),
    channels: fc.option(fc.subarray(SET_VALUES)),
    consents: fc.option(fc.subarray(SET_VALUES)),
    storesVisited: fc.option(fc.subarray(SET_VALUES)),
    categoryScore: fc.option(fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 20 }))),
    channelShare: fc.option(fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 20 }))),
  })
  .map((r) => {
    const p = new Map<string, ProfileValue>(Object.entries(r.ints));
    if (r.stage !== null) p.set('stage', r.stage);
    for (const k of ['channels', 'consents', 'storesVisited'] as const) if (r[k] !== null) p.set(k, new Set(r[k]));
    for (const k of ['categoryScore', 'channelShare'] as const) if (r[k] !== null) p.set(k, new Map(Object.entries(r[k])));
    return p;
  });

/** The fields a condition names. */
const fieldsOf = (c: Condition): string[] => ('all' in c ? c.all.flatMap(fieldsOf) : 'any' in c ? c.any.flatMap(fieldsOf) : 'not' in c ? fieldsOf(c.not) : [c.field]);

/** A reference reading of a condition, written apart from the compiled one (no shortcuts). */
function reference(c: Condition, p: Profile, day: string): boolean {
  if ('all' in c) return c.all.every((x) => reference(x, p, day));
  if ('any' in c) return c.any.some((x) => reference(x, p, day));
  if ('not' in c) return !reference(c.not, p, day);
  const v = p.get(c.field);
  if (v === undefined) return false;
  if (c.op === 'topIncludes') return topIncludes(v as Map<string, number>, c.n, c.key);
  if (c.op === 'in') return c.values.includes(v as string);
  if (c.op === 'notIn') return !c.values.includes(v as string);
  if (c.op === 'containsAny') return c.values.some((x) => (v as Set<string>).has(x));
  if (c.op === 'containsAll') return c.values.every((x) => (v as Set<string>).has(x));
  if (c.op === 'containsNone') return !c.values.some((x) => (v as Set<string>).has(x));
  const x = v instanceof Map ? scoreOf(v as Map<string, number>, (c as { key: string }).key) : v instanceof Set ? v.size : (v as number);
  if (c.op === 'between') return x >= (c.min as number) && x <= (c.max as number);
  const t = (c as { value: number }).value;
  return { eq: x === t, ne: x !== t, lt: x < t, le: x <= t, gt: x > t, ge: x >= t }[c.op];
}

describe('properties', () => {
  test('any valid rule round-trips through the schema (as JSON, as the hub stores it)', () => {
    fc.assert(
      fc.property(ruleArb, (input) => {
        const first = TagRuleSchema.safeParse(input);
        if (!first.success) return; // a generated tree may be too deep: then it is refused, not changed
        expect(TagRuleSchema.parse(JSON.parse(JSON.stringify(first.data)))).toEqual(first.data);
      }),
      { numRuns: 300 },
    );
  });

  test('the compiled predicate agrees with a plain reading of the tree', () => {
    fc.assert(fc.property(conditionArb, fc.array(profileArb, { maxLength: 10 }), (c, profiles) => {
      const f = compileCondition(c);
      for (const p of profiles) expect(f(p, DAY)).toBe(reference(c, p, DAY));
    }), { numRuns: 300 });
  });

  test('not of a rule tags exactly the complement among members with its fields known', () => {
    fc.assert(
      fc.property(conditionArb, fc.array(profileArb, { minLength: 1, maxLength: 20 }), (c, profiles) => {
        const rule = TagRuleSchema.safeParse({ ...base, condition: c });
        fc.pre(rule.success);
        const negated = { ...(rule.data as TagRule), code: 'negated', condition: { not: c } };
        const fields = fieldsOf(c);
        for (const p of profiles.filter((q) => fields.every((f) => q.has(f)))) {
          const tags = tagsOf([rule.data as TagRule, negated], p, DAY);
          expect(tags.has('test_tag')).toBe(!tags.has('negated'));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('tags outside their window or retired are never given; tagChanges applied to before gives after', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 6 }), profileArb, profileArb, fc.constantFrom('2025-12-31', '2026-01-01', '2026-06-15', '2026-07-01', '2027-01-01'), (inputs, p1, p2, day) => {
        const rules = inputs.flatMap((i) => {
          const r = TagRuleSchema.safeParse(i);
          return r.success ? [r.data] : [];
        });
        const before = tagsOf(rules, p1, day);
        const after = tagsOf(rules, p2, day);
        for (const code of after) {
          const mine = rules.filter((r) => r.code === code);
          expect(mine.some((r) => r.status === 'active' && (!r.valid?.from || r.valid.from <= day) && (!r.valid?.to || day <= r.valid.to))).toBe(true);
        }
        const next = new Set(before);
        for (const e of tagChanges(before, after, day, { kind: 'nightly' })) e.change === 'entered' ? next.add(e.tag) : next.delete(e.tag);
        expect([...next].sort()).toEqual([...after].sort());
      }),
      { numRuns: 200 },
    );
  });
});

describe('previewTagRule', () => {
  const rule = TagRuleSchema.parse({ ...base, condition: { field: 'age', op: 'ge', value: 30 } });
  const people = Array.from({ length: 100 }, (_, i) => [`G${String(i).padStart(4, '0')}`, new Map<string, ProfileValue>([['age', i]])] as const);

  test('counts over the whole base; a sample of 20 of those tagged, spread, the same each time', () => {
    const p = previewTagRule(rule, people, DAY);
    expect(p).toMatchObject({ day: DAY, evaluated: 100, count: 70 });
    expect(p.sample).toHaveLength(20);
    expect(new Set(p.sample).size).toBe(20);
    for (const id of p.sample) expect(Number(id.slice(1))).toBeGreaterThanOrEqual(30);
    // Not simply the first 20 tagged (G0030..G0049): a reservoir over all of them.
    expect(p.sample.some((id) => Number(id.slice(1)) >= 50)).toBe(true);
    expect(previewTagRule(rule, people, DAY).sample).toEqual(p.sample);
    expect(previewTagRule(rule, people.slice(0, 35), DAY).sample.sort()).toEqual(['G0030', 'G0031', 'G0032', 'G0033', 'G0034']);
  });

  test('a retired rule is previewed as if active; outside its window it tags no one', () => {
    expect(previewTagRule({ ...rule, status: 'retired' }, people, DAY).count).toBe(70);
    expect(previewTagRule({ ...rule, valid: { from: '2026-07-01' } }, people, DAY)).toMatchObject({ evaluated: 100, count: 0, sample: [] });
  });
});

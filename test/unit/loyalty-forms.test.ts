import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centsToYuan, yuanToCents } from '../../shared/loyalty/form-values.ts';
import { rulesFromForm, rulesToForm } from '../../shared/loyalty/rules-form.ts';
import { templateFromForm, templateToForm } from '../../shared/loyalty/template-form.ts';
import { DEFAULT_TEMPLATES } from '../../shared/schemas/coupon.ts';
import { DEFAULT_RULES } from '../../shared/schemas/rules.ts';

/** The form's fields with some replaced (and new ones added at the end). */
const edit = (fields: [string, string][], changes: Record<string, string>) => {
  const out = fields.map(([k, v]): [string, string] => [k, Object.hasOwn(changes, k) ? changes[k]! : v]);
  for (const [k, v] of Object.entries(changes)) if (!fields.some(([f]) => f === k)) out.push([k, v]);
  return out;
};

describe('money typed in RMB', () => {
  it('reads yuan with up to two decimals, thousands separators and ¥', () => {
    expect(yuanToCents('15')).toBe(1500);
    expect(yuanToCents('1,500.5')).toBe(150050);
    expect(yuanToCents('¥ 0.07')).toBe(7);
    for (const bad of ['1.234', 'abc', '', '1e3', '--1']) expect(yuanToCents(bad), bad).toBeUndefined();
  });
  it('property: cents → text → cents is the identity', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (c) => yuanToCents(centsToYuan(c)) === c));
  });
});

describe('the rules form', () => {
  it('the form of a version reads back as that version', () => {
    expect(rulesFromForm(rulesToForm(DEFAULT_RULES))).toEqual({ ok: true, rules: DEFAULT_RULES });
  });

  it('a changed multiplier, an empty extra row ignored, a new tier and a new interaction', () => {
    const form = edit(rulesToForm(DEFAULT_RULES), {
      'tiers.2.multiplierPct': '175',
      'tiers.4.code': 'L5',
      'tiers.4.minSpend': '20,000',
      'tiers.4.multiplierPct': '250',
      'tiers.5.code': '',
      'interactions.9.kind': 'review',
      'interactions.9.points': '20',
      'interactions.9.once': 'per_ref',
    });
    const r = rulesFromForm(form);
    expect(r.ok).toBe(true);
    expect(r.rules!.tiers.map((t) => [t.code, t.minSpendCents, t.multiplierPct])).toEqual([['L1', 0, 100], ['L2', 100, 100], ['L3', 150_000, 175], ['L4', 700_000, 200], ['L5', 2_000_000, 250]]);
    expect(r.rules!.interactions.review).toEqual({ points: 20, once: 'per_ref' });
    expect(r.rules!.interactions.profile_completed!.requiresProfile).toEqual(['name', 'gender', 'birthday']);
  });

  it('each wrong field gets its own error, at the row the operator typed it in', () => {
    const r = rulesFromForm(
      edit(rulesToForm(DEFAULT_RULES), {
        'tiers.2.multiplierPct': '1.5',
        'joinGift': 'lots',
        'tierWindowMonths': '',
        'cash.maxShareBps': '20000',
        'offlineSpendLimit': '-5',
        'interactions.1.kind': 'checkin',
        'expiry.months': '0',
      }),
    );
    expect(r.ok).toBe(false);
    expect(Object.fromEntries(r.errors!)).toEqual({
      'tiers.2.multiplierPct': { code: 'whole' },
      'joinGift': { code: 'whole' },
      'interactions.1.kind': { code: 'duplicate' },
      'tierWindowMonths': { code: 'required' },
      'cash.maxShareBps': { code: 'atMost', params: { max: 10000 } },
      'offlineSpendLimit': { code: 'atLeast', params: { min: 0 } },
      'expiry.months': { code: 'above', params: { min: 0 } },
    });
  });

  it('a tier code used twice, a first tier above zero, a kind that is no kind', () => {
    const r = rulesFromForm(edit(rulesToForm(DEFAULT_RULES), { 'tiers.1.code': 'L1', 'tiers.0.minSpend': '1', 'interactions.0.kind': 'Check In' }));
    expect(r.errors?.get('tiers')?.code).toMatch(/firstTierZero|tiersAscending|tierCodesUnique/);
    expect(r.errors?.get('interactions.0.kind')).toEqual({ code: 'format' });
    // A rule over the whole table is judged once its rows are well-formed (zod skips it before).
    expect(Object.fromEntries(rulesFromForm(edit(rulesToForm(DEFAULT_RULES), { 'tiers.3.minSpend': '100' })).errors!)).toEqual({ tiers: { code: 'tiersAscending' } });
    const dup = rulesFromForm(edit(rulesToForm(DEFAULT_RULES), { 'tiers.1.code': 'L1' }));
    expect(Object.fromEntries(dup.errors!)).toEqual({ tiers: { code: 'tierCodesUnique' } });
  });

  it('property: any valid change of the figures reads back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 10 ** 7 }), fc.integer({ min: 1, max: 100_000 }), (mult, limit, ceiling) => {
        const rules = { ...DEFAULT_RULES, offlineSpendLimit: limit, maxPointsPerReceipt: ceiling, tiers: DEFAULT_RULES.tiers.map((t) => ({ ...t, multiplierPct: mult })) };
        expect(rulesFromForm(rulesToForm(rules))).toEqual({ ok: true, rules });
      }),
    );
  });
});

describe('the template form', () => {
  it('each default template reads back as itself; a new one is version 0', () => {
    for (const t of DEFAULT_TEMPLATES) expect(templateFromForm(templateToForm(t))).toEqual({ ok: true, template: t, baseVersion: t.version });
    const fresh = templateFromForm([['id', 'NEW-5'], ['version', '0'], ['title', '5 off'], ['terms.kind', 'cash'], ['terms.value', '5'], ['terms.minSpend', ''], ['scope.stores', 'S001, S002'], ['scope.categories', ''], ['validDays', '14']]);
    expect(fresh).toEqual({ ok: true, baseVersion: 0, template: { id: 'NEW-5', title: '5 off', terms: { kind: 'cash', valueCents: 500, minSpendCents: 0 }, scope: { stores: ['S001', 'S002'] }, validDays: 14, version: 0 } });
  });

  it('errors by field: the id, the value of the kind chosen, the days', () => {
    const r = templateFromForm([['id', 'bad id!'], ['version', '0'], ['title', ''], ['terms.kind', 'percent'], ['terms.percentOff', '150'], ['terms.cap', 'x'], ['validDays', '0']]);
    expect(Object.fromEntries(r.errors!)).toEqual({
      'terms.cap': { code: 'money' },
      'id': { code: 'format' },
      'title': { code: 'required' },
      'terms.percentOff': { code: 'atMost', params: { max: 100 } },
      'validDays': { code: 'above', params: { min: 0 } },
    });
    expect(templateFromForm([['id', 'X1'], ['title', 't'], ['terms.kind', 'bogus'], ['validDays', '3']]).errors?.get('terms.kind')).toEqual({ code: 'choice' });
  });
});

import { describe, expect, it } from 'vitest';
import { tierBenefitsFromForm, tierBenefitsToForm } from '../../shared/loyalty/tier-benefits-form.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';

const TEMPLATES = new Set(['CASH20', 'PCT10', 'GIFT-CUP']);
const RULES: LoyaltyRules = LoyaltyRulesSchema.parse({
  ...DEFAULT_RULES,
  tierLife: { reviewMonths: 3, graceDays: 30 },
  tierBenefits: {
    L2: { birthdayGift: { points: 100 } },
    L3: { upgradeGift: ['CASH20', 'PCT10'], birthdayGift: { templateId: 'GIFT-CUP' }, perks: [{ en: 'Free parking', 'zh-CN': '免费停车' }] },
  },
});
const set = (entries: [string, string][], name: string, value: string): [string, string][] => [...entries.filter(([k]) => k !== name), [name, value]];

describe('the tier life and benefits form', () => {
  it('gives back the rules it was filled from, and the defaults stay without either field', () => {
    expect(tierBenefitsFromForm(RULES, tierBenefitsToForm(RULES), TEMPLATES)).toEqual({ ok: true, rules: RULES });
    expect(tierBenefitsFromForm(DEFAULT_RULES, tierBenefitsToForm(DEFAULT_RULES), TEMPLATES)).toEqual({ ok: true, rules: DEFAULT_RULES });
  });

  it('edits tier life and benefits and keeps every other field of the rules', () => {
    let form = tierBenefitsToForm(RULES);
    form = set(form, 'life.reviewMonths', 'off');
    form = set(form, 'tiers.3.upgradeGift', 'GIFT-CUP， CASH20');
    form = set(form, 'tiers.3.perks.0.en', 'Lounge');
    form = set(form, 'tiers.3.perks.0.zh', '贵宾室');
    form = set(form, 'tiers.2.perks.0.en', '');
    form = set(form, 'tiers.2.perks.0.zh', '');
    const read = tierBenefitsFromForm(RULES, form, TEMPLATES);
    expect(read.ok).toBe(true);
    const { tierLife, tierBenefits, ...rest } = read.rules!;
    const { tierLife: _l, tierBenefits: _b, ...before } = RULES;
    expect(rest).toEqual(before);
    expect(tierLife).toBeUndefined();
    expect(tierBenefits).toEqual({
      L2: { birthdayGift: { points: 100 } },
      L3: { upgradeGift: ['CASH20', 'PCT10'], birthdayGift: { templateId: 'GIFT-CUP' } },
      L4: { upgradeGift: ['GIFT-CUP', 'CASH20'], perks: [{ en: 'Lounge', 'zh-CN': '贵宾室' }] },
    });
  });

  it('names the wrong field: an unknown template, points and a coupon, one language only, a grace in words, a review not offered', () => {
    let form = tierBenefitsToForm(RULES);
    form = set(form, 'tiers.2.upgradeGift', 'CASH20, NOPE');
    form = set(form, 'tiers.1.birthdayTemplate', 'PCT10');
    form = set(form, 'tiers.2.perks.1.en', 'Only English');
    form = set(form, 'life.graceDays', 'ten');
    form = set(form, 'tiers.0.birthdayPoints', '0');
    const read = tierBenefitsFromForm(RULES, form, TEMPLATES);
    expect(read.ok).toBe(false);
    expect(Object.fromEntries(read.errors!)).toMatchObject({
      'tiers.2.upgradeGift': { code: 'unknownTemplate', params: { id: 'NOPE' } },
      'tiers.1.birthdayPoints': { code: 'birthdayOne' },
      'tiers.2.perks.1.zh': { code: 'required' },
      'life.graceDays': { code: 'whole' },
    });
    const zero = tierBenefitsFromForm(RULES, set(tierBenefitsToForm(RULES), 'tiers.0.birthdayPoints', '0'), TEMPLATES);
    expect(zero.errors?.get('tiers.0.birthdayPoints')).toBeDefined();
    const review = tierBenefitsFromForm(RULES, set(tierBenefitsToForm(RULES), 'life.reviewMonths', '5'), TEMPLATES);
    expect(review.errors?.get('life.reviewMonths')).toEqual({ code: 'choice' });
  });
});

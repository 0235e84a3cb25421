import { describe, expect, it } from 'vitest';
import { rulesFromForm, rulesToForm } from '../../shared/loyalty/rules-form.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema } from '../../shared/schemas/rules.ts';

/* The console's rules form with its JSON sections (decision 017): round trip, per-field errors naming where. */

const RICH = LoyaltyRulesSchema.parse({
  ...DEFAULT_RULES,
  earning: { lineRules: [{ name: 'tobacco', categoryPrefix: 'tobacco', ratePct: 0 }], memberDay: { daysOfMonth: [8], multiplierPct: 200 } },
  couponStacking: { order: ['gift', 'cash'], giftAddsLine: true },
});
const withField = (name: string, value: string) => rulesToForm(DEFAULT_RULES).map(([k, v]): [string, string] => [k, k === name ? value : v]);

describe('the rules form, earning and stacking as JSON', () => {
  it('round trips rules with and without the sections; empty text is no section', () => {
    expect(rulesFromForm(rulesToForm(RICH))).toEqual({ ok: true, rules: RICH });
    const plain = rulesFromForm(rulesToForm(DEFAULT_RULES));
    expect(plain.ok && 'earning' in plain.rules).toBe(false);
    expect(rulesToForm(DEFAULT_RULES)).toContainEqual(['earning', '']);
  });

  it('text that is not JSON is an error of its field, nothing else', () => {
    const r = rulesFromForm(withField('earning', '{ lineRules: ['));
    expect(r.ok).toBe(false);
    expect([...r.errors!]).toEqual([['earning', { code: 'json' }]]);
  });

  it('a wrong value inside a section is the section\'s error, naming where in it', () => {
    const r = rulesFromForm(withField('earning', JSON.stringify({ lineRules: [{ name: 'ok', ratePct: 100 }, { name: 'x', ratePct: 5000 }] })));
    expect(r.errors?.get('earning')).toEqual({ code: 'atMost', params: { max: 1000, at: 'lineRules.1.ratePct' } });
    const s = rulesFromForm(withField('couponStacking', JSON.stringify({ order: ['cash', 'cash'] })));
    expect(s.errors?.get('couponStacking')).toEqual({ code: 'kindsOnce', params: { at: 'order' } });
    const d = rulesFromForm(withField('earning', JSON.stringify({ lineRules: [{ name: 'x', ratePct: 200, from: '2026-12-01', to: '2026-11-01' }] })));
    expect(d.errors?.get('earning')).toEqual({ code: 'fromBeforeTo', params: { at: 'lineRules.0.to' } });
    const u = rulesFromForm(withField('earning', JSON.stringify({ bonus: 1 })));
    expect(u.errors?.get('earning')).toMatchObject({ code: 'unknownField' });
  });
});

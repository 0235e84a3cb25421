import { formErrors, type FieldErrors } from '../form-errors.ts';
import { own } from '../own.ts';
import { LoyaltyRulesSchema, type LoyaltyRules, type TierBenefits } from '../schemas/rules.ts';
import { FormValues, wholeNumber } from './form-values.ts';

/*
 * The console's tier life and benefits form (decision 019): the review period and grace, and per
 * tier its upgrade gift (template ids, comma-separated), its birthday gift (points or a template)
 * and its perks in both languages. It edits those two fields of the rules and keeps the rest;
 * the result is checked with the very schema PUT /admin/v1/rules checks with.
 */

export const REVIEW_CHOICES = ['off', '1', '2', '3', '4', '6', '12'] as const;
/** Perk rows a tier's form shows: those filled, and one more, up to the rules' twelve. */
export const MAX_PERKS = 12;

/** The form's fields for a version of the rules. */
export function tierBenefitsToForm(rules: LoyaltyRules): [string, string][] {
  const out: [string, string][] = [['version', String(rules.version)]];
  out.push(['life.reviewMonths', rules.tierLife ? String(rules.tierLife.reviewMonths) : 'off'], ['life.graceDays', rules.tierLife ? String(rules.tierLife.graceDays) : '0']);
  rules.tiers.forEach((tier, i) => {
    const b = own(rules.tierBenefits, tier.code);
    const bd = b?.birthdayGift;
    out.push(
      [`tiers.${i}.code`, tier.code],
      [`tiers.${i}.upgradeGift`, (b?.upgradeGift ?? []).join(', ')],
      [`tiers.${i}.birthdayPoints`, bd && 'points' in bd ? String(bd.points) : ''],
      [`tiers.${i}.birthdayTemplate`, bd && 'templateId' in bd ? bd.templateId : ''],
    );
    (b?.perks ?? []).forEach((p, k) => out.push([`tiers.${i}.perks.${k}.en`, p.en], [`tiers.${i}.perks.${k}.zh`, p['zh-CN']]));
  });
  return out;
}

export type TierBenefitsFormResult = { ok: true; rules: LoyaltyRules; errors?: undefined } | { ok: false; errors: FieldErrors; rules?: undefined };

/**
 * The rules `current` becomes with a submitted form's tier life and benefits, or each wrong
 * field's error. Tiers are the current rules' (the rules form adds and removes them); a template
 * must be one HQ has.
 *
 * @example tierBenefitsFromForm(rules, tierBenefitsToForm(rules), ids) // { ok: true, rules }
 */
export function tierBenefitsFromForm(current: LoyaltyRules, entries: readonly (readonly [string, string])[], templateIds: ReadonlySet<string>): TierBenefitsFormResult {
  const form = new FormValues(entries);
  const errors: FieldErrors = new Map();
  const review = form.text('life.reviewMonths');
  if (!(REVIEW_CHOICES as readonly string[]).includes(review)) errors.set('life.reviewMonths', { code: 'choice' });
  const graceDays = wholeNumber(form, 'life.graceDays', errors);
  const rowOf = new Map<string, number>();
  const benefits: [string, TierBenefits][] = [];
  for (const n of form.rows('tiers')) {
    const code = form.text(`tiers.${n}.code`);
    if (!current.tiers.some((t) => t.code === code) || rowOf.has(code)) continue;
    rowOf.set(code, n);
    const field = (f: string) => `tiers.${n}.${f}`;
    const templates = (name: string, ids: string[]) => {
      const unknown = ids.find((id) => !templateIds.has(id));
      if (unknown !== undefined) errors.set(name, { code: 'unknownTemplate', params: { id: unknown.slice(0, 40) } });
      return ids;
    };
    const upgradeGift = templates(field('upgradeGift'), form.text(field('upgradeGift')).split(/[,，\s]+/).filter((s) => s !== ''));
    const points = wholeNumber(form, field('birthdayPoints'), errors);
    const template = form.text(field('birthdayTemplate'));
    if (points !== undefined && template !== '') errors.set(field('birthdayPoints'), { code: 'birthdayOne' });
    if (template !== '') templates(field('birthdayTemplate'), [template]);
    const perks: { en: string; 'zh-CN': string }[] = [];
    for (let k = 0; k < MAX_PERKS + 1; k++) {
      const en = form.text(field(`perks.${k}.en`));
      const zh = form.text(field(`perks.${k}.zh`));
      if (en === '' && zh === '') continue;
      if (en === '') errors.set(field(`perks.${k}.en`), { code: 'required' });
      if (zh === '') errors.set(field(`perks.${k}.zh`), { code: 'required' });
      perks.push({ en, 'zh-CN': zh });
    }
    const b: TierBenefits = {
      ...(upgradeGift.length > 0 ? { upgradeGift } : {}),
      ...(points !== undefined ? { birthdayGift: { points } } : template !== '' ? { birthdayGift: { templateId: template } } : {}),
      ...(perks.length > 0 ? { perks } : {}),
    };
    if (Object.keys(b).length > 0) benefits.push([code, b]);
  }
  const { tierLife: _life, tierBenefits: _benefits, ...rest } = current;
  const candidate = {
    ...rest,
    version: wholeNumber(form, 'version', errors),
    ...(review !== 'off' ? { tierLife: { reviewMonths: Number(review), graceDays } } : {}),
    ...(benefits.length > 0 ? { tierBenefits: Object.fromEntries(benefits) } : {}),
  };
  const parsed = LoyaltyRulesSchema.safeParse(candidate);
  if (parsed.success && errors.size === 0) return { ok: true, rules: parsed.data };
  const fieldOf = (path: readonly PropertyKey[]): string => {
    const [head, key, leaf, index, lang] = path.map(String);
    if (head === 'tierLife') return `life.${key ?? 'reviewMonths'}`;
    if (head === 'tierBenefits' && key !== undefined) {
      const n = rowOf.get(key) ?? 0;
      if (leaf === 'perks' && index !== undefined) return `tiers.${n}.perks.${index}.${lang === 'zh-CN' ? 'zh' : 'en'}`;
      if (leaf === 'birthdayGift') return `tiers.${n}.birthdayPoints`;
      return `tiers.${n}.${leaf ?? 'upgradeGift'}`;
    }
    return path.map(String).join('.');
  };
  return { ok: false, errors: parsed.success ? errors : formErrors(parsed.error.issues, fieldOf, errors) };
}

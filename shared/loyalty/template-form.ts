import { formErrors, type FieldErrors } from '../form-errors.ts';
import { CouponTemplateSchema, type CouponTemplate } from '../schemas/coupon.ts';
import { centsToYuan, FormValues, money, wholeNumber } from './form-values.ts';

/*
 * The console's coupon template form: one set of fields for the three kinds of terms (the
 * kind picks which apply), money in RMB, store and category lists comma-separated; checked with
 * the schema PUT /admin/v1/templates/:id checks with. `version` is the version edited (0: new).
 */

export const TERM_KINDS = ['cash', 'percent', 'gift'] as const;

const list = (items: readonly string[] | undefined) => (items ?? []).join(', ');

/** The form's fields for a template, as text. */
export function templateToForm(t: CouponTemplate): [string, string][] {
  const terms = t.terms;
  return [
    ['id', t.id],
    ['version', String(t.version)],
    ['title', t.title],
    ['terms.kind', terms.kind],
    ['terms.value', terms.kind === 'cash' ? centsToYuan(terms.valueCents) : ''],
    ['terms.percentOff', terms.kind === 'percent' ? String(terms.percentOff) : ''],
    ['terms.cap', terms.kind === 'percent' && terms.capCents !== undefined ? centsToYuan(terms.capCents) : ''],
    ['terms.giftSku', terms.kind === 'gift' ? terms.giftSku : ''],
    ['terms.minSpend', centsToYuan(terms.minSpendCents)],
    ['scope.stores', list(t.scope.stores)],
    ['scope.categories', list(t.scope.categories)],
    ['validDays', String(t.validDays)],
  ];
}

export type TemplateFormResult = { ok: true; template: CouponTemplate; baseVersion: number; errors?: undefined } | { ok: false; errors: FieldErrors; template?: undefined; baseVersion?: undefined };

const items = (text: string) => text.split(/[,，\s]+/).filter((s) => s !== '');

/**
 * The template a submitted form makes (with the version it was edited from), or each field's error.
 *
 * @example templateFromForm(templateToForm(DEFAULT_TEMPLATES[0])).ok // true
 */
export function templateFromForm(entries: readonly (readonly [string, string])[]): TemplateFormResult {
  const form = new FormValues(entries);
  const errors: FieldErrors = new Map();
  const kind = form.text('terms.kind');
  const minSpendCents = money(form, 'terms.minSpend', errors) ?? 0;
  const cap = money(form, 'terms.cap', errors);
  const terms =
    kind === 'cash'
      ? { kind, valueCents: money(form, 'terms.value', errors), minSpendCents }
      : kind === 'percent'
        ? { kind, percentOff: wholeNumber(form, 'terms.percentOff', errors), ...(cap !== undefined ? { capCents: cap } : {}), minSpendCents }
        : kind === 'gift'
          ? { kind, giftSku: form.text('terms.giftSku'), minSpendCents }
          : { kind };
  const stores = items(form.text('scope.stores'));
  const categories = items(form.text('scope.categories'));
  const baseVersion = wholeNumber(form, 'version', errors) ?? 0;
  const candidate = {
    id: form.text('id'),
    title: form.text('title'),
    terms,
    scope: { ...(stores.length > 0 ? { stores } : {}), ...(categories.length > 0 ? { categories } : {}) },
    validDays: wholeNumber(form, 'validDays', errors),
    version: baseVersion,
  };
  const parsed = CouponTemplateSchema.safeParse(candidate);
  if (parsed.success && errors.size === 0) return { ok: true, template: parsed.data, baseVersion };
  const fieldOf = (path: readonly PropertyKey[]): string => {
    const [head, leaf] = path.map(String);
    if (head === 'terms') return `terms.${leaf === 'valueCents' ? 'value' : leaf === 'capCents' ? 'cap' : leaf === 'minSpendCents' ? 'minSpend' : (leaf ?? 'kind')}`;
    if (head === 'scope') return `scope.${leaf ?? 'stores'}`;
    return path.map(String).join('.');
  };
  return { ok: false, errors: parsed.success ? errors : formErrors(parsed.error.issues, fieldOf, errors) };
}

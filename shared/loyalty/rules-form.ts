import { fieldError, formErrors, type FieldErrors } from '../form-errors.ts';
import { LoyaltyRulesSchema, type LoyaltyRules } from '../schemas/rules.ts';
import { centsToYuan, FormValues, money, wholeNumber } from './form-values.ts';

/*
 * The console's rules form: the fields it shows for a version of the rules, and the rules an
 * operator's submission makes, checked with the very schema PUT /admin/v1/rules checks with.
 * Money is typed in RMB where the rules keep cents; tier and interaction rows are numbered, and a
 * row left wholly empty is no row (the form offers one empty row to add).
 */

export const PROFILE_FIELDS = ['name', 'gender', 'birthday'] as const;

/** Sections of the rules edited as JSON text: their fields are many and nested (decision 017). */
export const JSON_SECTIONS = ['earning', 'couponStacking'] as const;

/** A JSON section's text as a value: '' is no section; text that is not JSON is a field error. */
function jsonSection(form: FormValues, name: string, errors: FieldErrors): unknown {
  const text = form.text(name);
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    errors.set(name, { code: 'json' });
    return undefined;
  }
}

/** The form's fields for a version of the rules, as text (what the edit form is filled with). */
export function rulesToForm(rules: LoyaltyRules): [string, string][] {
  const out: [string, string][] = [['version', String(rules.version)]];
  rules.tiers.forEach((t, i) => out.push([`tiers.${i}.code`, t.code], [`tiers.${i}.name`, t.name ?? ''], [`tiers.${i}.minSpend`, centsToYuan(t.minSpendCents)], [`tiers.${i}.multiplierPct`, String(t.multiplierPct)]));
  out.push(['tierWindowMonths', String(rules.tierWindowMonths)], ['earn.pointsPerYuan', String(rules.earn.pointsPerYuan)], ['joinGift', String(rules.joinGift)]);
  Object.entries(rules.interactions).forEach(([kind, r], i) => {
    out.push([`interactions.${i}.kind`, kind], [`interactions.${i}.points`, String(r.points)], [`interactions.${i}.once`, r.once]);
    for (const f of r.requiresProfile ?? []) out.push([`interactions.${i}.requiresProfile`, f]);
  });
  out.push(['cash.pointsPerYuan', String(rules.cash.pointsPerYuan)], ['cash.maxShareBps', String(rules.cash.maxShareBps)], ['expiry.kind', rules.expiry.kind]);
  if (rules.expiry.kind === 'relative') out.push(['expiry.months', String(rules.expiry.months)]);
  out.push(['offlineSpendLimit', String(rules.offlineSpendLimit)], ['maxPointsPerReceipt', String(rules.maxPointsPerReceipt)]);
  if (rules.vestingDays !== undefined) out.push(['vestingDays', String(rules.vestingDays)]); // vesting, decision 018
  // Earning rules and coupon stacking (decision 017) as JSON sections: empty means none.
  for (const section of JSON_SECTIONS) out.push([section, rules[section] === undefined ? '' : JSON.stringify(rules[section], null, 2)]);
  return out;
}

export type RulesFormResult = { ok: true; rules: LoyaltyRules; errors?: undefined } | { ok: false; errors: FieldErrors; rules?: undefined };

/**
 * The rules a submitted form makes, or the error of each field that is wrong: first what cannot
 * be read (a word where a number goes, an interaction named twice), then the schema's verdict,
 * each issue reported at the field it is about.
 *
 * @example rulesFromForm(rulesToForm(DEFAULT_RULES)) // { ok: true, rules: DEFAULT_RULES }
 */
export function rulesFromForm(entries: readonly (readonly [string, string])[]): RulesFormResult {
  const form = new FormValues(entries);
  const errors: FieldErrors = new Map();
  const filled = (prefix: string, n: number, names: readonly string[]) => names.some((f) => form.text(`${prefix}.${n}.${f}`) !== '');

  const tierRows = form.rows('tiers').filter((n) => filled('tiers', n, ['code', 'name', 'minSpend', 'multiplierPct']));
  const tiers = tierRows.map((n) => {
    const name = form.text(`tiers.${n}.name`);
    return { code: form.text(`tiers.${n}.code`), ...(name ? { name } : {}), minSpendCents: money(form, `tiers.${n}.minSpend`, errors), multiplierPct: wholeNumber(form, `tiers.${n}.multiplierPct`, errors) };
  });

  const interactionRows = form.rows('interactions').filter((n) => filled('interactions', n, ['kind', 'points']));
  const interactions = new Map<string, unknown>();
  const rowOfKind = new Map<string, number>();
  for (const n of interactionRows) {
    const kind = form.text(`interactions.${n}.kind`);
    if (interactions.has(kind)) errors.set(`interactions.${n}.kind`, { code: 'duplicate' });
    const requires = form.all(`interactions.${n}.requiresProfile`).filter((f) => f !== '');
    interactions.set(kind, { points: wholeNumber(form, `interactions.${n}.points`, errors), once: form.text(`interactions.${n}.once`), ...(requires.length > 0 ? { requiresProfile: requires } : {}) });
    rowOfKind.set(kind, n);
  }
  // An interaction's kind is a key of the rules: one that is no valid kind is refused here, before it is one.
  for (const [kind, n] of rowOfKind) if (!/^[a-z_]{2,32}$/.test(kind)) errors.set(`interactions.${n}.kind`, { code: kind === '' ? 'required' : 'format' });

  const expiryKind = form.text('expiry.kind');
  const candidate = {
    version: wholeNumber(form, 'version', errors),
    tiers,
    tierWindowMonths: wholeNumber(form, 'tierWindowMonths', errors),
    earn: { pointsPerYuan: wholeNumber(form, 'earn.pointsPerYuan', errors) },
    joinGift: wholeNumber(form, 'joinGift', errors),
    interactions: Object.fromEntries([...interactions].filter(([k]) => /^[a-z_]{2,32}$/.test(k))),
    cash: { pointsPerYuan: wholeNumber(form, 'cash.pointsPerYuan', errors), maxShareBps: wholeNumber(form, 'cash.maxShareBps', errors) },
    expiry: expiryKind === 'relative' ? { kind: expiryKind, months: wholeNumber(form, 'expiry.months', errors) } : { kind: expiryKind },
    offlineSpendLimit: wholeNumber(form, 'offlineSpendLimit', errors),
    maxPointsPerReceipt: wholeNumber(form, 'maxPointsPerReceipt', errors),
    // Vesting (decision 018): left empty, points are spendable at once, as in rules without it.
    ...(form.text('vestingDays') !== '' ? { vestingDays: wholeNumber(form, 'vestingDays', errors) } : {}),
    ...Object.fromEntries(JSON_SECTIONS.flatMap((name) => {
      const v = jsonSection(form, name, errors);
      return v === undefined ? [] : [[name, v]];
    })),
  };
  const parsed = LoyaltyRulesSchema.safeParse(candidate);
  if (parsed.success && errors.size === 0) return { ok: true, rules: parsed.data };
  // The schema's paths point at the rules; the form's fields are the rows the operator typed.
  const fieldOf = (path: readonly PropertyKey[]): string => {
    const [head, index, leaf, ...rest] = path.map(String);
    if (head === 'tiers' && index !== undefined) return `tiers.${tierRows[Number(index)] ?? index}.${leaf === 'minSpendCents' ? 'minSpend' : (leaf ?? 'code')}`;
    if (head === 'interactions' && index !== undefined) return `interactions.${rowOfKind.get(index) ?? 0}.${leaf === undefined ? 'kind' : [leaf, ...rest][0]}`;
    return path.map(String).join('.');
  };
  if (parsed.success) return { ok: false, errors };
  // An issue inside a JSON section is the section's field error, naming where in it (`lineRules.1.ratePct`).
  for (const issue of parsed.error.issues) {
    const [head, ...inner] = issue.path.map(String);
    if (!(JSON_SECTIONS as readonly string[]).includes(head ?? '') || errors.has(head!)) continue;
    const e = fieldError(issue);
    errors.set(head!, { code: e.code, params: { ...e.params, at: inner.join('.') || head! } });
  }
  return { ok: false, errors: formErrors(parsed.error.issues.filter((i) => !(JSON_SECTIONS as readonly string[]).includes(String(i.path[0]))), fieldOf, errors) };
}

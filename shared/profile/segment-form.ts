/*
 * The console's segment editor as form fields (it works without scripts): a match (all / any)
 * over up to ROWS conditions, each a field, an operator, an optional key and a value, and a
 * "not" box; or, for a rule nested deeper than that, the rule as JSON. Pure: the page and the
 * live count read the same fields the same way.
 */
import { profileField } from './fields.ts';
import { SegmentRule, type Comparison, type Condition } from './segment-rules.ts';

export const ROWS = 6;

export type RuleRead = { ok: true; rule: Condition } | { ok: false; errors: Map<string, string> };

const get = (values: readonly [string, string][], name: string) => values.find(([k]) => k === name)?.[1]?.trim() ?? '';

function valueOf(kind: string, op: string, text: string): Partial<Comparison> | string {
  if (op === 'known' || op === 'unknown') return {};
  if (op === 'within' || op === 'in' || op === 'notIn' || op.startsWith('contains') || kind === 'set') {
    const values = text.split(',').map((v) => v.trim()).filter(Boolean);
    return values.length ? { values } : 'values, separated by commas';
  }
  const scalar = (s: string): number | string | undefined => (kind === 'day' ? (/^\d{4}-\d{2}-\d{2}$/.test(s) ? s : undefined) : /^-?\d{1,10}$/.test(s) ? Number(s) : undefined);
  if (op === 'between') {
    const [a, b] = text.split('..').map((s) => scalar(s.trim()));
    return a !== undefined && b !== undefined ? { min: a, max: b } : kind === 'day' ? 'two days: 2026-01-01..2026-03-31' : 'two whole numbers: 25..45';
  }
  const v = scalar(text);
  return v === undefined ? (kind === 'day' ? 'a day: 2026-01-31' : 'a whole number') : { value: v };
}

/** The rule of the editor's fields: the JSON when given, else the rows; errors by field name. */
export function ruleFromForm(values: readonly [string, string][]): RuleRead {
  const errors = new Map<string, string>();
  const json = get(values, 'json');
  let rule: unknown;
  if (json) {
    try {
      rule = JSON.parse(json);
    } catch {
      errors.set('json', 'not valid JSON');
      return { ok: false, errors };
    }
  } else {
    const conditions: Condition[] = [];
    for (let i = 0; i < ROWS; i++) {
      const field = get(values, `c${i}.field`);
      if (!field) continue;
      const op = get(values, `c${i}.op`);
      const f = profileField(field);
      const v = valueOf(f?.kind ?? 'int', op, get(values, `c${i}.value`));
      if (typeof v === 'string') {
        errors.set(`c${i}.value`, v);
        continue;
      }
      const key = get(values, `c${i}.key`);
      const c: Comparison = { field, op, ...(key ? { key } : {}), ...v };
      conditions.push(get(values, `c${i}.not`) ? { not: c } : c);
    }
    if (conditions.length === 0 && errors.size === 0) errors.set('c0.field', 'name at least one condition');
    rule = get(values, 'match') === 'any' ? { any: conditions } : { all: conditions };
  }
  if (errors.size > 0) return { ok: false, errors };
  const parsed = SegmentRule.safeParse(rule);
  if (parsed.success) return { ok: true, rule: parsed.data };
  for (const issue of parsed.error.issues) {
    // A row's fault lands on the row's field: all.2.op → c2.op (json: on the JSON box).
    const p = issue.path;
    const row = !json && (p[0] === 'all' || p[0] === 'any') && typeof p[1] === 'number' ? (p[2] === 'not' ? p[3] : p[2]) : undefined;
    const name = row === undefined ? 'json' : `c${String(p[1])}.${row === 'min' || row === 'max' || row === 'values' ? 'value' : String(row)}`;
    if (!errors.has(name)) errors.set(name, `${p.map(String).join('.')}: ${issue.message}`);
  }
  return { ok: false, errors };
}

/** The editor's fields of a rule: rows when it is one flat list, else the JSON. */
export function ruleToForm(rule: Condition): [string, string][] {
  const list = 'all' in rule ? rule.all : 'any' in rule ? rule.any : undefined;
  const flat = list && list.length <= ROWS && list.every((c) => !('all' in c) && !('any' in c) && (!('not' in c) || (!('all' in c.not) && !('any' in c.not) && !('not' in c.not))));
  if (!flat) return [['json', JSON.stringify(rule, null, 2)]];
  const out: [string, string][] = [['match', 'any' in rule ? 'any' : 'all']];
  list.forEach((c, i) => {
    const negated = 'not' in c;
    const x = (negated ? c.not : c) as Comparison;
    const value = x.values ? x.values.join(', ') : x.min !== undefined ? `${x.min}..${x.max}` : x.value !== undefined ? String(x.value) : '';
    out.push([`c${i}.field`, x.field], [`c${i}.op`, x.op], [`c${i}.key`, x.key ?? ''], [`c${i}.value`, value]);
    if (negated) out.push([`c${i}.not`, '1']);
  });
  return out;
}

/*
 * The segment rule language (issue 12, decision 023): a boolean tree (all / any / not) over
 * comparisons of profile fields (shared/profile/fields.ts), by the field's kind, plus "within the
 * org tree" on the fields that name stores (home store, stores visited, most visited store), which
 * is how a segment names regions, cities and stores. Channels are the `channels` set and the
 * `channelShare` scores. A rule is data: validated with zod against the field contract, so an
 * unknown field or an operator its kind does not have is refused, with the path of the condition.
 */
import { z } from 'zod';
import { parseNode } from '../org-scope.ts';
import { profileField, type FieldKind } from './fields.ts';

export const INT_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'known', 'unknown'] as const;
export const ENUM_OPS = ['in', 'notIn', 'known', 'unknown'] as const;
export const SET_OPS = ['containsAny', 'containsAll', 'containsNone'] as const;
/** Fields naming stores also take `within`: the store lies under one of these org nodes. */
export const WITHIN_OP = 'within';
export const STORE_FIELDS: ReadonlySet<string> = new Set(['homeStore', 'mostVisitedStore', 'storesVisited']);

/** The operators a field of a kind takes (a store field also takes `within`). */
export function opsOf(kind: FieldKind, field: string): readonly string[] {
  const base = kind === 'int' || kind === 'day' || kind === 'scores' ? INT_OPS : kind === 'enum' ? ENUM_OPS : SET_OPS;
  return STORE_FIELDS.has(field) ? [...base, WITHIN_OP] : base;
}

/** Conditions and nesting are bounded: a rule is edited by hand and counted on every keystroke. */
export const MAX_CONDITIONS = 40;
export const MAX_DEPTH = 6;
const MAX_VALUES = 200;

const Text = z.string().min(1).max(120);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD');
const Int = z.number().int().min(-2147483647).max(2147483647);

export const Comparison = z.strictObject({
  field: z.string().min(1).max(40),
  op: z.string().min(1).max(20),
  /** `int`/`scores`: an integer; `day`: YYYY-MM-DD. */
  value: z.union([Int, Day]).optional(),
  /** `between`, both ends included. */
  min: z.union([Int, Day]).optional(),
  max: z.union([Int, Day]).optional(),
  /** `in`/`notIn`, the set operators, `within` (org node ids `region:East`, `city:Shanghai`, `store:S001`). */
  values: z.array(Text).max(MAX_VALUES).optional(),
  /** `scores`: the key (a category path, a brand, a SKU, a channel). */
  key: Text.optional(),
});
export type Comparison = z.infer<typeof Comparison>;

export type Condition = Comparison | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([z.strictObject({ all: z.array(ConditionSchema).min(1).max(MAX_CONDITIONS) }), z.strictObject({ any: z.array(ConditionSchema).min(1).max(MAX_CONDITIONS) }), z.strictObject({ not: ConditionSchema }), Comparison]),
);

/** A rule checked against the field contract: each faulty comparison is one issue at its path. */
export const SegmentRule: z.ZodType<Condition> = ConditionSchema.superRefine((rule, ctx) => {
  let count = 0;
  const walk = (c: Condition, path: (string | number)[], depth: number) => {
    if (depth > MAX_DEPTH) return ctx.addIssue({ code: 'custom', path, message: `nested deeper than ${MAX_DEPTH}` });
    if ('all' in c) return c.all.forEach((x, i) => walk(x, [...path, 'all', i], depth + 1));
    if ('any' in c) return c.any.forEach((x, i) => walk(x, [...path, 'any', i], depth + 1));
    if ('not' in c) return walk(c.not, [...path, 'not'], depth + 1);
    count++;
    for (const problem of comparisonProblems(c)) ctx.addIssue({ code: 'custom', path: [...path, problem.at], message: problem.message });
  };
  walk(rule, [], 0);
  if (count > MAX_CONDITIONS) ctx.addIssue({ code: 'custom', path: [], message: `at most ${MAX_CONDITIONS} conditions (this rule has ${count})` });
});

/** What is wrong with one comparison, by the part at fault (`field`, `op`, `value`, …); none when it is right. */
export function comparisonProblems(c: Comparison): { at: keyof Comparison; message: string }[] {
  const f = profileField(c.field);
  if (!f) return [{ at: 'field', message: `no profile field ${c.field}` }];
  const ops = opsOf(f.kind, f.name);
  if (!ops.includes(c.op)) return [{ at: 'op', message: `${c.field} (${f.kind}) takes ${ops.join(', ')}, not ${c.op}` }];
  const out: { at: keyof Comparison; message: string }[] = [];
  const need = (at: keyof Comparison, ok: boolean, message: string) => ok || out.push({ at, message });
  const scalar = (v: unknown) => (f.kind === 'day' ? typeof v === 'string' : typeof v === 'number');
  const what = f.kind === 'day' ? 'a day YYYY-MM-DD' : 'an integer';
  if (f.kind === 'scores') need('key', c.key !== undefined, `${c.field} needs the key it compares (a category, a brand, a SKU)`);
  else need('key', c.key === undefined, `${c.field} takes no key`);
  if (c.op === WITHIN_OP) {
    need('values', (c.values?.length ?? 0) > 0, 'within: name the org nodes (region:…, city:…, store:…)');
    for (const v of c.values ?? []) need('values', parseNode(v) !== undefined, `within: ${v.slice(0, 60)} is no org node`);
  } else if (c.op === 'between') {
    need('min', scalar(c.min), `between needs min, ${what}`);
    need('max', scalar(c.max), `between needs max, ${what}`);
  } else if (c.op === 'known' || c.op === 'unknown') {
    need('value', c.value === undefined, `${c.op} takes no value`);
  } else if (f.kind === 'int' || f.kind === 'day' || f.kind === 'scores') {
    need('value', scalar(c.value), `${c.op} needs ${what}`);
  } else {
    need('values', (c.values?.length ?? 0) > 0, `${c.op} needs values`);
    if (f.kind === 'enum' && f.values && f.values.length > 0) for (const v of c.values ?? []) need('values', f.values.includes(v), `${c.field} has no value ${v.slice(0, 40)} (${f.values.join(', ')})`);
  }
  return out;
}

/** The comparisons of a rule, depth first (the editor lists them; the compiler resolves their org nodes). */
export function comparisons(c: Condition): Comparison[] {
  if ('all' in c) return c.all.flatMap(comparisons);
  if ('any' in c) return c.any.flatMap(comparisons);
  if ('not' in c) return comparisons(c.not);
  return [c];
}

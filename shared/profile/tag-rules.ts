import { z } from 'zod';
import { profileField, type FieldKind, type Profile, type ProfileValue } from './fields.ts';

/*
 * Tags as rules (issue 12, decision 022): a tag rule is data, a boolean condition over the
 * profile fields of shared/profile/fields.ts, checked against that registry when it is parsed
 * (a field it does not list, or an operator its kind does not have, is refused with the path of
 * the offending node). Field names, keys and values written by operators are only ever compared
 * or passed to `Map.get`, never used as keys of a plain object.
 *
 * A condition is a tree:
 *   { all: [c, ...] }   every one holds            { any: [c, ...] }   at least one holds
 *   { not: c }          c does not hold
 *   { field, op, ... }  a comparison on one field:
 *     int, day:  op eq | ne | lt | le | gt | ge with `value`, or `between` with `min` and `max`
 *                (both included); int `value` may be `{ month: k }`: the evaluation day's month
 *                plus k (wrapping: birthdays this month, next month)
 *     enum:      op in | notIn with `values`
 *     set:       op containsAny | containsAll | containsNone with `values`, or a comparison as
 *                for int on the set's size (stores visited ≥ 3)
 *     scores:    `key` with a comparison as for int (a key absent from the scores is 0, and a
 *                category key sums its sub-categories: `coffee` counts `coffee/beans`), or
 *                op topIncludes with `n` and `key`: the key (or one under it) is among the n
 *                highest scores
 * A comparison on a field the profile does not have (unknown: no purchase yet, no birthday on
 * record) does not hold, whatever its operator; `not` of it does. So `not` of a rule tags exactly
 * the members with the field known that the rule does not tag, and those without it.
 */

export const TAG_CLASSES = ['natural', 'preference', 'behaviour', 'value'] as const;
export type TagClass = (typeof TAG_CLASSES)[number];
export const TAG_STATUSES = ['active', 'retired'] as const;

export const COMPARE_OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export const LIST_OPS = ['in', 'notIn', 'containsAny', 'containsAll', 'containsNone'] as const;
export const LEAF_OPS = [...COMPARE_OPS, 'between', ...LIST_OPS, 'topIncludes'] as const;
type CompareOp = (typeof COMPARE_OPS)[number];
type ListOp = (typeof LIST_OPS)[number];
export type LeafOp = (typeof LEAF_OPS)[number];

/** Which operators each kind of field has. */
export const OPS_OF_KIND: ReadonlyMap<FieldKind, readonly LeafOp[]> = new Map<FieldKind, readonly LeafOp[]>([
  ['int', [...COMPARE_OPS, 'between']],
  ['day', [...COMPARE_OPS, 'between']],
  ['enum', ['in', 'notIn']],
  ['set', ['containsAny', 'containsAll', 'containsNone', ...COMPARE_OPS, 'between']],
  ['scores', [...COMPARE_OPS, 'between', 'topIncludes']],
]);

/** The evaluation day's month plus `month` (0: this month). */
export interface MonthOfDay {
  month: number;
}
export type Operand = number | string | MonthOfDay;

export type Leaf =
  | { field: string; op: CompareOp; value: Operand; key?: string }
  | { field: string; op: 'between'; min: number | string; max: number | string; key?: string }
  | { field: string; op: ListOp; values: string[] }
  | { field: string; op: 'topIncludes'; n: number; key: string };
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Leaf;

export const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const Day = z.string().regex(DAY, 'a day, YYYY-MM-DD');
const Text = z.string().min(1).max(80);
const Scalar = z.union([z.number().int().min(-1e12).max(1e12), z.string().max(80)]);

// Loose here, checked against the field registry below (checkCondition): the errors then name
// the field and what is wrong with it, not "no union member matched".
const NodeSchema: z.ZodType<unknown> = z.lazy(() =>
  z.strictObject({
    all: z.array(NodeSchema).min(1).max(50).optional(),
    any: z.array(NodeSchema).min(1).max(50).optional(),
    not: NodeSchema.optional(),
    field: z.string().min(1).max(64).optional(),
    op: z.enum(LEAF_OPS).optional(),
    key: z.string().min(1).max(120).optional(),
    value: z.union([Scalar, z.strictObject({ month: z.number().int().min(0).max(11) })]).optional(),
    min: Scalar.optional(),
    max: Scalar.optional(),
    values: z.array(z.string().min(1).max(80)).min(1).max(100).optional(),
    n: z.number().int().min(1).max(50).optional(),
  }),
);

const MAX_DEPTH = 8;
const MAX_LEAVES = 100;

type Issue = { path: (string | number)[]; message: string; rule: string; field?: string };

/** What is wrong with a condition tree against the field registry: one issue per offending node, with its path. */
export function checkCondition(node: unknown, path: (string | number)[] = ['condition']): Issue[] {
  const issues: Issue[] = [];
  let leaves = 0;
  const walk = (n: Record<string, unknown>, at: (string | number)[], depth: number) => {
    if (depth > MAX_DEPTH) return issues.push({ path: at, message: `nested deeper than ${MAX_DEPTH}`, rule: 'tagDepth' });
    const shapes = ['all', 'any', 'not', 'field'].filter((k) => n[k] !== undefined);
    if (shapes.length !== 1) return issues.push({ path: at, message: 'each node is exactly one of all, any, not or a comparison (field)', rule: 'tagNode' });
    if (n.all !== undefined || n.any !== undefined) {
      const k = n.all !== undefined ? 'all' : 'any';
      const extra = Object.keys(n).filter((x) => x !== k);
      if (extra.length > 0) issues.push({ path: [...at, extra[0]!], message: `${k} takes no ${extra[0]}`, rule: 'tagOperand' });
      (n[k] as Record<string, unknown>[]).forEach((c, i) => walk(c, [...at, k, i], depth + 1));
      return;
    }
    if (n.not !== undefined) {
      const extra = Object.keys(n).filter((x) => x !== 'not');
      if (extra.length > 0) issues.push({ path: [...at, extra[0]!], message: `not takes no ${extra[0]}`, rule: 'tagOperand' });
      return walk(n.not as Record<string, unknown>, [...at, 'not'], depth + 1);
    }
    leaves++;
    checkLeaf(n, at, issues);
  };
  if (typeof node === 'object' && node !== null) walk(node as Record<string, unknown>, path, 1);
  if (leaves > MAX_LEAVES) issues.push({ path, message: `at most ${MAX_LEAVES} comparisons`, rule: 'tagTooMany' });
  return issues;
}

function checkLeaf(n: Record<string, unknown>, at: (string | number)[], issues: Issue[]): void {
  const name = n.field as string;
  const field = profileField(name);
  if (!field) return void issues.push({ path: [...at, 'field'], message: `unknown field '${name}': not in the profile fields (shared/profile/fields.ts)`, rule: 'tagUnknownField', field: name.slice(0, 64) });
  // Tags are what the rules compute, all at once: a rule reading them would see none, or an
  // order between rules no one chose. Tags are combined in a segment's rule.
  if (field.name === 'tags') return void issues.push({ path: [...at, 'field'], message: 'a tag rule cannot name tags, which the rules compute; combine tags in a segment', rule: 'tagNamesTags', field: name });
  const op = n.op as LeafOp | undefined;
  if (op === undefined) return void issues.push({ path: [...at, 'op'], message: `${name}: an operator is needed`, rule: 'required', field: name });
  if (!OPS_OF_KIND.get(field.kind)!.includes(op)) {
    return void issues.push({ path: [...at, 'op'], message: `${name} is ${field.kind === 'enum' ? 'an' : 'a'} ${field.kind} field: ${op} does not apply (${OPS_OF_KIND.get(field.kind)!.join(', ')})`, rule: 'tagOpForKind', field: name });
  }
  const allowed = new Set<string>(['field', 'op']);
  const bad = (key: string, message: string, rule = 'tagOperand') => issues.push({ path: [...at, key], message: `${name}: ${message}`, rule, field: name });
  const scalar = (key: 'value' | 'min' | 'max') => {
    allowed.add(key);
    const v = n[key];
    if (v === undefined) return bad(key, `${op} needs ${key}`, 'required');
    if (field.kind === 'day') {
      if (typeof v !== 'string' || !DAY.test(v)) bad(key, `${key} must be a day, YYYY-MM-DD`, 'tagDay');
    } else if (typeof v === 'object') {
      if (field.kind !== 'int' || key !== 'value') bad(key, `{ month } applies to an int field's value only`);
    } else if (typeof v !== 'number') bad(key, `${key} must be a whole number`, 'whole');
  };
  if (field.kind === 'scores') {
    allowed.add('key');
    if (typeof n.key !== 'string') bad('key', `${op} on scores needs the key it reads (a category, a brand, a SKU)`, 'required');
  }
  if ((COMPARE_OPS as readonly string[]).includes(op)) scalar('value');
  else if (op === 'between') {
    scalar('min');
    scalar('max');
    const [lo, hi] = [n.min, n.max];
    if ((typeof lo === 'number' && typeof hi === 'number') || (typeof lo === 'string' && typeof hi === 'string')) if (lo > hi) bad('max', 'max must not be below min', 'tagBetween');
  } else if (op === 'topIncludes') {
    allowed.add('n');
    if (n.n === undefined) bad('n', 'topIncludes needs n', 'required');
  } else {
    allowed.add('values');
    const values = n.values as string[] | undefined;
    if (values === undefined) bad('values', `${op} needs values`, 'required');
    else if (field.kind === 'enum' && field.values && field.values.length > 0) {
      const unknown = values.find((v) => !field.values!.includes(v));
      if (unknown !== undefined) bad('values', `'${unknown}' is not one of ${field.values.join(', ')}`, 'tagEnumValue');
    }
  }
  const extra = Object.keys(n).find((k) => !allowed.has(k));
  if (extra !== undefined) bad(extra, `${op} takes no ${extra}`);
}

export const TagRuleSchema = z
  .strictObject({
    code: z.string().regex(/^[a-z][a-z0-9_]{1,47}$/, 'a lower-case letter, then letters, digits or _, at most 48'),
    class: z.enum(TAG_CLASSES),
    names: z.strictObject({ 'zh-CN': Text, en: Text }),
    /** What it is for, shown in the editor; optional. */
    about: z.string().max(300).optional(),
    condition: NodeSchema,
    /** Days the rule tags on (both included); absent: always. */
    valid: z.strictObject({ from: Day.optional(), to: Day.optional() }).optional(),
    status: z.enum(TAG_STATUSES).default('active'),
    /** The hub's version of the rule (decision 015): 0 before it was first stored. */
    version: z.number().int().nonnegative().default(0),
  })
  .superRefine((rule, ctx) => {
    for (const i of checkCondition(rule.condition)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message, params: { rule: i.rule, ...(i.field !== undefined ? { field: i.field } : {}) } });
    if (rule.valid?.from && rule.valid.to && rule.valid.from > rule.valid.to) ctx.addIssue({ code: 'custom', path: ['valid', 'to'], message: 'valid.to must not be before valid.from', params: { rule: 'tagWindow' } });
  })
  .transform((rule) => rule as Omit<typeof rule, 'condition'> & { condition: Condition });
export type TagRule = z.output<typeof TagRuleSchema>;
export type TagRuleInput = z.input<typeof TagRuleSchema>;

/** A rule's problems as `path: message` lines, for the CLI and the API's error message. */
export function tagRuleErrors(input: unknown): { path: string; message: string; rule?: string; field?: string }[] {
  const r = TagRuleSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => {
    const params = (i as { params?: { rule?: unknown; field?: unknown } }).params;
    return { path: i.path.join('.'), message: i.message, ...(typeof params?.rule === 'string' ? { rule: params.rule } : {}), ...(typeof params?.field === 'string' ? { field: params.field } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluation: a rule compiles once to a predicate; the nightly run calls it per profile.


/** Whether a condition holds for a profile on a day (`YYYY-MM-DD`). */
export type Predicate = (p: Profile, day: string) => boolean;

const monthOf = (day: string) => Number(day.slice(5, 7));

function cmp(op: CompareOp, x: number | string, v: number | string): boolean {
  switch (op) {
    case 'eq':
      return x === v;
    case 'ne':
      return x !== v;
    case 'lt':
      return x < v;
    case 'le':
      return x <= v;
    case 'gt':
      return x > v;
    case 'ge':
      return x >= v;
  }
}

/** A score of a key: its own, plus its sub-keys' (`coffee` counts `coffee/beans`); 0 when absent. */
export function scoreOf(scores: ReadonlyMap<string, number>, key: string, under = `${key}/`): number {
  let total = 0;
  for (const [k, v] of scores) if (k === key || k.startsWith(under)) total += v;
  return total;
}

/** The part of a key at a depth: `coffee/beans/dark` at 1 is `coffee`; a shorter key is itself. */
function groupOf(k: string, depth: number): string {
  let at = -1;
  for (let i = 0; i < depth; i++) {
    at = k.indexOf('/', at + 1);
    if (at < 0) return k;
  }
  return k.slice(0, at);
}

/**
 * Whether `key` is among the `n` highest scores, keys compared at the key's own level: for
 * `coffee`, `coffee/beans` and `coffee/cups` count as `coffee`, summed, against `snacks` (and
 * `snacks/chips`); ties go to the key first in order. A key with no score is in no top.
 *
 * @example topIncludes(new Map([['coffee/beans', 3], ['coffee/cups', 3], ['snacks', 4]]), 1, 'coffee') // true
 */
export function topIncludes(scores: ReadonlyMap<string, number>, n: number, key: string, depth = key.split('/').length): boolean {
  const mine = scoreOf(scores, key);
  if (mine <= 0) return false;
  // A profile has tens of scores: two small arrays beat a Map here.
  const names: string[] = [];
  const sums: number[] = [];
  for (const [k, v] of scores) {
    const g = groupOf(k, depth);
    if (g === key) continue;
    const i = names.indexOf(g);
    if (i < 0) {
      names.push(g);
      sums.push(v);
    } else sums[i]! += v;
  }
  let above = 0;
  for (let i = 0; i < names.length; i++) if (sums[i]! > mine || (sums[i] === mine && names[i]! < key)) above++;
  return above < n;
}

const isSet = (v: ProfileValue | undefined): v is ReadonlySet<string> => v instanceof Set;
const isScores = (v: ProfileValue | undefined): v is ReadonlyMap<string, number> => v instanceof Map;

/**
 * Compiles a condition to a predicate (the tree is walked once, here).
 *
 * @example compileCondition({ field: 'age', op: 'between', min: 18, max: 24 })(new Map([['age', 20]]), '2026-06-01') // true
 */
export function compileCondition(c: Condition): Predicate {
  if ('all' in c) {
    const parts = c.all.map(compileCondition);
    if (parts.length === 2) {
      const [a, b] = parts as [Predicate, Predicate];
      return (p, d) => a(p, d) && b(p, d);
    }
    return (p, d) => {
      for (const f of parts) if (!f(p, d)) return false;
      return true;
    };
  }
  if ('any' in c) {
    const parts = c.any.map(compileCondition);
    return (p, d) => {
      for (const f of parts) if (f(p, d)) return true;
      return false;
    };
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return (p, d) => !inner(p, d);
  }
  return compileLeaf(c);
}

function compileLeaf(c: Leaf): Predicate {
  const { field } = c;
  const kind = profileField(field)?.kind;
  if (c.op === 'topIncludes') {
    const { n, key } = c;
    const depth = key.split('/').length;
    return (p) => {
      const v = p.get(field);
      return isScores(v) && topIncludes(v, n, key, depth);
    };
  }
  if (c.op === 'in' || c.op === 'notIn') {
    const values = new Set(c.values);
    const want = c.op === 'in';
    return (p) => {
      const v = p.get(field);
      return typeof v === 'string' && values.has(v) === want;
    };
  }
  if (c.op === 'containsAny' || c.op === 'containsAll' || c.op === 'containsNone') {
    const values = c.values;
    const op = c.op;
    // Plain loops: a closure per call in .some() was a tenth of the nightly run's time.
    if (op === 'containsAll')
      return (p) => {
        const v = p.get(field);
        if (!isSet(v)) return false;
        for (const x of values) if (!v.has(x)) return false;
        return true;
      };
    const any = op === 'containsAny';
    return (p) => {
      const v = p.get(field);
      if (!isSet(v)) return false;
      for (const x of values) if (v.has(x)) return any;
      return !any;
    };
  }
  // A number or a day: read from the field, a key of its scores, or the size of its set.
  const read: (p: Profile) => number | string | undefined =
    kind === 'set'
      ? (p) => {
          const v = p.get(field);
          return isSet(v) ? v.size : undefined;
        }
      : kind === 'scores'
      ? ((key: string, under: string) => (p: Profile) => {
          const v = p.get(field);
          return isScores(v) ? scoreOf(v, key, under) : undefined;
        })((c as { key: string }).key, `${(c as { key: string }).key}/`)
      : kind === 'day'
        ? (p) => {
            const v = p.get(field);
            return typeof v === 'string' ? v : undefined;
          }
        : (p) => {
            const v = p.get(field);
            return typeof v === 'number' ? v : undefined;
          };
  if (c.op === 'between') {
    const { min, max } = c;
    return (p) => {
      const x = read(p);
      return x !== undefined && x >= min && x <= max;
    };
  }
  const { op, value } = c as Extract<Leaf, { value: Operand }>;
  if (typeof value === 'object') {
    const offset = value.month;
    return (p, day) => {
      const x = read(p);
      return x !== undefined && cmp(op, x, ((monthOf(day) - 1 + offset) % 12) + 1);
    };
  }
  switch (op) {
    // The common cases without the switch per call: the nightly run calls these a hundred million times.
    case 'ge':
      return (p) => {
        const x = read(p);
        return x !== undefined && x >= value;
      };
    case 'le':
      return (p) => {
        const x = read(p);
        return x !== undefined && x <= value;
      };
    case 'eq':
      return (p) => read(p) === value;
    default:
      return (p) => {
        const x = read(p);
        return x !== undefined && cmp(op, x, value);
      };
  }
}

/** Rules compiled once: the active ones, each with its predicate and validity window. */
export interface CompiledTagRules {
  readonly compiled: readonly { code: string; from: string | undefined; to: string | undefined; holds: Predicate }[];
}

/** Compiles the active rules (a retired rule tags no one). */
export function compileTagRules(rules: readonly TagRule[]): CompiledTagRules {
  return {
    compiled: rules.filter((r) => r.status === 'active').map((r) => ({ code: r.code, from: r.valid?.from, to: r.valid?.to, holds: compileCondition(r.condition) })),
  };
}

/**
 * The tags a profile holds on a day: the codes of the active rules in their window whose
 * condition holds. Pass compiled rules (compileTagRules) when evaluating many profiles.
 *
 * @example tagsOf(compileTagRules(DEFAULT_TAG_RULES), profile, '2026-06-01') // Set { 'gender_female', 'age_25_29', ... }
 */
export function tagsOf(rules: CompiledTagRules | readonly TagRule[], profile: Profile, day: string): Set<string> {
  const { compiled } = 'compiled' in rules ? rules : compileTagRules(rules);
  const out = new Set<string>();
  for (const r of compiled) {
    if ((r.from !== undefined && day < r.from) || (r.to !== undefined && day > r.to)) continue;
    if (r.holds(profile, day)) out.add(r.code);
  }
  return out;
}

/** What made a member's tags change: a new fact, the nightly run, a rule's change, a merge or split. */
export interface TagCause {
  kind: 'fact' | 'nightly' | 'rule' | 'merge' | 'split';
  /** The fact id, the rule code, the other golden member: whatever says which. */
  ref?: string;
}

export interface TagEvent {
  tag: string;
  change: 'entered' | 'left';
  day: string;
  cause: TagCause;
}

/**
 * The entered/left events between a member's tags before and after, in tag order (left before
 * entered for one tag cannot happen: a tag is in one of the sets or both).
 *
 * @example tagChanges(new Set(['a']), new Set(['b']), '2026-06-01', { kind: 'nightly' })
 * // [{ tag: 'a', change: 'left', ... }, { tag: 'b', change: 'entered', ... }]
 */
export function tagChanges(before: ReadonlySet<string>, after: ReadonlySet<string>, day: string, cause: TagCause): TagEvent[] {
  const events: TagEvent[] = [];
  for (const tag of before) if (!after.has(tag)) events.push({ tag, change: 'left', day, cause });
  for (const tag of after) if (!before.has(tag)) events.push({ tag, change: 'entered', day, cause });
  return events.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

import { profileField, type Profile, type ProfileValue } from '../../shared/profile/fields.ts';
import type { Condition, Leaf } from '../../shared/profile/tag-rules.ts';

/*
 * Profiles on either side of a tag rule, derived from its condition tree without evaluating it:
 * each comparison at its threshold (just inside) and one step beyond (just outside); `all` just
 * outside when one part is, the others inside; `any` just inside through each branch alone.
 * Parts that would need one field two ways (age ≥ 18 and age < 18) cannot be built this way:
 * the generator says so (null) and the test writes those profiles by hand.
 */

/** What a profile must hold for a field: an exact value, or for a set the members it must and must not have. */
type Want = { kind: 'value'; value: number | string } | { kind: 'set'; present: ReadonlySet<string>; absent: ReadonlySet<string>; size?: number } | { kind: 'scores'; scores: ReadonlyMap<string, number>; ranked: boolean };
type Assignment = ReadonlyMap<string, Want>;

export interface Boundaries {
  inside: Profile[];
  outside: Profile[];
}

const OTHER = 'zz_other';

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const wrapMonth = (m: number) => ((((m - 1) % 12) + 12) % 12) + 1;

function merge(parts: readonly Assignment[]): Assignment | null {
  const out = new Map<string, Want>();
  for (const part of parts)
    for (const [field, want] of part) {
      const had = out.get(field);
      if (!had) {
        out.set(field, want);
        continue;
      }
      if (had.kind === 'value' && want.kind === 'value') {
        if (had.value !== want.value) return null;
      } else if (had.kind === 'set' && want.kind === 'set') {
        if (had.size !== undefined || want.size !== undefined) return null;
        const present = new Set([...had.present, ...want.present]);
        const absent = new Set([...had.absent, ...want.absent]);
        if ([...present].some((v) => absent.has(v))) return null;
        out.set(field, { kind: 'set', present, absent });
      } else if (had.kind === 'scores' && want.kind === 'scores') {
        if (had.ranked || want.ranked || [...want.scores.keys()].some((k) => [...had.scores.keys()].some((h) => h === k || h.startsWith(`${k}/`) || k.startsWith(`${h}/`)))) return null;
        out.set(field, { kind: 'scores', scores: new Map([...had.scores, ...want.scores]), ranked: false });
      } else return null;
    }
  return out;
}

const one = (field: string, want: Want): Assignment => new Map([[field, want]]);

/** Values of a comparison leaf just inside (true) and just outside (false) its threshold. */
function stepValues(op: string, v: number | string, step: (x: number | string, by: number) => number | string): { yes: (number | string)[]; no: (number | string)[] } {
  switch (op) {
    case 'ge':
      return { yes: [v], no: [step(v, -1)] };
    case 'gt':
      return { yes: [step(v, 1)], no: [v] };
    case 'le':
      return { yes: [v], no: [step(v, 1)] };
    case 'lt':
      return { yes: [step(v, -1)], no: [v] };
    case 'eq':
      return { yes: [v], no: [step(v, -1), step(v, 1)] };
    default: // ne
      return { yes: [step(v, -1), step(v, 1)], no: [v] };
  }
}

function leafCases(c: Leaf, day: string, want: boolean): Assignment[] | null {
  const field = profileField(c.field);
  if (!field) return null;
  if (c.op === 'in' || c.op === 'notIn') {
    const fixed = field.values && field.values.length > 0 ? field.values.filter((v) => !c.values.includes(v)) : [OTHER];
    const inside = c.values.map((v) => one(c.field, { kind: 'value', value: v }));
    const outside = fixed.map((v) => one(c.field, { kind: 'value', value: v }));
    return (c.op === 'in') === want ? inside : outside;
  }
  const set = (present: string[], absent: string[]) => one(c.field, { kind: 'set', present: new Set(present), absent: new Set(absent) });
  if (c.op === 'containsAny') return want ? c.values.map((v) => set([v], c.values.filter((x) => x !== v))) : [set([], c.values)];
  if (c.op === 'containsNone') return want ? [set([], c.values)] : c.values.map((v) => set([v], c.values.filter((x) => x !== v)));
  if (c.op === 'containsAll') return want ? [set(c.values, [])] : c.values.map((v) => set(c.values.filter((x) => x !== v), [v]));
  if (c.op === 'topIncludes') {
    // The key ranked exactly n (inside) or n + 1 (outside) among keys that outscore it.
    const ranked = (above: number) => one(c.field, { kind: 'scores', scores: new Map([[c.key, 100], ...Array.from({ length: above }, (_, i) => [`${OTHER}${i}`, 200] as [string, number])]), ranked: true });
    return [want ? ranked(c.n - 1) : ranked(c.n)];
  }
  const isMonth = (x: unknown): x is { month: number } => typeof x === 'object' && x !== null;
  const numStep = (x: number | string, by: number) => (typeof x === 'string' ? addDays(x, by) : x + by);
  let values: { yes: (number | string)[]; no: (number | string)[] };
  if (c.op === 'between') values = { yes: [c.min, c.max], no: [numStep(c.min, -1), numStep(c.max, 1)] };
  else {
    const cl = c as Extract<Leaf, { value: unknown }>;
    const v = cl.value;
    values = isMonth(v) ? stepValues(cl.op, wrapMonth(Number(day.slice(5, 7)) + v.month), (x, by) => wrapMonth(Number(x) + by)) : stepValues(cl.op, v, numStep);
  }
  const chosen = want ? values.yes : values.no;
  if (field.kind === 'set') return chosen.every((n) => typeof n === 'number' && n >= 0) ? chosen.map((n) => one(c.field, { kind: 'set', present: new Set(Array.from({ length: n as number }, (_, i) => `${OTHER}${i}`)), absent: new Set(), size: n as number })) : null;
  if (field.kind === 'scores') return chosen.map((n) => one(c.field, { kind: 'scores', scores: new Map([[(c as { key: string }).key, n as number]]), ranked: false }));
  return chosen.map((v) => one(c.field, { kind: 'value', value: v }));
}

function cases(c: Condition, day: string, want: boolean): Assignment[] | null {
  if ('not' in c) return cases(c.not, day, !want);
  if ('all' in c || 'any' in c) {
    const parts = 'all' in c ? c.all : c.any;
    // all true / any false: every part that way. all false / any true: one part that way, the
    // others the other way (the first of their cases), so that part alone decides.
    const uniform = 'all' in c;
    const others = parts.map((p) => cases(p, day, uniform));
    if (others.some((s) => s === null || s.length === 0)) return null;
    const firsts = (skip: number) => others.flatMap((s, i) => (i === skip ? [] : [s![0]!]));
    const out: (Assignment | null)[] = [];
    if (want === uniform) {
      out.push(merge(firsts(-1)));
      others.forEach((s, i) => s!.slice(1).forEach((alt) => out.push(merge([alt, ...firsts(i)]))));
    } else {
      for (let i = 0; i < parts.length; i++) {
        const mine = cases(parts[i]!, day, want);
        if (mine === null) return null;
        for (const alt of mine) out.push(merge([alt, ...firsts(i)]));
      }
    }
    return out.some((a) => a === null) ? null : (out as Assignment[]);
  }
  return leafCases(c, day, want);
}

function profileOf(a: Assignment): Profile {
  const p = new Map<string, ProfileValue>();
  for (const [field, want] of a) {
    if (want.kind === 'value') p.set(field, want.value);
    else if (want.kind === 'set') p.set(field, new Set(want.present));
    else p.set(field, new Map(want.scores));
  }
  return p;
}

/** Profiles just inside and just outside a condition on a day, or null when the tree needs them written by hand. */
export function boundaryProfiles(c: Condition, day: string): Boundaries | null {
  const inside = cases(c, day, true);
  const outside = cases(c, day, false);
  if (!inside || !outside || inside.length === 0 || outside.length === 0) return null;
  return { inside: inside.map(profileOf), outside: outside.map(profileOf) };
}

/** Whether a condition holds with every field unknown: each comparison false, then the tree's logic. */
export function holdsWithNothingKnown(c: Condition): boolean {
  if ('not' in c) return !holdsWithNothingKnown(c.not);
  if ('all' in c) return c.all.every(holdsWithNothingKnown);
  if ('any' in c) return c.any.some(holdsWithNothingKnown);
  return false;
}

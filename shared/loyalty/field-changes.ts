/**
 * What changed between two versions of a document (loyalty rules, a coupon template), field by
 * field, for the version history operators read. Versions are stored whole; the changes are
 * worked out when they are shown, so a better diff later needs no migration.
 */

export interface FieldChange {
  /** Where, as a dotted path: `tiers[L3].multiplierPct`, `interactions.checkin.points`, `offlineSpendLimit`. */
  path: string;
  /** The value before (undefined: the field was added). */
  before?: unknown;
  /** The value after (undefined: the field was removed). */
  after?: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How the elements of a list are matched across versions: a list of objects that all carry a
 * distinct `code` (tiers) or `id` by it, so inserting a tier reads as one added tier rather than
 * every later tier changed; any other list by position.
 */
function keysOf(list: readonly unknown[]): { by: string; keys: string[] } {
  for (const field of ['code', 'id']) {
    const keys = list.map((x) => (isPlainObject(x) && typeof x[field] === 'string' ? (x[field] as string) : undefined));
    if (list.length > 0 && keys.every((k): k is string => k !== undefined) && new Set(keys).size === keys.length) return { by: field, keys };
  }
  return { by: list.length > 0 ? 'position' : 'empty', keys: list.map((_, i) => String(i)) };
}

function walk(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (Object.is(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const name of names) walk(path ? `${path}.${name}` : name, Object.hasOwn(before, name) ? before[name] : undefined, Object.hasOwn(after, name) ? after[name] : undefined, out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const [b, a] = [keysOf(before), keysOf(after)];
    // Matched by key only when both sides are keyed the same way and keep their common keys in order; else by position.
    const common = (x: string[], y: string[]) => x.filter((k) => y.includes(k)).join('\u0000');
    const same = (b.by === a.by || b.by === 'empty' || a.by === 'empty') && common(b.keys, a.keys) === common(a.keys, b.keys);
    const kb = same ? b.keys : before.map((_, i) => String(i));
    const ka = same ? a.keys : after.map((_, i) => String(i));
    const mb = new Map(kb.map((k, i) => [k, before[i]]));
    const ma = new Map(ka.map((k, i) => [k, after[i]]));
    for (const k of [...new Set([...kb, ...ka])]) walk(`${path}[${k}]`, mb.get(k), ma.get(k), out);
    return;
  }
  if (before === undefined) out.push({ path, after });
  else if (after === undefined) out.push({ path, before });
  else out.push({ path, before, after });
}

/**
 * The fields that differ between two versions, leaves only, in a stable order; `ignore` names
 * top-level fields left out (the version number, which always changes).
 *
 * @example fieldChanges({ a: 1, t: [{ code: 'L1', m: 100 }] }, { a: 1, t: [{ code: 'L1', m: 150 }] })
 * // [{ path: 't[L1].m', before: 100, after: 150 }]
 */
export function fieldChanges(before: unknown, after: unknown, ignore: readonly string[] = ['version']): FieldChange[] {
  const strip = (v: unknown) => (isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => !ignore.includes(k))) : v);
  const out: FieldChange[] = [];
  walk('', strip(before), strip(after), out);
  return out;
}

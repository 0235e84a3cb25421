/*
 * The codebase's rule for keys that come from outside (a request, an import row, a replicated
 * document, a rule, template or store name): they never index a plain object. A plain object
 * answers `__proto__`, `constructor` or `toString` from its prototype, which is how a check-in
 * kind once minted points without a delta and a gender cleaned to Object.prototype. Keep such
 * keys in a Map, in an object made by `dict()` (it has no prototype), or read them with `own()`.
 */

/**
 * The value an object holds under `key` itself, never one its prototype answers.
 *
 * @example own(rules.interactions, 'constructor') // undefined, not the Object function
 */
export function own<V>(obj: Readonly<Record<string, V>> | null | undefined, key: string): V | undefined {
  return obj != null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * An object without a prototype, for building records keyed by outside text (JSON bodies, CSV
 * rows): `__proto__` is then an ordinary key.
 *
 * @example const row = dict<string>(); row['__proto__'] = 'x'; Object.keys(row) // ['__proto__']
 */
export function dict<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/**
 * A fixed lookup table (words an import maps to codes) as a Map: `table.get(text)` of any text
 * is either an entry or undefined.
 */
export const lookupTable = <V>(entries: Record<string, V>): ReadonlyMap<string, V> => new Map(Object.entries(entries));

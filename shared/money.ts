/** Money is integer cents (fen) everywhere; these helpers keep splits exact. */

/**
 * Splits `amount` over `weights` proportionally, in integer units, so that the parts add up to
 * exactly `amount` (largest remainder; ties go to the earlier weight).
 *
 * @example allocate(100, [1, 1, 1]) // [34, 33, 33]
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.map(() => 0);
  const parts = weights.map((w) => mulDiv(amount, w, total));
  let rest = amount - parts.reduce((a, b) => a + b, 0);
  const order = weights
    .map((w, i) => ({ i, r: mulMod(amount, w, total) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) parts[order[k]!.i]! += 1;
  return parts;
}

/**
 * floor(a × b / c) for non-negative integers, exact also where a × b is beyond 2^53 (a large
 * receipt's cents times its points rate): there the product is taken in BigInt.
 *
 * @example mulDiv(10_000_000_000, 1_000_000, 3) // 3333333333333333, not a rounded float
 */
export function mulDiv(a: number, b: number, c: number): number {
  const p = a * b;
  return Number.isSafeInteger(p) ? Math.floor(p / c) : Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/** (a × b) mod c, exact as mulDiv. */
export function mulMod(a: number, b: number, c: number): number {
  const p = a * b;
  return Number.isSafeInteger(p) ? p % c : Number((BigInt(a) * BigInt(b)) % BigInt(c));
}

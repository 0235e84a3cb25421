/**
 * Any value as text for a message or a log, never throwing: `String(x)` throws for an object
 * whose `toString` is not a function, which JSON can carry (`{"type": {"toString": {}}}` once made
 * the gateway answer 500).
 *
 * @example safeText({ toString: {} }) // '[object Object]'
 */
export function safeText(x: unknown, max = 300): string {
  let s: string;
  try {
    s = typeof x === 'string' ? x : String(x);
  } catch {
    s = Object.prototype.toString.call(x);
  }
  return s.length > max ? s.slice(0, max) : s;
}

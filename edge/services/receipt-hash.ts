import { createHash } from 'node:crypto';

/**
 * A stable hash of a request body: key order does not matter, content does. Receipts store it,
 * so its text must never change: a till that retries across an upgrade must get its 200.
 */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex').slice(0, 32);
}

/**
 * JSON with object keys sorted and undefined members left out. Built by appending to one string
 * (the hash is taken on every checkout and refund): entries, filter, map and join made five
 * arrays per object.
 */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + (canonical(v[i]) ?? '');
    return out + ']';
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    let out = '{';
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined) continue;
      out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + canonical(o[k]);
    }
    return out + '}';
  }
  return JSON.stringify(v);
}

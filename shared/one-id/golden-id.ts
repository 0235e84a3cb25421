import { idHash } from '../compact-facts.ts';

/*
 * A golden member without a store member id is named after its smallest record id, so the same
 * records give the same id on every hub, in every run, whatever order they arrived in.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * `G` and 20 Crockford base-32 characters (100 bits) of a hash of the record id: collisions are
 * out of reach for any number of records a retailer has, and the id is a valid `MemberId`.
 *
 * @example goldenIdOf('crm:1001') // 'G…' (always the same for 'crm:1001')
 */
export function goldenIdOf(recordId: string): string {
  const a = idHash(recordId, 0x9e3779b9);
  const b = idHash(recordId, 0x85ebca6b);
  return `G${base32(a, 10)}${base32(b, 10)}`;
}

/** The low `chars` × 5 bits of a non-negative integer below 2^53 (chars ≤ 10). */
function base32(n: number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) {
    s = CROCKFORD[n % 32]! + s;
    n = Math.floor(n / 32);
  }
  return s;
}

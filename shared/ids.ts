import { createHash, randomBytes, randomInt } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A time-ordered random id (ULID layout): sortable by creation, unique without coordination. */
export function newId(now: Date, prefix = ''): string {
  let t = now.getTime();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[bytes[i]! % 32];
  return prefix + time + rand;
}

/** An 18-digit member code for the member's barcode / QR code. */
export function newMemberCode(): string {
  let s = String(randomInt(1, 10));
  for (let i = 0; i < 17; i++) s += String(randomInt(0, 10));
  return s;
}

/** A coupon code cashiers can read out: 12 Crockford characters in groups of four. */
export function newCouponCode(): string {
  return couponCodeOf(randomBytes(12));
}

/**
 * The coupon code of one issuing request: the same member, template and request id always give
 * the same code, so a request sent twice (a form submitted again, a retried call) issues one
 * coupon. 60 bits of SHA-256: different requests do not meet.
 *
 * @example couponCodeFor('M0000001', 'CASH20', 'req-1') === couponCodeFor('M0000001', 'CASH20', 'req-1') // true
 */
export function couponCodeFor(memberId: string, templateId: string, requestId: string): string {
  return couponCodeOf(createHash('sha256').update(`issue\n${memberId}\n${templateId}\n${requestId}`).digest());
}

/**
 * The code of the coupon a points exchange makes at a store: derived from the store and the
 * request, so a retried exchange, a replayed fact and the hub's check all arrive at the same code,
 * and a store cannot pass off a coupon of its own making as an exchange's (decision 020).
 *
 * @example exchangeCouponCode('S001', 'req-0001') === exchangeCouponCode('S001', 'req-0001') // true
 */
export function exchangeCouponCode(storeId: string, requestId: string): string {
  return couponCodeOf(createHash('sha256').update(`exchange\n${storeId}\n${requestId}`).digest());
}

/**
 * The coupon code of a tier gift (decision 019): the same member, cause (`tier:<code>`,
 * `birthday:<year>`) and template give the same code at every store and at the hub, so a gift two
 * sides issued while apart is one document, not two.
 *
 * @example giftCouponCode('M0000001', 'tier:L3', 'CASH20') === giftCouponCode('M0000001', 'tier:L3', 'CASH20') // true
 */
export function giftCouponCode(memberId: string, cause: string, templateId: string): string {
  return couponCodeOf(createHash('sha256').update(`gift\n${memberId}\n${cause}\n${templateId}`).digest());
}

function couponCodeOf(bytes: Buffer): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += CROCKFORD[bytes[i]! % 32];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

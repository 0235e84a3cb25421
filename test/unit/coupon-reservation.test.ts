import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideReservation, RESERVATION_TTL_MS, type Reservation } from '../../shared/coupon-reservation.ts';
import { docId, storeOfCheckout } from '../../shared/doc-ids.ts';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const ask = (orderId: string, ms: number, existing?: Reservation, redeemedBy?: string) =>
  decideReservation({ code: 'C-1', orderId, storeId: storeOfCheckout(orderId.slice('order:'.length)), now: new Date(T0 + ms), ...(existing ? { existing } : {}), ...(redeemedBy ? { redeemedBy } : {}) });

describe('decideReservation', () => {
  it('holds a free coupon for the receipt, until the hold expires', () => {
    const v = ask('order:S001:T1:R1', 0);
    expect(v).toEqual({ ok: true, write: { code: 'C-1', orderId: 'order:S001:T1:R1', storeId: 'S001', at: new Date(T0).toISOString(), expiresAt: new Date(T0 + RESERVATION_TTL_MS).toISOString() } });
  });

  it('the same receipt again is fine and writes nothing; another receipt is refused while the hold lasts, then takes it', () => {
    const held = (ask('order:S001:T1:R1', 0) as { write: Reservation }).write;
    expect(ask('order:S001:T1:R1', 1000, held)).toEqual({ ok: true });
    expect(ask('order:S002:T1:R9', 1000, held)).toEqual({ ok: false, reason: 'redeemed_elsewhere', orderId: 'order:S001:T1:R1' });
    expect(ask('order:S002:T1:R9', RESERVATION_TTL_MS + 1, held)).toMatchObject({ ok: true, write: { orderId: 'order:S002:T1:R9' } });
  });

  it('a redemption the hub holds decides, expired hold or not', () => {
    const held = (ask('order:S001:T1:R1', 0) as { write: Reservation }).write;
    expect(ask('order:S002:T1:R9', RESERVATION_TTL_MS * 10, held, 'order:S001:T1:R1')).toMatchObject({ ok: false, reason: 'redeemed_elsewhere' });
    expect(ask('order:S001:T1:R1', RESERVATION_TTL_MS * 10, held, 'order:S001:T1:R1').ok).toBe(true);
    expect(ask('order:S003:T1:R3', 0, undefined, 'order:S001:T1:R1')).toMatchObject({ ok: false });
  });

  it('property: over any sequence of asks, no two receipts are granted the coupon while a hold or a redemption stands', () => {
    const orders = ['order:S001:T1:A', 'order:S002:T1:B', 'order:S003:T2:C'];
    const step = fc.record({ order: fc.constantFrom(...orders), advanceMs: fc.integer({ min: 0, max: RESERVATION_TTL_MS / 2 }), redeems: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let stored: Reservation | undefined;
        let redeemedBy: string | undefined;
        let ms = 0;
        for (const s of steps) {
          ms += s.advanceMs;
          const v = ask(s.order, ms, stored, redeemedBy);
          if (!v.ok) continue;
          // Granted to another receipt than the one holding it: only once that hold had expired, and never after a redemption.
          if (stored && stored.orderId !== s.order) expect(T0 + ms - Date.parse(stored.at)).toBeGreaterThanOrEqual(RESERVATION_TTL_MS);
          if (redeemedBy !== undefined) expect(s.order).toBe(redeemedBy);
          if (v.write) stored = v.write;
          // A granted checkout may complete: its redemption reaches the hub.
          if (s.redeems && redeemedBy === undefined) redeemedBy = s.order;
        }
      }),
    );
  });
});

describe('docId.refund', () => {
  it('keeps the id of a refund at the order store; names the refunding store elsewhere', () => {
    expect(docId.refund('order:S001:T1:R1', 'F1')).toBe('refund:S001:T1:R1:F1');
    expect(docId.refund('order:S001:T1:R1', 'F1', 'S001')).toBe('refund:S001:T1:R1:F1');
    expect(docId.refund('order:S001:T1:R1', 'F1', 'S002')).toBe('refund:S001:T1:R1:F1@S002');
  });

  it('property: refunds of one order at different stores or with different numbers never share an id, and all fall in the order\'s range', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
    const refundNo = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/);
    fc.assert(
      fc.property(part, part, part, fc.tuple(refundNo, part), fc.tuple(refundNo, part), (store, terminal, receipt, [n1, s1], [n2, s2]) => {
        const orderId = docId.order(store, terminal, receipt);
        const a = docId.refund(orderId, n1, s1);
        const b = docId.refund(orderId, n2, s2);
        const where = (s: string) => (s === store ? '' : s); // at the order's store, the refunding store is not named
        if (n1 !== n2 || where(s1) !== where(s2)) expect(a).not.toBe(b);
        else expect(a).toBe(b);
        for (const id of [a, b]) expect(id.startsWith(`refund:${store}:${terminal}:${receipt}:`)).toBe(true);
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { adjustmentEntry, adjustmentOf, planResolution, type IncidentFacts } from '../../shared/incident-resolution.ts';
import { orderForOverspend } from '../../shared/loyalty/ledger-order.ts';
import { firstOverspend } from '../../shared/loyalty/overspend.ts';
import { MemberIndex } from '../../shared/member-index.ts';
import type { LedgerDoc } from '../../shared/schemas/documents.ts';
import { ResolveIncidentSchema } from '../../shared/schemas/incident.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { MEMBER, STORE } from './fixtures.ts';

const overspend: IncidentFacts = { _id: `incident:overspend:${MEMBER}`, kind: 'overspend', storeId: STORE, memberId: MEMBER, details: { balance: -300, spent: 700 } };
const double: IncidentFacts = { _id: 'incident:coupon_double_redeem:CPN-0001', kind: 'coupon_double_redeem', storeId: 'S002', memberId: MEMBER, details: { code: 'CPN-0001' } };
const skew: IncidentFacts = { _id: 'incident:clock_skew:S001:2026-03-10T04', kind: 'clock_skew', storeId: STORE, details: { skewMs: 900_000 } };
const evidence = { cashPointsPerYuan: 100, couponCents: 2000 };
const body = (over: Record<string, unknown>) => ResolveIncidentSchema.parse({ note: 'looked into it', ...over });

describe('resolving an incident: what it comes to', () => {
  it('a note alone resolves any kind; points without a claw-back or write-off are refused', () => {
    expect(planResolution(skew, body({}), evidence)).toEqual({ ok: true, plan: { note: 'looked into it', action: 'none' } });
    expect(planResolution(skew, body({ points: 5 }), evidence)).toMatchObject({ ok: false, field: 'points' });
    expect(planResolution(skew, body({ action: 'claw_back', points: 5 }), evidence)).toMatchObject({ ok: false, field: 'action' });
    expect(planResolution(skew, body({ action: 'write_off' }), evidence)).toMatchObject({ ok: false, field: 'action' });
  });

  it("an overspend's claw-back takes the points the operator names, never a default (the balance below zero is a debt already)", () => {
    expect(planResolution(overspend, body({ action: 'claw_back' }), evidence)).toMatchObject({ ok: false, field: 'points' });
    expect(planResolution(overspend, body({ action: 'claw_back', points: 300 }), evidence)).toEqual({ ok: true, plan: { note: 'looked into it', action: 'claw_back', points: 300 } });
    expect(planResolution(overspend, body({ action: 'claw_back', points: 120 }), evidence)).toMatchObject({ ok: true, plan: { points: 120 } });
    expect(planResolution({ ...overspend, details: {} }, body({ action: 'claw_back' }), evidence)).toMatchObject({ ok: false, field: 'points' });
  });

  it("a double redemption's loss is money: written off as the discount, clawed back only as points the operator names", () => {
    expect(planResolution(double, body({ action: 'write_off' }), evidence)).toEqual({ ok: true, plan: { note: 'looked into it', action: 'write_off', cents: 2000 } });
    expect(planResolution(double, body({ action: 'write_off', points: 10 }), evidence)).toMatchObject({ ok: false, field: 'points' });
    expect(planResolution(double, body({ action: 'write_off' }), { cashPointsPerYuan: 100 })).toMatchObject({ ok: false, field: 'action' });
    expect(planResolution(double, body({ action: 'claw_back' }), evidence)).toMatchObject({ ok: false, field: 'points' });
    expect(planResolution(double, body({ action: 'claw_back', points: 2000 }), evidence)).toMatchObject({ ok: true, plan: { points: 2000 } });
  });

  it("an overspend's write-off forgives the debt still open: the points below zero, what they pay at the till", () => {
    expect(planResolution(overspend, body({ action: 'write_off' }), { ...evidence, balance: -300 })).toMatchObject({ ok: true, plan: { points: 300, cents: 300 } });
    // Later points paid part of it: only what is still owed is forgiven; never more than the operator names.
    expect(planResolution(overspend, body({ action: 'write_off' }), { ...evidence, balance: -120 })).toMatchObject({ ok: true, plan: { points: 120, cents: 120 } });
    expect(planResolution(overspend, body({ action: 'write_off', points: 50 }), { ...evidence, balance: -300 })).toMatchObject({ ok: true, plan: { points: 50, cents: 50 } });
    // Paid off already: nothing was lost, nothing to write off.
    for (const balance of [0, 40, undefined]) expect(planResolution(overspend, body({ action: 'write_off' }), { ...evidence, balance })).toMatchObject({ ok: false, field: 'action' });
  });

  it('a claw-back takes points, an overspend written off gives them back, anything else moves none', () => {
    expect(adjustmentOf('overspend', { action: 'claw_back', points: 300 })).toBe(-300);
    expect(adjustmentOf('coupon_double_redeem', { action: 'claw_back', points: 2000 })).toBe(-2000);
    expect(adjustmentOf('overspend', { action: 'write_off', points: 300 })).toBe(300);
    expect(adjustmentOf('coupon_double_redeem', { action: 'write_off' })).toBe(0);
    expect(adjustmentOf('overspend', { action: 'none' })).toBe(0);
  });

  it('the note is 1-500 visible characters; unknown fields and actions are refused', () => {
    for (const bad of [{ note: '' }, { note: ' ' }, { note: 'x'.repeat(501) }, { note: 'a\u202Eb' }, { note: 'ok', action: 'refund' }, { note: 'ok', points: 0 }, { note: 'ok', points: 1.5 }, { note: 'ok', extra: 1 }]) {
      expect(ResolveIncidentSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("the hub's claw-back entry", () => {
  const entry = adjustmentEntry(MEMBER, overspend._id, -300, new Date('2026-03-10T17:00:00Z'), 'Asia/Shanghai');

  it('is an adjustment of the member under an id derived from the incident, on HQ and its business day', () => {
    expect(entry).toEqual({ _id: `pts:${MEMBER}:adjust:overspend:${MEMBER}`, type: 'pts', memberId: MEMBER, delta: -300, reason: 'adjust', ref: overspend._id, storeId: 'HQ', at: '2026-03-10T17:00:00.000Z', day: '2026-03-11' });
  });

  it('no store may push it, under its own store id or HQ', () => {
    expect(storeDocRefusal(entry, 'HQ')).toMatch(/hub's to give/);
    expect(storeDocRefusal({ ...entry, storeId: STORE }, STORE)).toMatch(/hub's to give/);
    expect(storeDocRefusal({ ...entry, storeId: STORE, delta: 300 }, STORE)).toMatch(/hub's to give/);
  });

  it('counts in the balance a store folds', () => {
    const index = new MemberIndex();
    index.apply({ ...entry, _id: `pts:${MEMBER}:earn:x`, delta: 500, reason: 'earn', ref: 'order:S001:T1:x', storeId: STORE, at: '2026-03-10T01:00:00.000Z', day: '2026-03-10' });
    index.apply(entry);
    expect(index.balance(MEMBER, '2026-03-12').balance).toBe(200);
  });
});

describe('overspend detection and the claw-back', () => {
  const pts = (cause: string, delta: number, reason: LedgerDoc['reason'], at: string, storeId = STORE): LedgerDoc => ({ _id: `pts:${MEMBER}:${cause}`, type: 'pts', memberId: MEMBER, delta, reason, ref: cause, storeId, at, day: at.slice(0, 10) });
  const check = (entries: LedgerDoc[]) => firstOverspend(new MemberIndex(), MEMBER, orderForOverspend(entries, () => 0));

  it('a claw-back below zero is no overspend, and neither are spends the balance covers after it', () => {
    const earn = pts('earn:1', 500, 'earn', '2026-03-01T01:00:00.000Z');
    const clawed = pts('adjust:coupon_double_redeem:C1', -800, 'adjust', '2026-03-02T01:00:00.000Z', 'HQ');
    expect(check([earn, clawed])).toBeUndefined();
    expect(check([earn, clawed, pts('earn:2', 1000, 'earn', '2026-03-03T01:00:00.000Z'), pts('redeem:2', -700, 'redeem', '2026-03-04T01:00:00.000Z')])).toBeUndefined();
  });

  it('a spend beyond what is left after a claw-back is an overspend, with the balance it left', () => {
    const found = check([pts('earn:1', 500, 'earn', '2026-03-01T01:00:00.000Z'), pts('adjust:x', -300, 'adjust', '2026-03-02T01:00:00.000Z', 'HQ'), pts('redeem:2', -400, 'redeem', '2026-03-03T01:00:00.000Z')]);
    expect(found).toMatchObject({ entry: { _id: `pts:${MEMBER}:redeem:2` }, balance: -200 });
  });

  it('an overspend is found as before', () => {
    expect(check([pts('earn:1', 500, 'earn', '2026-03-01T01:00:00.000Z'), pts('redeem:a', -400, 'redeem', '2026-03-02T01:00:00.000Z'), pts('redeem:b', -400, 'redeem', '2026-03-02T02:00:00.000Z', 'S002')])).toMatchObject({ entry: { storeId: 'S002' }, balance: -300 });
  });
});

import { docId, HUB_STORE_ID } from './doc-ids.ts';
import { localDate } from './local-time.ts';
import { mulDiv } from './money.ts';
import type { LedgerDoc } from './schemas/documents.ts';
import type { Resolution, ResolveIncident } from './schemas/incident.ts';

/** The incident as a resolution reads it. */
export interface IncidentFacts {
  _id: string;
  kind: string;
  storeId: string;
  memberId?: string | undefined;
  details: Record<string, unknown>;
}

/** What the hub knows besides the incident: what the coupon took off the second receipt, what a point pays, the member's balance now. */
export interface ResolutionEvidence {
  couponCents?: number | undefined;
  cashPointsPerYuan: number;
  balance?: number | undefined;
}

export type Plan = Omit<Resolution, 'factId' | 'by' | 'at'>;

/** Kinds with a loss to claw back or write off: points spent twice over, a coupon used twice. */
const WITH_LOSS = new Set(['overspend', 'coupon_double_redeem']);

/**
 * What resolving an incident as asked comes to, or why it cannot be done (the field at fault).
 * A claw-back takes the points the operator names, never a default: an overspend's balance
 * below zero is already a debt the member's next points pay off, so taking "the points below
 * zero" again would charge the member twice. A double redemption's loss is money (the coupon's
 * discount): its write-off records the discount. An overspend's write-off forgives the debt still
 * open (at most the points named, or those the incident found below zero): HQ bears that loss,
 * and the member's later points are theirs again.
 *
 * @example planResolution({ _id: 'incident:overspend:M1', kind: 'overspend', storeId: 'S1', memberId: 'M1', details: { balance: -300 } }, { note: 'two tills offline', action: 'claw_back', points: 300 }, { cashPointsPerYuan: 100 })
 * // { ok: true, plan: { note: 'two tills offline', action: 'claw_back', points: 300 } }
 */
export function planResolution(incident: IncidentFacts, body: ResolveIncident, evidence: ResolutionEvidence): { ok: true; plan: Plan } | { ok: false; field: 'action' | 'points'; message: string } {
  const { note, action } = body;
  if (action === 'none') {
    if (body.points !== undefined) return { ok: false, field: 'points', message: 'points go with a claw_back or a write_off' };
    return { ok: true, plan: { note, action } };
  }
  if (!WITH_LOSS.has(incident.kind) || incident.memberId === undefined) return { ok: false, field: 'action', message: `a ${incident.kind} incident is resolved with action 'none'` };
  const below = typeof incident.details.balance === 'number' && incident.details.balance < 0 ? -incident.details.balance : undefined;
  if (action === 'claw_back') {
    const points = body.points;
    if (points === undefined) return { ok: false, field: 'points', message: incident.kind === 'overspend' ? 'name the points to take back: the balance below zero is already a debt the member\'s next points pay off' : "a coupon's value is money: name the points to take back, or write it off" };
    return { ok: true, plan: { note, action, points } };
  }
  if (incident.kind === 'coupon_double_redeem') {
    if (body.points !== undefined) return { ok: false, field: 'points', message: "a coupon's value is money: its write-off is the discount, not points" };
    if (evidence.couponCents === undefined) return { ok: false, field: 'action', message: "the hub holds neither receipt's discount for this coupon" };
    return { ok: true, plan: { note, action, cents: evidence.couponCents } };
  }
  const points = body.points ?? below;
  if (points === undefined) return { ok: false, field: 'points', message: 'the incident records no balance below zero: name the points' };
  const debt = evidence.balance !== undefined && evidence.balance < 0 ? -evidence.balance : 0;
  const forgiven = Math.min(points, debt);
  if (forgiven === 0) return { ok: false, field: 'action', message: "the member's balance is no longer below zero (their later points paid the debt): there is no loss to write off; resolve with 'none'" };
  return { ok: true, plan: { note, action, points: forgiven, cents: mulDiv(forgiven, 100, evidence.cashPointsPerYuan) } };
}

/**
 * The hub's adjustment resolving an incident as a ledger entry of the member: a claw-back
 * (negative) or a debt forgiven (positive); reason 'adjust' (which no store may write), the
 * incident as its cause, HQ as its store, HQ's business day. One per incident: the id derives from it.
 *
 * @example adjustmentEntry('M1', 'incident:overspend:M1', -300, new Date('2026-03-01T02:00:00Z'), 'Asia/Shanghai')._id // 'pts:M1:adjust:overspend:M1'
 */
export function adjustmentEntry(memberId: string, incidentId: string, delta: number, at: Date, timeZone: string): LedgerDoc {
  return { _id: docId.adjustment(memberId, incidentId), type: 'pts', memberId, delta, reason: 'adjust', ref: incidentId, storeId: HUB_STORE_ID, at: at.toISOString(), day: localDate(at, timeZone) };
}

/** The points a resolution moves in the member's balance: taken back, forgiven, or none (a write-off of money). */
export function adjustmentOf(kind: string, r: { action: string; points?: number | undefined }): number {
  if (r.action === 'claw_back') return -(r.points ?? 0);
  if (r.action === 'write_off' && kind === 'overspend') return r.points ?? 0;
  return 0;
}

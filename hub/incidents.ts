import type { Couch, Doc } from './couch/couch.ts';
import { DB } from './couch/databases.ts';

export const INCIDENT_KINDS = ['coupon_double_redeem', 'overspend', 'clock_skew', 'identity_conflict', 'fact_conflict'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface Incident extends Doc {
  type: 'incident';
  kind: IncidentKind;
  status: 'open' | 'resolved';
  storeId: string;
  /** The stores involved, e.g. both that redeemed one coupon. */
  stores: string[];
  receipt?: string;
  memberId?: string;
  /** When it happened (the fact's time), and when the hub saw it. */
  at: string;
  detectedAt: string;
  summary: string;
  details: Record<string, unknown>;
}

/**
 * Records an incident once: its id is derived from what it is about (`incident:<kind>:<key>`),
 * so a replayed change or a restarted worker finds it there and adds nothing.
 */
export async function recordIncident(couch: Couch, key: string, incident: Omit<Incident, '_id' | 'type' | 'status' | 'detectedAt'>, now: Date): Promise<void> {
  await couch.insertNew(DB.incidents, [{ _id: `incident:${incident.kind}:${key}`, type: 'incident', status: 'open', detectedAt: now.toISOString(), ...incident }]);
}

export async function listIncidents(couch: Couch, filter: { status?: string; storeId?: string; kind?: string } = {}): Promise<Incident[]> {
  const all = await couch.range<Incident>(DB.incidents, { startkey: 'incident:', endkey: 'incident:\ufff0' }, 100_000);
  return all.filter((i) => (!filter.status || i.status === filter.status) && (!filter.kind || i.kind === filter.kind) && (!filter.storeId || i.stores.includes(filter.storeId)));
}

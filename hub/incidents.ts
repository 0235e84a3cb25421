import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { EVERYTHING, seesIncident, type DataScope } from '../shared/org-scope.ts';
import type { Resolution } from '../shared/schemas/incident.ts';
import { safeText } from '../shared/safe-text.ts';
import type { Couch, Doc } from './couch/couch.ts';
import { DB } from './couch/databases.ts';

export const INCIDENT_KINDS = [
  'coupon_double_redeem',
  'overspend',
  'clock_skew',
  'identity_conflict',
  'fact_conflict',
  /** The gateway refused a document a store pushed: malformed, or not the store's to write. */
  'refused_document',
  /** A store's fact the hub did not accept (no such order, points the rules do not give, a key of another store's member): kept out of the central databases and of every other store. */
  'quarantined_fact',
  /** A receipt earned more points than the rules' ceiling: it earned the ceiling; someone should look. */
  'points_ceiling',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/**
 * Open until an operator resolves it. Withdrawn: the hub recorded it on the facts it had then,
 * and facts that came late (an offline store's earlier receipts) show it never happened; no one
 * had acted on it. It opens again if the facts come to show it after all.
 */
export const INCIDENT_STATUSES = ['open', 'resolved', 'withdrawn'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface Incident extends Doc {
  type: 'incident';
  kind: IncidentKind;
  status: IncidentStatus;
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
  /** Set once resolved (hub/incident-resolution.ts): when, by whom (operator name or 'token'), and how. */
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: Resolution;
  /** A resolution begun and not finished (the hub stopped between its steps): the next resolve completes it. */
  pending?: Resolution;
  /** When the hub last withdrew it (see INCIDENT_STATUSES), and when it last opened it again. */
  withdrawnAt?: string;
  reopenedAt?: string;
}

/** An incident's id as a path names it: its own form, nothing longer than a database key wants. */
export const IncidentId = z.string().min('incident:'.length + 1).max(1000).startsWith('incident:');

/** One incident, when the scope sees it; else `incident_not_found`, as for an id that does not exist. */
export async function incidentById(couch: Couch, id: string, scope: DataScope = EVERYTHING): Promise<Incident> {
  const incident = IncidentId.safeParse(id).success ? await couch.get<Incident>(DB.incidents, id) : undefined;
  if (!incident || incident.type !== 'incident' || !seesIncident(scope, incident)) throw new AppError('incident_not_found', 'no incident with that id');
  return incident;
}

export const incidentId = (kind: IncidentKind, key: string) => `incident:${kind}:${key}`;

/** What whoever records an incident says of it (Omit would keep only Doc's index signature). */
type IncidentFields = Pick<Incident, 'kind' | 'storeId' | 'stores' | 'receipt' | 'memberId' | 'at' | 'summary' | 'details'>;

/**
 * Records an incident once: its id is derived from what it is about (`incident:<kind>:<key>`),
 * so a replayed change or a restarted worker finds it there and adds nothing.
 */
export async function recordIncident(couch: Couch, key: string, incident: IncidentFields, now: Date): Promise<void> {
  await couch.insertNew(DB.incidents, [{ _id: incidentId(incident.kind, key), type: 'incident', status: 'open', detectedAt: now.toISOString(), ...incident }]);
}

/**
 * Keeps an incident the hub judges again as facts arrive (an overspend) in step with them:
 * `found` is what the facts show now, undefined when they show nothing wrong. Found, it is
 * recorded, opened again if withdrawn, or its account brought up to date while still open;
 * not found, an open incident no one has begun to resolve is withdrawn. One an operator acted
 * on (resolved, or a resolution pending) is theirs and stays as it is.
 */
export async function keepIncidentCurrent(couch: Couch, kind: IncidentKind, key: string, found: IncidentFields | undefined, now: Date): Promise<void> {
  const [id, at] = [incidentId(kind, key), now.toISOString()];
  await couch.update<Incident>(DB.incidents, id, (cur) => {
    if (!cur) return found && { _id: id, type: 'incident', status: 'open', detectedAt: at, ...found };
    if (cur.status === 'resolved' || cur.pending) return undefined;
    if (!found) return cur.status === 'open' ? { ...cur, status: 'withdrawn', withdrawnAt: at } : undefined;
    if (cur.status === 'withdrawn') return { ...cur, ...found, status: 'open', reopenedAt: at };
    return cur.summary === found.summary ? undefined : { ...cur, ...found };
  });
}

/** Incidents by status, kind and store; only those involving a store the scope sees. */
export async function listIncidents(couch: Couch, filter: { status?: string; storeId?: string; kind?: string } = {}, scope: DataScope = EVERYTHING): Promise<Incident[]> {
  const all = await couch.range<Incident>(DB.incidents, { startkey: 'incident:', endkey: 'incident:\ufff0' }, 100_000);
  return all.filter((i) => (!filter.status || i.status === filter.status) && (!filter.kind || i.kind === filter.kind) && (!filter.storeId || i.stores.includes(filter.storeId)) && seesIncident(scope, i));
}

/** At most this many refusals of one request become incidents: a flood of junk is one story. */
const REFUSALS_RECORDED = 20;
const MAX_KEPT_DOC = 8 * 1024;

/**
 * Records documents the gateway refused from a store, each once (by store and id), with the
 * document itself when it is small, for whoever looks into why a store sent it.
 */
export async function recordRefusals(deps: { couch: Couch; clock: () => Date }, storeId: string, refused: { id: string; reason: string }[], sent: unknown[]): Promise<void> {
  const now = deps.clock();
  const byId = new Map(sent.map((d) => [safeText((d as { _id?: unknown } | null)?._id ?? ''), d]));
  for (const r of refused.slice(0, REFUSALS_RECORDED)) {
    const text = JSON.stringify(byId.get(r.id) ?? null);
    await recordIncident(deps.couch, `${storeId}:${r.id}`, {
      kind: 'refused_document',
      storeId,
      stores: [storeId],
      at: now.toISOString(),
      summary: `store ${storeId} pushed ${r.id || 'a document without an id'}, refused: ${r.reason}`,
      details: { id: r.id, reason: r.reason, ...(text.length <= MAX_KEPT_DOC ? { doc: JSON.parse(text) as unknown } : { docBytes: text.length }) },
    }, now);
  }
}

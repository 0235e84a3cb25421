import { docId } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { adjustmentEntry, adjustmentOf, planResolution } from '../shared/incident-resolution.ts';
import { EVERYTHING, type DataScope } from '../shared/org-scope.ts';
import type { Resolution, ResolveIncident, WriteOffDoc } from '../shared/schemas/incident.ts';
import type { ResolutionEvidence } from '../shared/incident-resolution.ts';
import { stripRev, type Couch, type Doc } from './couch/couch.ts';
import { DB, factIdOf, factKey } from './couch/databases.ts';
import { incidentById, type Incident } from './incidents.ts';
import type { HubMembers } from './members.ts';
import { currentRules } from './rules.ts';

export interface ResolveDeps {
  couch: Couch;
  members: HubMembers;
  clock: () => Date;
  /** HQ's business day, for the day of a claw-back entry. */
  timeZone: string;
}

/**
 * Resolves an incident with an operator's note and, for a loss, a claw-back or a write-off that
 * becomes a fact of its own (decision 012). Three steps, each safe to repeat: the decision is
 * written onto the incident (`pending`), the fact is written under an id derived from the
 * incident, and the incident is marked resolved. A hub stopped between them leaves `pending`,
 * which the next resolve completes as decided then. Resolved already is `incident_resolved`
 * (409), withdrawn by the hub `incident_withdrawn` (409): nothing written. Out of scope is
 * `incident_not_found`, as an id that does not exist.
 */
export async function resolveIncident(deps: ResolveDeps, id: string, body: ResolveIncident, by: string, scope: DataScope = EVERYTHING): Promise<Incident> {
  const found = await incidentById(deps.couch, id, scope);
  if (found.status !== 'open') throw notOpen(found);
  let decided = found.pending;
  if (!decided) {
    const planned = planResolution(found, body, await evidenceFor(deps, found));
    if (!planned.ok) throw new AppError('validation_failed', `${planned.field}: ${planned.message}`, { field: planned.field });
    const at = deps.clock();
    const factId = planned.plan.action === 'claw_back' ? docId.adjustment(deps.members.canonical(found.memberId!), found._id) : planned.plan.action === 'write_off' ? docId.writeOff(found._id) : undefined;
    const mine: Resolution = { ...planned.plan, ...(factId ? { factId } : {}), by, at: at.toISOString() };
    const saved = await deps.couch.update<Incident>(DB.incidents, found._id, (cur) => (cur && cur.status === 'open' && !cur.pending ? { ...cur, pending: mine } : undefined));
    if (saved && saved.status !== 'open') throw notOpen(saved);
    decided = saved?.pending ?? mine;
  }
  await writeFact(deps, found, decided);
  const done = await deps.couch.update<Incident>(DB.incidents, found._id, (cur) => {
    if (!cur || cur.status === 'resolved') return undefined;
    const { pending: _, ...rest } = cur;
    return { ...rest, status: 'resolved', resolvedAt: decided.at, resolvedBy: decided.by, resolution: decided };
  });
  // Someone else's resolve (or one left pending, completed here) was not the one asked for.
  if (!done || done.resolution?.at !== decided.at || !sameRequest(decided, body, by)) throw resolvedAlready(done ?? found);
  return done;
}

const notOpen = (incident: Incident) =>
  incident.status === 'withdrawn' ? new AppError('incident_withdrawn', `withdrawn by the hub at ${incident.withdrawnAt ?? '?'}: facts that came later show nothing wrong; nothing was written`, {}, { incident }) : resolvedAlready(incident);

const resolvedAlready = (incident: Incident) =>
  new AppError('incident_resolved', `resolved already${incident.resolvedBy ? ` by ${incident.resolvedBy}` : ''}${incident.resolvedAt ? ` at ${incident.resolvedAt}` : ''}; nothing was written`, {}, { incident });

/** A retry of the very resolve left pending: the same operator, note and action. */
const sameRequest = (r: Resolution, body: ResolveIncident, by: string) => r.by === by && r.note === body.note && r.action === body.action && (body.points === undefined || body.points === r.points);

async function evidenceFor(deps: ResolveDeps, incident: Incident): Promise<ResolutionEvidence> {
  const rules = await currentRules(deps.couch);
  if (incident.kind === 'overspend' && incident.memberId) {
    const member = await deps.members.summary(incident.memberId, deps.timeZone, deps.clock());
    return { cashPointsPerYuan: rules.cash.pointsPerYuan, balance: member?.points.balance };
  }
  if (incident.kind !== 'coupon_double_redeem' || !incident.memberId) return { cashPointsPerYuan: rules.cash.pointsPerYuan };
  // The loss is the discount the second receipt gave (its order, at the hub), else the redemption that stands.
  const code = String(incident.details.code ?? '');
  const loser = incident.details.loser as { orderId?: unknown } | undefined;
  const [order, redemption] = await deps.couch.fetchDocs(DB.facts, [factKey(incident.memberId, String(loser?.orderId ?? '')), factKey(incident.memberId, docId.redeem(code))]);
  const fromOrder = (order?.coupons as { code: string; discountCents: number }[] | undefined)?.find((c) => c.code === code)?.discountCents;
  const fromRedemption = typeof redemption?.discountCents === 'number' ? redemption.discountCents : undefined;
  return { cashPointsPerYuan: rules.cash.pointsPerYuan, couponCents: fromOrder ?? fromRedemption };
}

/**
 * The resolution's facts, once each: a write-off into hub-facts only; an adjustment of the
 * member's points (a claw-back, or an overspend's debt forgiven) into hub-facts and every store
 * serving the member (after storing, as the ingest does, so a store joining meanwhile gets it
 * either way). Found there already (a retry), it is projected again all the same.
 */
async function writeFact(deps: ResolveDeps, incident: Incident, r: Resolution): Promise<void> {
  if (r.action === 'write_off') {
    const doc: WriteOffDoc = {
      _id: r.factId!,
      type: 'writeoff',
      incidentId: incident._id,
      kind: incident.kind,
      ...(incident.memberId ? { memberId: incident.memberId } : {}),
      storeId: incident.storeId,
      ...(r.points !== undefined ? { points: r.points } : {}),
      cents: r.cents ?? 0,
      reason: r.note,
      by: r.by,
      at: r.at,
    };
    await deps.couch.insertNew(DB.facts, [doc as unknown as Doc]);
  }
  const delta = adjustmentOf(incident.kind, r);
  if (delta !== 0) {
    const memberId = deps.members.canonical(incident.memberId!);
    const entry = adjustmentEntry(memberId, incident._id, delta, new Date(r.at), deps.timeZone);
    const key = factKey(memberId, entry._id);
    await deps.couch.insertNew(DB.facts, [{ ...entry, _id: key }]);
    const stored = (await deps.couch.get(DB.facts, key))!;
    await deps.members.projectTo(await deps.members.relevantStores(memberId), [{ ...stripRev(stored), _id: factIdOf(key) }]);
  }
}

/** The facts an incident is about, as the hub holds them: its receipt, and what its resolution made. */
export async function incidentFacts(couch: Couch, incident: Incident): Promise<Doc[]> {
  const r = incident.resolution;
  // A claw-back's fact is its adjustment; an overspend's write-off has one beside it, under the incident's member.
  const adjusted = r?.factId?.startsWith('pts:') ? r.factId : r && incident.memberId && adjustmentOf(incident.kind, r) !== 0 ? docId.adjustment(incident.memberId, incident._id) : undefined;
  const ids = [
    ...(incident.receipt && incident.memberId ? [factKey(incident.memberId, incident.receipt)] : []),
    ...(r?.factId && !r.factId.startsWith('pts:') ? [r.factId] : []),
    ...(adjusted ? [factKey(adjusted.split(':')[1]!, adjusted)] : []),
  ];
  return (await couch.fetchDocs(DB.facts, ids)).flatMap((d) => (d ? [{ ...stripRev(d), _id: d._id.startsWith('m:') ? factIdOf(d._id) : d._id }] : []));
}

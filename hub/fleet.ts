import { EVERYTHING, type DataScope } from '../shared/org-scope.ts';
import { seqNumber, type Couch } from './couch/couch.ts';
import { listIncidents } from './incidents.ts';
import type { GatewayRefusals } from './gateway-refusals.ts';
import type { Stores } from './stores.ts';
import type { IngestWorker } from './workers/ingest.ts';

interface Heartbeat {
  version?: string;
  clock?: string;
  /** How often the node writes it; older nodes do not say (their default was 30 s). */
  heartbeatEverySeconds?: number;
  sync?: { state?: string; lastPushAt?: string | null; lastPullAt?: string | null; pendingUp?: number; pendingDown?: number; lastError?: string | null };
}

const DEFAULT_HEARTBEAT_SECONDS = 30;
/** Heartbeats missed before a store counts as offline whatever its last one said. */
const MISSED_HEARTBEATS = 3;

/**
 * What the fleet view says of a store: its node's own word, unless the hub knows better (the
 * store is disabled, or its heartbeats stopped arriving). The gateway's refusals are shown beside
 * it, not judged: an old box of a re-enrolled store knocking with stale credentials would make a
 * healthy store flap.
 */
export function fleetState(s: { disabled: boolean; enrolled: boolean }, hb: Heartbeat | undefined, now: Date): { state: 'online' | 'offline' | 'catching_up' | 'disabled' | 'not_enrolled' | 'unknown'; reason: string | null } {
  if (s.disabled) return { state: 'disabled', reason: 'the store is disabled at the hub' };
  if (!s.enrolled) return { state: 'not_enrolled', reason: null };
  const at = hb?.clock ? Date.parse(hb.clock) : NaN;
  if (!Number.isFinite(at)) return { state: 'unknown', reason: 'no heartbeat yet' };
  const every = Math.max(1, Number(hb?.heartbeatEverySeconds) || DEFAULT_HEARTBEAT_SECONDS);
  const age = (now.getTime() - at) / 1000;
  if (age > every * MISSED_HEARTBEATS) return { state: 'offline', reason: `no heartbeat for ${Math.round(age)} s (expected every ${every} s)` };
  const said = hb?.sync?.state;
  if (said === 'online' || said === 'catching_up') return { state: said, reason: null };
  return { state: 'offline', reason: hb?.sync?.lastError ?? 'the node says it is offline' };
}

/**
 * Per store: last heartbeat, sync state, lag in documents and seconds (what the node has not
 * pushed yet plus what the hub has not ingested yet), version, open incidents. Only the stores
 * the scope sees, and of each the incidents it sees.
 */
export async function fleetStatus(deps: { couch: Couch; stores: Stores; ingest: IngestWorker; refusals?: GatewayRefusals }, now: Date, scope: DataScope = EVERYTHING) {
  const [stores, incidents] = await Promise.all([deps.stores.list(scope), listIncidents(deps.couch, { status: 'open' }, scope)]);
  return Promise.all(
    stores.map(async (s) => {
      const [info, hb, cp] = await Promise.all([
        deps.couch.db(s.db).info().catch(() => undefined),
        deps.couch.get(s.db, `heartbeat:${s.id}`).catch(() => undefined) as Promise<Heartbeat | undefined>,
        deps.ingest.checkpoint(s.id),
      ]);
      const notIngested = Math.max(0, seqNumber(info?.update_seq) - seqNumber(cp.seq));
      const notPushed = hb?.sync?.pendingUp ?? 0;
      const since = (iso: string | null | undefined) => (iso ? Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000)) : null);
      const lagSeconds = Math.max(notIngested > 0 ? (since(cp.at) ?? 0) : 0, notPushed > 0 ? (since(hb?.sync?.lastPushAt) ?? since(hb?.clock) ?? 0) : 0);
      const refusal = deps.refusals?.get(s.id);
      const judged = fleetState({ disabled: s.disabled, enrolled: !!s.enrolledAt }, hb, now);
      return {
        storeId: s.id,
        name: s.name,
        region: s.region,
        city: s.city ?? null,
        disabled: s.disabled,
        enrolled: !!s.enrolledAt,
        version: hb?.version ?? null,
        lastHeartbeatAt: hb?.clock ?? null,
        heartbeatAgeSeconds: since(hb?.clock),
        state: judged.state,
        stateReason: judged.reason,
        sync: hb?.sync ?? null,
        lastRefusal: refusal ?? null,
        lag: { documents: notIngested + notPushed, seconds: lagSeconds, notPushed, notIngested },
        openIncidents: incidents.filter((i) => i.stores.includes(s.id)).length,
      };
    }),
  );
}

import { seqNumber, type Couch } from './couch/couch.ts';
import { listIncidents } from './incidents.ts';
import type { Stores } from './stores.ts';
import type { IngestWorker } from './workers/ingest.ts';


interface Heartbeat {
  version?: string;
  clock?: string;
  sync?: { state?: string; lastPushAt?: string | null; lastPullAt?: string | null; pendingUp?: number; pendingDown?: number };
}

/**
 * Per store: last heartbeat, sync state, lag in documents and seconds (what the node has not
 * pushed yet plus what the hub has not ingested yet), version, open incidents.
 */
export async function fleetStatus(deps: { couch: Couch; stores: Stores; ingest: IngestWorker }, now: Date) {
  const [stores, incidents] = await Promise.all([deps.stores.list(), listIncidents(deps.couch, { status: 'open' })]);
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
      return {
        storeId: s.id,
        name: s.name,
        region: s.region,
        disabled: s.disabled,
        enrolled: !!s.enrolledAt,
        version: hb?.version ?? null,
        lastHeartbeatAt: hb?.clock ?? null,
        heartbeatAgeSeconds: since(hb?.clock),
        sync: hb?.sync ?? null,
        lag: { documents: notIngested + notPushed, seconds: lagSeconds, notPushed, notIngested },
        openIncidents: incidents.filter((i) => i.stores.includes(s.id)).length,
      };
    }),
  );
}

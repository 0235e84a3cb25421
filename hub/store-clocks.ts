import type { Log } from '../shared/cli/log.ts';
import { claimedClock, observeSkew, skewOf, type SkewWindow } from '../shared/clock-skew.ts';
import type { Couch } from './couch/couch.ts';
import { DB } from './couch/databases.ts';
import { recordIncident } from './incidents.ts';

const clockKey = (storeId: string) => `clock:${storeId}`;

/**
 * How far each store's clock is off the hub's, from the clock its requests carry
 * (shared/clock-skew.ts). The ingest orders facts of different stores by it (overspend); a clock
 * further off than `skewMs` is an incident, once an hour. The offset is stored in the registry
 * when it changes, so a restarted hub orders a wrong clock's facts right before it hears from
 * the store again.
 */
export class StoreClocks {
  private readonly windows = new Map<string, SkewWindow>();
  private readonly offsets = new Map<string, number>();
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly deps: { couch: Couch; clock: () => Date; log: Log; skewMs: number },
  ) {}

  /**
   * Believes the offsets a previous run stored for one more window. A restarted hub otherwise takes
   * its first request's clock as the store's, and that request's time on the wire (seconds on a
   * slow link, or the retry of one sent before the restart) would move every fact of that store
   * later by as much until a faster request came: enough to order a spend before the refund it
   * saw at another till. A clock really set right meanwhile is learnt two windows later, as it is
   * when it changes while the hub runs.
   */
  async load(): Promise<void> {
    const now = this.deps.clock().getTime();
    for await (const page of this.deps.couch.pages(DB.registry, { startkey: 'clock:', endkey: 'clock:\ufff0' })) {
      for (const d of page) {
        const storeId = String(d.storeId);
        const skew = Number(d.skewMs);
        if (!Number.isFinite(skew) || this.windows.has(storeId)) continue;
        this.windows.set(storeId, { startedAt: now, current: skew, previous: null });
        this.offsets.set(storeId, skew);
      }
    }
  }

  /** A request of the store's arrived, carrying its clock (absent from a node that does not send it). */
  note(storeId: string, header: string | undefined): void {
    const sent = claimedClock(header);
    if (sent === undefined) return;
    const now = this.deps.clock();
    const window = observeSkew(this.windows.get(storeId), sent - now.getTime(), now.getTime());
    this.windows.set(storeId, window);
    const offset = skewOf(window);
    const known = this.offsets.get(storeId);
    if (known === undefined || Math.abs(offset - known) > 1000) {
      this.offsets.set(storeId, offset);
      this.deps.couch
        // The latest offset when the write happens, so a slower earlier write cannot win.
        .update(DB.registry, clockKey(storeId), () => ({ _id: clockKey(storeId), type: 'clock', storeId, skewMs: this.offsets.get(storeId) ?? offset, at: this.deps.clock().toISOString() }))
        .catch((err) => this.deps.log.warn('store clock not stored', { storeId, err: String(err) }));
    }
    const hour = now.toISOString().slice(0, 13);
    if (Math.abs(offset) <= this.deps.skewMs || this.reported.get(storeId) === hour) return;
    this.reported.set(storeId, hour);
    recordIncident(this.deps.couch, `${storeId}:${hour}`, {
      kind: 'clock_skew',
      storeId,
      stores: [storeId],
      at: now.toISOString(),
      summary: `store ${storeId}'s clock is ${Math.round(offset / 1000)} s off the hub's`,
      details: { skewMs: offset, storeClock: new Date(sent).toISOString() },
    }, now).catch((err) => this.deps.log.warn('clock incident not stored', { storeId, err: String(err) }));
  }

  /**
   * How far the store's clock is ahead of the hub's (ms; negative: behind; 0 within the wire's
   * noise): what its requests told, or what the last run stored (`load`), else 0.
   */
  offset(storeId: string): number {
    return this.offsets.get(storeId) ?? 0;
  }
}

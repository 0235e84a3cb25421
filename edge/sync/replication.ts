import type { Log } from '../../shared/cli/log.ts';
import type { StoreDb } from '../store-db.ts';

export type SyncState = 'online' | 'offline' | 'catching_up';

export interface SyncStatus {
  state: SyncState;
  lastPushAt: string | null;
  lastPullAt: string | null;
  /** Local changes not yet pushed (approximate: local sequence minus the last pushed one). */
  pendingUp: number;
  /** Hub changes not yet pulled, as the hub's changes feed last said. */
  pendingDown: number;
  lastError: string | null;
}

/**
 * Waits after a failure before retrying: 1, 2, 4, 8, then every 10 s, with jitter so that a
 * fleet does not retry in step. A retry is one small request; a store back online should not
 * wait a minute to send its receipts.
 */
export function backOff(delay: number): number {
  const next = delay === 0 ? 1000 : Math.min(10_000, delay * 2);
  return Math.round(next * (0.8 + Math.random() * 0.4));
}

/**
 * Live two-way replication with the hub. PouchDB retries with back-off and resumes from its
 * checkpoints (`_local` documents on both sides); this class turns its events into a status the
 * till, the heartbeat and `doctor` can read. The till never waits for it.
 */
export class Replication {
  private readonly handles: PouchDB.Replication.Replication<Record<string, unknown>>[] = [];
  private status: SyncStatus = { state: 'catching_up', lastPushAt: null, lastPullAt: null, pendingUp: 0, pendingDown: 0, lastError: null };
  private pushedSeq = 0;
  private localSeq = 0;
  private readonly listeners = new Set<(s: SyncStatus) => void>();

  constructor(
    private readonly local: StoreDb,
    private readonly remote: PouchDB.Database<Record<string, unknown>>,
    private readonly log: Log,
    private readonly clock: () => Date = () => new Date(),
    /** The local sequence known pushed when the node last ran (from sync-status.json). */
    initialPushedSeq = 0,
  ) {
    this.pushedSeq = initialPushedSeq;
  }

  start(): void {
    // Two one-way replications rather than db.sync(): sync's 'paused' event drops the error, and
    // the till must know when the hub is gone.
    // One options object per direction: PouchDB keeps the current back-off in it.
    const opts = () => ({ live: true, retry: true, batch_size: 500, back_off_function: backOff }) as PouchDB.Replication.ReplicateOptions;
    const failing = { push: false, pull: false };
    const update = () => {
      if (failing.push || failing.pull) return this.set('offline');
      if (this.status.state === 'offline') return this.set('catching_up');
    };
    for (const direction of ['push', 'pull'] as const) {
      const r = direction === 'push' ? this.local.replicate.to(this.remote, opts()) : this.local.replicate.from(this.remote, opts());
      this.handles.push(r);
      r.on('change', (info) => {
        const now = this.clock().toISOString();
        failing[direction] = false;
        if (direction === 'push') {
          this.status.lastPushAt = now;
          this.pushedSeq = Number(info.last_seq) || this.pushedSeq;
        } else {
          this.status.lastPullAt = now;
          this.status.pendingDown = (info as { pending?: number }).pending ?? 0;
        }
        update();
      });
      r.on('paused', (err: unknown) => {
        if (err) {
          failing[direction] = true;
          this.status.lastError = `${direction}: ${String((err as Error)?.message ?? err)}`;
          return update();
        }
        failing[direction] = false;
        if (direction === 'pull') this.status.pendingDown = 0;
        // Paused without an error: nothing left to push, so everything local is on the hub.
        else this.local.info().then((i) => (this.pushedSeq = Math.max(this.pushedSeq, Number(i.update_seq) || 0)), () => {});
        if (!failing.push && !failing.pull) {
          this.status.lastError = null;
          this.set('online');
        }
      });
      // Emitted on every failed attempt, also while retrying with back-off.
      r.on('requestError' as 'error', (err: unknown) => {
        failing[direction] = true;
        this.status.lastError = `${direction}: ${String((err as Error)?.message ?? err)}`;
        update();
      });
      r.on('denied', (err: unknown) => this.log.warn('the hub refused a document', { err: String((err as { reason?: string })?.reason ?? err) }));
      r.on('error', (err: unknown) => {
        failing[direction] = true;
        this.status.lastError = String((err as Error)?.message ?? err);
        this.log.error('replication stopped', { direction, err: this.status.lastError });
        update();
      });
    }
    this.log.info('replicating with the hub');
  }

  private set(state: SyncState): void {
    const changed = state !== this.status.state;
    this.status.state = state;
    if (changed) for (const l of this.listeners) l(this.snapshot());
  }

  /** Called with the status whenever the state changes. */
  onStateChange(listener: (s: SyncStatus) => void): void {
    this.listeners.add(listener);
  }

  /** The local sequence, so pendingUp can be told; the index follower reports it. */
  noteLocalSeq(seq: number): void {
    this.localSeq = Math.max(this.localSeq, seq);
  }

  snapshot(): SyncStatus & { pushedSeq: number } {
    return { ...this.status, pendingUp: Math.max(0, this.localSeq - this.pushedSeq), pushedSeq: this.pushedSeq };
  }

  get state(): SyncState {
    return this.status.state;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.handles.map((h) => {
        const done = new Promise((r) => h.on('complete', r));
        h.cancel();
        return Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
      }),
    );
  }
}

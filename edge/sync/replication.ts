import type { Log } from '../../shared/cli/log.ts';
import { describeError, isAuthError, judgeSync, restartDelay, type SyncState } from '../../shared/sync-health.ts';
import type { StoreDb } from '../store-db.ts';

export type { SyncState } from '../../shared/sync-health.ts';

export interface SyncStatus {
  state: SyncState;
  lastPushAt: string | null;
  lastPullAt: string | null;
  /** Local changes not yet pushed (approximate: local sequence minus the last pushed one). */
  pendingUp: number;
  /** Hub changes not yet pulled, as the hub's changes feed last said. */
  pendingDown: number;
  /** Documents the pull has written locally since the node started (what came from the hub). */
  pulledDocs: number;
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

type Direction = 'push' | 'pull';
type Handle = PouchDB.Replication.Replication<Record<string, unknown>>;

interface DirectionRun {
  handle: Handle | undefined;
  error: string | null;
  /** Caught up since it last failed or started: a live replication moving new documents is still online. */
  idle: boolean;
  /** Restarts since the direction last made progress, for the back-off. */
  restarts: number;
  timer: NodeJS.Timeout | undefined;
}

export interface ReplicationOptions {
  /** Pending documents that do not move for this long make the node offline (and the push is restarted at twice that). */
  stallMs?: number;
  /** How often the status is judged again without an event (a dead replicator sends none). */
  tickMs?: number;
}

/**
 * Live two-way replication with the hub, supervised. PouchDB retries network errors itself, but
 * ends a replication for good on 'unauthorized' or 'forbidden' (a store disabled for a while)
 * and may end it on other faults: a direction that ends is started again after a back-off, from
 * its checkpoints (`_local` documents on both sides), and one whose pending documents stop
 * moving is restarted too. Its events become a status the till, the heartbeat and `doctor`
 * read, judged by `judgeSync`. The till never waits for it.
 */
export class Replication {
  private readonly runs: Record<Direction, DirectionRun> = {
    push: { handle: undefined, error: null, idle: false, restarts: 0, timer: undefined },
    pull: { handle: undefined, error: null, idle: false, restarts: 0, timer: undefined },
  };
  private status: SyncStatus = { state: 'catching_up', lastPushAt: null, lastPullAt: null, pendingUp: 0, pendingDown: 0, pulledDocs: 0, lastError: null };
  private pushedSeq = 0;
  private localSeq = 0;
  private pushProgressAt: number;
  private pushRestartedAt = 0;
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  private readonly stallMs: number;
  private readonly tickMs: number;
  private readonly stateListeners = new Set<(s: SyncStatus) => void>();
  private readonly statusListeners = new Set<(s: SyncStatus) => void>();
  private lastEmitted = '';

  constructor(
    private readonly local: StoreDb,
    private readonly remote: PouchDB.Database<Record<string, unknown>>,
    private readonly log: Log,
    private readonly clock: () => Date = () => new Date(),
    /** The local sequence known pushed when the node last ran (from sync-status.json). */
    initialPushedSeq = 0,
    opts: ReplicationOptions = {},
  ) {
    this.pushedSeq = initialPushedSeq;
    this.pushProgressAt = clock().getTime();
    this.stallMs = opts.stallMs ?? 30_000;
    this.tickMs = opts.tickMs ?? 1000;
  }

  start(): void {
    this.run('push');
    this.run('pull');
    this.ticker = setInterval(() => this.tick(), this.tickMs);
    this.ticker.unref();
    this.log.info('replicating with the hub');
  }

  private run(direction: Direction): void {
    if (this.stopped) return;
    const run = this.runs[direction];
    run.timer = undefined;
    // Two one-way replications rather than db.sync(): sync's 'paused' event drops the error, and
    // the till must know when the hub is gone. A fresh options object per start: PouchDB keeps
    // the current back-off in it.
    const opts = { live: true, retry: true, batch_size: 500, back_off_function: backOff } as PouchDB.Replication.ReplicateOptions;
    const r: Handle = direction === 'push' ? this.local.replicate.to(this.remote, opts) : this.local.replicate.from(this.remote, opts);
    run.handle = r;
    const current = () => run.handle === r;
    r.on('change', (info) => {
      if (!current()) return;
      const now = this.clock();
      this.progress(direction);
      if (direction === 'push') {
        this.status.lastPushAt = now.toISOString();
        this.pushedSeq = Number(info.last_seq) || this.pushedSeq;
      } else {
        this.status.lastPullAt = now.toISOString();
        this.status.pendingDown = (info as { pending?: number }).pending ?? 0;
        this.status.pulledDocs += Number((info as { docs_written?: number }).docs_written) || 0;
      }
      this.evaluate();
    });
    r.on('paused', (err: unknown) => {
      if (!current()) return;
      if (err) return this.failed(direction, err);
      this.progress(direction);
      run.idle = true;
      if (direction === 'pull') {
        this.status.pendingDown = 0;
        return this.evaluate();
      }
      // Paused without an error: nothing left to push, so everything local is on the hub.
      this.local.info().then(
        (i) => {
          this.pushedSeq = Math.max(this.pushedSeq, Number(i.update_seq) || 0);
          this.evaluate();
        },
        () => this.evaluate(),
      );
    });
    // Emitted on every failed attempt, also while PouchDB retries with back-off.
    r.on('requestError' as 'error', (err: unknown) => current() && this.failed(direction, err));
    r.on('denied', (err: unknown) => this.log.warn('the hub refused a document', { err: String((err as { reason?: string })?.reason ?? err) }));
    r.on('error', (err: unknown) => this.ended(direction, r, err));
    r.on('complete', () => this.ended(direction, r, undefined));
  }

  private progress(direction: Direction): void {
    const run = this.runs[direction];
    run.error = null;
    run.restarts = 0;
    if (direction === 'push') this.pushProgressAt = this.clock().getTime();
  }

  private failed(direction: Direction, err: unknown): void {
    const run = this.runs[direction];
    run.error = describeError(err);
    run.idle = false;
    this.evaluate();
  }

  /** A replication ended (an error PouchDB does not retry, or an unexpected 'complete'): start it again later. */
  private ended(direction: Direction, r: Handle, err: unknown): void {
    const run = this.runs[direction];
    if (run.handle !== r || this.stopped) return;
    run.handle = undefined;
    run.idle = false;
    run.error = err === undefined ? 'replication ended unexpectedly' : describeError(err);
    run.restarts++;
    const inMs = restartDelay(run.restarts, isAuthError(err), Math.random());
    this.log.warn('replication stopped; starting it again', { direction, err: run.error, inMs });
    run.timer = setTimeout(() => this.run(direction), inMs);
    run.timer.unref();
    this.evaluate();
  }

  private tick(): void {
    if (this.stopped) return;
    this.evaluate();
    // Pending documents that have not moved for twice the stall time, with no error to explain
    // it: the replicator is stuck or dead without a word. Start the push again.
    const push = this.runs.push;
    const pendingUp = this.pendingUp();
    const now = this.clock().getTime();
    if (push.handle && !push.error && pendingUp > 0 && now - Math.max(this.pushProgressAt, this.pushRestartedAt) > 2 * this.stallMs) {
      this.log.warn('push made no progress; starting it again', { pendingUp });
      const stuck = push.handle;
      push.handle = undefined;
      stuck.cancel();
      // The status stays offline until documents actually move; only the next restart waits.
      this.pushRestartedAt = now;
      this.run('push');
    }
  }

  private pendingUp(): number {
    return Math.max(0, this.localSeq - this.pushedSeq);
  }

  private evaluate(): void {
    const judged = judgeSync({
      push: this.runs.push,
      pull: this.runs.pull,
      pendingUp: this.pendingUp(),
      pushProgressAt: this.pushProgressAt,
      now: this.clock().getTime(),
      stallMs: this.stallMs,
    });
    const stateChanged = judged.state !== this.status.state;
    this.status.state = judged.state;
    this.status.lastError = judged.lastError;
    const s = this.snapshot();
    if (stateChanged) for (const l of this.stateListeners) l(s);
    const key = JSON.stringify(s);
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    for (const l of this.statusListeners) l(s);
  }

  /** Called with the status whenever the state changes. */
  onStateChange(listener: (s: SyncStatus) => void): void {
    this.stateListeners.add(listener);
  }

  /** Called with the status whenever anything in it changes (often: throttle what it does). */
  onStatus(listener: (s: SyncStatus) => void): void {
    this.statusListeners.add(listener);
  }

  /** The local sequence, so pendingUp can be told; the index follower reports it. */
  noteLocalSeq(seq: number): void {
    // Pending work that begins now has not stalled yet, however long the push has been idle.
    if (this.pendingUp() === 0 && seq > this.localSeq) this.pushProgressAt = this.clock().getTime();
    this.localSeq = Math.max(this.localSeq, seq);
    this.evaluate();
  }

  snapshot(): SyncStatus & { pushedSeq: number } {
    return { ...this.status, pendingUp: this.pendingUp(), pushedSeq: this.pushedSeq };
  }

  get state(): SyncState {
    return this.status.state;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    const handles: Handle[] = [];
    for (const run of Object.values(this.runs)) {
      clearTimeout(run.timer);
      if (run.handle) handles.push(run.handle);
      run.handle = undefined;
    }
    await Promise.all(
      handles.map((h) => {
        const done = new Promise((r) => h.on('complete', r));
        h.cancel();
        return Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
      }),
    );
  }
}

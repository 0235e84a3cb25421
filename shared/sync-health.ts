import { safeText } from './safe-text.ts';

export type SyncState = 'online' | 'offline' | 'catching_up';

/** What the node knows about one replication direction at a moment. */
export interface DirectionView {
  /** Why the direction is failing right now ("unauthorized: ..."), or null while it works. */
  error: string | null;
  /** It has caught up (paused without an error) since it last failed or started. */
  idle: boolean;
}

export interface SyncFacts {
  push: DirectionView;
  pull: DirectionView;
  /** Local changes not yet pushed. */
  pendingUp: number;
  /** When the push last moved (a batch written, or caught up), or pending work began; ms. */
  pushProgressAt: number;
  now: number;
  /** Pending documents that have not moved for this long mean the push is stuck. */
  stallMs: number;
}

/**
 * The node's sync state and why, from what its replications last said. A node is online only
 * when both directions work and have caught up and its pending documents drain: a push that
 * failed, or pending documents that have not moved for `stallMs`, is offline whatever the
 * replicator's events claim (a replicator that died silently emits nothing at all).
 *
 * @example
 * judgeSync({ push: { error: null, idle: true }, pull: { error: null, idle: true }, pendingUp: 12,
 *   pushProgressAt: 0, now: 60_000, stallMs: 30_000 })
 * // → { state: 'offline', lastError: 'push: 12 documents pending, no progress since 1970-01-01T00:00:00.000Z' }
 */
export function judgeSync(f: SyncFacts): { state: SyncState; lastError: string | null } {
  if (f.push.error) return { state: 'offline', lastError: `push: ${f.push.error}` };
  if (f.pendingUp > 0 && f.now - f.pushProgressAt > f.stallMs) {
    const n = f.pendingUp === 1 ? '1 document' : `${f.pendingUp} documents`;
    return { state: 'offline', lastError: `push: ${n} pending, no progress since ${new Date(f.pushProgressAt).toISOString()}` };
  }
  if (f.pull.error) return { state: 'offline', lastError: `pull: ${f.pull.error}` };
  if (f.push.idle && f.pull.idle) return { state: 'online', lastError: null };
  return { state: 'catching_up', lastError: null };
}

/** Errors a retry with the same credentials will not mend soon: the store was disabled, or enrolled again. */
export function isAuthError(err: unknown): boolean {
  const e = err as { status?: unknown; name?: unknown; error?: unknown } | null | undefined;
  const name = String(e?.name ?? e?.error ?? '').toLowerCase();
  return e?.status === 401 || e?.status === 403 || name === 'unauthorized' || name === 'forbidden';
}

/**
 * How long to wait before starting again a replication that ended: doubling from 1 s up to 10 s,
 * or from 5 s up to 15 s after an authentication error (the store is likely disabled: a slower
 * pace spares the hub, and a cap of 15 s lets an enabled store sync again within seconds; a
 * minute's cap kept re-enabled stores silent for up to 72 s in the chaos runs), with ±20 % jitter
 * so stores do not retry in step.
 * `attempt` counts from 1; `random` is in [0, 1).
 *
 * @example restartDelay(1, false, 0.5) // → 1000
 */
export function restartDelay(attempt: number, auth: boolean, random: number): number {
  const [first, cap] = auth ? [5_000, 15_000] : [1_000, 10_000];
  const base = Math.min(cap, first * 2 ** Math.min(20, Math.max(0, attempt - 1)));
  return Math.round(base * (0.8 + random * 0.4));
}

/** A short, one-line description of a replication error for people. */
export function describeError(err: unknown): string {
  if (err === undefined || err === null) return 'ended without an error';
  const e = err as { name?: unknown; reason?: unknown; message?: unknown; status?: unknown };
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  const text = typeof e.reason === 'string' && e.reason ? e.reason : typeof e.message === 'string' && e.message ? e.message : safeText(err);
  return (name && !text.startsWith(name) ? `${name}: ${text}` : text).slice(0, 300);
}


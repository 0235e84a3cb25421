/*
 * When a console login or session stops working (decision 009): the arithmetic alone, so that
 * it is tested without a clock or a database.
 */

/** Five failed logins lock an account for 15 minutes. */
export const LOCKOUT = { maxFailures: 5, lockMs: 15 * 60_000 } as const;
/** A session ends 8 hours after its last use, and 24 hours after the login in any case. */
export const SESSION_LIFETIME = { idleMs: 8 * 3600_000, absoluteMs: 24 * 3600_000 } as const;

export interface LoginFailures {
  /** Failed logins since the last success or the last lock. */
  failures: number;
  lockedUntil?: string | undefined;
}

/**
 * Whether an account is locked at `now`.
 *
 * @example isLocked({ failures: 0, lockedUntil: '2026-01-01T00:15:00Z' }, new Date('2026-01-01T00:10:00Z')) // true
 */
export const isLocked = (s: LoginFailures, now: Date): boolean => s.lockedUntil !== undefined && now.getTime() < Date.parse(s.lockedUntil);

/**
 * The account's state after one more failed login. The fifth failure in a row locks it (and the
 * count starts again); failures while it is locked do not extend the lock, so nobody can keep an
 * operator out for longer than 15 minutes by guessing on.
 *
 * @example afterFailure({ failures: 4 }, now) // { failures: 0, lockedUntil: now + 15 min, locked: true }
 */
export function afterFailure(s: LoginFailures, now: Date): LoginFailures & { locked: boolean } {
  if (isLocked(s, now)) return { failures: s.failures, lockedUntil: s.lockedUntil, locked: false };
  const failures = s.failures + 1;
  if (failures >= LOCKOUT.maxFailures) return { failures: 0, lockedUntil: new Date(now.getTime() + LOCKOUT.lockMs).toISOString(), locked: true };
  return { failures, lockedUntil: undefined, locked: false };
}

/**
 * Whether a session has ended at `now`: idle too long, or too old.
 *
 * @example sessionEnded({ createdAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T09:00:00Z' }, new Date('2026-01-01T10:00:00Z')) // false
 */
export function sessionEnded(s: { createdAt: string; lastSeenAt: string }, now: Date): boolean {
  const t = now.getTime();
  return t - Date.parse(s.lastSeenAt) >= SESSION_LIFETIME.idleMs || t - Date.parse(s.createdAt) >= SESSION_LIFETIME.absoluteMs || Number.isNaN(Date.parse(s.createdAt)) || Number.isNaN(Date.parse(s.lastSeenAt));
}

import { describe, expect, it } from 'vitest';
import { afterFailure, isLocked, LOCKOUT, sessionEnded, SESSION_LIFETIME, type LoginFailures } from '../../shared/login-policy.ts';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('lockout', () => {
  it('the fifth failure in a row locks the account for 15 minutes, not before', () => {
    let s: LoginFailures = { failures: 0 };
    for (let i = 1; i < LOCKOUT.maxFailures; i++) {
      s = afterFailure(s, t0);
      expect(s).toMatchObject({ failures: i, locked: false });
      expect(isLocked(s, t0)).toBe(false);
    }
    const locked = afterFailure(s, t0);
    expect(locked.locked).toBe(true);
    expect(locked.lockedUntil).toBe(at(15 * 60_000).toISOString());
    expect(isLocked(locked, at(15 * 60_000 - 1))).toBe(true);
    expect(isLocked(locked, at(15 * 60_000))).toBe(false);
  });

  it('failures while locked do not extend the lock; after it, counting starts again', () => {
    const locked = afterFailure({ failures: 4 }, t0);
    const again = afterFailure(locked, at(10 * 60_000));
    expect(again).toMatchObject({ lockedUntil: locked.lockedUntil, locked: false });
    const later = afterFailure(again, at(16 * 60_000));
    expect(later).toMatchObject({ failures: 1, locked: false });
    expect(isLocked(later, at(16 * 60_000))).toBe(false);
  });
});

describe('session lifetime', () => {
  const s = (created: number, seen: number) => ({ createdAt: at(created).toISOString(), lastSeenAt: at(seen).toISOString() });
  it('ends 8 hours after the last use', () => {
    expect(sessionEnded(s(0, 0), at(SESSION_LIFETIME.idleMs - 1))).toBe(false);
    expect(sessionEnded(s(0, 0), at(SESSION_LIFETIME.idleMs))).toBe(true);
    expect(sessionEnded(s(0, 7 * 3600_000), at(14 * 3600_000))).toBe(false);
  });
  it('ends 24 hours after the login however busy it is', () => {
    expect(sessionEnded(s(0, SESSION_LIFETIME.absoluteMs - 60_000), at(SESSION_LIFETIME.absoluteMs - 1))).toBe(false);
    expect(sessionEnded(s(0, SESSION_LIFETIME.absoluteMs - 60_000), at(SESSION_LIFETIME.absoluteMs))).toBe(true);
  });
  it('a session with unreadable times has ended', () => {
    expect(sessionEnded({ createdAt: 'x', lastSeenAt: t0.toISOString() }, t0)).toBe(true);
  });
});

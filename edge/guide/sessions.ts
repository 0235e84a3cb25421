import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sessionEnded } from '../../shared/login-policy.ts';
import { hashSecret } from '../../shared/secrets.ts';
import type { SignedIn } from './accounts.ts';

export interface GuideSession extends SignedIn {
  createdAt: string;
  lastSeenAt: string;
  /** Sent back as `_csrf` with every form of this session. */
  csrfToken: string;
}

/** The cookie's value: 32 random bytes, base64url; anything else was not issued here. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** A store has a handful of guides; a flood of sign-ins must not grow the map without end. */
const MAX_SESSIONS = 500;

/**
 * Guide sessions, in the node's memory under the SHA-256 of their id (as the hub's console
 * sessions are stored): a restart of the node signs every guide out, which a store can live
 * with and which keeps session state out of the replica. Sessions end as the console's do
 * (8 idle hours, 24 in all; shared/login-policy.ts), at sign-out, and when the guide is revoked
 * or given a new password.
 */
export class GuideSessions {
  private readonly byHash = new Map<string, GuideSession>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  create(who: SignedIn): { id: string; session: GuideSession } {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock().toISOString();
    const session: GuideSession = { ...who, createdAt: now, lastSeenAt: now, csrfToken: randomBytes(32).toString('base64url') };
    if (this.byHash.size >= MAX_SESSIONS) this.byHash.delete(this.byHash.keys().next().value!);
    this.byHash.set(hashSecret(id), session);
    return { id, session };
  }

  /** The live session a cookie names, or undefined; an ended one is forgotten on the way. */
  find(id: string | undefined): GuideSession | undefined {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const key = hashSecret(id);
    const session = this.byHash.get(key);
    if (!session) return undefined;
    const now = this.clock();
    if (sessionEnded(session, now)) {
      this.byHash.delete(key);
      return undefined;
    }
    session.lastSeenAt = now.toISOString();
    return session;
  }

  remove(id: string | undefined): void {
    if (id !== undefined && SESSION_ID.test(id)) this.byHash.delete(hashSecret(id));
  }
}

/** Whether a form's CSRF token is the session's, compared in constant time. */
export function csrfMatches(session: GuideSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(hashSecret(given), 'hex');
  const b = Buffer.from(hashSecret(session.csrfToken), 'hex');
  return timingSafeEqual(new Uint8Array(a), new Uint8Array(b));
}

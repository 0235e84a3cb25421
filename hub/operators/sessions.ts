import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sessionEnded } from '../../shared/login-policy.ts';
import { hashSecret } from '../../shared/secrets.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';

export interface SessionDoc extends Doc {
  type: 'session';
  operator: string;
  createdAt: string;
  lastSeenAt: string;
  /** Sent back in X-CSRF-Token (or a form's `_csrf`) with every state-changing call of this session. */
  csrfToken: string;
}

/** The cookie's value: 32 random bytes, base64url; anything else was not issued here. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const sessionKey = (id: string) => `session:${hashSecret(id)}`;
/** How stale lastSeenAt may get before a request writes it again (a write per request is not needed for an 8-hour idle limit). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Console sessions, stored server-side under the SHA-256 of their id only: a copy of the
 * database does not log anyone in. A session exists only because a login made it, so an id a
 * client chose is never accepted (no session fixation).
 */
export class Sessions {
  constructor(
    private readonly couch: Couch,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A new session for an operator who just proved who they are; the id goes into the cookie, never anywhere else. */
  async create(operator: string): Promise<{ id: string; session: SessionDoc }> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock().toISOString();
    const session: SessionDoc = { _id: sessionKey(id), type: 'session', operator, createdAt: now, lastSeenAt: now, csrfToken: randomBytes(32).toString('base64url') };
    await this.couch.insertNew(DB.operators, [session]);
    return { id, session };
  }

  /** The live session a cookie names, or undefined; an ended one is deleted on the way. */
  async find(id: string | undefined): Promise<SessionDoc | undefined> {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const key = sessionKey(id);
    const session = await this.couch.get<SessionDoc>(DB.operators, key);
    if (!session || session.type !== 'session') return undefined;
    const now = this.clock();
    if (sessionEnded(session, now)) {
      await this.remove(id);
      return undefined;
    }
    if (now.getTime() - Date.parse(session.lastSeenAt) > TOUCH_EVERY_MS) {
      // A lost race with another request of the same session only loses a touch.
      await this.couch.db(DB.operators).insert({ ...session, lastSeenAt: now.toISOString() }).catch(() => {});
    }
    return session;
  }

  async remove(id: string | undefined): Promise<void> {
    if (id === undefined || !SESSION_ID.test(id)) return;
    await this.couch.update<SessionDoc>(DB.operators, sessionKey(id), (s) => (s ? ({ _id: s._id, _deleted: true } as unknown as SessionDoc) : undefined));
  }

  /** Ends every session of an operator (disabled, reset, or a new password), except `keep`. */
  async removeAllOf(operator: string, keep?: SessionDoc): Promise<number> {
    let removed = 0;
    for await (const page of this.couch.pages<SessionDoc>(DB.operators, { startkey: 'session:', endkey: 'session:\ufff0' })) {
      const mine = page.filter((s) => s.operator === operator && s._id !== keep?._id);
      if (mine.length === 0) continue;
      await this.couch.db(DB.operators).bulk({ docs: mine.map((s) => ({ _id: s._id, _rev: s._rev, _deleted: true })) });
      removed += mine.length;
    }
    return removed;
  }
}

/** Whether a CSRF token a request sent is the session's, compared in constant time. */
export function csrfMatches(session: SessionDoc, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(hashSecret(given), 'hex');
  const b = Buffer.from(hashSecret(session.csrfToken), 'hex');
  return timingSafeEqual(new Uint8Array(a), new Uint8Array(b));
}

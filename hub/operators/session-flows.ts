import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from '../../shared/errors.ts';
import type { RateLimiter } from '../../shared/rate-limit.ts';
import type { HubContext } from '../context.ts';
import { clientAddress, SESSION_COOKIE, setSessionCookie, clearSessionCookie, type Actor } from './access.ts';
import type { OperatorDoc } from './operators.ts';
import type { SessionDoc } from './sessions.ts';

export const LOGIN_FAILED = 'wrong name or password, or the account is locked or disabled';

/**
 * Logging in, choosing a password and logging out, once for both faces of the console: the JSON
 * session API (`/console/api`) and the HTML forms (`/console/login`, `/console/password`). Every
 * refused login is the same `login_failed` whatever the reason (the audit log keeps the reason);
 * logins are limited per client address as well as locked per account.
 */
export function sessionFlows(ctx: HubContext, loginLimiter: RateLimiter) {
  // The routes that call these have no parameters: the path a handler sees is its route's pattern.
  const audit = (c: Context, name: string, event: string, status: number, detail?: string) =>
    ctx.audit.record({ actor: { kind: 'operator', name }, method: c.req.method, route: c.req.path, event, status, ...(detail ? { detail } : {}), ...clientAddress(c) });

  /** A fresh session for a proven operator; the one the browser held before (if any) ends. */
  const startSession = async (c: Context, op: OperatorDoc) => {
    await ctx.sessions.remove(getCookie(c, SESSION_COOKIE));
    const { id, session } = await ctx.sessions.create(op.name);
    setSessionCookie(c, id);
    return session;
  };

  return {
    /** What the session API answers about a session (and the console shows). */
    async view(op: OperatorDoc, session: SessionDoc) {
      return {
        operator: { name: op.name, role: op.role, scope: op.scope ?? null, mustChangePassword: op.mustChangePassword },
        permissions: (await ctx.operators.role(op.role))?.permissions ?? [],
        csrfToken: session.csrfToken,
        expires: { idleMinutes: 8 * 60, absoluteAt: new Date(Date.parse(session.createdAt) + 24 * 3600_000).toISOString() },
      };
    },

    /** Checks the name and password and sets the session cookie; 429 `rate_limited`, 401 `login_failed`. */
    async login(c: Context, name: string, password: string): Promise<{ operator: OperatorDoc; session: SessionDoc }> {
      const wait = loginLimiter.take(clientAddress(c).ip);
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        throw new AppError('rate_limited', `too many logins from this address; try again in ${wait} s`);
      }
      const outcome = await ctx.operators.login(name, password);
      if (!outcome.ok) {
        await audit(c, name, 'login_failed', 401, outcome.reason);
        if (outcome.justLocked) await audit(c, name, 'lockout', 401);
        throw new AppError('login_failed', LOGIN_FAILED);
      }
      const session = await startSession(c, outcome.operator);
      await audit(c, outcome.operator.name, 'login', 200);
      return { operator: outcome.operator, session };
    },

    /** The current password again (a wrong one counts towards the lock), then the new one; every session of the operator ends but a new one. */
    async changePassword(c: Context, actor: Actor, current: string, next: string): Promise<{ operator: OperatorDoc; session: SessionDoc }> {
      const check = await ctx.operators.login(actor.name, current);
      if (!check.ok) {
        await audit(c, actor.name, 'password_change_failed', 401, check.reason);
        if (check.justLocked) await audit(c, actor.name, 'lockout', 401);
        throw new AppError('login_failed', 'the current password is wrong (or the account is locked)');
      }
      const op = await ctx.operators.setPassword(actor.name, next);
      await ctx.sessions.removeAllOf(op.name);
      const session = await startSession(c, op);
      if (op.name === 'admin') await ctx.forgetInitialAdminPassword();
      await audit(c, op.name, 'password_changed', 200);
      return { operator: op, session };
    },

    /** Ends the session at the hub and clears the cookie. */
    async logout(c: Context, actor: Actor): Promise<void> {
      await ctx.sessions.remove(actor.sessionId);
      clearSessionCookie(c);
      await audit(c, actor.name, 'logout', 200);
    },
  };
}
export type SessionFlows = ReturnType<typeof sessionFlows>;

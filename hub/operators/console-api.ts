import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import type { RateLimiter } from '../../shared/rate-limit.ts';
import { LoginSchema, PasswordChangeSchema } from '../../shared/schemas/operator.ts';
import type { HubContext } from '../context.ts';
import { clearSessionCookie, clientAddress, requireCsrf, SESSION_COOKIE, sessionActor, setSessionCookie, type Actor, type AdminEnv } from './access.ts';
import type { OperatorDoc } from './operators.ts';
import type { SessionDoc } from './sessions.ts';

const LOGIN_FAILED = 'wrong name or password, or the account is locked or disabled';

/**
 * The console's session API (`/console/api`): log in, who am I, log out, choose a password.
 * Every refused login answers the same `login_failed`, whatever the reason (the audit log keeps
 * the reason); logins are limited per client address as well as locked per account.
 */
export function consoleApiRoutes(ctx: HubContext, loginLimiter: RateLimiter) {
  const api = new Hono<AdminEnv>();
  // The routes here have no parameters: the path a handler sees is its route's pattern.
  const audit = (c: Context, name: string, event: string, status: number, detail?: string) =>
    ctx.audit.record({ actor: { kind: 'operator', name }, method: c.req.method, route: c.req.path, event, status, ...(detail ? { detail } : {}), ...clientAddress(c) });
  const view = async (op: OperatorDoc, session: SessionDoc) => ({
    operator: { name: op.name, role: op.role, scope: op.scope ?? null, mustChangePassword: op.mustChangePassword },
    permissions: (await ctx.operators.role(op.role))?.permissions ?? [],
    csrfToken: session.csrfToken,
    expires: { idleMinutes: 8 * 60, absoluteAt: new Date(Date.parse(session.createdAt) + 24 * 3600_000).toISOString() },
  });
  /** A fresh session for a proven operator; the one the browser held before (if any) ends. */
  const startSession = async (c: Context, op: OperatorDoc) => {
    await ctx.sessions.remove(getCookie(c, SESSION_COOKIE));
    const { id, session } = await ctx.sessions.create(op.name);
    setSessionCookie(c, id);
    return session;
  };
  const requireSession = async (c: Context): Promise<Actor> => {
    const actor = await sessionActor(ctx, c);
    if (!actor) throw new AppError('unauthorized', 'log in first: POST /console/api/session');
    await requireCsrf(c, actor);
    return actor;
  };

  api.post('/session', async (c) => {
    const wait = loginLimiter.take(clientAddress(c).ip);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new AppError('rate_limited', `too many logins from this address; try again in ${wait} s`);
    }
    const body = await readJsonBody(c.req, LoginSchema);
    const outcome = await ctx.operators.login(body.name, body.password);
    if (!outcome.ok) {
      await audit(c, body.name, 'login_failed', 401, outcome.reason);
      if (outcome.justLocked) await audit(c, body.name, 'lockout', 401);
      throw new AppError('login_failed', LOGIN_FAILED);
    }
    const session = await startSession(c, outcome.operator);
    await audit(c, outcome.operator.name, 'login', 200);
    return c.json(await view(outcome.operator, session));
  });

  api.get('/session', async (c) => {
    const actor = await requireSession(c);
    return c.json(await view(await ctx.operators.require(actor.name), actor.session!));
  });

  api.delete('/session', async (c) => {
    const actor = await requireSession(c);
    await ctx.sessions.remove(actor.sessionId);
    clearSessionCookie(c);
    await audit(c, actor.name, 'logout', 200);
    return c.json({ loggedOut: true });
  });

  /** The current password again (a wrong one counts towards the lock), then the new one; every session of the operator ends but a new one. */
  api.post('/password', async (c) => {
    const actor = await requireSession(c);
    const body = await readJsonBody(c.req, PasswordChangeSchema);
    const check = await ctx.operators.login(actor.name, body.current);
    if (!check.ok) {
      await audit(c, actor.name, 'password_change_failed', 401, check.reason);
      if (check.justLocked) await audit(c, actor.name, 'lockout', 401);
      throw new AppError('login_failed', 'the current password is wrong (or the account is locked)');
    }
    const op = await ctx.operators.setPassword(actor.name, body.next);
    await ctx.sessions.removeAllOf(op.name);
    const session = await startSession(c, op);
    if (op.name === 'admin') await ctx.forgetInitialAdminPassword();
    await audit(c, op.name, 'password_changed', 200);
    return c.json(await view(op, session));
  });
  return api;
}

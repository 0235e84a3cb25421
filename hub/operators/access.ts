import type { Context, Handler, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { credentialsOf } from '../../shared/auth-header.ts';
import { AppError } from '../../shared/errors.ts';
import { own } from '../../shared/own.ts';
import { can, changesData, PERMISSIONS, ruleOf } from '../../shared/permissions.ts';
import { SESSION_LIFETIME } from '../../shared/login-policy.ts';
import { hashSecret } from '../../shared/secrets.ts';
import type { HubContext } from '../context.ts';
import { csrfMatches, type SessionDoc } from './sessions.ts';

/**
 * Who is calling the admin API or the console, as every handler sees it (`c.var.actor`): the
 * admin token (scripts, the CLI: every permission) or an operator's session. `scope` is the
 * node of the org tree whose data they see (null: everything); routes turn it into the value the
 * services filter by with scopeCheck() (hub/org/scope-check.ts, decision 010).
 */
export interface Actor {
  kind: 'token' | 'operator';
  name: string;
  role: string;
  scope: string | null;
  permissions: readonly string[];
  mustChangePassword: boolean;
  /** The session and the cookie's id, for an operator. */
  session?: SessionDoc;
  sessionId?: string;
}
export type AdminEnv = { Variables: { actor: Actor; auditTarget: string } };

export const SESSION_COOKIE = 'memberedge_session';
const TOKEN_ACTOR: Actor = { kind: 'token', name: 'token', role: 'admin', scope: null, permissions: PERMISSIONS, mustChangePassword: false };

/**
 * Where a request came from: the socket's address (as @hono/node-server hands it to the app),
 * and X-Forwarded-For as the client or a proxy claims it, kept apart because anyone can send it.
 */
export function clientAddress(c: Context): { ip: string; forwardedFor?: string } {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const forwardedFor = c.req.header('x-forwarded-for');
  return { ip: incoming?.socket?.remoteAddress ?? 'unknown', ...(forwardedFor ? { forwardedFor } : {}) };
}

/** Whether the browser reached the hub over https (itself, or a proxy that says so). */
const overHttps = (c: Context) => new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';

/** The session cookie: HttpOnly, SameSite=Strict, Secure over https, for the session's longest life. */
export function setSessionCookie(c: Context, id: string): void {
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/', maxAge: SESSION_LIFETIME.absoluteMs / 1000 });
}
export function clearSessionCookie(c: Context): void {
  setCookie(c, SESSION_COOKIE, '', { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/', maxAge: 0 });
}

/** The operator a session cookie belongs to, or undefined: no cookie, a session the hub did not issue or that ended, a disabled operator. */
export async function sessionActor(ctx: HubContext, c: Context): Promise<Actor | undefined> {
  const sessionId = getCookie(c, SESSION_COOKIE);
  const session = await ctx.sessions.find(sessionId);
  if (!session) return undefined;
  const op = await ctx.operators.get(session.operator);
  if (!op || op.disabled) return undefined;
  const role = await ctx.operators.role(op.role);
  return { kind: 'operator', name: op.name, role: op.role, scope: op.scope ?? null, permissions: role?.permissions ?? [], mustChangePassword: op.mustChangePassword, session, sessionId: sessionId! };
}

/** The CSRF token a request sent: the X-CSRF-Token header, or a form's `_csrf` field (the console's HTML forms). */
async function csrfTokenOf(c: Context): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header !== undefined) return header;
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  const field = own(await c.req.parseBody(), '_csrf');
  return typeof field === 'string' ? field : undefined;
}

/** Refuses a state-changing call of a session without its CSRF token: 403 `csrf_failed`, before anything is written. */
export async function requireCsrf(c: Context, actor: Actor): Promise<void> {
  if (actor.kind !== 'operator' || !changesData(c.req.method)) return;
  if (!csrfMatches(actor.session!, await csrfTokenOf(c))) throw new AppError('csrf_failed', 'send the CSRF token of your session (GET /console/api/session) in X-CSRF-Token');
}

/**
 * Who calls the admin API: an Authorization header must carry the admin token (no falling back
 * to a cookie); without one, an operator's session. Neither: 401 `unauthorized`.
 */
export function authenticateAdmin(ctx: HubContext): MiddlewareHandler<AdminEnv> {
  const expected = new Uint8Array(Buffer.from(hashSecret(ctx.adminToken), 'hex'));
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const token = credentialsOf(header, 'Bearer');
      const given = new Uint8Array(Buffer.from(hashSecret(token ?? ''), 'hex'));
      if (token === undefined || !timingSafeEqual(given, expected)) throw new AppError('unauthorized', 'send Authorization: Bearer <hub admin token>, or log in at POST /console/api/session');
      c.set('actor', TOKEN_ACTOR);
      return next();
    }
    const actor = await sessionActor(ctx, c);
    if (!actor) throw new AppError('unauthorized', 'send Authorization: Bearer <hub admin token>, or log in at POST /console/api/session');
    c.set('actor', actor);
    return next();
  };
}

/**
 * An admin route's handler behind its checks, in this order: the session's CSRF token on a
 * write, a password to choose, the route's permission (ADMIN_ROUTES; a route missing there is
 * refused for everyone). A write, or a read of personal data, is audited whatever the outcome.
 */
export function guarded(ctx: HubContext, method: string, path: string, handler: Handler<AdminEnv>): Handler<AdminEnv> {
  const rule = ruleOf(method, path);
  const route = `/admin/v1${path}`;
  const audited = changesData(method) || rule?.personal === true;
  return async (c, next) => {
    const actor = c.var.actor;
    let status = 500;
    try {
      await requireCsrf(c, actor);
      if (actor.mustChangePassword) throw new AppError('password_change_required', 'choose your own password first: POST /console/api/password');
      if (!rule) throw new AppError('forbidden', `${method} ${route} is not open to anyone yet`);
      if (!can(actor, rule.permission)) throw new AppError('forbidden', `your role (${actor.role}) lacks ${rule.permission}`);
      const res = await handler(c, next);
      status = res instanceof Response ? res.status : c.res.status;
      return res;
    } catch (err) {
      status = err instanceof AppError ? err.status : 500;
      throw err;
    } finally {
      if (audited) {
        const params = Object.values(c.req.param() as Record<string, string>);
        const target = c.get('auditTarget') ?? (params.length > 0 ? params.join('/') : undefined);
        // The answer does not wait for the entry (decision 035): it is stored beside it.
        void ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method, route, ...(target !== undefined ? { target } : {}), status, ...clientAddress(c) });
      }
    }
  };
}

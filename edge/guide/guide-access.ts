import type { Context, Handler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../shared/errors.ts';
import { pickLang, type Lang } from '../../shared/i18n.ts';
import { SESSION_LIFETIME } from '../../shared/login-policy.ts';
import { own } from '../../shared/own.ts';
import type { RateLimiter } from '../../shared/rate-limit.ts';
import type { EdgeContext } from '../context.ts';
import type { GuideAccounts } from './accounts.ts';
import type { GuideTranslator } from './i18n.ts';
import { csrfMatches, type GuideSession, type GuideSessions } from './sessions.ts';

export type GuideEnv = { Variables: { t: GuideTranslator; session: GuideSession; sessionId: string } };
export type GuideContext = Context<GuideEnv>;

/** What the guide pages need, built once by createApp. */
export interface GuideDeps {
  ctx: EdgeContext;
  accounts: GuideAccounts;
  sessions: GuideSessions;
  translators: (lang: Lang) => GuideTranslator;
  /** Sign-ins per client address (guessing passwords across accounts). */
  signInLimit: RateLimiter;
  /** Finds per guide, as identify is bounded per terminal: a search says whether a phone is a member. */
  findLimit: RateLimiter;
}

export const SESSION_COOKIE = 'guide_session';

/** Whether the browser reached the node over https (itself, or a proxy that says so). */
const overHttps = (c: Context) => new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';

/** The session cookie: HttpOnly, SameSite=Strict, Secure over https, only for /guide. */
export function setSessionCookie(c: Context, id: string): void {
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/guide', maxAge: SESSION_LIFETIME.absoluteMs / 1000 });
}
export function clearSessionCookie(c: Context): void {
  setCookie(c, SESSION_COOKIE, '', { httpOnly: true, sameSite: 'Strict', secure: overHttps(c), path: '/guide', maxAge: 0 });
}

export function clientAddress(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** Sets the page's language from the `lang` cookie, else Accept-Language. */
export function setLanguage(c: GuideContext, deps: GuideDeps): GuideTranslator {
  const t = deps.translators(pickLang(getCookie(c, 'lang'), c.req.header('accept-language')));
  c.set('t', t);
  return t;
}

/** Where to send a guide back after signing in: a guide page of this node, nothing else. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/guide(\/[A-Za-z0-9/_.~%:@-]*)?$/.test(next) && !next.includes('//') && !next.includes('..') ? next : '/guide';
}

/** The signed-in guide's session, or undefined (no cookie, ended, revoked, a newer password). */
export async function currentSession(c: GuideContext, deps: GuideDeps): Promise<{ id: string; session: GuideSession } | undefined> {
  const id = getCookie(c, SESSION_COOKIE);
  const session = deps.sessions.find(id);
  if (!session) return undefined;
  if (!(await deps.accounts.stillValid(session))) {
    deps.sessions.remove(id);
    return undefined;
  }
  return { id: id!, session };
}

/**
 * A page for signed-in guides; without a session, a redirect to the sign-in page (which brings
 * them back); with a password `guide add` printed still to replace, a redirect to the page that
 * replaces it.
 */
export function guidePage(deps: GuideDeps, handler: (c: GuideContext) => Response | Promise<Response>, opts: { passwordPage?: boolean } = {}): Handler<GuideEnv> {
  return async (c) => {
    setLanguage(c, deps);
    const current = await currentSession(c, deps);
    if (!current) return c.redirect(`/guide/login?next=${encodeURIComponent(safeNext(c.req.path))}`, 303);
    if (current.session.mustChangePassword && !opts.passwordPage) return c.redirect('/guide/password', 303);
    c.set('session', current.session);
    c.set('sessionId', current.id);
    return handler(c);
  };
}

/**
 * A form that changes something or asks about a person: a signed-in guide, and the session's
 * CSRF token as `_csrf` (403 before the handler runs otherwise). The handler gets the fields.
 */
export function guideForm(deps: GuideDeps, handler: (c: GuideContext, form: (name: string) => string) => Response | Promise<Response>, opts: { passwordPage?: boolean } = {}): Handler<GuideEnv> {
  return guidePage(deps, async (c) => {
    const body = await formBody(c);
    if (!csrfMatches(c.var.session, own(body, '_csrf'))) throw new AppError('csrf_failed', c.var.t('error.csrf'));
    return handler(c, (name) => {
      const v = own(body, name);
      return typeof v === 'string' ? v : '';
    });
  }, opts);
}

/** A form's fields; anything but a form is an empty one (so a JSON post has no `_csrf` either). */
export async function formBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return {};
  return (await c.req.parseBody()) as Record<string, unknown>;
}

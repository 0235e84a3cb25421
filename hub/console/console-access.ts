import type { Context, Handler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from '../../shared/errors.ts';
import { ADMIN_ROUTES, can } from '../../shared/permissions.ts';
import { sentFrom } from '../../shared/same-origin.ts';
import type { HubContext } from '../context.ts';
import { clientAddress, requireCsrf, sessionActor, type Actor } from '../operators/access.ts';
import { pickLang, translator, type Translator } from './i18n.ts';

export type ConsoleEnv = { Variables: { actor: Actor; t: Translator; auditTarget: string } };
export type ConsoleContext = Context<ConsoleEnv>;

/**
 * What a console page may show is what the admin API would answer the same operator: a page (or
 * a panel of one) names the admin route whose data it shows, `GET /fleet`, and needs that route's
 * permission (shared/permissions.ts). One table decides for both.
 */
export function mayCall(actor: Actor, route: string): boolean {
  const rule = ADMIN_ROUTES.get(route);
  return rule !== undefined && can(actor, rule.permission);
}

/** Refuses the page (403, rendered) unless the operator may call `route` of the admin API. */
export function need(c: ConsoleContext, route: string): void {
  if (!mayCall(c.var.actor, route)) throw new AppError('forbidden', `your role (${c.var.actor.role}) may not ${route}`);
}

/** Sets the page's language from the `lang` cookie, else Accept-Language. */
export function setLanguage(c: ConsoleContext): Translator {
  const t = translator(pickLang(getCookie(c, 'lang'), c.req.header('accept-language')));
  c.set('t', t);
  return t;
}

/** Where to send someone back after logging in: a console page of this hub, nothing else. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[A-Za-z0-9/_.~%:@-]*)?(\?[^#\s\\]*)?$/.test(next) && !next.startsWith('/console/api') && !next.includes('//') ? next : '/console';
}

/**
 * A page for operators: without a session, a redirect to the login page (which brings them
 * back); with a one-time password still to replace, a redirect to the password page.
 */
export function page(ctx: HubContext, handler: (c: ConsoleContext) => Response | Promise<Response>, opts: { passwordPage?: boolean } = {}): Handler<ConsoleEnv> {
  return async (c) => {
    setLanguage(c);
    const actor = await sessionActor(ctx, c);
    if (!actor) return c.redirect(`/console/login?next=${encodeURIComponent(safeNext(c.req.path + new URL(c.req.url).search))}`, 303);
    c.set('actor', actor);
    if (actor.mustChangePassword && !opts.passwordPage) return c.redirect('/console/password', 303);
    return handler(c);
  };
}

/**
 * A console form that changes data: the session's CSRF token (the form's `_csrf`), the
 * permission of the admin route it does the work of, and an audit entry whatever the outcome,
 * as the admin API records its own calls (what it acted on: the path's ids, or the `auditTarget`
 * a handler sets, such as the member a coupon went to).
 */
export function formAction(ctx: HubContext, route: string, handler: (c: ConsoleContext) => Response | Promise<Response>): Handler<ConsoleEnv> {
  return page(ctx, async (c) => {
    const actor = c.var.actor;
    let status = 500;
    try {
      await requireCsrf(c, actor);
      need(c, route);
      const res = await handler(c);
      status = res.status;
      return res;
    } catch (err) {
      status = err instanceof AppError ? err.status : 500;
      throw err;
    } finally {
      // What it acted on: what the handler named (a form field), else the path's parameters.
      const params = Object.values(c.req.param() as Record<string, string>);
      const target = c.get('auditTarget') ?? (params.length > 0 ? params.join('/') : undefined);
      void ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: c.req.method, route: c.req.routePath, ...(target !== undefined ? { target } : {}), status, ...clientAddress(c) });
    }
  });
}

/**
 * Whether a form came from a page of this hub (Origin, else Referer, names the host the request
 * was sent to). The login form has no session to carry a CSRF token yet: this keeps another
 * site from logging a browser in to an account of its choosing (login CSRF).
 */
export function sameOrigin(c: Context): boolean {
  const expected = c.req.header('x-forwarded-host')?.split(',')[0]?.trim() || c.req.header('host') || new URL(c.req.url).host;
  return sentFrom(c.req.header('origin') ?? c.req.header('referer'), expected);
}

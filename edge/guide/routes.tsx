import { Hono } from 'hono';
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import { setLanguage, type GuideDeps, type GuideEnv } from './guide-access.ts';
import { Layout, Notice } from './layout.tsx';
import { findPages } from './pages/find.tsx';
import { profilePages } from './pages/profile.tsx';
import { registerPages } from './pages/register.tsx';
import { rewardsPages } from './pages/rewards.tsx';
import { sessionPages } from './pages/session.tsx';

const CSS = readFileSync(new URL('./static/guide.css', import.meta.url));

/** Errors a page shows as such; anything else is a 500 with its cause in the log only. */
const SHOWN = new Set(['csrf_failed', 'not_found', 'member_not_found', 'validation_failed']);

/**
 * The guide pages (`/guide`): phone-sized, server-rendered, plain links and forms (no scripts at
 * all), over the same services as the POS API and answered from the store's replica, so they
 * work with the hub unreachable. Guides sign in with an account of this node (`guide add`).
 */
export function guideRoutes(deps: GuideDeps, onRequest?: () => void) {
  const { ctx } = deps;
  const app = new Hono<GuideEnv>();

  app.use('*', async (c, next) => {
    onRequest?.();
    await next();
    if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
    c.res.headers.set('content-security-policy', "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    c.res.headers.set('x-frame-options', 'DENY');
    c.res.headers.set('referrer-policy', 'same-origin');
    c.res.headers.set('cache-control', 'no-store');
  });

  app.onError((err, c) => {
    const shown = err instanceof AppError && SHOWN.has(err.code);
    // Never the request's body or query in the log: they may hold a phone number.
    if (!shown) ctx.log.error('guide page failed', { path: c.req.routePath, err: String((err as Error)?.stack ?? err) });
    const t = c.var.t ?? setLanguage(c, deps);
    const status = shown ? (err as AppError).status : 500;
    const title = t(status === 404 ? 'error.notFound' : status === 500 ? 'error.internal' : 'error.badRequest');
    return c.html(
      <Layout t={t} title={title} storeId={ctx.storeId} here="/guide" session={c.var.session}>
        <Notice kind="error">{shown ? err.message : t('error.internalText')}</Notice>
        <p>
          <a href="/guide">{t('error.home')}</a>
        </p>
      </Layout>,
      status as 400,
    );
  });

  app.get('/static/guide.css', (c) => c.body(new Uint8Array(CSS), 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  app.route('/', sessionPages(deps));
  app.route('/', findPages(deps));
  app.route('/', profilePages(deps));
  app.route('/', registerPages(deps));
  app.route('/', rewardsPages(deps));
  app.all('*', (c) => {
    throw new AppError('not_found', c.var.t?.('error.notFound') ?? 'not found');
  });
  return app;
}

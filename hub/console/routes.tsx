import { Hono } from 'hono';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../project-root.ts';
import { AppError } from '../../shared/errors.ts';
import type { HubContext } from '../context.ts';
import type { SessionFlows } from '../operators/session-flows.ts';
import { Notice } from './components.tsx';
import { setLanguage, type ConsoleEnv } from './console-access.ts';
import { Layout } from './layout.tsx';
import { auditPages } from './pages/audit.tsx';
import { dashboardPages } from './pages/dashboard.tsx';
import { couponIssuePages } from './pages/coupon-issue.tsx';
import { couponTemplatePages } from './pages/coupon-templates.tsx';
import { cataloguePages } from './pages/catalogue.tsx';
import { incidentPages } from './pages/incidents.tsx';
import { loyaltyPages } from './pages/loyalty.tsx';
import { productPages } from './pages/products.tsx';
import { tierBenefitsPages } from './pages/tier-benefits.tsx';
import { memberPages } from './pages/members.tsx';
import { memberPrivacyPages } from './pages/member-privacy.tsx';
import { oneIdImportPages } from './pages/one-id-imports.tsx';
import { oneIdPages } from './pages/one-id.tsx';
import { operatorPages } from './pages/operators.tsx';
import { sessionPages } from './pages/session.tsx';
import { storePages } from './pages/stores.tsx';
import { tagPages } from './pages/tags.tsx';
import { segmentPages } from './pages/segments.tsx';

/** The console's own files and ECharts' browser build, from node_modules: no CDN, no build step. */
const STATIC: ReadonlyMap<string, { file: string; type: string }> = new Map([
  ['console.css', { file: join(PROJECT_ROOT, 'hub', 'console', 'static', 'console.css'), type: 'text/css; charset=utf-8' }],
  ['console.js', { file: join(PROJECT_ROOT, 'hub', 'console', 'static', 'console.js'), type: 'text/javascript; charset=utf-8' }],
  ['echarts.min.js', { file: join(PROJECT_ROOT, 'node_modules', 'echarts', 'dist', 'echarts.min.js'), type: 'text/javascript; charset=utf-8' }],
]);

/**
 * The HQ console (`/console`): server-rendered pages over the services the admin API calls,
 * plain links and forms (every page works without scripts; scripts only draw charts).
 */
export function consoleRoutes(ctx: HubContext, flows: SessionFlows) {
  const app = new Hono<ConsoleEnv>();
  const files = new Map([...STATIC].map(([name, s]) => [name, { body: readFileSync(s.file), type: s.type }]));

  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
    c.res.headers.set('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    c.res.headers.set('x-frame-options', 'DENY');
    c.res.headers.set('referrer-policy', 'same-origin');
    c.res.headers.set('cache-control', 'no-store');
  });

  // A refusal (an AppError of 4xx: its message is written for the person who asked) or the
  // database's absence (503) is shown as such, with its status; anything else is a 500 whose
  // cause goes to the log, not the page.
  app.onError((err, c) => {
    if (err instanceof AppError && err.code === 'unauthorized') return c.redirect('/console/login', 303);
    const shown = err instanceof AppError && ((err.status >= 400 && err.status < 500) || err.code === 'unavailable');
    if (!shown) ctx.log.error('console page failed', { path: c.req.path, err: String((err as Error)?.stack ?? err) });
    const t = c.var.t ?? setLanguage(c);
    const status = shown ? err.status : 500;
    const title = t(status === 403 ? 'error.forbidden' : status === 404 ? 'error.notFound' : status >= 400 && status < 500 ? 'error.badRequest' : 'error.internal');
    return c.html(
      <Layout t={t} title={title} here="/console" actor={c.var.actor}>
        {/* The error's stable code, as the admin API would answer it, for scripts and tests. */}
        <div data-error-code={shown ? err.code : 'internal'}>
          <Notice kind="error">{shown ? err.message : t('error.internalText')}</Notice>
        </div>
        <p>
          <a href="/console">{t('error.home')}</a>
        </p>
      </Layout>,
      status as 400,
    );
  });

  app.get('/static/:file', (c) => {
    const f = files.get(c.req.param('file'));
    if (!f) throw new AppError('not_found', 'no such file');
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type, 'cache-control': 'public, max-age=3600' });
  });

  app.route('/', sessionPages(ctx, flows));
  app.route('/', dashboardPages(ctx));
  app.route('/', storePages(ctx));
  app.route('/', incidentPages(ctx));
  app.route('/', memberPages(ctx));
  app.route('/', operatorPages(ctx));
  app.route('/', oneIdPages(ctx));
  app.route('/', oneIdImportPages(ctx));
  app.route('/', memberPrivacyPages(ctx));
  app.route('/', auditPages(ctx));
  app.route('/', loyaltyPages(ctx));
  app.route('/', productPages(ctx));
  app.route('/', tierBenefitsPages(ctx));
  app.route('/', couponTemplatePages(ctx));
  app.route('/', couponIssuePages(ctx));
  app.route('/', cataloguePages(ctx));
  app.route('/', tagPages(ctx));
  app.route('/', segmentPages(ctx));
  return app;
}

import { Hono } from 'hono';
import { AppError } from '../shared/errors.ts';
import { errorBody } from '../shared/json-body.ts';
import type { HubContext } from './context.ts';
import { gatewayRoutes } from './gateway.ts';
import { recordRefusals } from './incidents.ts';
import { authenticateAdmin, guarded, type AdminEnv } from './operators/access.ts';
import { consoleApiRoutes } from './operators/console-api.ts';
import { sessionFlows } from './operators/session-flows.ts';
import { consoleRoutes } from './console/routes.tsx';
import { RateLimiter } from '../shared/rate-limit.ts';
import { adminApiRoutes } from './routes/admin-api.ts';
import { storeApiRoutes } from './routes/store-api.ts';
import { exchangeRefundStoreRoutes, poolStoreRoutes } from './catalogue/routes.ts';

/** Builds the hub's HTTP API from its dependencies; `serve` listens, tests call it over HTTP. */
export function createHubApp(ctx: HubContext) {
  const app = new Hono<AdminEnv>();
  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(errorBody(err), err.status as 400);
    ctx.log.error('unhandled error', { path: c.req.path, err: String((err as Error)?.stack ?? err) });
    return c.json(errorBody(new AppError('internal', 'internal error')), 500);
  });
  app.notFound((c) => c.json(errorBody(new AppError('not_found', `no route ${c.req.method} ${c.req.path.slice(0, 100)}`)), 404));

  app.get('/healthz', async (c) => {
    const couch = await ctx.couch.server
      .info()
      .then(() => 'up')
      .catch(() => 'down');
    return c.json({ status: couch === 'up' ? 'ok' : 'degraded', version: ctx.version, couch, time: ctx.clock().toISOString() }, couch === 'up' ? 200 : 503);
  });
  app.route('/couch', gatewayRoutes({ couch: ctx.couch, stores: ctx.stores, clocks: ctx.clocks, onStoreWrite: (id) => ctx.ingest.poke(id), onRefused: (id, refused, sent) => recordRefusals(ctx, id, refused, sent), hubId: ctx.hubId, refusals: ctx.refusals, log: ctx.log }));
  app.route('/v1', storeApiRoutes(ctx));
  app.route('/v1', poolStoreRoutes(ctx));
  app.route('/v1', exchangeRefundStoreRoutes(ctx));
  /*
   * The admin API: the admin token or an operator's session for any path under it (so an unknown
   * one is a 401, not a map of what exists), then each route behind its own checks (CSRF, the
   * permission the route needs, the audit log), wrapped here for all of them at once.
   */
  app.use('/admin/v1/*', authenticateAdmin(ctx));
  for (const r of adminApiRoutes(ctx).routes) app.on(r.method, `/admin/v1${r.path}`, guarded(ctx, r.method, r.path, r.handler));
  // One limiter for both ways of logging in: the JSON session API and the console's login form.
  const flows = sessionFlows(ctx, new RateLimiter(ctx.loginRate.perMinute, ctx.loginRate.burst));
  app.route('/console/api', consoleApiRoutes(ctx, flows));
  app.route('/console', consoleRoutes(ctx, flows));
  return app;
}

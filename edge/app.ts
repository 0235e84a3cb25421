import { Hono, type Handler } from 'hono';
import { credentialsOf } from '../shared/auth-header.ts';
import { AppError } from '../shared/errors.ts';
import type { EdgeContext } from './context.ts';
import { errorBody, type Env } from './http.ts';
import { RateLimiter } from '../shared/rate-limit.ts';
import { checkoutsRoutes } from './routes/checkouts.ts';
import { couponsRoutes } from './routes/coupons.ts';
import { membersRoutes } from './routes/members.ts';
import { exchangesRoutes, poolsRoutes } from './routes/exchanges.ts';
import type { SyncStatus } from './sync/replication.ts';
import type { TerminalRegistry } from './terminals.ts';
import type { GuideAccounts } from './guide/accounts.ts';
import { guideTranslators } from './guide/i18n.ts';
import { guideRoutes } from './guide/routes.tsx';
import { GuideSessions } from './guide/sessions.ts';

export interface AppOptions {
  terminals: TerminalRegistry;
  /** Identify requests per minute per terminal, and the burst allowed at once. */
  identifyRate: { perMinute: number; burst: number };
  /** Called on every API request (the node's idle-time GC wants to know). */
  onRequest?: () => void;
  /** On an enrolled node: the state of replication with the hub, for /healthz. */
  syncStatus?: () => SyncStatus;
  /** The guide accounts of this node: with them, the guide pages are served at /guide. */
  guides?: GuideAccounts;
}

/** Builds the edge HTTP API from its dependencies; `serve` listens, tests call `app.request()`. */
export function createApp(ctx: EdgeContext, opts: AppOptions) {
  const app = new Hono<Env>();

  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(errorBody(err), err.status as 400);
    ctx.log.error('unhandled error', { path: c.req.path, err: String((err as Error)?.stack ?? err) });
    return c.json(errorBody(new AppError('internal', 'internal error; nothing was recorded unless a 2xx was returned')), 500);
  });
  app.notFound((c) => c.json(errorBody(new AppError('not_found', `no route ${c.req.method} ${c.req.path.slice(0, 100)}`)), 404));

  app.get('/healthz', (c) => c.json({ status: 'ok', storeId: ctx.storeId, version: ctx.version, rulesVersion: ctx.live.index.rules.version, ...(opts.syncStatus ? { sync: opts.syncStatus() } : {}) }));

  /*
   * Every /v1 route's handler is wrapped in the terminal's token check, here, for all of them at
   * once. Hono's middleware chain did the same at a sixth of identify's throughput (the bundle
   * at 50 connections: 18.6k against 22.1k requests/s), and a check before Hono's routing would
   * have to agree with its router on every spelling of a path.
   */
  const authorised = (handler: Handler<Env>): Handler<Env> => (c, next) => {
    const token = credentialsOf(c.req.header('authorization'), 'Bearer') ?? '';
    opts.onRequest?.();
    const run = (terminalId: string | undefined) => {
      if (!terminalId) throw new AppError('unauthorized', 'send Authorization: Bearer <terminal token>');
      c.set('terminalId', terminalId);
      return handler(c, next);
    };
    // The common case stays synchronous: every POS call passes here.
    const known = token ? opts.terminals.knownTerminal(token) : undefined;
    return known !== undefined || !token ? run(known) : opts.terminals.terminalFor(token).then(run);
  };
  const v1: [string, Hono<Env>][] = [
    ['/members', membersRoutes(ctx, new RateLimiter(opts.identifyRate.perMinute, opts.identifyRate.burst))],
    ['/checkouts', checkoutsRoutes(ctx)],
    ['/coupons', couponsRoutes(ctx)],
    // Points catalogue and coupon pools (decision 020)
    ['/exchanges', exchangesRoutes(ctx)],
    ['/coupon-pools', poolsRoutes(ctx)],
  ];
  for (const [prefix, routes] of v1) for (const r of routes.routes) app.on(r.method, `/v1${prefix}${r.path === '/' ? '' : r.path}`, authorised(r.handler));

  if (opts.guides) {
    const deps = {
      ctx,
      accounts: opts.guides,
      sessions: new GuideSessions(ctx.clock),
      translators: guideTranslators(ctx.timeZone),
      signInLimit: new RateLimiter(10, 10),
      findLimit: new RateLimiter(opts.identifyRate.perMinute, opts.identifyRate.burst),
    };
    app.route('/guide', guideRoutes(deps, opts.onRequest));
  }
  return app;
}

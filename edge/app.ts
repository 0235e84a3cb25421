import { Hono } from 'hono';
import { AppError } from '../shared/errors.ts';
import type { EdgeContext } from './context.ts';
import { errorBody, type Env } from './http.ts';
import { RateLimiter } from '../shared/rate-limit.ts';
import { checkoutsRoutes } from './routes/checkouts.ts';
import { couponsRoutes } from './routes/coupons.ts';
import { membersRoutes } from './routes/members.ts';
import type { SyncStatus } from './sync/replication.ts';
import type { TerminalRegistry } from './terminals.ts';

export interface AppOptions {
  terminals: TerminalRegistry;
  /** Identify requests per minute per terminal, and the burst allowed at once. */
  identifyRate: { perMinute: number; burst: number };
  /** Called on every API request (the node's idle-time GC wants to know). */
  onRequest?: () => void;
  /** On an enrolled node: the state of replication with the hub, for /healthz. */
  syncStatus?: () => SyncStatus;
}

/** Builds the edge HTTP API from its dependencies; `serve` listens, tests call `app.request()`. */
export function createApp(ctx: EdgeContext, opts: AppOptions) {
  const app = new Hono<Env>();

  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(errorBody(err), err.status as 400);
    ctx.log.error('unhandled error', { path: c.req.path, err: String((err as Error)?.stack ?? err) });
    return c.json(errorBody(new AppError('internal', 'internal error; nothing was recorded unless a 2xx was returned')), 500);
  });
  app.notFound((c) => c.json(errorBody(new AppError('not_found', `no route ${c.req.method} ${c.req.path}`)), 404));

  app.get('/healthz', (c) => c.json({ status: 'ok', storeId: ctx.storeId, version: ctx.version, rulesVersion: ctx.live.index.rules.version, ...(opts.syncStatus ? { sync: opts.syncStatus() } : {}) }));

  const v1 = new Hono<Env>();
  v1.use((c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    opts.onRequest?.();
    const known = token ? opts.terminals.knownTerminal(token) : undefined;
    const authorise = (terminalId: string | undefined) => {
      if (!terminalId) throw new AppError('unauthorized', 'send Authorization: Bearer <terminal token>');
      c.set('terminalId', terminalId);
      return next();
    };
    // The common case stays synchronous: every POS call passes here.
    if (known !== undefined || !token) return authorise(known);
    return opts.terminals.terminalFor(token).then(authorise);
  });
  v1.route('/members', membersRoutes(ctx, new RateLimiter(opts.identifyRate.perMinute, opts.identifyRate.burst)));
  v1.route('/checkouts', checkoutsRoutes(ctx));
  v1.route('/coupons', couponsRoutes(ctx));
  app.route('/v1', v1);
  return app;
}

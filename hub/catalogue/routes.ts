import { Hono } from 'hono';
import { z } from 'zod';
import { readBody, readJsonBody } from '../../shared/json-body.ts';
import { ClaimBodySchema, ImportPoolBodySchema, PointsCatalogueSchema, PoolId } from '../../shared/schemas/catalogue.ts';
import { AppError } from '../../shared/errors.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { requireStore, type StoreEnv } from '../routes/store-auth.ts';
import { changeOf } from '../routes/loyalty.ts';
import { catalogueHistory, currentCatalogue, setCatalogue } from './catalogue.ts';
import { CouponPools, importPool, listPools } from './pools.ts';
import { ExchangeRefunds } from './exchange-refunds.ts';
import { ElsewhereRefundBodySchema } from '../../shared/catalogue/exchange-refund.ts';

/** A partner's batch: 100,000 codes of up to 20 characters. */
const POOL_BODY_LIMITS = { maxBytes: 4 * 1024 * 1024, maxDepth: 4 };

/**
 * The points catalogue and coupon pools in the admin API (decision 020). HQ-wide, like the rules
 * and templates: permissions only. A catalogue change names the version it was made from (409
 * `stale_version` when another came first).
 */
export function catalogueAdminRoutes(ctx: HubContext) {
  return new Hono<AdminEnv>()
    .get('/catalogue', async (c) => c.json({ catalogue: await currentCatalogue(ctx.couch) }))
    .put('/catalogue', async (c) => {
      const body = await readJsonBody(c.req, z.strictObject({ catalogue: PointsCatalogueSchema }));
      return c.json({ catalogue: await setCatalogue(ctx.couch, body.catalogue, await ctx.storeDbs(), changeOf(ctx, c, body.catalogue.version)) });
    })
    .get('/catalogue/versions', async (c) => c.json({ versions: await catalogueHistory(ctx.couch) }))
    .get('/coupon-pools', async (c) => c.json({ pools: await listPools(ctx.couch) }))
    .post('/coupon-pools', async (c) => {
      const body = await readBody(c.req, ImportPoolBodySchema, POOL_BODY_LIMITS);
      c.set('auditTarget', body.id);
      const imported = await importPool(ctx, body, { kind: c.var.actor.kind, name: c.var.actor.name });
      return c.json(imported, 201);
    });
}

/** A store's claim on a coupon pool for a member at its till: only while it can reach the hub. */
export function poolStoreRoutes(ctx: HubContext) {
  const pools = new CouponPools(ctx);
  return new Hono<StoreEnv>().post('/coupon-pools/:id/claims', requireStore(ctx.stores, ctx.clocks), async (c) => {
    const id = c.req.param('id');
    if (!PoolId.safeParse(id).success) throw new AppError('pool_not_found', 'no coupon pool with that id');
    const body = await readJsonBody(c.req, ClaimBodySchema);
    const claimed = await pools.claim(c.var.store.id, id, body);
    return c.json({ coupon: claimed.coupon, docs: claimed.docs, ...(claimed.replayed ? { replayed: true } : {}) }, claimed.replayed ? 200 : 201);
  });
}

/**
 * A store's refund of an exchange another store made (decision 031), for the member at its
 * till: only while it can reach the hub. The answer is the documents it writes before the till
 * answers (the exchange, the refund, its ledger entry), as the hub stored them for it.
 */
export function exchangeRefundStoreRoutes(ctx: HubContext) {
  const refunds = new ExchangeRefunds(ctx);
  return new Hono<StoreEnv>().post('/exchanges/:id/refund', requireStore(ctx.stores, ctx.clocks), async (c) => {
    const body = await readJsonBody(c.req, ElsewhereRefundBodySchema);
    const store = c.var.store;
    const docs = await refunds.refund({ id: store.id, timeZone: store.timeZone }, c.req.param('id').slice(0, 200), body.by);
    return c.json({ docs }, 201);
  });
}

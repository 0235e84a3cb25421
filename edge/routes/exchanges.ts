import { Hono } from 'hono';
import { z } from 'zod';
import { ClaimBodySchema, ExchangeBodySchema, ExchangeRequestId, PoolId } from '../../shared/schemas/catalogue.ts';
import { StoreId } from '../../shared/schemas/common.ts';
import type { EdgeContext } from '../context.ts';
import { body, param, type Env } from '../http.ts';
import { catalogueHere, exchange, refundExchange } from '../services/exchanges.ts';
import { claimFromPool } from '../services/pool-claims.ts';

/** An exchange's public id: `<store>:<request id>`. */
const ExchangeId = z.string().max(100).refine((s) => {
  const colon = s.indexOf(':');
  return colon > 0 && StoreId.safeParse(s.slice(0, colon)).success && ExchangeRequestId.safeParse(s.slice(colon + 1)).success;
}, 'an exchange id is <store>:<request id>');

/** The points catalogue at the till: the rewards, an exchange, its refund (decision 020). */
export function exchangesRoutes(ctx: EdgeContext) {
  return new Hono<Env>()
    .get('/catalogue', async (c) => c.json({ catalogue: await catalogueHere(ctx) }))
    .post('/', async (c) => {
      const result = await exchange(ctx, c.get('terminalId'), await body(c, ExchangeBodySchema));
      return c.json({ exchange: result.exchange }, result.status);
    })
    .post('/:id/refund', async (c) => {
      const result = await refundExchange(ctx, c.get('terminalId'), param(c, 'id', ExchangeId));
      return c.json({ exchange: result.exchange }, result.status);
    });
}

/** Claims from the hub's coupon pools (decision 020). */
export function poolsRoutes(ctx: EdgeContext) {
  return new Hono<Env>().post('/:id/claims', async (c) => {
    const result = await claimFromPool(ctx, param(c, 'id', PoolId), await body(c, ClaimBodySchema));
    return c.json({ coupon: result.coupon }, result.status);
  });
}

import { Hono } from 'hono';
import { VerifyCouponBodySchema } from '../../shared/schemas/api.ts';
import type { EdgeContext } from '../context.ts';
import { body, type Env } from '../http.ts';
import { verifyCoupon } from '../services/coupons.ts';

export function couponsRoutes(ctx: EdgeContext) {
  return new Hono<Env>().post('/:code/verify', async (c) =>
    c.json(verifyCoupon(ctx, c.req.param('code').toUpperCase(), await body(c, VerifyCouponBodySchema))),
  );
}

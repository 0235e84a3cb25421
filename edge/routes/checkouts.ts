import { Hono } from 'hono';
import { CheckoutBodySchema, CheckoutId, RefundBodySchema } from '../../shared/schemas/api.ts';
import type { EdgeContext } from '../context.ts';
import { body, param, type Env } from '../http.ts';
import { checkout, refund } from '../services/checkouts.ts';

export function checkoutsRoutes(ctx: EdgeContext) {
  return new Hono<Env>()
    .post('/', async (c) => {
      const result = await checkout(ctx, c.get('terminalId'), await body(c, CheckoutBodySchema));
      return c.json({ checkout: result.checkout }, result.status);
    })
    .post('/:id/refunds', async (c) => {
      const result = await refund(ctx, c.get('terminalId'), param(c, 'id', CheckoutId), await body(c, RefundBodySchema));
      return c.json({ refund: result.refund }, result.status);
    });
}

import { Hono } from 'hono';
import { VerifyCouponBodySchema } from '../../shared/schemas/api.ts';
import type { EdgeContext } from '../context.ts';
import { z } from 'zod';
import { CouponCode } from '../../shared/schemas/common.ts';
import { body, param, type Env } from '../http.ts';
import { verifyCoupon } from '../services/coupons.ts';

/** Cashiers type codes in any case. */
const CodeParam = z.string().max(40).transform((s) => s.toUpperCase()).pipe(CouponCode);

export function couponsRoutes(ctx: EdgeContext) {
  return new Hono<Env>().post('/:code/verify', async (c) =>
    c.json(verifyCoupon(ctx, param(c, 'code', CodeParam), await body(c, VerifyCouponBodySchema))),
  );
}

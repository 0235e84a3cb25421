import { Hono } from 'hono';
import { z } from 'zod';
import { parseQuery, queryInt } from '../../shared/query.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { dashboardFor } from './service.ts';

const DaysQuerySchema = z.strictObject({ days: queryInt(1, 366).default(14) });

/**
 * The dashboard's figures at the admin API, in the caller's scope (decision 013): sales by
 * channel and points per day, and the member figures. Mounted before the member routes:
 * `/members/stats` is not a member id.
 */
export function dashboardRoutes(ctx: HubContext) {
  const admin = new Hono<AdminEnv>();
  admin.get('/sales/daily', async (c) => {
    const q = parseQuery(new URL(c.req.url).searchParams, DaysQuerySchema);
    const f = await dashboardFor(ctx, (await scopeCheck(ctx, c)).scope, q.days);
    return c.json({ today: f.today, upToDate: f.upToDate, days: f.sales, points: f.points });
  });
  admin.get('/members/stats', async (c) => {
    parseQuery(new URL(c.req.url).searchParams, z.strictObject({}));
    const f = await dashboardFor(ctx, (await scopeCheck(ctx, c)).scope, 1);
    return c.json({ today: f.today, upToDate: f.upToDate, members: f.members });
  });
  return admin;
}

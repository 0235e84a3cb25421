import { Hono } from 'hono';
import { readJsonBody } from '../../shared/json-body.ts';
import { StoreId } from '../../shared/schemas/common.ts';
import { AddCitySchema, MoveStoreSchema } from '../../shared/schemas/org.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { pathId } from '../routes/path-param.ts';
import type { StoreDoc } from '../stores.ts';
import { scopeCheck } from './scope-check.ts';

const storeView = ({ _id, _rev, secretHash, ...s }: StoreDoc) => s;

/** The org tree in the admin API: `hub org`, `hub org city add`, `hub store move`. */
export function orgRoutes(ctx: HubContext) {
  return new Hono<AdminEnv>()
    .get('/org', async (c) => c.json({ scope: c.var.actor.scope, ...(await ctx.org.tree((await scopeCheck(ctx, c)).scope)) }))
    .post('/org/cities', async (c) => {
      const body = await readJsonBody(c.req, AddCitySchema);
      c.set('auditTarget', `city:${body.name}`);
      return c.json({ city: await ctx.org.addCity(body, (await scopeCheck(ctx, c)).scope) }, 201);
    })
    .post('/stores/:id/move', async (c) => {
      const check = await scopeCheck(ctx, c);
      const id = check.store(pathId(c, 'id', StoreId, 'store_not_found', 'store'));
      const body = await readJsonBody(c.req, MoveStoreSchema);
      return c.json({ store: storeView(await ctx.org.moveStore(id, body, check.scope)) });
    });
}

import { Hono } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../../shared/json-body.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { importProducts, listProducts, productMappingFor } from './service.ts';

const ImportSchema = z.strictObject({
  /** Absolute path of the file on the hub's machine, as for One-ID imports. */
  path: z.string().min(1).max(4096).startsWith('/', 'an absolute path on the hub'),
  mapping: z.unknown().optional(),
});
const ListQuerySchema = z.strictObject({ prefix: z.string().min(1).max(64).optional(), limit: queryInt(1, 1000).default(100) });

/** The product master in the admin API: import an export, list the master (decision 017). */
export function productRoutes(ctx: HubContext) {
  return new Hono<AdminEnv>()
    .post('/products/imports', async (c) => {
      const body = await readJsonBody(c.req, ImportSchema);
      const mapping = productMappingFor(body.path, body.mapping);
      return c.json({ import: await importProducts(ctx.couch, await ctx.storeDbs(), body.path, mapping, { allColumns: body.mapping !== undefined }) });
    })
    .get('/products', async (c) => {
      const q = parseQuery(new URL(c.req.url).searchParams, ListQuerySchema);
      return c.json(await listProducts(ctx.couch, q));
    });
}

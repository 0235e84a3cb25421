import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../../shared/json-body.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { AddOperatorSchema, OperatorName } from '../../shared/schemas/operator.ts';
import type { HubContext } from '../context.ts';
import { pathId } from '../routes/path-param.ts';
import type { AdminEnv } from './access.ts';
import { AUDIT_ID } from './audit.ts';
import { operatorView } from './operators.ts';

const AuditQuerySchema = z.strictObject({ limit: queryInt(1, 1000).default(100), before: z.string().regex(AUDIT_ID, 'an audit entry id').optional() });

/**
 * Operators, roles and the audit log in the admin API: what `operator add|list|disable|enable|reset`
 * call. A one-time password is in the answer that made it, once, and nowhere else.
 */
export function operatorAdminRoutes(ctx: HubContext) {
  const name = (c: Context) => pathId(c, 'name', OperatorName, 'operator_not_found', 'operator');
  return new Hono<AdminEnv>()
    .get('/operators', async (c) => c.json({ operators: (await ctx.operators.list()).map(operatorView) }))
    .post('/operators', async (c) => {
      const body = await readJsonBody(c.req, AddOperatorSchema);
      c.set('auditTarget', body.name);
      const { operator, password } = await ctx.operators.add(body);
      return c.json({ operator: operatorView(operator), password }, 201);
    })
    .post('/operators/:name/disable', async (c) => {
      const operator = await ctx.operators.setDisabled(name(c), true);
      await ctx.sessions.removeAllOf(operator.name);
      return c.json({ operator: operatorView(operator) });
    })
    .post('/operators/:name/enable', async (c) => c.json({ operator: operatorView(await ctx.operators.setDisabled(name(c), false)) }))
    .post('/operators/:name/reset', async (c) => {
      const { operator, password } = await ctx.operators.reset(name(c));
      await ctx.sessions.removeAllOf(operator.name);
      return c.json({ operator: operatorView(operator), password });
    })
    .get('/roles', async (c) => c.json({ roles: await ctx.operators.roles() }))
    .get('/audit', async (c) => {
      const q = parseQuery(new URL(c.req.url).searchParams, AuditQuerySchema);
      return c.json(await ctx.audit.list({ limit: q.limit, before: q.before }));
    });
}

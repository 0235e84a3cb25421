import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../../shared/json-body.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { AddOperatorSchema } from '../../shared/schemas/operator.ts';
import { AppError } from '../../shared/errors.ts';
import type { HubContext } from '../context.ts';
import { scopeCheck } from '../org/scope-check.ts';
import type { AdminEnv } from './access.ts';
import { AUDIT_ID } from './audit.ts';
import { operatorInPath, operatorsWithin } from './operators-in-scope.ts';
import { operatorView } from './operators.ts';

const AuditQuerySchema = z.strictObject({ limit: queryInt(1, 1000).default(100), before: z.string().regex(AUDIT_ID, 'an audit entry id').optional() });

/**
 * Operators, roles and the audit log in the admin API: what `operator add|list|disable|enable|reset`
 * call. A one-time password is in the answer that made it, once, and nowhere else. A scope must
 * name a node of the org tree; an admin with a scope sees and manages only operators within it,
 * and cannot grant more than it (decision 010).
 */
export function operatorAdminRoutes(ctx: HubContext) {
  const name = (c: Context<AdminEnv>) => operatorInPath(ctx, c);
  return new Hono<AdminEnv>()
    .get('/operators', async (c) => c.json({ operators: (await operatorsWithin(ctx, (await scopeCheck(ctx, c)).scope)).map(operatorView) }))
    .post('/operators', async (c) => {
      const body = await readJsonBody(c.req, AddOperatorSchema);
      c.set('auditTarget', body.name);
      const caller = (await scopeCheck(ctx, c)).scope;
      if (body.scope === undefined && caller.node !== null) throw new AppError('forbidden', `scope: an operator without a scope sees everything; give one within yours (${caller.node})`);
      const scope = body.scope === undefined ? undefined : await ctx.org.scopeNode(body.scope, caller);
      const { operator, password } = await ctx.operators.add({ ...body, scope });
      return c.json({ operator: operatorView(operator), password }, 201);
    })
    .post('/operators/:name/disable', async (c) => {
      const operator = await ctx.operators.setDisabled(await name(c), true);
      await ctx.sessions.removeAllOf(operator.name);
      return c.json({ operator: operatorView(operator) });
    })
    .post('/operators/:name/enable', async (c) => c.json({ operator: operatorView(await ctx.operators.setDisabled(await name(c), false)) }))
    .post('/operators/:name/reset', async (c) => {
      const { operator, password } = await ctx.operators.reset(await name(c));
      await ctx.sessions.removeAllOf(operator.name);
      return c.json({ operator: operatorView(operator), password });
    })
    .get('/roles', async (c) => c.json({ roles: await ctx.operators.roles() }))
    .get('/audit', async (c) => {
      const q = parseQuery(new URL(c.req.url).searchParams, AuditQuerySchema);
      return c.json(await ctx.audit.list({ limit: q.limit, before: q.before }));
    });
}

import type { Context } from 'hono';
import { AppError } from '../../shared/errors.ts';
import type { DataScope } from '../../shared/org-scope.ts';
import { OperatorName } from '../../shared/schemas/operator.ts';
import type { HubContext } from '../context.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { pathId } from '../routes/path-param.ts';
import type { Actor } from './access.ts';
import type { OperatorDoc } from './operators.ts';

/*
 * Which operators an operator manages: those whose scope lies within their own (decision 010).
 * The admin API and the console's operators page ask the same questions here.
 */

/** The operators within a scope. */
export async function operatorsWithin(ctx: HubContext, scope: DataScope): Promise<OperatorDoc[]> {
  const seen: OperatorDoc[] = [];
  for (const op of await ctx.operators.list()) if (await ctx.org.nodeWithin(op.scope ?? null, scope)) seen.push(op);
  return seen;
}

/** The operator named in the path (`:name`) when the caller's scope covers theirs; else `operator_not_found`, as a name that does not exist. */
export async function operatorInPath<E extends { Variables: { actor: Actor } }>(ctx: HubContext, c: Context<E>): Promise<string> {
  const name = pathId(c, 'name', OperatorName, 'operator_not_found', 'operator');
  const op = await ctx.operators.get(name);
  if (!op || !(await ctx.org.nodeWithin(op.scope ?? null, (await scopeCheck(ctx, c)).scope))) throw new AppError('operator_not_found', `no operator ${name}`);
  return name;
}

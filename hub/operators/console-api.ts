import { Hono, type Context } from 'hono';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { LoginSchema, PasswordChangeSchema } from '../../shared/schemas/operator.ts';
import type { HubContext } from '../context.ts';
import { requireCsrf, sessionActor, type Actor, type AdminEnv } from './access.ts';
import type { SessionFlows } from './session-flows.ts';

/**
 * The console's session API (`/console/api`): log in, who am I, log out, choose a password. The
 * HTML console's forms go through the same flows (session-flows.ts).
 */
export function consoleApiRoutes(ctx: HubContext, flows: SessionFlows) {
  const api = new Hono<AdminEnv>();
  const requireSession = async (c: Context): Promise<Actor> => {
    const actor = await sessionActor(ctx, c);
    if (!actor) throw new AppError('unauthorized', 'log in first: POST /console/api/session');
    await requireCsrf(c, actor);
    return actor;
  };

  api.post('/session', async (c) => {
    const body = await readJsonBody(c.req, LoginSchema);
    const { operator, session } = await flows.login(c, body.name, body.password);
    return c.json(await flows.view(operator, session));
  });

  api.get('/session', async (c) => {
    const actor = await requireSession(c);
    return c.json(await flows.view(await ctx.operators.require(actor.name), actor.session!));
  });

  api.delete('/session', async (c) => {
    await flows.logout(c, await requireSession(c));
    return c.json({ loggedOut: true });
  });

  api.post('/password', async (c) => {
    const actor = await requireSession(c);
    const body = await readJsonBody(c.req, PasswordChangeSchema);
    const { operator, session } = await flows.changePassword(c, actor, body.current, body.next);
    return c.json(await flows.view(operator, session));
  });
  return api;
}

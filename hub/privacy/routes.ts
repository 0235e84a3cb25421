import { Hono } from 'hono';
import { readJsonBody } from '../../shared/json-body.ts';
import { ConsentBodySchema } from '../../shared/schemas/api.ts';
import { MemberId } from '../../shared/schemas/common.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { pathId } from '../routes/path-param.ts';
import { memberConsent, recordHubConsent } from './consent.ts';
import { EraseBodySchema, eraseMember } from './erasure.ts';
import { memberExport } from './export.ts';

/** A member's personal-data rights at the admin API (PIPL, decision 014): consent, export, erasure. */
export function privacyRoutes(ctx: HubContext) {
  const admin = new Hono<AdminEnv>();
  const memberId = (c: Parameters<typeof pathId>[0]) => pathId(c, 'id', MemberId, 'member_not_found', 'member');

  admin.get('/members/:id/export', async (c) => {
    const id = memberId(c);
    const body = await memberExport(ctx, id, (await scopeCheck(ctx, c)).scope);
    c.header('Content-Disposition', `attachment; filename="member-${body.memberId}.json"`);
    return c.json(body);
  });
  admin.get('/members/:id/consent', async (c) => {
    const id = await (await scopeCheck(ctx, c)).member(memberId(c));
    return c.json(await memberConsent(ctx, ctx.members.canonical(id)));
  });
  admin.post('/members/:id/consent', async (c) => {
    const id = memberId(c);
    const body = await readJsonBody(c.req, ConsentBodySchema);
    return c.json(await recordHubConsent(ctx, id, body, 'console', c.var.actor.name, (await scopeCheck(ctx, c)).scope), 201);
  });
  admin.post('/members/:id/erase', async (c) => {
    const id = memberId(c);
    const body = await readJsonBody(c.req, EraseBodySchema);
    const { erasure, created } = await eraseMember(ctx, id, body.reason, c.var.actor.name, (await scopeCheck(ctx, c)).scope);
    return c.json({ erasure }, created ? 201 : 200);
  });
  return admin;
}

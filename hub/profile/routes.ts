import { Hono } from 'hono';
import { z } from 'zod';
import { can } from '../../shared/permissions.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { MemberId } from '../../shared/schemas/common.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { pathId } from '../routes/path-param.ts';
import { memberProfile, memberTimeline } from './service.ts';

const TimelineQuerySchema = z.strictObject({ cursor: z.string().min(1).max(400).optional(), limit: queryInt(1, 200).default(50) });

/** A golden member's profile and timeline at the admin API (issue 12); `:id` is a golden or a store member id. */
export function profileRoutes(ctx: HubContext) {
  const admin = new Hono<AdminEnv>();
  const memberId = (c: Parameters<typeof pathId>[0]) => pathId(c, 'id', MemberId, 'member_not_found', 'member');
  admin.get('/members/:id/profile', async (c) => {
    const id = memberId(c);
    return c.json(await memberProfile(ctx, id, (await scopeCheck(ctx, c)).scope, can(c.var.actor, 'members:reveal_pii')));
  });
  admin.get('/members/:id/timeline', async (c) => {
    const id = memberId(c);
    const q = parseQuery(new URL(c.req.url).searchParams, TimelineQuerySchema);
    return c.json(await memberTimeline(ctx, id, (await scopeCheck(ctx, c)).scope, can(c.var.actor, 'members:reveal_pii'), q.cursor, q.limit));
  });
  return admin;
}

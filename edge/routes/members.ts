import { Hono } from 'hono';
import { z } from 'zod';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { AppError } from '../../shared/errors.ts';
import { ConsentBodySchema, IdentifyBodySchema, InteractionBodySchema, RegisterBodySchema } from '../../shared/schemas/api.ts';
import type { EdgeContext } from '../context.ts';
import { body, param, type Env } from '../http.ts';
import { MemberId } from '../../shared/schemas/common.ts';
import type { RateLimiter } from '../../shared/rate-limit.ts';
import { pointsStatement } from '../services/ledger.ts';
import { memberProfile } from '../services/member-views.ts';
import { identify, interact, memberConsents, recordConsent, register } from '../services/members.ts';

const PointsQuerySchema = z.strictObject({ limit: queryInt(1, 1000).default(100) });

export function membersRoutes(ctx: EdgeContext, identifyLimit: RateLimiter) {
  return new Hono<Env>()
    .post('/identify', async (c) => {
      const wait = identifyLimit.take(c.get('terminalId'));
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        throw new AppError('rate_limited', `too many identify requests from this terminal; retry in ${wait} s`);
      }
      return c.json({ member: await identify(ctx, await body(c, IdentifyBodySchema)) });
    })
    .post('/', async (c) => c.json({ member: await register(ctx, c.get('terminalId'), await body(c, RegisterBodySchema)) }, 201))
    .get('/:id', async (c) => {
      const id = param(c, 'id', MemberId);
      const member = await memberProfile(ctx, id);
      if (!member) throw new AppError('member_not_found', `member ${id} is not known at this store`);
      return c.json({ member });
    })
    .get('/:id/points', async (c) => {
      const { limit } = parseQuery(new URL(c.req.url).searchParams, PointsQuerySchema);
      return c.json(await pointsStatement(ctx, param(c, 'id', MemberId), limit));
    })
    .get('/:id/consent', async (c) => c.json({ consents: await memberConsents(ctx, param(c, 'id', MemberId)) }))
    .post('/:id/consent', async (c) => c.json(await recordConsent(ctx, c.get('terminalId'), param(c, 'id', MemberId), await body(c, ConsentBodySchema)), 201))
    .post('/:id/interactions', async (c) => {
      const { status, interaction } = await interact(ctx, c.get('terminalId'), param(c, 'id', MemberId), await body(c, InteractionBodySchema));
      return c.json({ interaction }, status);
    });
}

import { Hono } from 'hono';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { IdentifyBodySchema } from '../../shared/schemas/api.ts';
import type { IdentityInput } from '../../shared/identity-keys.ts';
import { RateLimiter } from '../../shared/rate-limit.ts';
import type { HubContext } from '../context.ts';
import { requireStore, type StoreEnv } from './store-auth.ts';

/**
 * Lookups a store may make: its tills identify members the replica does not hold, a few a
 * minute; a store's credentials must not become a way to enumerate every phone at HQ.
 */
const LOOKUPS_PER_MINUTE = 600;
const LOOKUP_BURST = 100;

const EnrollSchema = z.strictObject({ code: z.string().min(8).max(40), nodeId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });

/** What store nodes call besides replication: enrollment, and member lookup when a member is not in the replica. */
export function storeApiRoutes(ctx: HubContext) {
  const api = new Hono<StoreEnv>();
  const lookups = new RateLimiter(LOOKUPS_PER_MINUTE, LOOKUP_BURST);

  // The code is the credential here: single use, expiring, 80 random bits.
  api.post('/enroll', async (c) => {
    const body = await readJsonBody(c.req, EnrollSchema);
    const { store, secret } = await ctx.stores.enroll(body.code, body.nodeId);
    ctx.log.info('store enrolled', { storeId: store.id });
    return c.json({ store: { id: store.id, name: store.name, region: store.region, timeZone: store.timeZone, db: store.db }, credentials: { username: store.id, password: secret } });
  });

  /** The store's replica bundle, for enrollment (404 until one is built: the node then copies the database). */
  api.get('/bundle', requireStore(ctx.stores), async (c) => {
    const store = c.var.store;
    const found = await ctx.bundles.find(store.id);
    if (!found) throw new AppError('not_found', 'no replica bundle yet');
    const body = Readable.toWeb(createReadStream(found.file)) as ReadableStream;
    return new Response(body, { headers: { 'content-type': 'application/gzip', 'content-length': String(found.bytes) } });
  });

  /**
   * A member the store does not hold: the hub answers from every store's facts and adds the
   * member to the store's replica, so the next identify is local.
   */
  api.post('/lookup', requireStore(ctx.stores), async (c) => {
    const store = c.var.store;
    const wait = lookups.take(store.id);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new AppError('rate_limited', `too many lookups from store ${store.id}; retry in ${wait} s`);
    }
    const body = await readJsonBody(c.req, IdentifyBodySchema);
    const memberId = await ctx.members.findByIdentity(body as IdentityInput);
    const member = memberId && (await ctx.members.summary(memberId, store.timeZone, ctx.clock()));
    if (!memberId || !member) throw new AppError('member_not_found', 'no member with that identity');
    await ctx.members.projectMember(memberId, store.id);
    return c.json({ member });
  });
  return api;
}

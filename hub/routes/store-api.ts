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
import { CouponReservations } from '../coupon-reservations.ts';
import { orderForStore } from '../orders.ts';
import { storeOfCheckout } from '../../shared/doc-ids.ts';
import { CheckoutId } from '../../shared/schemas/api.ts';
import { ReserveCouponsBodySchema } from '../../shared/schemas/store-api.ts';

/**
 * Lookups a store may make: its tills identify members the replica does not hold, a few a
 * minute; a store's credentials must not become a way to enumerate every phone at HQ.
 */
const LOOKUPS_PER_MINUTE = 600;
const LOOKUP_BURST = 100;

const EnrollSchema = z.strictObject({ code: z.string().min(8).max(40), nodeId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });

/**
 * What store nodes call besides replication: enrollment; while they can reach the hub, a member
 * the replica does not hold, holds on coupons, and another store's checkout to refund.
 */
export function storeApiRoutes(ctx: HubContext) {
  const api = new Hono<StoreEnv>();
  const lookups = new RateLimiter(LOOKUPS_PER_MINUTE, LOOKUP_BURST);
  const reservations = new CouponReservations(ctx.couch, ctx.members, ctx.clock);
  // Another store's receipt carries its member's profile: bounded like lookups, for the same reason.
  const checkoutLookups = new RateLimiter(LOOKUPS_PER_MINUTE, LOOKUP_BURST);

  // The code is the credential here: single use, expiring, 80 random bits.
  api.post('/enroll', async (c) => {
    const body = await readJsonBody(c.req, EnrollSchema);
    const { store, secret } = await ctx.stores.enroll(body.code, body.nodeId);
    ctx.log.info('store enrolled', { storeId: store.id });
    return c.json({ store: { id: store.id, name: store.name, region: store.region, timeZone: store.timeZone, db: store.db }, credentials: { username: store.id, password: secret } });
  });

  /** The store's replica bundle, for enrollment (404 until one is built: the node then copies the database). */
  api.get('/bundle', requireStore(ctx.stores, ctx.clocks), async (c) => {
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
  api.post('/lookup', requireStore(ctx.stores, ctx.clocks), async (c) => {
    const store = c.var.store;
    const wait = lookups.take(store.id);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new AppError('rate_limited', `too many lookups from store ${store.id}; retry in ${wait} s`);
    }
    const body = await readJsonBody(c.req, IdentifyBodySchema);
    const memberId = await ctx.members.findByIdentity(body as IdentityInput);
    const found = memberId && (await ctx.members.lookupFor(memberId, store.id, store.timeZone, ctx.clock()));
    if (!found) throw new AppError('member_not_found', 'no member with that identity');
    // The documents as now stored for the store: its node writes them before answering, so the
    // member it shows can check out at once, with the balance shown (an older node ignores them).
    const { member, docs } = found;
    return c.json({ member, docs });
  });

  /**
   * Holds single-use coupons for a checkout the store is about to record: refused when another
   * receipt holds or redeemed one. The store's till waits for this about a second, then follows
   * the offline rules.
   */
  api.post('/coupons/reserve', requireStore(ctx.stores, ctx.clocks), async (c) => {
    const store = c.var.store;
    const body = await readJsonBody(c.req, ReserveCouponsBodySchema);
    if (storeOfCheckout(body.orderId.slice('order:'.length)) !== store.id) throw new AppError('forbidden', `store ${store.id} holds coupons only for its own receipts`);
    const held = await reservations.reserve(store.id, body.orderId, [...new Set(body.codes)]);
    if ('notFound' in held) throw new AppError('coupon_not_found', `no coupon ${held.notFound} for store ${store.id}`);
    return c.json({ reservations: held });
  });

  /** Another store's checkout, for a refund at this store (its documents are added to this store's replica). */
  api.get('/checkouts/:id', requireStore(ctx.stores, ctx.clocks), async (c) => {
    const wait = checkoutLookups.take(c.var.store.id);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new AppError('rate_limited', `too many checkout lookups from store ${c.var.store.id}; retry in ${wait} s`);
    }
    const parsed = CheckoutId.safeParse(c.req.param('id'));
    if (!parsed.success) throw new AppError('validation_failed', 'id: <store>:<terminal>:<receiptNo>', { field: 'id' });
    const docs = await orderForStore(ctx, parsed.data, c.var.store.id);
    if (!docs) throw new AppError('checkout_not_found', 'no such checkout at the hub');
    return c.json({ docs });
  });
  return api;
}

import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { MemberId, StoreId } from '../../shared/schemas/common.ts';
import type { HubContext } from '../context.ts';
import { fleetStatus } from '../fleet.ts';
import type { AdminEnv } from '../operators/access.ts';
import { incidentFacts, resolveIncident } from '../incident-resolution.ts';
import { INCIDENT_KINDS, INCIDENT_STATUSES, incidentById, listIncidents } from '../incidents.ts';
import { ResolveIncidentSchema } from '../../shared/schemas/incident.ts';
import { memberDetail } from '../member-detail.ts';
import { membersByName } from '../member-search.ts';
import { maskName } from '../../shared/mask-name.ts';
import { maskPhone } from '../../shared/phone.ts';
import { can } from '../../shared/permissions.ts';
import { EVERYTHING } from '../../shared/org-scope.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { dashboardFor } from '../dashboard/service.ts';
import { seedStoreMembers } from '../seed.ts';
import { AddStoreSchema, type StoreDoc } from '../stores.ts';
import { pathId } from './path-param.ts';

const SeedSchema = z.strictObject({ count: z.number().int().positive().max(1_000_000), first: z.number().int().nonnegative().default(0) });
const CodeSchema = z.strictObject({ ttlHours: z.number().positive().max(24 * 30).optional() });
const PointsQuerySchema = z.strictObject({ days: queryInt(1, 366).default(14) });
export const IncidentsQuerySchema = z.strictObject({ status: z.enum(INCIDENT_STATUSES).optional(), kind: z.enum(INCIDENT_KINDS).optional(), store: StoreId.optional() });
const MemberSearchSchema = z.strictObject({ name: z.string().trim().min(1).max(80), limit: queryInt(1, 100).default(20) });

/** A store as the console lists it: never its secret's hash. */
const storeView = ({ _id, _rev, secretHash, ...s }: StoreDoc) => s;

/**
 * The admin API's stores, members, fleet and incidents (rules, templates and coupons: loyalty.ts), for HQ tools,
 * the CLI and the console. Who may call what is decided around these handlers (admin-api.ts);
 * which stores and members they see, here, by the caller's scope (hub/org/scope-check.ts).
 */
export function adminRoutes(ctx: HubContext) {
  const admin = new Hono<AdminEnv>();

  admin.post('/stores', async (c) => {
    const body = await readJsonBody(c.req, AddStoreSchema.extend(CodeSchema.shape));
    c.set('auditTarget', body.id);
    const { ttlHours, ...store } = body;
    const added = await ctx.org.addStore(store, ttlHours ? ttlHours * 3600_000 : undefined, (await scopeCheck(ctx, c)).scope);
    ctx.log.info('store added', { storeId: added.store.id });
    return c.json({ store: storeView(added.store), enrollment: { code: added.code, expiresAt: added.expiresAt } }, 201);
  });
  admin.get('/stores', async (c) => c.json({ stores: (await ctx.stores.list((await scopeCheck(ctx, c)).scope)).map(storeView) }));
  // A store id from the path: well-formed and in the caller's scope, else not found (before anything is read or written).
  const storeId = async (c: Context<AdminEnv>) => (await scopeCheck(ctx, c)).store(pathId(c, 'id', StoreId, 'store_not_found', 'store'));
  admin.post('/stores/:id/codes', async (c) => {
    const body = await readJsonBody(c.req, CodeSchema);
    return c.json({ enrollment: await ctx.stores.newCode(await storeId(c), body.ttlHours ? body.ttlHours * 3600_000 : undefined) }, 201);
  });
  admin.post('/stores/:id/disable', async (c) => c.json({ store: storeView(await ctx.stores.setDisabled(await storeId(c), true)) }));
  admin.post('/stores/:id/enable', async (c) => c.json({ store: storeView(await ctx.stores.setDisabled(await storeId(c), false)) }));
  admin.post('/stores/:id/seed', async (c) => {
    const body = await readJsonBody(c.req, SeedSchema);
    const store = await ctx.stores.require(await storeId(c));
    await seedStoreMembers(ctx.couch, ctx.ingest, store, body.count, { first: body.first, now: ctx.clock() });
    ctx.bundles.request(store.id);
    return c.json({ seeded: body.count, first: body.first }, 201);
  });
  // The replica bundle a new node enrolls from: built after bulk changes and every few minutes when stale.
  admin.get('/stores/:id/bundle', async (c) => {
    const store = await ctx.stores.require(await storeId(c));
    const header = await ctx.bundles.header(store.id);
    if (!header) throw new AppError('not_found', `no replica bundle for ${store.id} yet`);
    return c.json({ bundle: header });
  });
  admin.post('/stores/:id/bundle', async (c) => {
    const store = await ctx.stores.require(await storeId(c));
    ctx.bundles.request(store.id);
    return c.json({ requested: store.id }, 202);
  });

  // Members by the start of their name, within the caller's scope; personal data masked unless the role reveals it.
  admin.get('/members', async (c) => {
    const q = parseQuery(new URL(c.req.url).searchParams, MemberSearchSchema);
    const { found, more } = await membersByName(ctx.couch, ctx.members, q.name, (await scopeCheck(ctx, c)).scope, q.limit);
    const reveal = can(c.var.actor, 'members:reveal_pii');
    const members = found.map(({ id, doc }) => ({ id, name: (reveal ? doc?.name : maskName(doc?.name)) ?? null, phone: doc?.phone ? (reveal ? doc.phone : maskPhone(doc.phone)) : null, registeredStoreId: doc?.registeredStoreId ?? null }));
    return c.json({ members, more });
  });

  admin.get('/members/:id', async (c) => {
    const id = pathId(c, 'id', MemberId, 'member_not_found', 'member');
    return c.json(await memberDetail(ctx, id, (await scopeCheck(ctx, c)).scope));
  });

  admin.get('/fleet', async (c) => c.json({ stores: await fleetStatus(ctx, ctx.clock(), (await scopeCheck(ctx, c)).scope) }));
  admin.get('/incidents', async (c) => {
    const q = parseQuery(new URL(c.req.url).searchParams, IncidentsQuerySchema);
    const filter = { ...(q.status ? { status: q.status } : {}), ...(q.store ? { storeId: q.store } : {}), ...(q.kind ? { kind: q.kind } : {}) };
    return c.json({ incidents: await listIncidents(ctx.couch, filter, (await scopeCheck(ctx, c)).scope) });
  });
  admin.get('/incidents/:id', async (c) => {
    const incident = await incidentById(ctx.couch, c.req.param('id'), (await scopeCheck(ctx, c)).scope);
    return c.json({ incident, facts: await incidentFacts(ctx.couch, incident) });
  });
  // A note, and for a loss a claw-back or a write-off that becomes a fact of its own (decision 012).
  admin.post('/incidents/:id/resolve', async (c) => {
    const body = await readJsonBody(c.req, ResolveIncidentSchema);
    const scope = (await scopeCheck(ctx, c)).scope;
    const incident = await resolveIncident({ ...ctx, timeZone: DASHBOARD_TIME_ZONE }, c.req.param('id'), body, c.var.actor.name, scope);
    return c.json({ incident, facts: await incidentFacts(ctx.couch, incident) });
  });
  // Points issued and redeemed per business day, every store together (the dashboard's chart).
  admin.get('/points/daily', async (c) => {
    (await scopeCheck(ctx, c)).everything('points by day (every store together)');
    const q = parseQuery(new URL(c.req.url).searchParams, PointsQuerySchema);
    return c.json({ days: (await dashboardFor(ctx, EVERYTHING, q.days)).points });
  });
  return admin;
}

/** The business day of HQ's figures (stores keep their own days; the ledger entries carry them). */
export const DASHBOARD_TIME_ZONE = 'Asia/Shanghai';

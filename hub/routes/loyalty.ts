import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { CouponCode, MemberId } from '../../shared/schemas/common.ts';
import { CouponTemplateSchema } from '../../shared/schemas/coupon.ts';
import { LoyaltyRulesSchema } from '../../shared/schemas/rules.ts';
import type { HubContext } from '../context.ts';
import { issueHubCoupon } from '../coupons.ts';
import type { AdminEnv } from '../operators/access.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { currentRules, listTemplates, putTemplate, rulesHistory, setRules, templateById, templateHistory, type Change } from '../rules.ts';
import { pathId } from './path-param.ts';

const TemplateId = CouponTemplateSchema.shape.id;
/** An issuing request's own id: the same id again issues nothing new (hub/coupons.ts). */
export const RequestId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 letters, digits, _ or -');
// The template id as templates have it: unbounded text reached the database as a URL too long for it (a 500).
export const IssueCouponSchema = z.strictObject({ memberId: MemberId, templateId: TemplateId, code: CouponCode.optional(), validDays: z.number().int().positive().max(3650).optional(), requestId: RequestId.optional() });
// A template's `version`, when sent, is the version it was edited from (0: a new one); left out, the change is made whatever came before.
const PutTemplateSchema = CouponTemplateSchema.extend({ version: z.number().int().nonnegative().optional() });

/** Who and when, for a version's history: the operator, or the admin token. */
export const changeOf = (ctx: HubContext, c: Context<AdminEnv>, baseVersion: number | undefined): Change => ({ by: { kind: c.var.actor.kind, name: c.var.actor.name }, at: ctx.clock(), baseVersion });

/**
 * The loyalty rules, coupon templates and their version histories, and issuing a coupon to a
 * member, in the admin API. The rules and templates are HQ-wide (permissions only); a coupon
 * goes only to a member in the caller's scope (decision 010). A change names the version it was
 * made from (the rules' `version`, a template's `version` when sent): a stale one is 409
 * `stale_version`, nothing written (decision 015).
 */
export function loyaltyRoutes(ctx: HubContext) {
  const templateId = (c: Context<AdminEnv>) => pathId(c, 'id', TemplateId, 'template_not_found', 'coupon template');
  return new Hono<AdminEnv>()
    .get('/rules', async (c) => c.json({ rules: await currentRules(ctx.couch) }))
    .put('/rules', async (c) => {
      const body = await readJsonBody(c.req, z.strictObject({ rules: LoyaltyRulesSchema }));
      return c.json({ rules: await setRules(ctx.couch, body.rules, await ctx.storeDbs(), changeOf(ctx, c, body.rules.version)) });
    })
    .get('/rules/versions', async (c) => c.json({ versions: await rulesHistory(ctx.couch) }))
    .get('/templates', async (c) => c.json({ templates: await listTemplates(ctx.couch) }))
    .put('/templates/:id', async (c) => {
      const { version, ...template } = await readJsonBody(c.req, PutTemplateSchema);
      if (template.id !== c.req.param('id')) throw new AppError('validation_failed', 'id: must match the URL', { field: 'id' });
      return c.json({ template: await putTemplate(ctx.couch, { ...template, version: version ?? 0 }, await ctx.storeDbs(), changeOf(ctx, c, version)) });
    })
    .get('/templates/:id/versions', async (c) => {
      const id = templateId(c);
      const [template, versions] = await Promise.all([templateById(ctx.couch, id), templateHistory(ctx.couch, id)]);
      if (!template) throw new AppError('template_not_found', `no coupon template '${id}'`);
      return c.json({ template, versions });
    })
    .post('/coupons', async (c) => {
      const body = await readJsonBody(c.req, IssueCouponSchema);
      c.set('auditTarget', body.memberId);
      const { coupon, created } = await issueHubCoupon(ctx, body, (await scopeCheck(ctx, c)).scope);
      return c.json({ coupon, ...(created ? {} : { replayed: true }) }, created ? 201 : 200);
    });
}

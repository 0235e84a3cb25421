import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { localDate } from '../../shared/local-time.ts';
import { previewTagRule, type TagPreview } from '../../shared/profile/tag-preview.ts';
import { TAG_CLASSES, tagRuleErrors, TagRuleSchema, type TagRule } from '../../shared/profile/tag-rules.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { DASHBOARD_TIME_ZONE } from '../routes/admin.ts';
import { changeOf } from '../routes/loyalty.ts';
import { pathId } from '../routes/path-param.ts';
import { putTagRule, retireTagRule, tagRuleByCode, tagRuleHistory, listTagRules } from './tag-rule-store.ts';

const TagCode = z.string().regex(/^[a-z][a-z0-9_]{1,47}$/);
const Version = z.number().int().nonnegative();

/**
 * A tag rule from a request: all its problems at once (`error.errors`: path, message, rule), the
 * first also as `error.field`, so an editor marks every field and a script reads one line.
 */
export function parseTagRule(input: unknown): TagRule {
  const parsed = TagRuleSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const errors = tagRuleErrors(input);
  throw new AppError('validation_failed', `${errors[0]!.path || 'rule'}: ${errors[0]!.message}`, { field: errors[0]!.path, errors });
}

/** The day a preview evaluates on: today at HQ (the dashboard's zone). */
export const hqDay = (ctx: HubContext) => localDate(ctx.clock(), DASHBOARD_TIME_ZONE);

/**
 * A preview for the caller: the count over the whole base; the sample of member ids only for
 * operators who see every member (an operator with a scope sees the figure, not who).
 */
export function previewFor(ctx: HubContext, scope: string | null, rule: TagRule): TagPreview & { sampleHidden?: true } {
  const preview = previewTagRule(rule, ctx.profileSource.profiles(), hqDay(ctx));
  return scope === null ? preview : { ...preview, sample: [], sampleHidden: true };
}

/**
 * Tag rules in the admin API (decision 022): list (by class), one with its versions, create,
 * edit (naming the version it was made from: a stale one is 409 `stale_version`), retire, and a
 * preview of a stored rule or a draft over the profiles the engine provides.
 */
export function tagRoutes(ctx: HubContext) {
  const code = (c: Context<AdminEnv>) => pathId(c, 'code', TagCode, 'tag_rule_not_found', 'tag rule');
  const found = async (c: Context<AdminEnv>) => {
    const rule = await tagRuleByCode(ctx.couch, code(c));
    if (!rule) throw new AppError('tag_rule_not_found', `no tag rule '${code(c)}'`);
    return rule;
  };
  return new Hono<AdminEnv>()
    .get('/tags/rules', async (c) => {
      const cls = c.req.query('class');
      if (cls !== undefined && !(TAG_CLASSES as readonly string[]).includes(cls)) throw new AppError('validation_failed', `class: one of ${TAG_CLASSES.join(', ')}`, { field: 'class' });
      const rules = await listTagRules(ctx.couch);
      return c.json({ rules: cls === undefined ? rules : rules.filter((r) => r.class === cls) });
    })
    .get('/tags/rules/:code', async (c) => {
      const rule = await found(c);
      return c.json({ rule, versions: await tagRuleHistory(ctx.couch, rule.code) });
    })
    .get('/tags/rules/:code/preview', async (c) => c.json({ preview: previewFor(ctx, c.var.actor.scope, await found(c)) }))
    .post('/tags/rules', async (c) => {
      const rule = parseTagRule(await readJsonBody(c.req, z.unknown()));
      c.set('auditTarget', rule.code);
      const stored = await putTagRule(ctx.couch, rule, changeOf(ctx, c, undefined), 'create');
      void ctx.tagRulesChanged?.();
      return c.json({ rule: stored }, 201);
    })
    .put('/tags/rules/:code', async (c) => {
      const body = await readJsonBody(c.req, z.unknown());
      // The body's `version` is the one it was edited from; left out, the change is made whatever came before (scripts).
      const base = typeof body === 'object' && body !== null && 'version' in body ? Version.safeParse((body as { version: unknown }).version) : undefined;
      if (base && !base.success) throw new AppError('validation_failed', 'version: the version you edited, a whole number', { field: 'version' });
      const rule = parseTagRule(body);
      if (rule.code !== c.req.param('code')) throw new AppError('validation_failed', 'code: must match the URL', { field: 'code' });
      const stored = await putTagRule(ctx.couch, rule, changeOf(ctx, c, base?.data));
      void ctx.tagRulesChanged?.();
      return c.json({ rule: stored });
    })
    .post('/tags/rules/:code/retire', async (c) => {
      const body = await readJsonBody(c.req, z.strictObject({ version: Version.optional() }));
      const name = code(c);
      const stored = await retireTagRule(ctx.couch, name, changeOf(ctx, c, body.version));
      void ctx.tagRulesChanged?.();
      return c.json({ rule: stored });
    })
    .post('/tags/preview', async (c) => {
      const body = await readJsonBody(c.req, z.strictObject({ rule: z.unknown() }));
      const rule = parseTagRule(body.rule);
      return c.json({ preview: previewFor(ctx, c.var.actor.scope, rule) });
    });
}

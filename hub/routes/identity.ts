import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { seesStore, type DataScope } from '../../shared/org-scope.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { SourceRecordSchema } from '../../shared/one-id/record.ts';
import { MemberId } from '../../shared/schemas/common.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import type { StoredGolden } from '../../shared/one-id/stored-golden.ts';
import { memberInScope, scopeCheck } from '../org/scope-check.ts';
import { pathId } from './path-param.ts';

const ImportSchema = z.strictObject({
  source: z.string().min(2).max(32),
  /** Absolute path of the file on the hub's machine. */
  path: z.string().min(1).max(4096).startsWith('/', 'an absolute path on the hub'),
  mapping: z.unknown().optional(),
});
const SplitSchema = z.strictObject({ records: z.array(z.string().min(1).max(160)).min(1).max(10_000) });
const KeySchema = z.strictObject({ key: z.string().min(3).max(200) });
/** `<source>-<16 hex digits of the file's sha-256>` (hub/identity/import-jobs.ts). */
export const ImportId = z.string().regex(/^[a-z][a-z0-9_-]{1,31}-[0-9a-f]{16}$/);
const PairSchema = z.strictObject({ a: z.string().min(1).max(64), b: z.string().min(1).max(64) });
const SuggestionsQuerySchema = z.strictObject({ limit: queryInt(1, 1000).default(100) });
export const RejectsQuerySchema = z.strictObject({ from: queryInt(0, 10_000_000).default(0), limit: queryInt(1, 1000).default(100) });

const ONE_ID = 'One-ID (imports, records, merges, quarantine, suggestions, figures)';

/**
 * One-ID in the admin API: imports, golden members, quarantine, suggestions, figures. It links
 * every channel's records at once, which is HQ's work: an operator with a scope is refused
 * (403), except for reading a golden member that falls under their scope (decision 010).
 */
export function identityRoutes(ctx: HubContext) {
  // Who decided, as One-ID's merge history records it: the operator, or `token`.
  const by = (c: Context<AdminEnv>) => c.var.actor.name;
  const hq = async (c: Context<AdminEnv>) => (await scopeCheck(ctx, c)).everything(ONE_ID);
  return new Hono<AdminEnv>()
    .post('/imports', async (c) => {
      await hq(c);
      const body = await readJsonBody(c.req, ImportSchema);
      const started = await ctx.imports.start(body.source, body.path, body.mapping);
      return c.json({ import: await ctx.imports.view(started.id) }, 202);
    })
    .get('/imports', async (c) => {
      await hq(c);
      return c.json({ imports: await ctx.imports.list() });
    })
    .get('/imports/:id', async (c) => {
      await hq(c);
      return c.json({ import: await ctx.imports.view(pathId(c, 'id', ImportId, 'import_not_found', 'import')) });
    })
    // The rows an import refused, with their reasons: the raw rows of an export, for whoever fixes the mapping or the file.
    .get('/imports/:id/rejects', async (c) => {
      await hq(c);
      const q = parseQuery(new URL(c.req.url).searchParams, RejectsQuerySchema);
      return c.json(await ctx.imports.rejects(pathId(c, 'id', ImportId, 'import_not_found', 'import'), q.from, q.limit));
    })
    .get('/identity/metrics', async (c) => {
      await hq(c);
      return c.json(await ctx.identity.figures());
    })
    .post('/identity/records', async (c) => {
      await hq(c);
      return c.json(await ctx.identity.addRecord(await readJsonBody(c.req, SourceRecordSchema)), 201);
    })
    .get('/identity/records/:id', async (c) => {
      await hq(c);
      const id = pathId(c, 'id', SourceRecordSchema.shape.id, 'not_found', 'source record');
      return c.json({ record: id, memberId: ctx.identity.memberOfRecord(id) });
    })
    .get('/identity/members/:id', async (c) => {
      const id = pathId(c, 'id', MemberId, 'member_not_found', 'golden member');
      const member = await ctx.identity.member(id);
      // Out of scope reads as an id that does not exist: the same code and message.
      if (!(await goldenInScope(ctx, (await scopeCheck(ctx, c)).scope, member))) throw new AppError('member_not_found', `no golden member ${id}`);
      return c.json({ member });
    })
    .post('/identity/members/:id/split', async (c) => {
      await hq(c);
      const body = await readJsonBody(c.req, SplitSchema);
      return c.json({ changes: await ctx.identity.split(pathId(c, 'id', MemberId, 'member_not_found', 'golden member'), body.records, by(c)) });
    })
    .get('/identity/quarantine', async (c) => {
      await hq(c);
      return c.json({ keys: ctx.identity.quarantined() });
    })
    .post('/identity/quarantine', async (c) => {
      await hq(c);
      return c.json({ changes: await ctx.identity.setQuarantine((await readJsonBody(c.req, KeySchema)).key, true, by(c)) });
    })
    .delete('/identity/quarantine/:key', async (c) => {
      await hq(c);
      return c.json({ changes: await ctx.identity.setQuarantine(pathId(c, 'key', KeySchema.shape.key, 'validation_failed', 'quarantined key'), false, by(c)) });
    })
    .get('/identity/suggestions', async (c) => {
      await hq(c);
      return c.json({ suggestions: ctx.identity.suggestions(parseQuery(new URL(c.req.url).searchParams, SuggestionsQuerySchema).limit) });
    })
    .post('/identity/suggestions/:answer{accept|reject}', async (c) => {
      await hq(c);
      const body = await readJsonBody(c.req, PairSchema);
      // The route pattern does not say which answer, nor the path which pair: the audit target does.
      c.set('auditTarget', `${c.req.param('answer')} ${body.a} ${body.b}`);
      return c.json({ changes: await ctx.identity.answerSuggestion(body.a, body.b, c.req.param('answer') === 'accept', by(c)) });
    });
}

/**
 * A golden member falls under a scope when its home store does, or one of the store members it
 * holds (`pos:<member id>` records) does: records from online channels alone belong to no store.
 */
async function goldenInScope(ctx: HubContext, scope: DataScope, golden: StoredGolden | { mergedInto: string }, hops = 0): Promise<boolean> {
  if (scope.stores === 'all') return true;
  if ('mergedInto' in golden) return hops < 8 && goldenInScope(ctx, scope, await ctx.identity.member(golden.mergedInto), hops + 1);
  const home = golden.profile.homeStoreId;
  if (typeof home === 'string' && seesStore(scope, home)) return true;
  for (const r of golden.records.filter((id) => id.startsWith('pos:')).slice(0, 100)) if (await memberInScope(ctx.members, scope, r.slice('pos:'.length))) return true;
  return false;
}

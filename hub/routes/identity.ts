import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../../shared/json-body.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import { SourceRecordSchema } from '../../shared/one-id/record.ts';
import { MemberId } from '../../shared/schemas/common.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
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
const ImportId = z.string().regex(/^[a-z][a-z0-9_-]{1,31}-[0-9a-f]{16}$/);
const PairSchema = z.strictObject({ a: z.string().min(1).max(64), b: z.string().min(1).max(64) });
const SuggestionsQuerySchema = z.strictObject({ limit: queryInt(1, 1000).default(100) });

/** One-ID in the admin API: imports, golden members, quarantine, suggestions, figures. */
export function identityRoutes(ctx: HubContext) {
  // Who decided, as One-ID's merge history records it: the operator, or `token`.
  const by = (c: Context<AdminEnv>) => c.var.actor.name;
  return new Hono<AdminEnv>()
    .post('/imports', async (c) => {
      const body = await readJsonBody(c.req, ImportSchema);
      const started = await ctx.imports.start(body.source, body.path, body.mapping);
      return c.json({ import: await ctx.imports.view(started.id) }, 202);
    })
    .get('/imports/:id', async (c) => c.json({ import: await ctx.imports.view(pathId(c, 'id', ImportId, 'import_not_found', 'import')) }))
    .get('/identity/metrics', (c) => c.json({ metrics: ctx.identity.metrics() }))
    .post('/identity/records', async (c) => c.json(await ctx.identity.addRecord(await readJsonBody(c.req, SourceRecordSchema)), 201))
    .get('/identity/records/:id', (c) => {
      const id = pathId(c, 'id', SourceRecordSchema.shape.id, 'not_found', 'source record');
      return c.json({ record: id, memberId: ctx.identity.memberOfRecord(id) });
    })
    .get('/identity/members/:id', async (c) => c.json({ member: await ctx.identity.member(pathId(c, 'id', MemberId, 'member_not_found', 'golden member')) }))
    .post('/identity/members/:id/split', async (c) => {
      const body = await readJsonBody(c.req, SplitSchema);
      return c.json({ changes: await ctx.identity.split(pathId(c, 'id', MemberId, 'member_not_found', 'golden member'), body.records, by(c)) });
    })
    .get('/identity/quarantine', (c) => c.json({ keys: ctx.identity.quarantined() }))
    .post('/identity/quarantine', async (c) => c.json({ changes: await ctx.identity.setQuarantine((await readJsonBody(c.req, KeySchema)).key, true, by(c)) }))
    .delete('/identity/quarantine/:key', async (c) => c.json({ changes: await ctx.identity.setQuarantine(pathId(c, 'key', KeySchema.shape.key, 'validation_failed', 'quarantined key'), false, by(c)) }))
    .get('/identity/suggestions', (c) => c.json({ suggestions: ctx.identity.suggestions(parseQuery(new URL(c.req.url).searchParams, SuggestionsQuerySchema).limit) }))
    .post('/identity/suggestions/:answer{accept|reject}', async (c) => {
      const body = await readJsonBody(c.req, PairSchema);
      return c.json({ changes: await ctx.identity.answerSuggestion(body.a, body.b, c.req.param('answer') === 'accept', by(c)) });
    });
}

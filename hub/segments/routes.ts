import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJsonBody } from '../../shared/json-body.ts';
import { can } from '../../shared/permissions.ts';
import { parseQuery, queryInt } from '../../shared/query.ts';
import type { HubContext } from '../context.ts';
import type { AdminEnv } from '../operators/access.ts';
import { scopeCheck } from '../org/scope-check.ts';
import { EXPORT_FORMATS } from './export-jobs.ts';
import { exportFile, exportJob, exportJobJson, exportJobs, listSnapshots, readSnapshot, segmentMembers, startExport, takeSnapshot } from './segment-members.ts';
import { countRule, createSegment, deleteSegment, getSegment, listSegments, retireSegment, SegmentChange, SegmentInput, segmentJson, segmentVersions, updateSegment } from './segments.ts';

const PageQuery = z.strictObject({ cursor: z.string().regex(/^\d{1,9}$/).optional(), limit: queryInt(1, 200).default(50) });
const SnapQuery = z.strictObject({ offset: queryInt(0, 100_000_000).default(0), limit: queryInt(1, 5000).default(500) });
const ExportQuery = z.strictObject({ format: z.enum(EXPORT_FORMATS) });

/**
 * Reads a body holding a rule and reports every faulty condition at once (the editor marks each
 * one), not only the first as other bodies do.
 */
export async function readRuleBody<S extends z.ZodType>(req: Parameters<typeof readJsonBody>[0], schema: S): Promise<z.infer<S>> {
  const raw = await readJsonBody(req, z.unknown());
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message.slice(0, 200) }));
  throw new AppError('validation_failed', `${issues[0]!.path || 'body'}: ${issues[0]!.message}`, { field: issues[0]!.path, issues });
}

/** Segments at the admin API (issue 12, decision 023): saved rules, live counts, members, exports and snapshots. */
export function segmentRoutes(ctx: HubContext) {
  const admin = new Hono<AdminEnv>();
  const who = async (c: { var: AdminEnv['Variables'] }) => ({ name: `${c.var.actor.kind}:${c.var.actor.name}`, scope: (await scopeCheck(ctx, c)).scope });

  admin.get('/segments', async (c) => c.json({ segments: await listSegments(ctx) }));
  admin.post('/segments', async (c) => {
    const body = await readRuleBody(c.req, SegmentInput);
    const seg = await createSegment(ctx, body, c.var.actor.name);
    c.set('auditTarget', seg.id);
    return c.json(seg, 201);
  });
  admin.post('/segments/count', async (c) => {
    const body = await readRuleBody(c.req, z.strictObject({ rule: SegmentInput.shape.rule }));
    return c.json(await countRule(ctx, body.rule, (await scopeCheck(ctx, c)).scope));
  });
  admin.get('/segments/exports', async (c) => c.json({ exports: exportJobs(ctx, (await who(c)).name) }));
  admin.get('/segments/exports/:job', async (c) => c.json(exportJobJson(exportJob(ctx, c.req.param('job'), (await who(c)).name))));
  admin.get('/segments/exports/:job/file', async (c) => {
    const file = await exportFile(ctx, c.req.param('job'), (await who(c)).name);
    c.set('auditTarget', c.req.param('job'));
    return file;
  });
  admin.get('/segments/:id', async (c) => c.json(segmentJson(await getSegment(ctx, c.req.param('id')))));
  admin.get('/segments/:id/versions', async (c) => c.json({ versions: await segmentVersions(ctx, c.req.param('id')) }));
  admin.put('/segments/:id', async (c) => {
    const body = await readRuleBody(c.req, SegmentChange);
    c.set('auditTarget', c.req.param('id'));
    return c.json(await updateSegment(ctx, c.req.param('id'), body, c.var.actor.name));
  });
  admin.post('/segments/:id/retire', async (c) => {
    c.set('auditTarget', c.req.param('id'));
    return c.json(await retireSegment(ctx, c.req.param('id'), c.var.actor.name));
  });
  admin.delete('/segments/:id', async (c) => {
    c.set('auditTarget', c.req.param('id'));
    return c.json(await deleteSegment(ctx, c.req.param('id')));
  });
  admin.get('/segments/:id/members', async (c) => {
    const q = parseQuery(new URL(c.req.url).searchParams, PageQuery);
    c.set('auditTarget', c.req.param('id'));
    return c.json(await segmentMembers(ctx, c.req.param('id'), (await scopeCheck(ctx, c)).scope, can(c.var.actor, 'members:reveal_pii'), Number(q.cursor ?? 0), q.limit));
  });
  admin.get('/segments/:id/count', async (c) => c.json(await countRule(ctx, (await getSegment(ctx, c.req.param('id'))).rule, (await scopeCheck(ctx, c)).scope)));
  // A GET (readers export; they change nothing): it answers the caller's export of the segment as
  // it is now, started on the first call, the same job again while it runs or is a minute old.
  admin.get('/segments/:id/export', async (c) => {
    const q = parseQuery(new URL(c.req.url).searchParams, ExportQuery);
    c.set('auditTarget', `${c.req.param('id')} ${q.format}`);
    const job = await startExport(ctx, c.req.param('id'), q.format, await who(c), can(c.var.actor, 'members:reveal_pii'));
    return c.json(job, job.state === 'done' ? 200 : 202);
  });
  admin.get('/segments/:id/snapshots', async (c) => c.json({ snapshots: await listSnapshots(ctx, c.req.param('id'), (await scopeCheck(ctx, c)).scope) }));
  admin.post('/segments/:id/snapshots', async (c) => {
    c.set('auditTarget', c.req.param('id'));
    return c.json(await takeSnapshot(ctx, c.req.param('id'), await who(c)), 201);
  });
  admin.get('/segments/:id/snapshots/:snap', async (c) => {
    const q = parseQuery(new URL(c.req.url).searchParams, SnapQuery);
    return c.json(await readSnapshot(ctx, c.req.param('id'), c.req.param('snap'), (await scopeCheck(ctx, c)).scope, q.offset, q.limit));
  });
  return admin;
}

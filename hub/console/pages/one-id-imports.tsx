import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AppError } from '../../../shared/errors.ts';
import { own } from '../../../shared/own.ts';
import { parseQuery } from '../../../shared/query.ts';
import type { HubContext } from '../../context.ts';
import type { ImportDoc, ImportProgress } from '../../identity/import-jobs.ts';
import { clientAddress } from '../../operators/access.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { ImportId, RejectsQuerySchema } from '../../routes/identity.ts';
import { pathId } from '../../routes/path-param.ts';
import { Badge, Csrf, Notice, Panel, Stat, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { OneIdTabs, personalView } from '../one-id-parts.tsx';
import { MAX_UPLOAD_BYTES, uploadedFile, uploadLimit } from '../upload.ts';

const REJECTS_PAGE = 50;
/** A page without scripts reloads itself this often while its import runs. */
const REFRESH_SECONDS = 2;

type ImportView = ImportDoc & { progress?: ImportProgress };
const PHASES = ['queued', 'reading', 'resolving', 'storing', 'done', 'failed'] as const;

/** How far an import is, 0..1: bytes read while reading, all of it once read. */
export function importShare(i: ImportView): number {
  if (i.state === 'done') return 1;
  if (!i.progress) return 0;
  if (i.progress.phase === 'queued') return 0;
  if (i.progress.phase !== 'reading') return 1;
  return i.progress.totalBytes > 0 ? Math.min(1, i.progress.bytes / i.progress.totalBytes) : 0;
}

/** The counts so far: the summary when done, else the last checkpoint's. */
const countsOf = (i: ImportView) => i.summary ?? i.checkpoint?.counts;

/** What an import's state and phase say in words (a running import is reading, resolving or storing). */
const stateOf = (i: ImportView) => (i.state === 'running' && i.progress ? i.progress.phase : i.state);

function Progress({ t, i }: { t: Translator; i: ImportView }) {
  const share = importShare(i);
  const counts = countsOf(i);
  return (
    <div
      class="import-progress"
      data-import={i.id}
      data-state={i.state}
      // console.js polls the admin API's answer for this import and fills the same fields.
      data-poll={i.state === 'running' ? `/admin/v1/imports/${i.id}` : undefined}
      data-phases={JSON.stringify(Object.fromEntries(PHASES.map((p) => [p, t.value('phase', p)])))}
    >
      <progress max={100} value={Math.round(share * 100)} aria-label={t('oneId.progress')}></progress>
      <p>
        <span data-field="phase">{t.value('phase', stateOf(i))}</span> · <span data-field="percent">{`${Math.round(share * 100)}%`}</span>
      </p>
      <div class="stats">
        <div data-count="rows">
          <Stat label={t('oneId.rows')} value={t.num(i.progress?.rows ?? counts?.rows ?? 0)} />
        </div>
        <div data-count="accepted">
          <Stat label={t('oneId.acceptedRows')} value={t.num(counts?.accepted ?? 0)} tone="good" />
        </div>
        <div data-count="rejected">
          <Stat label={t('oneId.rejectedRows')} value={t.num(counts?.rejected ?? 0)} tone={counts?.rejected ? 'bad' : undefined} />
        </div>
        <div data-count="duplicates">
          <Stat label={t('oneId.duplicates')} value={t.num(counts?.duplicates ?? 0)} />
        </div>
      </div>
      {i.progress && i.progress.rowsPerSec > 0 && <p class="hint">{t('oneId.rate', { n: t.num(i.progress.rowsPerSec), s: i.progress.etaSec ?? 0 })}</p>}
    </div>
  );
}

/** One-ID's imports: the list, the upload form, one import with live progress and its rejects. */
export function oneIdImportPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  const hq = async (c: ConsoleContext) => (await scopeCheck(ctx, c)).everything('One-ID (imports)');

  const list = async (c: ConsoleContext, error?: string, status: 200 | 400 | 404 | 413 | 422 = 200) => {
    need(c, 'GET /imports');
    await hq(c);
    const { t, actor } = c.var;
    const [imports, sources] = await Promise.all([ctx.imports.list(), mayCall(actor, 'POST /imports') ? ctx.imports.sources() : []]);
    return c.html(
      <Layout t={t} title={t('oneId.imports')} here="/console/one-id/imports" actor={actor} screen="/console/one-id">
        <OneIdTabs t={t} here="/console/one-id/imports" />
        {error && <Notice kind="error">{error}</Notice>}
        {sources.length > 0 && (
          <Panel title={t('oneId.upload')} id="upload">
            <form method="post" action="/console/one-id/imports" enctype="multipart/form-data" class="grid-form">
              <Csrf actor={actor} />
              <label>
                {t('oneId.source')}
                <select name="source">
                  {sources.map((s) => (
                    <option value={s.source}>{`${s.source} (${s.format})`}</option>
                  ))}
                </select>
              </label>
              <label class="grow">
                {t('oneId.file')}
                <input type="file" name="file" required accept=".csv,.ndjson,.jsonl,.json,.txt,text/csv" />
              </label>
              <button type="submit" data-action="upload">
                {t('oneId.uploadSubmit')}
              </button>
            </form>
            <p class="hint">{t('oneId.uploadHint', { mb: MAX_UPLOAD_BYTES / 1024 / 1024 })}</p>
          </Panel>
        )}
        <Table
          label={t('oneId.imports')}
          empty={t('oneId.noImports')}
          head={[t('oneId.started'), t('oneId.import'), t('oneId.state'), t('oneId.rows'), t('oneId.acceptedRows'), t('oneId.rejectedRows'), t('oneId.duplicates')]}
          rows={imports.map((i) => {
            const counts = countsOf(i);
            return [
              t.time(i.startedAt),
              <a href={`/console/one-id/imports/${i.id}`}>{i.id}</a>,
              <span data-import-state={i.id}>
                <Badge t={t} prefix="phase" value={stateOf(i)} />
                {i.state === 'running' && ` ${Math.round(importShare(i) * 100)}%`}
              </span>,
              t.num(i.progress?.rows ?? counts?.rows ?? 0),
              t.num(counts?.accepted ?? 0),
              t.num(counts?.rejected ?? 0),
              t.num(counts?.duplicates ?? 0),
            ];
          })}
        />
      </Layout>,
      status,
    );
  };

  app.get('/one-id/imports', page(ctx, (c) => list(c)));

  // The upload does the work of POST /admin/v1/imports with the file sent instead of a path on
  // the hub. The size is checked before the body is read (the CSRF check reads the form).
  app.post(
    '/one-id/imports',
    uploadLimit(ctx, '/console/one-id/imports', '`hub import`'),
    formAction(ctx, 'POST /imports', async (c) => {
      await hq(c);
      const { t } = c.var;
      const form = await c.req.parseBody();
      const source = own(form, 'source');
      const file = uploadedFile(form, 'file');
      if (typeof source !== 'string' || !file) return list(c, t('oneId.uploadMissing'), 400);
      if (file.size > MAX_UPLOAD_BYTES) return list(c, t('oneId.uploadTooBig', { mb: MAX_UPLOAD_BYTES / 1024 / 1024 }), 413);
      c.set('auditTarget', source);
      let started: ImportDoc;
      try {
        started = await ctx.imports.receive(source, new Uint8Array(await file.arrayBuffer()));
      } catch (err) {
        if (err instanceof AppError && (err.code === 'mapping_not_found' || err.code === 'validation_failed')) return list(c, t('oneId.noMapping', { source: source.slice(0, 40) }), 400);
        throw err;
      }
      c.set('auditTarget', started.id);
      ctx.log.info('import uploaded', { import: started.id, bytes: file.size, by: c.var.actor.name });
      return c.redirect(`/console/one-id/imports/${started.id}`, 303);
    }),
  );

  app.get(
    '/one-id/imports/:id',
    page(ctx, async (c) => {
      need(c, 'GET /imports/:id');
      await hq(c);
      const { t, actor } = c.var;
      const i = await ctx.imports.view(pathId(c, 'id', ImportId, 'not_found', 'import')).catch((err: unknown) => {
        throw err instanceof AppError && err.code === 'import_not_found' ? new AppError('not_found', 'no such import') : err;
      });
      const mayRejects = mayCall(actor, 'GET /imports/:id/rejects');
      const from = parseQuery(new URL(c.req.url).searchParams, RejectsQuerySchema.pick({ from: true })).from;
      const rejects = mayRejects && i.state !== 'running' ? await ctx.imports.rejects(i.id, from, REJECTS_PAGE) : undefined;
      if (rejects) await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: c.req.routePath, target: i.id, status: 200, ...clientAddress(c) });
      const view = personalView(actor);
      const here = `/console/one-id/imports/${i.id}`;
      const running = i.state === 'running';
      return c.html(
        <Layout
          t={t}
          title={t('oneId.importOf', { id: i.id })}
          here={here}
          actor={actor}
          screen="/console/one-id"
          scripts={running ? ['/console/static/console.js'] : []}
          // Without scripts the page reloads itself while the import runs; with them console.js polls the JSON route.
          head={running ? <noscript>{<meta http-equiv="refresh" content={String(REFRESH_SECONDS)} />}</noscript> : undefined}
        >
          <OneIdTabs t={t} here="/console/one-id/imports" />
          {i.state === 'failed' && <Notice kind="error">{t('oneId.failed', { error: i.error ?? '' })}</Notice>}
          <Panel title={t('oneId.progress')} id="progress">
            <Progress t={t} i={i} />
            {running && (
              <p>
                <a href={here} data-refresh>
                  {t('oneId.refresh')}
                </a>
              </p>
            )}
          </Panel>
          <Panel title={t('oneId.details')}>
            <dl class="fields">
              <dt>{t('oneId.source')}</dt>
              <dd>{i.source}</dd>
              <dt>{t('oneId.started')}</dt>
              <dd>{t.time(i.startedAt)}</dd>
              <dt>{t('oneId.finished')}</dt>
              <dd>{t.time(i.finishedAt)}</dd>
              <dt>{t('oneId.size')}</dt>
              <dd>{t('oneId.bytes', { n: t.num(i.bytes) })}</dd>
              {i.summary && (
                <>
                  <dt>{t('oneId.rowCompleteness')}</dt>
                  <dd>{`${(i.summary.completenessAvg * 100).toFixed(1)}%`}</dd>
                  <dt>{t('oneId.cleaned')}</dt>
                  <dd>{t.num(i.summary.cleaned)}</dd>
                  {typeof i.summary.seconds === 'number' && (
                    <>
                      <dt>{t('oneId.took')}</dt>
                      <dd>{`${i.summary.seconds} s`}</dd>
                    </>
                  )}
                </>
              )}
            </dl>
          </Panel>
          {rejects && (
            <Panel title={t('oneId.rejects', { n: countsOf(i)?.rejected ?? 0 })} id="rejects">
              {rejects.rejects.length > 0 && (
                <p>
                  <a href={`${here}/rejects.ndjson`} download={`${i.id}.rejects.ndjson`} data-download>
                    {t('oneId.download')}
                  </a>
                </p>
              )}
              <Table
                label={t('oneId.rejects', { n: countsOf(i)?.rejected ?? 0 })}
                empty={t('oneId.noRejects')}
                head={[t('oneId.rowNo'), t('oneId.reason'), t('oneId.row')]}
                rows={rejects.rejects.map((r) => [
                  <span data-reject-row={r.rowNo}>{r.rowNo}</span>,
                  <span class="reason" data-reject-reason>
                    {r.reason}
                  </span>,
                  view.reveal ? <code class="row">{JSON.stringify(r.row).slice(0, 300)}</code> : <span class="empty">{t('oneId.rowHidden')}</span>,
                ])}
              />
              <p class="pager">
                {from > 0 && <a href={`${here}?from=${Math.max(0, from - REJECTS_PAGE)}#rejects`}>{t('audit.newest')}</a>}
                {rejects.more && <a href={`${here}?from=${from + REJECTS_PAGE}#rejects`}>{t('oneId.more')}</a>}
              </p>
            </Panel>
          )}
          <p>
            <a href="/console/one-id/imports">{t('oneId.allImports')}</a>
          </p>
        </Layout>,
      );
    }),
  );

  // The rejects file as it is, for fixing the export or the mapping: audited, as the API's GET /imports/:id/rejects.
  app.get(
    '/one-id/imports/:id/rejects.ndjson',
    page(ctx, async (c) => {
      const { actor } = c.var;
      let status = 500;
      try {
        need(c, 'GET /imports/:id/rejects');
        await hq(c);
        const i = await ctx.imports.view(pathId(c, 'id', ImportId, 'not_found', 'import')).catch((err: unknown) => {
          throw err instanceof AppError && err.code === 'import_not_found' ? new AppError('not_found', 'no such import') : err;
        });
        const size = await stat(i.rejectsFile).then((s) => s.size, () => 0);
        c.header('content-type', 'application/x-ndjson; charset=utf-8');
        c.header('content-disposition', `attachment; filename="${i.id}.rejects.ndjson"`);
        c.header('content-length', String(size));
        c.header('cache-control', 'no-store');
        status = 200;
        if (size === 0) return c.body('');
        return stream(c, async (out) => {
          for await (const chunk of createReadStream(i.rejectsFile, { end: size - 1 })) await out.write(chunk as Uint8Array);
        });
      } catch (err) {
        status = err instanceof AppError ? err.status : 500;
        throw err;
      } finally {
        await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: c.req.routePath, target: c.req.param('id') ?? '', status, ...clientAddress(c) });
      }
    }),
  );
  return app;
}

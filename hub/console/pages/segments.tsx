import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { can } from '../../../shared/permissions.ts';
import { PROFILE_FIELDS } from '../../../shared/profile/fields.ts';
import { ROWS, ruleFromForm, ruleToForm } from '../../../shared/profile/segment-form.ts';
import { INT_OPS, ENUM_OPS, SET_OPS, WITHIN_OP } from '../../../shared/profile/segment-rules.ts';
import type { HubContext } from '../../context.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { exportFile, exportJob, exportJobJson, listSnapshots, readSnapshot, segmentMembers, startExport, takeSnapshot } from '../../segments/segment-members.ts';
import { countRule, createSegment, getSegment, listSegments, retireSegment, segmentJson, updateSegment } from '../../segments/segments.ts';
import { Csrf, Notice, Panel, Table } from '../components.tsx';
import { requireCsrf } from '../../operators/access.ts';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formEntries } from '../form-fields.tsx';
import { Layout } from '../layout.tsx';

/*
 * Segments (issue 12, decision 023): the list, the editor with its count, a segment's members,
 * exports with their progress, snapshots. Over the services the admin API calls, in the caller's
 * scope. Without scripts the editor's "Count" button answers with the page; with them,
 * console.js posts the form to /console/segments/count as it changes and shows the count.
 */

const OPS = [...new Set([...INT_OPS, ...ENUM_OPS, ...SET_OPS, WITHIN_OP])];
type Values = readonly (readonly [string, string])[];
const get = (v: Values, name: string) => v.find(([k]) => k === name)?.[1] ?? '';
const who = async (ctx: HubContext, c: ConsoleContext) => ({ name: `${c.var.actor.kind}:${c.var.actor.name}`, scope: (await scopeCheck(ctx, c)).scope });

function Editor({ c, values, errors, id, version, count }: { c: ConsoleContext; values: Values; errors: Map<string, string>; id?: string; version: number; count?: { count: number; of: number } }) {
  const { t, actor } = c.var;
  const readOnly = !mayCall(actor, 'POST /segments');
  const err = (name: string) => errors.get(name) && <small class="field-error" data-error-for={name}>{errors.get(name)}</small>;
  return (
    <form method="post" action={id ? `/console/segments/${id}` : '/console/segments'} id="segment-form" class="edit-form" data-count-url="/console/segments/count">
      <Csrf actor={actor} />
      <input type="hidden" name="version" value={String(version)} />
      {id && <input type="hidden" name="segment" value={id} />}
      <div class="grid-form">
        <label>
          {t('seg.name')} <input name="name" value={get(values, 'name')} maxlength={80} size={30} readonly={readOnly} required />
        </label>
        <label>
          {t('seg.description')} <input name="description" value={get(values, 'description')} maxlength={400} size={40} readonly={readOnly} />
        </label>
      </div>
      <fieldset>
        <legend>
          {t('seg.match')}{' '}
          <select name="match" aria-label={t('seg.match')}>
            <option value="all" selected={get(values, 'match') !== 'any'}>{t('seg.matchAll')}</option>
            <option value="any" selected={get(values, 'match') === 'any'}>{t('seg.matchAny')}</option>
          </select>
        </legend>
        {Array.from({ length: ROWS }, (_, i) => (
          <div class="grid-form seg-row" data-row={i}>
            <label>
              <input type="checkbox" name={`c${i}.not`} value="1" checked={get(values, `c${i}.not`) === '1'} /> {t('seg.not')}
            </label>
            <label>
              {t('seg.field')}{' '}
              <select name={`c${i}.field`}>
                <option value="">—</option>
                {PROFILE_FIELDS.map((f) => (
                  <option value={f.name} selected={get(values, `c${i}.field`) === f.name} title={f.about}>
                    {f.name}
                  </option>
                ))}
              </select>
              {err(`c${i}.field`)}
            </label>
            <label>
              {t('seg.op')}{' '}
              <select name={`c${i}.op`}>
                {OPS.map((op) => (
                  <option value={op} selected={get(values, `c${i}.op`) === op}>
                    {op}
                  </option>
                ))}
              </select>
              {err(`c${i}.op`)}
            </label>
            <label>
              {t('seg.key')} <input name={`c${i}.key`} value={get(values, `c${i}.key`)} size={12} maxlength={120} />
              {err(`c${i}.key`)}
            </label>
            <label>
              {t('seg.value')} <input name={`c${i}.value`} value={get(values, `c${i}.value`)} size={18} maxlength={2000} />
              {err(`c${i}.value`)}
            </label>
          </div>
        ))}
        <p class="hint">{t('seg.valueHint')}</p>
      </fieldset>
      <label class="wide">
        {t('seg.json')}
        <textarea name="json" rows={4} cols={40} spellcheck={false}>
          {get(values, 'json')}
        </textarea>
        {err('json')}
      </label>
      <p class="live-count" id="segment-count" aria-live="polite" data-template={t('seg.liveCount', { count: '{count}', of: '{of}' })}>
        {count ? t('seg.liveCount', { count: t.num(count.count), of: t.num(count.of) }) : ''}
      </p>
      <p class="hint">{t('seg.liveCountNote')}</p>
      <p class="actions">
        {mayCall(actor, 'POST /segments/count') && (
          <button type="submit" formaction="/console/segments/count" data-action="count">
            {t('seg.countNow')}
          </button>
        )}
        {!readOnly && (
          <button type="submit" data-action="save-segment">
            {t('seg.save')}
          </button>
        )}
        <a href="/console/segments">{t('seg.back')}</a>
      </p>
    </form>
  );
}

export function segmentPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  const editorPage = async (c: ConsoleContext, opts: { values: Values; errors?: Map<string, string>; id?: string; version: number; count?: { count: number; of: number }; notice?: { kind: 'ok' | 'error'; text: string }; status?: 200 | 400 | 409 }) => {
    const { t, actor } = c.var;
    const title = opts.id ? t('seg.edit', { name: get(opts.values, 'name') }) : t('seg.new');
    const snaps = opts.id ? await listSnapshots(ctx, opts.id, (await scopeCheck(ctx, c)).scope) : [];
    return c.html(
      <Layout t={t} title={title} here={opts.id ? `/console/segments/${opts.id}` : '/console/segments/new'} actor={actor} screen="/console/segments" scripts={['/console/static/console.js']}>
        {opts.notice && <Notice kind={opts.notice.kind}>{opts.notice.text}</Notice>}
        <Panel title={title}>
          <Editor c={c} values={opts.values} errors={opts.errors ?? new Map()} version={opts.version} {...(opts.id ? { id: opts.id } : {})} {...(opts.count ? { count: opts.count } : {})} />
        </Panel>
        {opts.id && (
          <>
            <Panel title={t('seg.export')} id="exports">
              <p>
                <a href={`/console/segments/${opts.id}/members`}>{t('seg.members')}</a>
              </p>
              {(['csv', 'audience'] as const).map((format) => (
                <form method="get" action={`/console/segments/${opts.id}/export`} class="inline-form">
                  <input type="hidden" name="format" value={format} />
                  <button type="submit" data-action={`export-${format}`}>
                    {t(format === 'csv' ? 'seg.exportCsv' : 'seg.exportAudience')}
                  </button>
                </form>
              ))}
              <p class="hint">{t('seg.exportMasked')}</p>
            </Panel>
            <Panel title={t('seg.snapshots')} id="snapshots">
              <Table
                head={[t('seg.at'), t('seg.by'), t('seg.version'), t('seg.count')]}
                rows={snaps.map((s) => [<a href={`/console/segments/${opts.id}/snapshots/${s.id}`}>{t.time(s.at)}</a>, s.by, String(s.segmentVersion), t.num(s.count)])}
                empty={t('seg.noSnapshots')}
                label={t('seg.snapshots')}
              />
              {mayCall(actor, 'POST /segments/:id/snapshots') && (
                <form method="post" action={`/console/segments/${opts.id}/snapshots`}>
                  <Csrf actor={actor} />
                  <button type="submit" data-action="snapshot">
                    {t('seg.takeSnapshot')}
                  </button>
                </form>
              )}
              {mayCall(actor, 'POST /segments/:id/retire') && (
                <form method="post" action={`/console/segments/${opts.id}/retire`}>
                  <Csrf actor={actor} />
                  <button type="submit" data-action="retire">
                    {t('seg.retire')}
                  </button>
                </form>
              )}
            </Panel>
          </>
        )}
      </Layout>,
      opts.status ?? 200,
    );
  };

  app.get(
    '/segments',
    page(ctx, async (c) => {
      need(c, 'GET /segments');
      const { t, actor } = c.var;
      const scope = (await scopeCheck(ctx, c)).scope;
      const segments = await listSegments(ctx);
      const counts = ctx.profiles.isBuilt ? await Promise.all(segments.map((s) => (s.retired ? undefined : countRule(ctx, s.rule, scope)))) : [];
      const done = new URL(c.req.url).searchParams.get('done');
      return c.html(
        <Layout t={t} title={t('seg.title')} here="/console/segments" actor={actor}>
          {done === 'snapshot' && <Notice kind="ok">{t('seg.snapshots')} ✓</Notice>}
          <Panel title={t('seg.title')}>
            <Table
              head={[t('seg.name'), t('seg.version'), t('seg.status'), t('seg.count')]}
              rows={segments.map((s, i) => [<a href={`/console/segments/${s.id}`}>{s.name}</a>, String(s.version), t(s.retired ? 'seg.retired' : 'seg.active'), counts[i] ? t.num(counts[i]!.count) : '—'])}
              empty={t('seg.none')}
              label={t('seg.title')}
            />
            {mayCall(actor, 'POST /segments') && (
              <p>
                <a href="/console/segments/new" data-action="new-segment">
                  {t('seg.new')}
                </a>
              </p>
            )}
          </Panel>
        </Layout>,
      );
    }),
  );

  app.get(
    '/segments/new',
    page(ctx, (c) => {
      need(c, 'POST /segments');
      return editorPage(c, { values: [['match', 'all']], version: 0 });
    }),
  );

  // Counts the editor's rule (the button without scripts; console.js with them, asking for JSON).
  // A POST for its form, but it changes nothing and shows no one: checked (CSRF, permission), not
  // audited, or every keystroke of an edit would be an audit entry.
  app.post(
    '/segments/count',
    page(ctx, async (c) => {
      await requireCsrf(c, c.var.actor);
      need(c, 'POST /segments/count');
      const values = await formEntries(c);
      const read = ruleFromForm(values);
      const wantsJson = (c.req.header('accept') ?? '').includes('application/json');
      const id = get(values, 'segment');
      if (!read.ok) return wantsJson ? c.json({ errors: Object.fromEntries(read.errors) }, 400) : editorPage(c, { values, errors: read.errors, version: Number(get(values, 'version')) || 0, notice: { kind: 'error', text: c.var.t('seg.invalid') }, status: 400 });
      const count = await countRule(ctx, read.rule, (await scopeCheck(ctx, c)).scope);
      if (wantsJson) return c.json(count);
      return editorPage(c, { values, version: Number(get(values, 'version')) || 0, count, ...(id ? { id } : {}) });
    }),
  );

  const save = async (c: ConsoleContext, id: string | undefined) => {
    const { t, actor } = c.var;
    const values = await formEntries(c);
    const version = Number(get(values, 'version')) || 0;
    const read = ruleFromForm(values);
    const name = get(values, 'name').trim();
    const errors = read.ok ? new Map<string, string>() : read.errors;
    if (!name) errors.set('name', 'a name');
    if (!read.ok || !name) return editorPage(c, { values, errors, version, ...(id ? { id } : {}), notice: { kind: 'error', text: t('seg.invalid') }, status: 400 });
    const description = get(values, 'description').trim().slice(0, 400);
    const input = { name: name.slice(0, 80), ...(description ? { description } : {}), rule: read.rule };
    try {
      const seg = id ? await updateSegment(ctx, id, { ...input, baseVersion: version }, actor.name) : await createSegment(ctx, input, actor.name);
      c.set('auditTarget', seg.id);
      return c.redirect(`/console/segments/${seg.id}?saved=${seg.version}`, 303);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'stale_version')) throw err;
      return editorPage(c, { values, version, ...(id ? { id } : {}), notice: { kind: 'error', text: t('seg.stale', { base: version, current: Number(err.details.currentVersion) }) }, status: 409 });
    }
  };
  app.post('/segments', formAction(ctx, 'POST /segments', (c) => save(c, undefined)));

  app.get(
    '/segments/exports/:job',
    page(ctx, async (c) => {
      need(c, 'GET /segments/exports/:job');
      const { t, actor } = c.var;
      const job = exportJobJson(exportJob(ctx, c.req.param('job')!, (await who(ctx, c)).name));
      return c.html(
        <Layout t={t} title={t('seg.job', { format: job.format })} here={`/console/segments/exports/${job.id}`} actor={actor} screen="/console/segments" head={job.state === 'running' ? <meta http-equiv="refresh" content="2" /> : undefined}>
          <Panel title={t('seg.job', { format: job.format })}>
            <progress max={Math.max(1, job.total)} value={job.done} data-job={job.id} data-state={job.state}>
              {Math.round(job.progress * 100)}%
            </progress>
            <p>{t('seg.jobProgress', { done: t.num(job.done), total: t.num(job.total) })}</p>
            {job.state === 'done' && (
              <p>
                {t('seg.jobDone', { rows: t.num(job.rows) })}{' '}
                <a href={`/console/segments/exports/${job.id}/file`} data-action="download">
                  {t('seg.download')}
                </a>
              </p>
            )}
            {job.state === 'failed' && <Notice kind="error">{t('seg.jobFailed')}</Notice>}
            <p>
              <a href={`/console/segments/${job.segmentId}`}>{t('seg.back')}</a>
            </p>
          </Panel>
        </Layout>,
      );
    }),
  );

  // A download of personal data: audited as the admin API's is.
  app.get(
    '/segments/exports/:job/file',
    page(ctx, async (c) => {
      need(c, 'GET /segments/exports/:job/file');
      const file = await exportFile(ctx, c.req.param('job')!, (await who(ctx, c)).name);
      await ctx.audit.record({ actor: { kind: c.var.actor.kind, name: c.var.actor.name }, method: 'GET', route: '/console/segments/exports/:job/file', target: c.req.param('job')!, status: 200, ip: 'console' });
      return file;
    }),
  );

  app.get(
    '/segments/:id',
    page(ctx, async (c) => {
      need(c, 'GET /segments/:id');
      const seg = await getSegment(ctx, c.req.param('id')!);
      const json = segmentJson(seg);
      const values: [string, string][] = [['name', json.name], ['description', json.description], ...ruleToForm(seg.rule)];
      const count = ctx.profiles.isBuilt ? await countRule(ctx, seg.rule, (await scopeCheck(ctx, c)).scope) : undefined;
      const saved = new URL(c.req.url).searchParams.get('saved');
      return editorPage(c, { values, id: json.id, version: json.version, ...(count ? { count } : {}), ...(saved ? { notice: { kind: 'ok' as const, text: c.var.t('seg.saved', { version: json.version }) } } : {}) });
    }),
  );
  app.post('/segments/:id', formAction(ctx, 'PUT /segments/:id', (c) => save(c, c.req.param('id')!)));
  app.post(
    '/segments/:id/retire',
    formAction(ctx, 'POST /segments/:id/retire', async (c) => {
      await retireSegment(ctx, c.req.param('id')!, c.var.actor.name);
      return c.redirect('/console/segments', 303);
    }),
  );
  app.post(
    '/segments/:id/snapshots',
    formAction(ctx, 'POST /segments/:id/snapshots', async (c) => {
      const snap = await takeSnapshot(ctx, c.req.param('id')!, await who(ctx, c));
      return c.redirect(`/console/segments/${c.req.param('id')!}/snapshots/${snap.id}`, 303);
    }),
  );

  app.get(
    '/segments/:id/export',
    page(ctx, async (c) => {
      need(c, 'GET /segments/:id/export');
      const format = new URL(c.req.url).searchParams.get('format') === 'audience' ? 'audience' : 'csv';
      const job = await startExport(ctx, c.req.param('id')!, format, await who(ctx, c), can(c.var.actor, 'members:reveal_pii'));
      await ctx.audit.record({ actor: { kind: c.var.actor.kind, name: c.var.actor.name }, method: 'GET', route: '/console/segments/:id/export', target: `${c.req.param('id')!} ${format}`, status: 200, ip: 'console' });
      return c.redirect(`/console/segments/exports/${job.id}`, 303);
    }),
  );

  app.get(
    '/segments/:id/members',
    page(ctx, async (c) => {
      need(c, 'GET /segments/:id/members');
      const { t, actor } = c.var;
      const cursor = Number(new URL(c.req.url).searchParams.get('cursor') ?? 0);
      const r = await segmentMembers(ctx, c.req.param('id')!, (await scopeCheck(ctx, c)).scope, can(actor, 'members:reveal_pii'), Number.isInteger(cursor) && cursor >= 0 ? cursor : 0, 50);
      await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: '/console/segments/:id/members', target: c.req.param('id')!, status: 200, ip: 'console' });
      return c.html(
        <Layout t={t} title={t('seg.membersOf', { name: r.segment.name })} here={`/console/segments/${r.segment.id}/members`} actor={actor} screen="/console/segments">
          <Panel title={`${t('seg.membersOf', { name: r.segment.name })} (${t.num(r.total)})`}>
            <Table
              head={[t('seg.golden'), t('seg.storeMembers'), t('seg.phone'), t('seg.homeStore'), t('seg.stage'), t('seg.orders'), t('seg.spend')]}
              rows={r.members.map((m) => [m.goldenId, m.storeMembers.join(' '), m.phone, m.homeStore, m.stage, m.orders === null ? '' : String(m.orders), m.spend === null ? '' : (m.spend / 100).toFixed(2)])}
              empty={t('seg.none')}
              label={t('seg.members')}
            />
            {r.next && (
              <p>
                <a href={`/console/segments/${r.segment.id}/members?cursor=${r.next}`}>{t('seg.more')}</a>
              </p>
            )}
            <p>
              <a href={`/console/segments/${r.segment.id}`}>{t('seg.back')}</a>
            </p>
          </Panel>
        </Layout>,
      );
    }),
  );

  app.get(
    '/segments/:id/snapshots/:snap',
    page(ctx, async (c) => {
      need(c, 'GET /segments/:id/snapshots/:snap');
      const { t, actor } = c.var;
      const s = await readSnapshot(ctx, c.req.param('id')!, c.req.param('snap')!, (await scopeCheck(ctx, c)).scope, 0, 500);
      return c.html(
        <Layout t={t} title={t('seg.snapshot', { at: t.time(s.at) })} here={`/console/segments/${s.segmentId}/snapshots/${s.id}`} actor={actor} screen="/console/segments">
          <Panel title={`${t('seg.snapshot', { at: t.time(s.at) })} (${t.num(s.count)})`}>
            <Table head={[t('seg.golden')]} rows={s.members.map((m) => [m])} empty={t('seg.none')} label={t('seg.snapshots')} />
            <p>
              <a href={`/console/segments/${s.segmentId}`}>{t('seg.back')}</a>
            </p>
          </Panel>
        </Layout>,
      );
    }),
  );
  return app;
}

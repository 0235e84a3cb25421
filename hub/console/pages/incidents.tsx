import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { parseQuery } from '../../../shared/query.ts';
import type { HubContext } from '../../context.ts';
import { INCIDENT_KINDS, INCIDENT_STATUSES, incidentById, listIncidents, type Incident } from '../../incidents.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { IncidentsQuerySchema } from '../../routes/admin.ts';
import { own } from '../../../shared/own.ts';
import { RESOLUTION_ACTIONS, ResolveIncidentSchema } from '../../../shared/schemas/incident.ts';
import { incidentFacts, resolveIncident } from '../../incident-resolution.ts';
import { DASHBOARD_TIME_ZONE } from '../../routes/admin.ts';
import { Badge, Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { Layout } from '../layout.tsx';

/** The incidents API's filter, from the page's query (the same schema: an unknown kind is refused). */
function filterOf(c: ConsoleContext) {
  const params = new URL(c.req.url).searchParams;
  for (const [k, v] of [...params]) if (v === '') params.delete(k); // a form's empty select
  const q = parseQuery(params, IncidentsQuerySchema);
  return { q, filter: { ...(q.status ? { status: q.status } : {}), ...(q.store ? { storeId: q.store } : {}), ...(q.kind ? { kind: q.kind } : {}) } };
}

const href = (i: Incident) => `/console/incidents/${encodeURIComponent(i._id)}`;

/** Incidents: the list with the API's filters, and one incident in full. */
export function incidentPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  app.get(
    '/incidents',
    page(ctx, async (c) => {
      need(c, 'GET /incidents');
      const { t, actor } = c.var;
      const { q, filter } = filterOf(c);
      const incidents = (await listIncidents(ctx.couch, filter, (await scopeCheck(ctx, c)).scope)).sort((a, b) => b.detectedAt.localeCompare(a.detectedAt));
      const here = `/console/incidents${new URL(c.req.url).search}`;
      return c.html(
        <Layout t={t} title={t('incidents.title')} here={here} actor={actor} screen="/console/incidents">
          <form method="get" action="/console/incidents" class="filters">
            <label>
              {t('incidents.status')}
              <select name="status">
                <option value="">{t('incidents.any')}</option>
                {INCIDENT_STATUSES.map((s) => (
                  <option value={s} selected={q.status === s}>
                    {t.value('status', s)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('incidents.kind')}
              <select name="kind">
                <option value="">{t('incidents.any')}</option>
                {INCIDENT_KINDS.map((k) => (
                  <option value={k} selected={q.kind === k}>
                    {t.value('kind', k)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('incidents.store')}
              <input name="store" value={q.store ?? ''} maxlength={32} size={8} />
            </label>
            <button type="submit">{t('incidents.filter')}</button>
          </form>
          <p class="count" data-count={incidents.length}>
            {t('incidents.count', { n: incidents.length })}
          </p>
          <Table
            label={t('incidents.title')}
            empty={t('incidents.none')}
            head={[t('incidents.detected'), t('incidents.kind'), t('incidents.status'), t('incidents.resolvedBy'), t('incidents.stores'), t('incidents.summary')]}
            rows={incidents.map((i) => [
              t.time(i.detectedAt),
              <a href={href(i)}>{t.value('kind', i.kind)}</a>,
              <Badge t={t} prefix="status" value={i.status} />,
              <span data-resolved-by={i._id}>{i.resolvedBy ?? '—'}</span>,
              i.stores.join(', '),
              <span class="summary">{i.summary}</span>,
            ])}
          />
        </Layout>,
      );
    }),
  );

  /** One incident in full, the facts it is about, and (with incidents:resolve, while open) the resolve form. */
  const detail = async (c: ConsoleContext, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | 400 | 409 = 200) => {
    const { t, actor } = c.var;
    const incident = await incidentById(ctx.couch, c.req.param('id') ?? '', (await scopeCheck(ctx, c)).scope).catch((err: unknown) => {
      throw err instanceof AppError ? new AppError('not_found', 'no such incident') : err;
    });
    const id = incident._id;
    const facts = await incidentFacts(ctx.couch, incident);
    const r = incident.resolution;
    const withLoss = incident.kind === 'overspend' || incident.kind === 'coupon_double_redeem';
    const fields: [string, unknown][] = [
      [t('incidents.kind'), <Badge t={t} prefix="kind" value={incident.kind} />],
      [t('incidents.status'), <Badge t={t} prefix="status" value={incident.status} />],
      [t('incidents.stores'), incident.stores.join(', ')],
      [t('incidents.at'), t.time(incident.at)],
      [t('incidents.detected'), t.time(incident.detectedAt)],
      ...(incident.status === 'withdrawn' ? [[t('incidents.withdrawnAt'), <span data-field="withdrawn-at">{t.time(incident.withdrawnAt ?? '')}</span>] as [string, unknown]] : []),
      ...(incident.receipt ? [[t('incidents.receipt'), incident.receipt] as [string, unknown]] : []),
      ...(incident.memberId ? [[t('incidents.member'), <a href={`/console/members/${encodeURIComponent(incident.memberId)}`}>{incident.memberId}</a>] as [string, unknown]] : []),
      ...(r
        ? ([
            [t('incidents.resolvedBy'), <span data-field="resolved-by">{r.by}</span>],
            [t('incidents.resolvedAt'), t.time(r.at)],
            [t('incidents.action'), <span data-field="action">{t.value('action', r.action)}</span>],
            ...(r.points !== undefined ? [[t('incidents.points'), t.num(r.points)] as [string, unknown]] : []),
            ...(r.cents !== undefined ? [[t('incidents.cents'), (r.cents / 100).toFixed(2)] as [string, unknown]] : []),
            [t('incidents.note'), <span data-field="note">{r.note}</span>],
          ] as [string, unknown][])
        : []),
    ];
    const canResolve = incident.status === 'open' && mayCall(actor, 'POST /incidents/:id/resolve');
    const here = `/console/incidents/${encodeURIComponent(id)}`;
    return c.html(
      <Layout t={t} title={t.value('kind', incident.kind)} here={here} actor={actor} screen="/console/incidents">
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        <Panel title={incident.summary}>
          <dl class="fields">
            {fields.map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>{v as string}</dd>
              </>
            ))}
          </dl>
        </Panel>
        <Panel title={t('incidents.details')}>
          <pre class="json">{JSON.stringify(incident.details, null, 2)}</pre>
        </Panel>
        {facts.length > 0 && (
          <Panel title={t('incidents.facts')}>
            <pre class="json" data-facts>{JSON.stringify(facts, null, 2)}</pre>
          </Panel>
        )}
        {canResolve && (
          <Panel title={t('incidents.resolve')} id="resolve">
            <form method="post" action={`${here}/resolve`} class="grid-form">
              <Csrf actor={actor} />
              <label>
                {t('incidents.note')}
                <textarea name="note" required maxlength={500} rows={3} cols={50}></textarea>
              </label>
              <label>
                {t('incidents.action')}
                <select name="action">
                  {RESOLUTION_ACTIONS.filter((a) => a === 'none' || withLoss).map((a) => (
                    <option value={a}>{t.value('action', a)}</option>
                  ))}
                </select>
              </label>
              {withLoss && (
                <label>
                  {t('incidents.points')}
                  <input name="points" type="number" min={1} step={1} size={8} placeholder={incident.kind === 'overspend' && typeof incident.details.balance === 'number' ? String(-incident.details.balance) : ''} />
                </label>
              )}
              <button type="submit" data-action="resolve">
                {t('incidents.resolveSubmit')}
              </button>
            </form>
            <p class="hint">{t(incident.kind === 'coupon_double_redeem' ? 'incidents.hintDouble' : incident.kind === 'overspend' ? 'incidents.hintOverspend' : 'incidents.hintNote')}</p>
          </Panel>
        )}
        <p>
          <a href="/console/incidents">{t('incidents.back')}</a>
        </p>
      </Layout>,
      status,
    );
  };

  app.get(
    '/incidents/:id',
    page(ctx, async (c) => {
      need(c, 'GET /incidents');
      return detail(c, c.req.query('done') === 'resolved' ? { kind: 'ok', text: c.var.t('incidents.resolved') } : undefined);
    }),
  );

  // The resolve form does the work of POST /admin/v1/incidents/:id/resolve, through the same service.
  app.post(
    '/incidents/:id/resolve',
    formAction(ctx, 'POST /incidents/:id/resolve', async (c) => {
      need(c, 'GET /incidents');
      const { t } = c.var;
      const form = await c.req.parseBody();
      const text = (n: string) => {
        const v = own(form, n);
        return typeof v === 'string' && v.trim() !== '' ? v : undefined;
      };
      const points = text('points');
      const input = ResolveIncidentSchema.safeParse({ note: text('note') ?? '', ...(text('action') ? { action: text('action') } : {}), ...(points ? { points: Number(points) } : {}) });
      if (!input.success) return detail(c, { kind: 'error', text: t('incidents.invalid', { field: String(input.error.issues[0]?.path[0] ?? '') }) }, 400);
      const id = c.req.param('id') ?? '';
      try {
        await resolveIncident({ ...ctx, timeZone: DASHBOARD_TIME_ZONE }, id, input.data, c.var.actor.name, (await scopeCheck(ctx, c)).scope);
      } catch (err) {
        if (err instanceof AppError && err.code === 'incident_resolved') return detail(c, { kind: 'error', text: t('incidents.alreadyResolved') }, 409);
        if (err instanceof AppError && err.code === 'incident_withdrawn') return detail(c, { kind: 'error', text: t('incidents.withdrawn') }, 409);
        if (err instanceof AppError && err.code === 'validation_failed') return detail(c, { kind: 'error', text: `${t('incidents.invalid', { field: String(err.details.field ?? '') })} ${err.message}` }, 400);
        if (err instanceof AppError && err.code === 'incident_not_found') throw new AppError('not_found', 'no such incident');
        throw err;
      }
      return c.redirect(`/console/incidents/${encodeURIComponent(id)}?done=resolved`, 303);
    }),
  );
  return app;
}

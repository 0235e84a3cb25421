import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { parseQuery } from '../../../shared/query.ts';
import type { HubContext } from '../../context.ts';
import { INCIDENT_KINDS, listIncidents, type Incident } from '../../incidents.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { IncidentsQuerySchema } from '../../routes/admin.ts';
import { Badge, Panel, Table } from '../components.tsx';
import { need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
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
                {(['open', 'resolved'] as const).map((s) => (
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
            head={[t('incidents.detected'), t('incidents.kind'), t('incidents.status'), t('incidents.stores'), t('incidents.summary')]}
            rows={incidents.map((i) => [
              t.time(i.detectedAt),
              <a href={href(i)}>{t.value('kind', i.kind)}</a>,
              <Badge t={t} prefix="status" value={i.status} />,
              i.stores.join(', '),
              <span class="summary">{i.summary}</span>,
            ])}
          />
        </Layout>,
      );
    }),
  );

  app.get(
    '/incidents/:id',
    page(ctx, async (c) => {
      need(c, 'GET /incidents');
      const { t, actor } = c.var;
      const id = c.req.param('id') ?? '';
      const incident = (await listIncidents(ctx.couch, {}, (await scopeCheck(ctx, c)).scope)).find((i) => i._id === id);
      if (!incident) throw new AppError('not_found', 'no such incident');
      const fields: [string, unknown][] = [
        [t('incidents.kind'), <Badge t={t} prefix="kind" value={incident.kind} />],
        [t('incidents.status'), <Badge t={t} prefix="status" value={incident.status} />],
        [t('incidents.stores'), incident.stores.join(', ')],
        [t('incidents.at'), t.time(incident.at)],
        [t('incidents.detected'), t.time(incident.detectedAt)],
        ...(incident.receipt ? [[t('incidents.receipt'), incident.receipt] as [string, unknown]] : []),
        ...(incident.memberId ? [[t('incidents.member'), <a href={`/console/members/${encodeURIComponent(incident.memberId)}`}>{incident.memberId}</a>] as [string, unknown]] : []),
      ];
      return c.html(
        <Layout t={t} title={t.value('kind', incident.kind)} here={`/console/incidents/${encodeURIComponent(id)}`} actor={actor} screen="/console/incidents">
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
          <p>
            <a href="/console/incidents">{t('incidents.back')}</a>
          </p>
        </Layout>,
      );
    }),
  );
  return app;
}

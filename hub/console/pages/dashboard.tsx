import { Hono } from 'hono';
import { localDate } from '../../../shared/local-time.ts';
import type { HubContext } from '../../context.ts';
import { fleetStatus } from '../../fleet.ts';
import { INCIDENT_KINDS, listIncidents } from '../../incidents.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { pointsByDay } from '../../points-activity.ts';
import { DASHBOARD_TIME_ZONE } from '../../routes/admin.ts';
import { ChartPanel, Panel, Stat, Table } from '../components.tsx';
import { mayCall, page, type ConsoleEnv } from '../console-access.ts';
import { Layout } from '../layout.tsx';

const CHART_DAYS = 14;

/**
 * The dashboard: stores online and offline, open incidents by kind, points issued and redeemed
 * over the last two weeks. Each panel is there when the role may call the admin route behind it,
 * and reads through the same function as that route.
 */
export function dashboardPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  app.get(
    '/',
    page(ctx, async (c) => {
      const { t, actor } = c.var;
      const now = ctx.clock();
      const { scope } = await scopeCheck(ctx, c);
      const [fleet, incidents, points] = await Promise.all([
        mayCall(actor, 'GET /fleet') ? fleetStatus(ctx, now, scope) : undefined,
        mayCall(actor, 'GET /incidents') ? listIncidents(ctx.couch, { status: 'open' }, scope) : undefined,
        // Every store's points together: HQ's figure, not shown to an operator with a scope (decision 010).
        mayCall(actor, 'GET /points/daily') && scope.node === null ? pointsByDay(ctx.couch, localDate(now, DASHBOARD_TIME_ZONE), CHART_DAYS) : undefined,
      ]);
      const count = (state: string) => fleet?.filter((s) => s.state === state).length ?? 0;
      const byKind = INCIDENT_KINDS.map((k) => [k, incidents?.filter((i) => i.kind === k).length ?? 0] as const).filter(([, n]) => n > 0);
      return c.html(
        <Layout t={t} title={t('dashboard.title')} here="/console" actor={actor} screen="/console" scripts={points ? ['/console/static/echarts.min.js', '/console/static/console.js'] : []}>
          {fleet && (
            <Panel title={t('dashboard.stores')} id="stores-panel">
              <div class="stats">
                <Stat label={t('state.online')} value={count('online')} tone="good" />
                <Stat label={t('state.catching_up')} value={count('catching_up')} tone="warn" />
                <Stat label={t('state.offline')} value={count('offline') + count('unknown')} tone={count('offline') + count('unknown') > 0 ? 'bad' : undefined} />
                <Stat label={t('state.disabled')} value={count('disabled')} />
                <Stat label={t('state.not_enrolled')} value={count('not_enrolled')} />
              </div>
              <p>
                <a href="/console/stores">{t('dashboard.toStores', { n: fleet.length })}</a>
              </p>
            </Panel>
          )}
          {incidents && (
            <Panel title={t('dashboard.incidents', { n: incidents.length })} id="incidents-panel">
              <Table
                label={t('dashboard.incidents', { n: incidents.length })}
                empty={t('incidents.none')}
                head={[t('incidents.kind'), t('dashboard.open')]}
                rows={byKind.map(([k, n]) => [<a href={`/console/incidents?status=open&kind=${k}`}>{t.value('kind', k)}</a>, t.num(n)])}
              />
            </Panel>
          )}
          {points && (
            <ChartPanel
              title={t('dashboard.points', { n: CHART_DAYS })}
              id="points-chart"
              chart={{ days: points.map((p) => p.day.slice(5)), series: [{ name: t('dashboard.issued'), data: points.map((p) => p.issued) }, { name: t('dashboard.redeemed'), data: points.map((p) => p.redeemed) }] }}
              table={
                <Table
                  label={t('dashboard.points', { n: CHART_DAYS })}
                  empty=""
                  head={[t('dashboard.day'), t('dashboard.issued'), t('dashboard.redeemed')]}
                  rows={points.map((p) => [p.day, <span data-issued={p.day}>{t.num(p.issued)}</span>, <span data-redeemed={p.day}>{t.num(p.redeemed)}</span>])}
                />
              }
            />
          )}
          {!fleet && !incidents && !points && <p class="empty">{t('dashboard.nothing')}</p>}
        </Layout>,
      );
    }),
  );
  return app;
}

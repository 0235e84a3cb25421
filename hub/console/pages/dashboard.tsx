import { Hono } from 'hono';
import type { HubContext } from '../../context.ts';
import { fleetStatus } from '../../fleet.ts';
import { INCIDENT_KINDS, listIncidents } from '../../incidents.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { dashboardFor, oneIdFigures } from '../../dashboard/service.ts';
import { CHANNELS } from '../../../shared/dashboard/aggregates.ts';
import type { SalesDay } from '../../../shared/dashboard/figures.ts';
import { ChartPanel, Panel, Stat, Table } from '../components.tsx';
import { mayCall, page, type ConsoleEnv } from '../console-access.ts';
import { Layout } from '../layout.tsx';

const CHART_DAYS = 14;

const yuan = (cents: number) => Math.round(cents) / 100;
const salesOf = (d: SalesDay, channel: (typeof CHANNELS)[number]) => (channel === 'store' ? d.store.netCents : d[channel].salesCents);

/**
 * The dashboard: members (total, new, active, repurchase), sales by channel and points issued and
 * redeemed over the last two weeks, One-ID's figures, stores online and offline, open incidents
 * by kind. Each panel is there when the role may call the admin route behind it, and reads
 * through the same function as that route, in the operator's scope (decision 013).
 */
export function dashboardPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  app.get(
    '/',
    page(ctx, async (c) => {
      const { t, actor } = c.var;
      const now = ctx.clock();
      const { scope } = await scopeCheck(ctx, c);
      const [fleet, incidents, figures] = await Promise.all([
        mayCall(actor, 'GET /fleet') ? fleetStatus(ctx, now, scope) : undefined,
        mayCall(actor, 'GET /incidents') ? listIncidents(ctx.couch, { status: 'open' }, scope) : undefined,
        mayCall(actor, 'GET /sales/daily') || mayCall(actor, 'GET /members/stats') ? dashboardFor(ctx, scope, CHART_DAYS) : undefined,
      ]);
      const sales = mayCall(actor, 'GET /sales/daily') ? figures?.sales : undefined;
      const points = mayCall(actor, 'GET /sales/daily') ? figures?.points : undefined;
      const members = mayCall(actor, 'GET /members/stats') ? figures?.members : undefined;
      // One-ID links every channel at once: HQ's figure, for operators without a scope (decision 010).
      const oneId = mayCall(actor, 'GET /identity/metrics') && scope.node === null;
      const metrics = oneId ? await oneIdFigures(ctx) : undefined;
      const online = scope.node === null;
      const channels = CHANNELS.filter((ch) => ch === 'store' || online);
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      const count = (state: string) => fleet?.filter((s) => s.state === state).length ?? 0;
      const byKind = INCIDENT_KINDS.map((k) => [k, incidents?.filter((i) => i.kind === k).length ?? 0] as const).filter(([, n]) => n > 0);
      return c.html(
        <Layout t={t} title={t('dashboard.title')} here="/console" actor={actor} screen="/console" scripts={points || sales ? ['/console/static/echarts.min.js', '/console/static/console.js'] : []}>
          {figures && !figures.upToDate && <p class="notice info">{t('dashboard.catchingUp')}</p>}
          {members && (
            <Panel title={t('dashboard.members')} id="members-panel">
              <div class="stats">
                <Stat label={t('dashboard.membersTotal')} value={t.num(members.total)} />
                <Stat label={t('dashboard.membersNew')} value={t.num(members.newThisMonth)} tone="good" />
                <Stat label={t('dashboard.membersActive')} value={t.num(members.active90)} />
                <Stat label={t('dashboard.repurchase')} value={pct(members.repurchaseRate)} />
              </div>
              <p class="hint">{t('dashboard.membersNote', { repeaters: t.num(members.repeaters), buyers: t.num(members.buyers) })}</p>
            </Panel>
          )}
          {sales && (
            <ChartPanel
              title={t('dashboard.sales', { n: CHART_DAYS })}
              id="sales-chart"
              chart={{ days: sales.map((d) => d.day.slice(5)), series: channels.map((ch) => ({ name: t(`dashboard.channel.${ch}`), data: sales.map((d) => yuan(salesOf(d, ch))) })) }}
              table={
                <>
                  <Table
                    label={t('dashboard.sales', { n: CHART_DAYS })}
                    empty=""
                    head={[t('dashboard.day'), ...channels.map((ch) => t(`dashboard.channel.${ch}`)), t('dashboard.receipts'), ...(online ? [t('dashboard.onlineOrders')] : [])]}
                    rows={sales.map((d) => [
                      d.day,
                      ...channels.map((ch) => <span data-sales={`${d.day}:${ch}`}>{yuan(salesOf(d, ch)).toFixed(2)}</span>),
                      <span data-receipts={d.day}>{t.num(d.store.receipts)}</span>,
                      ...(online ? [t.num(d.ecommerce.orders + d.marketplace.orders)] : []),
                    ])}
                  />
                  <p class="hint">{t('dashboard.salesNote')}</p>
                </>
              }
            />
          )}
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
          {oneId && (
            <Panel title={t('dashboard.oneId')} id="one-id-panel">
              {metrics ? (
                <>
                  <div class="stats">
                    <Stat label={t('dashboard.identification')} value={pct(metrics.identificationRate)} />
                    <Stat label={t('dashboard.completeness')} value={pct(metrics.averageCompleteness)} />
                    <Stat label={t('dashboard.goldenMembers')} value={t.num(metrics.members)} />
                  </div>
                  <p class="hint">{t('dashboard.oneIdNote')}</p>
                </>
              ) : (
                <p class="empty">{t('dashboard.oneIdLoading')}</p>
              )}
            </Panel>
          )}
          {!fleet && !incidents && !figures && !oneId && <p class="empty">{t('dashboard.nothing')}</p>}
        </Layout>,
      );
    }),
  );
  return app;
}

import { localDate } from '../../shared/local-time.ts';
import { seesStore, type DataScope } from '../../shared/org-scope.ts';
import type { OneIdMetrics } from '../../shared/one-id/metrics.ts';
import type { DashboardFigures, FigureScope } from '../../shared/dashboard/figures.ts';
import type { HubContext } from '../context.ts';
import { DASHBOARD_TIME_ZONE } from '../routes/admin.ts';

/**
 * What a scope sees of the dashboard's figures (decision 013): the stores in it, and members
 * whose home store is in it. Online orders belong to no store: only an operator without a scope
 * sees them, as with One-ID (decision 010).
 */
export function figureScope(scope: DataScope): FigureScope {
  return { sees: (storeId) => seesStore(scope, storeId), online: scope.node === null };
}

/** The dashboard's figures for `days` days up to today, in the caller's scope: the console and the admin API read this. */
export function dashboardFor(ctx: Pick<HubContext, 'dashboard' | 'clock'>, scope: DataScope, days: number): Promise<DashboardFigures & { upToDate: boolean }> {
  return ctx.dashboard.figures(localDate(ctx.clock(), DASHBOARD_TIME_ZONE), days, figureScope(scope));
}

/** One-ID's identification rate and completeness for the dashboard (GET /identity/metrics's); undefined while One-ID loads. */
export async function oneIdFigures(ctx: Pick<HubContext, 'identity'>): Promise<OneIdMetrics | undefined> {
  if (!ctx.identity.isLoaded) return undefined;
  return (await ctx.identity.figures()).metrics;
}

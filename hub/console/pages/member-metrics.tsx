import { AppError } from '../../../shared/errors.ts';
import type { DataScope } from '../../../shared/org-scope.ts';
import type { HubContext } from '../../context.ts';
import { memberProfile } from '../../profile/service.ts';
import { Panel } from '../components.tsx';
import type { Translator } from '../i18n.ts';

type MemberProfile = Awaited<ReturnType<typeof memberProfile>>;

/** The metrics of a member's golden member for the 360, or why there are none (still computing). */
export async function metricsOf(ctx: HubContext, memberId: string, scope: DataScope, reveal: boolean): Promise<MemberProfile | 'loading' | undefined> {
  try {
    return await memberProfile(ctx, memberId, scope, reveal);
  } catch (err) {
    if (err instanceof AppError && err.code === 'unavailable') return 'loading';
    if (err instanceof AppError && err.code === 'member_not_found') return undefined;
    throw err;
  }
}

const yuan = (cents: unknown) => (typeof cents === 'number' ? `¥${(cents / 100).toFixed(2)}` : '—');
const pct = (bp: unknown) => (typeof bp === 'number' ? `${(bp / 100).toFixed(1)}%` : '—');

/** A compact panel of the consumption metrics (issue 12), each figure marked `data-metric` for tests. */
export function MetricsPanel({ t, metrics }: { t: Translator; metrics: MemberProfile | 'loading' | undefined }) {
  if (metrics === undefined) return null;
  if (metrics === 'loading')
    return (
      <Panel title={t('metrics.title')} id="metrics">
        <p class="empty">{t('metrics.loading')}</p>
      </Panel>
    );
  const p = metrics.profile as Record<string, unknown>;
  const n = (name: string) => <span data-metric={name}>{typeof p[name] === 'number' ? t.num(p[name] as number) : '—'}</span>;
  const list = (name: string) => (Array.isArray(p[name]) ? (p[name] as string[]).join(', ') : '') || '—';
  const most = typeof p.mostVisitedStore === 'string' ? p.mostVisitedStore : undefined;
  const stores = Array.isArray(p.storesVisited) ? [...(most ? [most] : []), ...(p.storesVisited as string[]).filter((s) => s !== most)] : [];
  const categories = Array.isArray(p.categoryScore) ? (p.categoryScore as [string, number][]).slice(0, 3).map(([k]) => k) : [];
  const rows: [string, unknown][] = [
    [t('metrics.orders'), <>{n('orders')} ({n('orders30')} / {n('orders90')} / {n('orders365')})</>],
    [t('metrics.spend'), <><span data-metric="spend">{yuan(p.spend)}</span> ({yuan(p.spend30)} / {yuan(p.spend90)} / {yuan(p.spend365)})</>],
    [t('metrics.aov'), <>{yuan(p.avgOrderValue)} · {typeof p.itemsPerOrder === 'number' ? (p.itemsPerOrder / 100).toFixed(2) : '—'}</>],
    [t('metrics.last'), <>{String(p.firstPurchaseDay ?? '—')} – {String(p.lastPurchaseDay ?? '—')}{typeof p.daysSinceLastPurchase === 'number' ? ` (${t('metrics.daysSince', { n: p.daysSinceLastPurchase })})` : ''}</>],
    [t('metrics.frequency'), typeof p.purchaseFrequency === 'number' ? (p.purchaseFrequency / 100).toFixed(2) : '—'],
    [t('metrics.channels'), list('channels')],
    [t('metrics.stores'), stores.join(', ') || '—'],
    [t('metrics.categories'), categories.join(', ') || '—'],
    [t('metrics.price'), `${pct(p.fullPriceShare)} / ${pct(p.promoShare)}`],
    [t('metrics.discount'), pct(p.avgDiscountRate)],
    [t('metrics.coupons'), <>{n('couponsRedeemed')} / {n('couponsIssued')}</>],
    [t('metrics.points'), <>{n('pointsEarned')} / {n('pointsSpent')} / {n('pointsExpired')}</>],
    [t('metrics.refunds'), <>{n('refunds')} · {pct(p.refundRate)}</>],
  ];
  return (
    <Panel title={t('metrics.title')} id="metrics">
      <dl class="fields">
        {rows.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v as string}</dd>
          </>
        ))}
      </dl>
      <p class="hint">{t('metrics.note', { id: metrics.goldenId, sources: metrics.sources.join(', '), day: metrics.day })}</p>
    </Panel>
  );
}

import { localDate } from '../../shared/local-time.ts';
import { tierState } from '../../shared/loyalty/tier-life.ts';
import type { SpendFact } from '../../shared/loyalty/tiers.ts';
import type { LoyaltyRules } from '../../shared/schemas/rules.ts';
import { Panel, Table } from './components.tsx';
import type { Translator } from './i18n.ts';

/** The member's spend facts among their documents: receipts, and refunds on the day of the receipt. */
function spendOf(docs: readonly Record<string, unknown>[]): SpendFact[] {
  return docs.flatMap((d) => {
    if (d.type === 'order' && typeof d.day === 'string' && typeof d.payableCents === 'number') return [{ day: d.day, cents: d.payableCents }];
    if (d.type === 'refund' && typeof d.refundCents === 'number') {
      const day = typeof d.orderDay === 'string' ? d.orderDay : d.day;
      return typeof day === 'string' ? [{ day, cents: -d.refundCents }] : [];
    }
    return [];
  });
}

/**
 * The member 360's tier history (decision 019): every change of tier, when and why, computed
 * from all the member's receipts as every till computes it (the tier is the member's, whatever
 * the operator's scope shows of the receipts).
 */
export function TierHistoryPanel({ t, rules, docs, now, timeZone }: { t: Translator; rules: LoyaltyRules; docs: readonly Record<string, unknown>[]; now: Date; timeZone: string }) {
  const state = tierState(rules, spendOf(docs), localDate(now, timeZone));
  const name = (code: string | undefined) => (code === undefined ? '—' : (rules.tiers.find((x) => x.code === code)?.name ?? code));
  return (
    <Panel title={t('tierHistory.title')} id="tier-history">
      <Table
        label={t('tierHistory.title')}
        empty={t('tierHistory.none')}
        head={[t('tierHistory.day'), t('tierHistory.from'), t('tierHistory.to'), t('tierHistory.why'), t('tierHistory.spend')]}
        rows={[...state.history].reverse().map((h) => [t.day(h.day), name(h.from), <span data-tier-change={h.to}>{name(h.to)}</span>, t.value('tierWhy', h.why), `¥${(h.spendCents / 100).toFixed(2)}`])}
      />
    </Panel>
  );
}

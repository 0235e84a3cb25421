import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import { ExchangeRequestId, RewardId } from '../../../shared/schemas/catalogue.ts';
import { MemberId } from '../../../shared/schemas/common.ts';
import { catalogueHere, exchange, spendablePoints } from '../../services/exchanges.ts';
import { requireMember } from '../../services/members.ts';
import { guideForm, guidePage, type GuideContext, type GuideDeps, type GuideEnv } from '../guide-access.ts';
import { Layout, Notice } from '../layout.tsx';

/** Refusals a guide is shown in words (the same the till gets); anything else is an error page. */
const SHOWN = new Set(['insufficient_points', 'offline_limit_exceeded', 'out_of_stock', 'reward_not_found', 'template_not_found', 'exchange_conflict']);

/**
 * Exchanging a member's points on the guide page (decision 020): the catalogue with the stock
 * left here, one form per reward, each with a fresh request id, so a form sent twice makes one
 * exchange. The same service as the till's `POST /v1/exchanges`, offline too.
 */
export function rewardsPages(deps: GuideDeps) {
  const { ctx } = deps;
  const app = new Hono<GuideEnv>();
  const memberOf = (c: GuideContext) => {
    const parsed = MemberId.safeParse(c.req.param('id'));
    if (!parsed.success || !ctx.live.index.get(parsed.data)) throw new AppError('member_not_found', c.var.t('error.memberGone'));
    return ctx.live.index.canonical(parsed.data);
  };

  const page = async (c: GuideContext, memberId: string, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | 422 = 200) => {
    const t = c.var.t;
    requireMember(ctx, memberId);
    const catalogue = await catalogueHere(ctx);
    const spendable = spendablePoints(ctx, memberId);
    const offline = ctx.hub !== undefined && !ctx.hub.reachable();
    return c.html(
      <Layout t={t} title={t('rewards.title')} storeId={ctx.storeId} here={`/guide/m/${memberId}/rewards`} session={c.var.session} offline={offline}>
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        <p data-spendable={spendable}>{t('rewards.balance', { points: t.num(spendable) })}</p>
        {catalogue.rewards.length === 0 && <p class="empty">{t('rewards.none')}</p>}
        {catalogue.rewards.map((r) => (
          <form method="post" action={`/guide/m/${memberId}/rewards`} class="card" data-reward={r.id}>
            <input type="hidden" name="_csrf" value={c.var.session.csrfToken} />
            <input type="hidden" name="rewardId" value={r.id} />
            <input type="hidden" name="requestId" value={newId(ctx.clock(), 'gx-')} />
            <div class="row">
              <span>
                {r.title} <small>{t(r.kind === 'coupon' ? 'rewards.coupon' : 'rewards.gift')}</small>
              </span>
              <span class="amount">{t('rewards.points', { points: t.num(r.points) })}</span>
            </div>
            {r.kind === 'gift' && <small data-stock={r.stock}>{t('rewards.stock', { n: t.num(r.stock ?? 0) })}</small>}
            <button type="submit" disabled={r.points > spendable || (r.kind === 'gift' && (r.stock ?? 0) < 1)}>
              {t('rewards.submit')}
            </button>
          </form>
        ))}
        <p>
          <a href={`/guide/m/${memberId}`}>{t('rewards.back')}</a>
        </p>
      </Layout>,
      status,
    );
  };

  app.get('/m/:id/rewards', guidePage(deps, (c) => page(c, memberOf(c))));
  app.post(
    '/m/:id/rewards',
    guideForm(deps, async (c, form) => {
      const memberId = memberOf(c);
      const t = c.var.t;
      const rewardId = RewardId.safeParse(form('rewardId'));
      const requestId = ExchangeRequestId.safeParse(form('requestId'));
      if (!rewardId.success || !requestId.success) throw new AppError('validation_failed', t('error.badRequest'));
      try {
        const { exchange: x } = await exchange(ctx, `guide:${c.var.session.name}`.slice(0, 80), { requestId: requestId.data, memberId, rewardId: rewardId.data });
        const text = x.reward.kind === 'coupon' ? t('rewards.doneCoupon', { title: x.reward.title, code: x.reward.couponCode }) : t('rewards.doneGift', { title: x.reward.title, sku: x.reward.sku });
        return page(c, memberId, { kind: 'ok', text });
      } catch (err) {
        if (err instanceof AppError && SHOWN.has(err.code)) return page(c, memberId, { kind: 'error', text: err.message }, 422);
        throw err;
      }
    }),
  );
  return app;
}

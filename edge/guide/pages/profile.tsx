import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { tierProgress } from '../../../shared/loyalty/tiers.ts';
import { localDate } from '../../../shared/local-time.ts';
import { MemberId } from '../../../shared/schemas/common.ts';
import { moment } from '../../context.ts';
import { memberInsights } from '../../services/member-insights.ts';
import { memberPurchases } from '../../services/member-purchases.ts';
import { memberProfile } from '../../services/member-views.ts';
import { guidePage, type GuideDeps, type GuideEnv } from '../guide-access.ts';
import { Layout, Notice, yuan } from '../layout.tsx';

/**
 * A member's profile for the guide: what `GET /v1/members/:id` answers the till (the same
 * service), how far the next tier is, recent purchases and what to talk about, all from the
 * replica and the in-memory index: the hub is never asked while the page is made.
 */
export function profilePages(deps: GuideDeps) {
  const { ctx } = deps;
  const app = new Hono<GuideEnv>();

  app.get(
    '/m/:id',
    guidePage(deps, async (c) => {
      const t = c.var.t;
      const parsed = MemberId.safeParse(c.req.param('id'));
      const member = parsed.success ? await memberProfile(ctx, parsed.data) : undefined;
      if (!member) throw new AppError('member_not_found', t('error.memberGone'));
      const { today } = moment(ctx);
      const rules = ctx.live.index.rules;
      const progress = tierProgress(rules, ctx.live.index.rollingSpend(member.id, today));
      const { recent, categories } = await memberPurchases(ctx, member.id);
      const insights = await memberInsights(ctx, member.id);
      const tierName = (code: string) => rules.tiers.find((x) => x.code === code)?.name ?? code;
      // With tier reviews a member may hold a tier the spend no longer reaches: what keeps it (decision 019).
      const held = rules.tiers.find((x) => x.code === member.tier);
      const keep = held && held.minSpendCents > progress.spendCents ? { code: held.code, missingCents: held.minSpendCents - progress.spendCents } : undefined;
      // A tag in the guide's language where HQ's document names it (decision 025), else its one name, else its code.
      const tagLabel = (x: { code: string; name?: string | undefined; names?: { 'zh-CN'?: string | undefined; en?: string | undefined } | undefined }) => x.names?.[t.lang] ?? x.name ?? x.code;
      const talkTags = insights?.tags ?? [];
      const storeName = (storeId: string) => (storeId === ctx.storeId ? t('profile.thisStore') : storeId);
      const offline = ctx.hub !== undefined && !ctx.hub.reachable();
      const title = member.name ?? t('profile.title');
      return c.html(
        <Layout t={t} title={title} storeId={ctx.storeId} here={`/guide/m/${member.id}`} session={c.var.session} offline={offline}>
          {c.req.query('new') === '1' && <Notice kind="ok">{t('register.done')}</Notice>}
          <section class="card" id="member">
            <div class="who">
              <span class="phone" data-phone>
                {t('profile.phone')} {member.phoneMasked}
              </span>
              {member.provisional && <span class="badge">{t('profile.provisional')}</span>}
            </div>
            <small>{t('profile.since', { day: t.day(localDate(member.registeredAt, ctx.timeZone)) })}</small>
          </section>

          <section class="figures">
            <div class="figure" id="tier">
              <span class="label">{t('profile.tier')}</span>
              <span class="value" data-tier={member.tier}>
                {member.tierName}
              </span>
              {member.tierSince && <small data-tier-since={member.tierSince}>{t('profile.tierSince', { day: t.day(member.tierSince) })}</small>}
              {keep ? (
                <small data-to-keep>{t('profile.toKeep', { amount: yuan(keep.missingCents), tier: tierName(keep.code) })}</small>
              ) : progress.next ? (
                <>
                  <div class="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress.next.percent}>
                    <span style={`width:${progress.next.percent}%`}></span>
                  </div>
                  <small data-to-next>{t('profile.toNext', { amount: yuan(progress.next.missingCents), tier: tierName(progress.next.tier.code) })}</small>
                </>
              ) : (
                <small>{t('profile.topTier')}</small>
              )}
            </div>
            <div class="figure" id="points">
              <span class="label">{t('profile.points')}</span>
              <span class="value" data-balance={member.points.balance}>
                {t.num(member.points.balance)}
              </span>
              <small data-expiry>
                {member.points.nextExpiry ? t('profile.expiry', { points: t.num(member.points.nextExpiry.points), day: t.day(member.points.nextExpiry.on) }) : t('profile.noExpiry')}
              </small>
              {member.points.nextVesting && (
                <small data-pending={member.points.pending}>
                  {t('profile.pending', { points: t.num(member.points.pending), next: t.num(member.points.nextVesting.points), day: t.day(member.points.nextVesting.on) })}
                </small>
              )}
            </div>
          </section>
          <p class="hint">{t('profile.spend', { months: rules.tierWindowMonths, amount: yuan(progress.spendCents) })}</p>
          <form method="get" action={`/guide/m/${member.id}/rewards`} id="exchange">
            <button type="submit">{t('rewards.open')}</button>
          </form>
          {member.benefits.length > 0 && (
            <section class="card" id="benefits">
              <h2>{t('profile.benefits', { tier: member.tierName })}</h2>
              <ul class="plain">
                {member.benefits.map((b) => (
                  <li data-benefit>{b[t.lang]}</li>
                ))}
              </ul>
            </section>
          )}

          <section class="card" id="talk">
            <h2>{t('profile.talk')}</h2>
            {talkTags.length > 0 && (
              <div class="tags" id="talk-tags">
                {talkTags.map((x) => (
                  <span class="tag" data-talk-tag={x.code}>
                    {tagLabel(x)}
                  </span>
                ))}
              </div>
            )}
            {categories.length > 0 ? (
              <div class="tags">
                {categories.map((x) => (
                  <span class="tag" data-category={x.category}>
                    {x.category}
                    <small>{t('profile.receipts', { n: x.receipts })}</small>
                  </span>
                ))}
              </div>
            ) : (
              talkTags.length === 0 && <p class="empty">{t('profile.noTalk')}</p>
            )}
            <small>{t('profile.talkHint')}</small>
          </section>

          {insights && (
            <section class="card" id="insights" data-stage={insights.stage ?? ''} data-segment={insights.rfmSegment ?? ''}>
              <h2>{t('insights.title')}</h2>
              <div class="tags">
                {insights.stage && <span class="badge" data-stage-label>{t(`stage.${insights.stage}`)}</span>}
                {insights.rfmSegment && <span class="badge" data-segment-label>{t(`segment.${insights.rfmSegment}`)}</span>}
              </div>
              {insights.tags.length > 0 && (
                <div class="tags">
                  {insights.tags.map((x) => (
                    <span class="tag" data-tag={x.code}>
                      {tagLabel(x)}
                    </span>
                  ))}
                </div>
              )}
              {insights.recommendations.length > 0 && (
                <>
                  <h3>{t('insights.recommend')}</h3>
                  <ul class="plain">
                    {insights.recommendations.map((sku) => (
                      <li data-recommend={sku}>{sku}</li>
                    ))}
                  </ul>
                </>
              )}
              {insights.topCategories.length > 0 && <small data-top-categories>{t('insights.categories', { list: insights.topCategories.join(' · ') })}</small>}
            </section>
          )}

          <section class="card" id="coupons">
            <h2>{t('profile.coupons', { n: member.coupons.length })}</h2>
            {member.coupons.length > 0 ? (
              <ul class="plain">
                {member.coupons.map((x) => (
                  <li class="row" data-coupon={x.code}>
                    <span>{x.title}</span>
                    <small>{t('profile.validTo', { day: t.time(x.validTo) })}</small>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="empty">{t('profile.noCoupons')}</p>
            )}
          </section>

          <section class="card" id="purchases">
            <h2>{t('profile.purchases')}</h2>
            {recent.length > 0 ? (
              <ul class="plain">
                {recent.map((p) => (
                  <li data-purchase>
                    <div class="row">
                      <span>
                        {t.time(p.at)} <small>{t('profile.atStore', { store: storeName(p.storeId) })}</small>
                      </span>
                      <span class="amount">¥{yuan(p.payableCents)}</span>
                    </div>
                    <small>{p.lines.map((l) => `${l.category ?? l.sku} × ${l.qty}`).join(' · ')}</small>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="empty">{t('profile.noPurchases')}</p>
            )}
          </section>
          <p>
            <a href="/guide">{t('profile.another')}</a>
          </p>
        </Layout>,
      );
    }),
  );
  return app;
}

import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { MAX_PERKS, REVIEW_CHOICES, tierBenefitsFromForm, tierBenefitsToForm } from '../../../shared/loyalty/tier-benefits-form.ts';
import type { HubContext } from '../../context.ts';
import { currentRules, listTemplates, setRules } from '../../rules.ts';
import { Csrf, Notice, Panel } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formEntries, FormErrorsNotice, Input, Select, valueOf, type FormState } from '../form-fields.tsx';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';

/*
 * Tier life and benefits (issue 13, decision 019): when tiers are reviewed, and what each tier
 * gives (upgrade gift, birthday gift, the benefits shown to the member). The form does the work
 * of PUT /admin/v1/rules on those two fields of the rules, from the version it shows.
 */

/** The perk rows a tier shows: those filled, then one empty to add to. */
function perkRows(form: FormState, tier: number): number[] {
  let last = -1;
  for (let k = 0; k < MAX_PERKS; k++) if (valueOf(form, `tiers.${tier}.perks.${k}.en`) !== '' || valueOf(form, `tiers.${tier}.perks.${k}.zh`) !== '') last = k;
  return [...Array(Math.min(MAX_PERKS, last + 2)).keys()];
}

function TierBenefitsForm({ t, c, form, editable }: { t: Translator; c: ConsoleContext; form: FormState; editable: boolean }) {
  const tiers = form.values.flatMap(([k, v]) => {
    const m = /^tiers\.(\d{1,3})\.code$/.exec(k);
    return m ? [{ n: Number(m[1]), code: v }] : [];
  });
  return (
    <form method="post" action="/console/loyalty/tiers" class="edit-form" id="tier-benefits-form">
      <Csrf actor={c.var.actor} />
      <input type="hidden" name="version" value={valueOf(form, 'version')} />
      <FormErrorsNotice t={t} form={form} />
      <Panel title={t('tierBenefits.life')} id="tier-life">
        <p class="hint">{t('tierBenefits.lifeHint')}</p>
        <div class="grid-form">
          <Select t={t} form={form} name="life.reviewMonths" label={t('tierBenefits.reviewMonths')} options={REVIEW_CHOICES} prefix="reviewMonths" disabled={!editable} />
          <Input t={t} form={form} name="life.graceDays" label={t('tierBenefits.graceDays')} size={4} inputmode="numeric" readonly={!editable} />
        </div>
      </Panel>
      {tiers.map(({ n, code }) => (
        <Panel title={t('tierBenefits.tier', { tier: code })} id={`tier-${n}`}>
          <input type="hidden" name={`tiers.${n}.code`} value={code} />
          <div class="grid-form">
            <Input t={t} form={form} name={`tiers.${n}.upgradeGift`} label={t('tierBenefits.upgradeGift')} size={20} maxlength={200} readonly={!editable} hint={t('tierBenefits.upgradeGiftHint')} />
            <Input t={t} form={form} name={`tiers.${n}.birthdayPoints`} label={t('tierBenefits.birthdayPoints')} size={6} inputmode="numeric" readonly={!editable} />
            <Input t={t} form={form} name={`tiers.${n}.birthdayTemplate`} label={t('tierBenefits.birthdayTemplate')} size={12} maxlength={40} readonly={!editable} />
          </div>
          <p class="hint">{t('tierBenefits.perks')}</p>
          {perkRows(form, n).map((k) => (
            <div class="grid-form" data-perk={`${code}.${k}`}>
              <Input t={t} form={form} name={`tiers.${n}.perks.${k}.en`} label={t('tierBenefits.perkEn')} size={24} maxlength={120} readonly={!editable} />
              <Input t={t} form={form} name={`tiers.${n}.perks.${k}.zh`} label={t('tierBenefits.perkZh')} size={24} maxlength={120} readonly={!editable} />
            </div>
          ))}
        </Panel>
      ))}
      {editable && (
        <p class="actions">
          <button type="submit" data-action="save-tier-benefits">
            {t('tierBenefits.save')}
          </button>
          <a href="/console/loyalty">{t('loyalty.cancel')}</a>
        </p>
      )}
    </form>
  );
}

export function tierBenefitsPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  const show = (c: ConsoleContext, form: FormState, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | 400 | 409 = 200) => {
    const { t, actor } = c.var;
    return c.html(
      <Layout t={t} title={t('tierBenefits.title')} here="/console/loyalty/tiers" actor={actor} screen="/console/loyalty">
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        <TierBenefitsForm t={t} c={c} form={form} editable={mayCall(actor, 'PUT /rules')} />
      </Layout>,
      status,
    );
  };

  app.get(
    '/loyalty/tiers',
    page(ctx, async (c) => {
      need(c, 'GET /rules');
      const rules = await currentRules(ctx.couch);
      const saved = c.req.query('done') === '1';
      return show(c, { values: tierBenefitsToForm(rules), errors: new Map() }, saved ? { kind: 'ok', text: c.var.t('loyalty.savedRules', { v: rules.version }) } : undefined);
    }),
  );

  app.post(
    '/loyalty/tiers',
    formAction(ctx, 'PUT /rules', async (c) => {
      const values = await formEntries(c);
      const [rules, templates] = await Promise.all([currentRules(ctx.couch), listTemplates(ctx.couch)]);
      const read = tierBenefitsFromForm(rules, values, new Set(templates.map((x) => x.id)));
      if (!read.ok) return show(c, { values, errors: read.errors }, undefined, 400);
      try {
        await setRules(ctx.couch, read.rules, await ctx.storeDbs(), { by: { kind: c.var.actor.kind, name: c.var.actor.name }, at: ctx.clock(), baseVersion: read.rules.version });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'stale_version')) throw err;
        return show(c, { values, errors: new Map() }, { kind: 'error', text: c.var.t('loyalty.stale', { base: read.rules.version, current: Number(err.details.currentVersion) }) }, 409);
      }
      return c.redirect('/console/loyalty/tiers?done=1', 303);
    }),
  );

  return app;
}

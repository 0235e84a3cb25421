import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import type { FieldChange } from '../../../shared/loyalty/field-changes.ts';
import { JSON_SECTIONS, PROFILE_FIELDS, rulesFromForm, rulesToForm } from '../../../shared/loyalty/rules-form.ts';
import type { CouponTemplate } from '../../../shared/schemas/coupon.ts';
import type { EarnRule, LoyaltyRules } from '../../../shared/schemas/rules.ts';
import type { HubContext } from '../../context.ts';
import { currentRules, listTemplates, rulesHistory, setRules, type VersionEntry } from '../../rules.ts';
import { Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { errorText, FieldErrorText, formEntries, LONG_FIELD, FormErrorsNotice, Input, Select, valueOf, valuesOf, type FormState } from '../form-fields.tsx';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { IssueCouponForm, IssuedNotice } from './coupon-issue.tsx';

/*
 * Loyalty (issue 11): the rules in force and their version history, the rules' edit form, the
 * coupon templates, and issuing a coupon to a member. Every page reads through the services the
 * admin API's loyalty routes call (hub/rules.ts, hub/coupons.ts) and needs that route's
 * permission; the forms do the work of PUT /rules, PUT /templates/:id and POST /coupons.
 */

const yuan = (cents: number) => `¥${(cents / 100).toLocaleString('en', { minimumFractionDigits: cents % 100 === 0 ? 0 : 2 })}`;

/** What a coupon gives, in words. */
export function termsText(t: Translator, tpl: CouponTemplate): string {
  const terms = tpl.terms;
  const min = terms.minSpendCents > 0 ? t('loyalty.minSpendText', { min: yuan(terms.minSpendCents) }) : '';
  if (terms.kind === 'cash') return t('loyalty.cashText', { value: yuan(terms.valueCents) }) + min;
  if (terms.kind === 'percent') return t('loyalty.percentText', { pct: terms.percentOff }) + (terms.capCents !== undefined ? t('loyalty.capText', { cap: yuan(terms.capCents) }) : '') + min;
  return t('loyalty.giftText', { sku: terms.giftSku }) + min;
}

/** Who made a version: an operator's name, or the admin token. */
export const byText = (t: Translator, v: VersionEntry) => (v.by === null ? '—' : v.by.kind === 'token' ? t('audit.token') : v.by.name);

const shown = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** A version's changes, one line each: field, before → after. */
export function Changes({ t, changes }: { t: Translator; changes: FieldChange[] }) {
  if (changes.length === 0) return <span class="hint">{t('loyalty.noChanges')}</span>;
  return (
    <ul class="changes">
      {changes.map((ch) => (
        <li data-change={ch.path}>
          <code>{ch.path}</code> {shown(ch.before)} → <strong>{shown(ch.after)}</strong>
        </li>
      ))}
    </ul>
  );
}

/** A version history as a table: newest first. */
export function History({ t, versions, label }: { t: Translator; versions: VersionEntry[]; label: string }) {
  return (
    <Table
      label={label}
      empty={t('loyalty.noVersions')}
      head={[t('loyalty.version'), t('audit.at'), t('audit.who'), t('loyalty.changes')]}
      rows={versions.map((v) => [<span data-version={v.version}>{v.version}</span>, v.at ? t.time(v.at) : '—', <span data-by={v.version}>{byText(t, v)}</span>, <Changes t={t} changes={v.changes} />])}
    />
  );
}

function RulesView({ t, rules }: { t: Translator; rules: LoyaltyRules }) {
  const expiry = rules.expiry.kind === 'relative' ? t('loyalty.expiryRelative', { months: rules.expiry.months }) : t.value('expiry', rules.expiry.kind);
  const figures: [string, string, string][] = [
    ['earn.pointsPerYuan', t('loyalty.pointsPerYuan'), t.num(rules.earn.pointsPerYuan)],
    ['joinGift', t('loyalty.joinGift'), t.num(rules.joinGift)],
    ['tierWindowMonths', t('loyalty.tierWindow'), t('loyalty.months', { n: rules.tierWindowMonths })],
    ['cash.pointsPerYuan', t('loyalty.cashPoints'), t.num(rules.cash.pointsPerYuan)],
    ['cash.maxShareBps', t('loyalty.cashShare'), `${rules.cash.maxShareBps / 100}%`],
    ['expiry', t('loyalty.expiry'), expiry],
    ['offlineSpendLimit', t('loyalty.offlineLimit'), t.num(rules.offlineSpendLimit)],
    ['maxPointsPerReceipt', t('loyalty.ceiling'), t.num(rules.maxPointsPerReceipt)],
    ['vestingDays', t('loyalty.vestingDays'), rules.vestingDays ? t('loyalty.days', { n: rules.vestingDays }) : t('loyalty.vestAtOnce')],
  ];
  return (
    <>
      <div class="cards">
        <Panel title={t('loyalty.tiers')} id="tiers">
          <Table
            label={t('loyalty.tiers')}
            empty="—"
            head={[t('loyalty.tierCode'), t('loyalty.tierName'), t('loyalty.minSpend'), t('loyalty.multiplier')]}
            rows={rules.tiers.map((tier) => [<code>{tier.code}</code>, tier.name ?? '—', yuan(tier.minSpendCents), <span data-multiplier={tier.code}>{`${tier.multiplierPct}%`}</span>])}
          />
        </Panel>
        <Panel title={t('loyalty.points')} id="figures">
          <dl class="fields">
            {figures.map(([key, label, value]) => (
              <>
                <dt>{label}</dt>
                <dd data-rule={key}>{value}</dd>
              </>
            ))}
          </dl>
        </Panel>
      </div>
      <Panel title={t('loyalty.interactions')} id="interactions">
        <Table
          label={t('loyalty.interactions')}
          empty="—"
          head={[t('loyalty.kind'), t('loyalty.pointsEach'), t('loyalty.once')]}
          rows={Object.entries(rules.interactions).map(([kind, r]) => [t.value('interaction', kind), <span data-interaction={kind}>{t.num(r.points)}</span>, t.value('once', r.once)])}
        />
      </Panel>
    </>
  );
}

/** A section of the rules edited as JSON (decision 017), its error naming where in it. */
function JsonSection({ t, form, name }: { t: Translator; form: FormState; name: (typeof JSON_SECTIONS)[number] }) {
  const e = form.errors.get(name);
  const at = e?.params?.at;
  return (
    <Panel title={t(name === 'earning' ? 'loyalty.earning' : 'loyalty.stacking')} id={`${name}-section`}>
      <label>
        <small>{t(name === 'earning' ? 'loyalty.earningHint' : 'loyalty.stackingHint')}</small>
        <textarea name={name} rows={name === 'earning' ? 12 : 6} maxlength={LONG_FIELD} class="json" spellcheck={false} aria-invalid={e ? 'true' : undefined} aria-describedby={e ? `err-${name}` : undefined}>
          {valueOf(form, name)}
        </textarea>
        {e && (
          <small class="field-error" id={`err-${name}`} data-error-for={name}>
            {at !== undefined && `${t('loyalty.errorAt', { at: String(at) })} `}
            {errorText(t, e)}
          </small>
        )}
      </label>
    </Panel>
  );
}

/** The earning rules in force, read-only: line rules as a table, the multipliers, the stacking. */
function EarningView({ t, rules }: { t: Translator; rules: LoyaltyRules }) {
  const e = rules.earning;
  const match = (r: EarnRule) =>
    [r.categoryPrefix && `${t('products.category')}: ${r.categoryPrefix}`, r.brand && `${t('products.brand')}: ${r.brand}`, r.skus && `${t('products.sku')}: ${r.skus.join(', ')}`, r.stores && r.stores.join(', ')].filter(Boolean).join('; ') || '—';
  return (
    <Panel title={t('loyalty.earning')} id="earning">
      {!e ? (
        <p class="hint">{t('loyalty.noEarning')}</p>
      ) : (
        <>
          <Table
            label={t('loyalty.earning')}
            empty="—"
            head={[t('loyalty.lineRule'), t('loyalty.lineMatch'), t('loyalty.lineDays'), t('loyalty.lineRate')]}
            rows={e.lineRules.map((r) => [r.name, match(r), r.from || r.to ? `${r.from ?? '…'} – ${r.to ?? '…'}` : '—', <span data-line-rate={r.name}>{`${r.ratePct}%`}</span>])}
          />
          <dl class="fields">
            <dt>{t('loyalty.memberDay')}</dt>
            <dd data-rule="memberDay">{e.memberDay ? t('loyalty.memberDayText', { days: e.memberDay.daysOfMonth.join(', '), pct: e.memberDay.multiplierPct }) : '—'}</dd>
            <dt>{t('loyalty.birthdayMonth')}</dt>
            <dd data-rule="birthdayMonth">{e.birthdayMonth ? `× ${e.birthdayMonth.multiplierPct}%` : '—'}</dd>
          </dl>
        </>
      )}
      {rules.couponStacking && (
        <dl class="fields">
          <dt>{t('loyalty.stacking')}</dt>
          <dd data-rule="couponStacking">
            <code>{JSON.stringify(rules.couponStacking)}</code>
          </dd>
        </dl>
      )}
    </Panel>
  );
}

/** The rules' edit form: the tiers and interactions as rows (one empty row to add), the figures, the version edited. */
function RulesForm({ t, c, form }: { t: Translator; c: ConsoleContext; form: FormState }) {
  // The rows filled in, then one empty row to add to (a refused form keeps its rows where they were).
  const rows = (prefix: string) => {
    const filled = form.values.flatMap(([k, v]) => {
      const m = new RegExp(`^${prefix}\\.(\\d{1,3})\\.(code|name|minSpend|multiplierPct|kind|points)$`).exec(k);
      return m && v.trim() !== '' ? [Number(m[1])] : [];
    });
    return [...Array(Math.max(-1, ...filled) + 2).keys()];
  };
  return (
    <form method="post" action="/console/loyalty/rules" class="edit-form" id="rules-form">
      <Csrf actor={c.var.actor} />
      <input type="hidden" name="version" value={valueOf(form, 'version')} />
      <FormErrorsNotice t={t} form={form} />
      <Panel title={t('loyalty.tiers')}>
        <p class="hint">{t('loyalty.tiersHint')}</p>
        <FieldErrorText t={t} form={form} name="tiers" />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('loyalty.tierCode')}</th>
                <th scope="col">{t('loyalty.tierName')}</th>
                <th scope="col">{t('loyalty.minSpendYuan')}</th>
                <th scope="col">{t('loyalty.multiplierPct')}</th>
              </tr>
            </thead>
            <tbody>
              {rows('tiers').map((i) => (
                <tr>
                  <td><Input t={t} form={form} name={`tiers.${i}.code`} size={5} maxlength={16} /></td>
                  <td><Input t={t} form={form} name={`tiers.${i}.name`} size={12} maxlength={64} /></td>
                  <td><Input t={t} form={form} name={`tiers.${i}.minSpend`} size={10} inputmode="decimal" maxlength={20} /></td>
                  <td><Input t={t} form={form} name={`tiers.${i}.multiplierPct`} size={5} inputmode="numeric" maxlength={6} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
      <Panel title={t('loyalty.points')}>
        <div class="grid-form">
          <Input t={t} form={form} name="earn.pointsPerYuan" label={t('loyalty.pointsPerYuan')} size={6} inputmode="numeric" />
          <Input t={t} form={form} name="joinGift" label={t('loyalty.joinGift')} size={6} inputmode="numeric" />
          <Input t={t} form={form} name="tierWindowMonths" label={t('loyalty.tierWindowMonths')} size={4} inputmode="numeric" />
          <Input t={t} form={form} name="cash.pointsPerYuan" label={t('loyalty.cashPoints')} size={6} inputmode="numeric" />
          <Input t={t} form={form} name="cash.maxShareBps" label={t('loyalty.cashShareBps')} size={6} inputmode="numeric" />
          <Select t={t} form={form} name="expiry.kind" label={t('loyalty.expiry')} options={['relative', 'end_of_next_year', 'never']} prefix="expiry" />
          <Input t={t} form={form} name="expiry.months" label={t('loyalty.expiryMonths')} size={4} inputmode="numeric" />
          <Input t={t} form={form} name="offlineSpendLimit" label={t('loyalty.offlineLimit')} size={8} inputmode="numeric" hint={t('loyalty.offlineLimitHint')} />
          <Input t={t} form={form} name="maxPointsPerReceipt" label={t('loyalty.ceiling')} size={8} inputmode="numeric" />
          <Input t={t} form={form} name="vestingDays" label={t('loyalty.vestingDays')} size={4} inputmode="numeric" hint={t('loyalty.vestingDaysHint')} />
        </div>
      </Panel>
      <Panel title={t('loyalty.interactions')}>
        <p class="hint">{t('loyalty.interactionsHint')}</p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('loyalty.kind')}</th>
                <th scope="col">{t('loyalty.pointsEach')}</th>
                <th scope="col">{t('loyalty.once')}</th>
                <th scope="col">{t('loyalty.requiresProfile')}</th>
              </tr>
            </thead>
            <tbody>
              {rows('interactions').map((i) => (
                <tr>
                  <td><Input t={t} form={form} name={`interactions.${i}.kind`} size={14} maxlength={32} /></td>
                  <td><Input t={t} form={form} name={`interactions.${i}.points`} size={6} inputmode="numeric" /></td>
                  <td><Select t={t} form={form} name={`interactions.${i}.once`} options={['per_ref', 'per_day', 'ever']} prefix="once" /></td>
                  <td>
                    {PROFILE_FIELDS.map((f) => (
                      <label class="check">
                        <input type="checkbox" name={`interactions.${i}.requiresProfile`} value={f} checked={valuesOf(form, `interactions.${i}.requiresProfile`).includes(f)} /> {t.value('profile', f)}
                      </label>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
      {JSON_SECTIONS.map((name) => (
        <JsonSection t={t} form={form} name={name} />
      ))}
      <p class="actions">
        <button type="submit" data-action="save-rules">
          {t('loyalty.saveRules')}
        </button>
        <a href="/console/loyalty">{t('loyalty.cancel')}</a>
      </p>
    </form>
  );
}

export function loyaltyPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  app.get(
    '/loyalty',
    page(ctx, async (c) => {
      need(c, 'GET /rules');
      const { t, actor } = c.var;
      const [rules, templates] = await Promise.all([currentRules(ctx.couch), listTemplates(ctx.couch)]);
      const done = c.req.query('done');
      return c.html(
        <Layout t={t} title={t('loyalty.title')} here="/console/loyalty" actor={actor} screen="/console/loyalty">
          {done === 'rules' && <Notice kind="ok">{t('loyalty.savedRules', { v: rules.version })}</Notice>}
          {done === 'template' && <Notice kind="ok">{t('loyalty.savedTemplate', { id: (c.req.query('id') ?? '').slice(0, 40) })}</Notice>}
          <IssuedNotice t={t} query={(n) => c.req.query(n)} />
          <p class="actions">
            <span>
              {t('loyalty.inForce')} <strong data-rules-version>{rules.version}</strong>
            </span>
            {mayCall(actor, 'PUT /rules') && (
              <a href="/console/loyalty/rules/edit" class="button" data-action="edit-rules">
                {t('loyalty.editRules')}
              </a>
            )}
            {mayCall(actor, 'GET /rules/versions') && <a href="/console/loyalty/rules/versions">{t('loyalty.history')}</a>}
            <a href="/console/loyalty/tiers" data-action="tier-benefits">
              {t('tierBenefits.open')}
            </a>
          </p>
          <RulesView t={t} rules={rules} />
          <EarningView t={t} rules={rules} />
          {mayCall(actor, 'GET /products') && (
            <p>
              <a href="/console/loyalty/products" data-action="products">
                {t('products.title')}
              </a>
            </p>
          )}
          <Panel title={t('loyalty.templates')} id="templates">
            {mayCall(actor, 'PUT /templates/:id') && (
              <p>
                <a href="/console/loyalty/templates/new" data-action="new-template">
                  {t('loyalty.newTemplate')}
                </a>
              </p>
            )}
            <Table
              label={t('loyalty.templates')}
              empty={t('loyalty.noTemplates')}
              head={[t('loyalty.templateId'), t('loyalty.templateTitle'), t('loyalty.terms'), t('loyalty.validDays'), t('loyalty.version')]}
              rows={templates.map((tpl) => [<a href={`/console/loyalty/templates/${encodeURIComponent(tpl.id)}`}>{tpl.id}</a>, tpl.title, termsText(t, tpl), t.num(tpl.validDays), <span data-template-version={tpl.id}>{tpl.version}</span>])}
            />
          </Panel>
          {mayCall(actor, 'POST /coupons') && <IssueCouponForm t={t} actor={actor} templates={templates} />}
          {mayCall(actor, 'GET /catalogue') && (
            <p>
              <a href="/console/loyalty/catalogue" data-action="open-catalogue">
                {t('catalogue.open')}
              </a>
            </p>
          )}
        </Layout>,
      );
    }),
  );

  const editPage = (c: ConsoleContext, form: FormState, notice?: { kind: 'error' | 'info'; text: string }, status: 200 | 400 | 409 = 200) => {
    const { t, actor } = c.var;
    return c.html(
      <Layout t={t} title={t('loyalty.editTitle', { v: valueOf(form, 'version') })} here="/console/loyalty/rules/edit" actor={actor} screen="/console/loyalty">
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        {status === 409 && (
          <p>
            <a href="/console/loyalty/rules/edit" data-action="open-current">
              {t('loyalty.openCurrent')}
            </a>
          </p>
        )}
        <RulesForm t={t} c={c} form={form} />
      </Layout>,
      status,
    );
  };

  app.get(
    '/loyalty/rules/edit',
    page(ctx, async (c) => {
      need(c, 'PUT /rules');
      return editPage(c, { values: rulesToForm(await currentRules(ctx.couch)), errors: new Map() });
    }),
  );

  // The form does the work of PUT /admin/v1/rules: the same schema, the same service, the version it edited.
  app.post(
    '/loyalty/rules',
    formAction(ctx, 'PUT /rules', async (c) => {
      const { t } = c.var;
      const values = await formEntries(c, JSON_SECTIONS);
      const read = rulesFromForm(values);
      if (!read.ok) return editPage(c, { values, errors: read.errors }, undefined, 400);
      try {
        // The fields this form does not show (tier life and benefits, decision 019) are kept as
        // they are; those it shows are what the operator left in it, even emptied.
        const { tierLife, tierBenefits } = await currentRules(ctx.couch);
        const rules = { ...read.rules, ...(tierLife ? { tierLife } : {}), ...(tierBenefits ? { tierBenefits } : {}) };
        await setRules(ctx.couch, rules, await ctx.storeDbs(), { by: { kind: c.var.actor.kind, name: c.var.actor.name }, at: ctx.clock(), baseVersion: read.rules.version });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'stale_version')) throw err;
        const current = Number(err.details.currentVersion);
        return editPage(c, { values, errors: new Map() }, { kind: 'error', text: t('loyalty.stale', { base: read.rules.version, current }) }, 409);
      }
      return c.redirect('/console/loyalty?done=rules', 303);
    }),
  );

  app.get(
    '/loyalty/rules/versions',
    page(ctx, async (c) => {
      need(c, 'GET /rules/versions');
      const { t, actor } = c.var;
      const versions = await rulesHistory(ctx.couch);
      return c.html(
        <Layout t={t} title={t('loyalty.rulesHistory')} here="/console/loyalty/rules/versions" actor={actor} screen="/console/loyalty">
          <Panel title={t('loyalty.rulesHistory')} id="history">
            <History t={t} versions={versions} label={t('loyalty.rulesHistory')} />
          </Panel>
          <p>
            <a href="/console/loyalty">{t('loyalty.back')}</a>
          </p>
        </Layout>,
      );
    }),
  );
  return app;
}

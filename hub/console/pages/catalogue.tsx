import { Hono } from 'hono';
import { catalogueFromForm, catalogueToForm, REWARD_KINDS } from '../../../shared/catalogue/catalogue-form.ts';
import { AppError } from '../../../shared/errors.ts';
import { formErrors } from '../../../shared/form-errors.ts';
import { ImportPoolBodySchema, type PointsCatalogue } from '../../../shared/schemas/catalogue.ts';
import { catalogueHistory, currentCatalogue, setCatalogue } from '../../catalogue/catalogue.ts';
import { importPool, listPools } from '../../catalogue/pools.ts';
import type { HubContext } from '../../context.ts';
import { listTemplates } from '../../rules.ts';
import { Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formEntries, FormErrorsNotice, Input, Select, valueOf, VersionedForm, type FormState } from '../form-fields.tsx';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';

/*
 * The points catalogue and coupon pools on the loyalty screen (decision 020): the rewards with a
 * form of one row per reward (read-only without the permission to change it), its versions, the
 * pools with how many codes are claimed, and a form to import a partner's codes. The forms do
 * the work of PUT /admin/v1/catalogue and POST /admin/v1/coupon-pools with the same services.
 */

/** Rows for new rewards under the existing ones. */
const SPARE_ROWS = 2;

const rewardText = (t: Translator, r: PointsCatalogue['rewards'][number]) =>
  r.kind === 'coupon' ? t('catalogue.couponOf', { template: r.templateId }) : t('catalogue.giftOf', { sku: r.sku, stock: r.stock.map((s) => `${s.storeId} ${s.qty}`).join(', ') || '—' });

function CatalogueForm({ t, c, form, readOnly }: { t: Translator; c: ConsoleContext; form: FormState; readOnly: boolean }) {
  const rows = [...new Set(form.values.flatMap(([k]) => /^r(\d{1,3})\./.exec(k)?.[1] ?? []).map(Number))];
  const count = (rows.length ? Math.max(...rows) + 1 : 0) + (readOnly ? 0 : SPARE_ROWS);
  const fields = (
    <>
      <FormErrorsNotice t={t} form={form} />
      {Array.from({ length: count }, (_, i) => (
        <fieldset data-reward-row={i}>
          <legend>{t('catalogue.row', { n: i + 1 })}</legend>
          <div class="grid-form">
            <Select t={t} form={{ ...form, values: valueOf(form, `r${i}.kind`) ? form.values : [...form.values, [`r${i}.kind`, 'coupon']] }} name={`r${i}.kind`} label={t('catalogue.kind')} options={REWARD_KINDS} prefix="rewardKind" disabled={readOnly} />
            <Input t={t} form={form} name={`r${i}.id`} label={t('catalogue.id')} size={12} maxlength={40} readonly={readOnly} />
            <Input t={t} form={form} name={`r${i}.title`} label={t('catalogue.rewardTitle')} size={24} maxlength={80} readonly={readOnly} />
            <Input t={t} form={form} name={`r${i}.points`} label={t('catalogue.points')} size={7} inputmode="numeric" readonly={readOnly} />
            <Input t={t} form={form} name={`r${i}.templateId`} label={t('catalogue.template')} size={12} maxlength={40} readonly={readOnly} />
            <Input t={t} form={form} name={`r${i}.sku`} label={t('catalogue.sku')} size={12} maxlength={64} readonly={readOnly} />
            <Input t={t} form={form} name={`r${i}.stock`} label={t('catalogue.stock')} size={24} maxlength={400} readonly={readOnly} hint={t('catalogue.stockHint')} />
          </div>
        </fieldset>
      ))}
    </>
  );
  const save = (
    <button type="submit" data-action="save-catalogue">
      {t('catalogue.save')}
    </button>
  );
  return (
    <VersionedForm c={c} action="/console/loyalty/catalogue" id="catalogue-form" version={valueOf(form, 'version')} readOnly={readOnly} actions={save}>
      {fields}
    </VersionedForm>
  );
}

function PoolForm({ t, c, form, templates }: { t: Translator; c: ConsoleContext; form: FormState; templates: string[] }) {
  return (
    <form method="post" action="/console/loyalty/pools" class="edit-form" id="pool-form">
      <Csrf actor={c.var.actor} />
      <FormErrorsNotice t={t} form={form} />
      <div class="grid-form">
        <Input t={t} form={form} name="id" label={t('catalogue.poolId')} size={12} maxlength={40} />
        <Input t={t} form={form} name="title" label={t('catalogue.poolTitle')} size={24} maxlength={80} />
        <Select t={t} form={{ ...form, values: valueOf(form, 'templateId') ? form.values : [...form.values, ['templateId', templates[0] ?? '']] }} name="templateId" label={t('catalogue.template')} options={templates} prefix="template" />
        <Input t={t} form={form} name="limitPerMember" label={t('catalogue.perMember')} size={4} inputmode="numeric" />
      </div>
      <label>
        {t('catalogue.codes')}
        <textarea name="csv" rows={6} cols={30} maxlength={2_000_000}>
          {valueOf(form, 'csv')}
        </textarea>
      </label>
      <p class="hint">{t('catalogue.codesHint')}</p>
      <p class="actions">
        <button type="submit" data-action="import-pool">
          {t('catalogue.importPool')}
        </button>
      </p>
    </form>
  );
}

export function cataloguePages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  const screen = async (c: ConsoleContext, opts: { catalogueForm?: FormState; poolForm?: FormState; notice?: { kind: 'ok' | 'error'; text: string }; status?: 200 | 400 | 409 | 422 } = {}) => {
    const { t, actor } = c.var;
    const catalogue = await currentCatalogue(ctx.couch);
    const [versions, pools, templates] = await Promise.all([
      mayCall(actor, 'GET /catalogue/versions') ? catalogueHistory(ctx.couch) : [],
      mayCall(actor, 'GET /coupon-pools') ? listPools(ctx.couch) : undefined,
      listTemplates(ctx.couch),
    ]);
    const form = opts.catalogueForm ?? { values: catalogueToForm(catalogue), errors: new Map() };
    return c.html(
      <Layout t={t} title={t('catalogue.title')} here="/console/loyalty/catalogue" actor={actor} screen="/console/loyalty">
        {opts.notice && <Notice kind={opts.notice.kind}>{opts.notice.text}</Notice>}
        <Panel title={t('catalogue.rewards', { v: catalogue.version })} id="rewards">
          <Table
            label={t('catalogue.title')}
            empty={t('catalogue.none')}
            head={[t('catalogue.id'), t('catalogue.rewardTitle'), t('catalogue.points'), t('catalogue.kind')]}
            rows={catalogue.rewards.map((r) => [<span data-reward={r.id}>{r.id}</span>, r.title, t.num(r.points), rewardText(t, r)])}
          />
        </Panel>
        <Panel title={t('catalogue.edit')} id="edit">
          <CatalogueForm t={t} c={c} form={form} readOnly={!mayCall(actor, 'PUT /catalogue')} />
        </Panel>
        {versions.length > 0 && (
          <Panel title={t('catalogue.versions')} id="versions">
            <Table
              label={t('catalogue.versions')}
              empty={t('catalogue.none')}
              head={[t('loyalty.version'), t('catalogue.by'), t('catalogue.at'), t('catalogue.count')]}
              rows={versions.map((v) => [String(v.version), typeof (v.by as { name?: unknown })?.name === 'string' ? String((v.by as { name: string }).name) : '—', typeof v.at === 'string' ? t.time(v.at) : '—', t.num(v.rewards)])}
            />
          </Panel>
        )}
        {pools && (
          <Panel title={t('catalogue.pools')} id="pools">
            <Table
              label={t('catalogue.pools')}
              empty={t('catalogue.noPools')}
              head={[t('catalogue.poolId'), t('catalogue.poolTitle'), t('catalogue.template'), t('catalogue.perMember'), t('catalogue.claimed')]}
              rows={pools.map((p) => [<span data-pool={p.id}>{p.id}</span>, p.title, p.templateId, t.num(p.limitPerMember), <span data-claimed={p.claimed}>{t('catalogue.claimedOf', { claimed: t.num(p.claimed), size: t.num(p.size) })}</span>])}
            />
            {mayCall(actor, 'POST /coupon-pools') && <PoolForm t={t} c={c} form={opts.poolForm ?? { values: [['limitPerMember', '1']], errors: new Map() }} templates={templates.map((x) => x.id)} />}
          </Panel>
        )}
        <p>
          <a href="/console/loyalty">{t('loyalty.back')}</a>
        </p>
      </Layout>,
      opts.status ?? 200,
    );
  };

  app.get(
    '/loyalty/catalogue',
    page(ctx, (c) => {
      need(c, 'GET /catalogue');
      const done = c.req.query('done');
      return screen(c, done === 'catalogue' || done === 'pool' ? { notice: { kind: 'ok', text: c.var.t(done === 'pool' ? 'catalogue.poolDone' : 'catalogue.saved') } } : {});
    }),
  );

  app.post(
    '/loyalty/catalogue',
    formAction(ctx, 'PUT /catalogue', async (c) => {
      const { t } = c.var;
      const values = await formEntries(c);
      const read = catalogueFromForm(values);
      if (!read.ok) return screen(c, { catalogueForm: { values, errors: read.errors }, status: 400 });
      try {
        await setCatalogue(ctx.couch, read.catalogue, await ctx.storeDbs(), { by: { kind: c.var.actor.kind, name: c.var.actor.name }, at: ctx.clock(), baseVersion: read.baseVersion });
      } catch (err) {
        if (!(err instanceof AppError) || (err.code !== 'stale_version' && err.code !== 'template_not_found')) throw err;
        const text = err.code === 'stale_version' ? t('loyalty.stale', { base: read.baseVersion, current: Number(err.details.currentVersion) }) : err.message;
        return screen(c, { catalogueForm: { values, errors: new Map() }, notice: { kind: 'error', text }, status: err.code === 'stale_version' ? 409 : 400 });
      }
      return c.redirect('/console/loyalty/catalogue?done=catalogue', 303);
    }),
  );

  app.post(
    '/loyalty/pools',
    formAction(ctx, 'POST /coupon-pools', async (c) => {
      const values = await formEntries(c);
      const v = (k: string) => values.find(([n]) => n === k)?.[1]?.trim() ?? '';
      const per = v('limitPerMember');
      const parsed = ImportPoolBodySchema.safeParse({ id: v('id'), title: v('title'), templateId: v('templateId'), limitPerMember: /^\d{1,4}$/.test(per) ? Number(per) : per, csv: values.find(([n]) => n === 'csv')?.[1] ?? '' });
      if (!parsed.success) return screen(c, { poolForm: { values, errors: formErrors(parsed.error.issues, (p) => String(p[0] ?? 'id')) }, status: 400 });
      c.set('auditTarget', parsed.data.id);
      try {
        await importPool(ctx, parsed.data, { kind: c.var.actor.kind, name: c.var.actor.name });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        return screen(c, { poolForm: { values, errors: new Map() }, notice: { kind: 'error', text: err.message }, status: err.status as 409 });
      }
      return c.redirect('/console/loyalty/catalogue?done=pool#pools', 303);
    }),
  );
  return app;
}

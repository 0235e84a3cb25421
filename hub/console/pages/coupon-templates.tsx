import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { TERM_KINDS, templateFromForm, templateToForm } from '../../../shared/loyalty/template-form.ts';
import { CouponTemplateSchema } from '../../../shared/schemas/coupon.ts';
import type { HubContext } from '../../context.ts';
import { putTemplate, templateById, templateHistory } from '../../rules.ts';
import { Notice, Panel } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formEntries, FormErrorsNotice, Input, Select, valueOf, VersionedForm, type FormState } from '../form-fields.tsx';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { History } from './loyalty.tsx';

/*
 * Coupon templates: a new one, one template's edit form (read-only without templates:write) and
 * its version history. The form does the work of PUT /admin/v1/templates/:id: the same schema,
 * the same service, the version it was opened at (0 for a new one), refused when stale.
 */

const EMPTY: [string, string][] = [['version', '0'], ['terms.kind', 'cash'], ['validDays', '30']];

function TemplateForm({ t, c, form, isNew, readOnly }: { t: Translator; c: ConsoleContext; form: FormState; isNew: boolean; readOnly: boolean }) {
  const fields = (
    <>
      <FormErrorsNotice t={t} form={form} />
      <div class="grid-form">
        <Input t={t} form={form} name="id" label={t('loyalty.templateId')} size={14} maxlength={40} readonly={!isNew || readOnly} hint={isNew ? t('loyalty.templateIdHint') : undefined} />
        <Input t={t} form={form} name="title" label={t('loyalty.templateTitle')} size={30} maxlength={80} readonly={readOnly} />
        <Input t={t} form={form} name="validDays" label={t('loyalty.validDays')} size={5} inputmode="numeric" readonly={readOnly} />
      </div>
      <fieldset>
        <legend>{t('loyalty.terms')}</legend>
        <div class="grid-form">
          <Select t={t} form={form} name="terms.kind" label={t('loyalty.termsKind')} options={TERM_KINDS} prefix="terms" disabled={readOnly} />
          <Input t={t} form={form} name="terms.value" label={t('loyalty.termsValue')} size={8} inputmode="decimal" readonly={readOnly} />
          <Input t={t} form={form} name="terms.percentOff" label={t('loyalty.termsPercent')} size={4} inputmode="numeric" readonly={readOnly} />
          <Input t={t} form={form} name="terms.cap" label={t('loyalty.termsCap')} size={8} inputmode="decimal" readonly={readOnly} />
          <Input t={t} form={form} name="terms.giftSku" label={t('loyalty.termsGift')} size={12} maxlength={64} readonly={readOnly} />
          <Input t={t} form={form} name="terms.minSpend" label={t('loyalty.termsMinSpend')} size={8} inputmode="decimal" readonly={readOnly} />
        </div>
        <p class="hint">{t('loyalty.termsHint')}</p>
      </fieldset>
      <div class="grid-form">
        <Input t={t} form={form} name="scope.stores" label={t('loyalty.scopeStores')} size={24} maxlength={200} readonly={readOnly} hint={t('loyalty.scopeHint')} />
        <Input t={t} form={form} name="scope.categories" label={t('loyalty.scopeCategories')} size={24} maxlength={200} readonly={readOnly} hint={t('loyalty.scopeHint')} />
      </div>
    </>
  );
  const actions = (
    <>
      <button type="submit" data-action="save-template">
        {t('loyalty.saveTemplate')}
      </button>
      <a href="/console/loyalty">{t('loyalty.cancel')}</a>
    </>
  );
  return (
    <VersionedForm c={c} action="/console/loyalty/templates" id="template-form" version={valueOf(form, 'version')} readOnly={readOnly} actions={actions}>
      {fields}
    </VersionedForm>
  );
}

export function couponTemplatePages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  const formPage = async (c: ConsoleContext, form: FormState, opts: { isNew: boolean; notice?: { kind: 'error' | 'ok'; text: string }; status?: 200 | 400 | 409 }) => {
    const { t, actor } = c.var;
    const id = valueOf(form, 'id');
    const readOnly = !mayCall(actor, 'PUT /templates/:id');
    const versions = !opts.isNew && CouponTemplateSchema.shape.id.safeParse(id).success ? await templateHistory(ctx.couch, id) : [];
    const title = opts.isNew ? t('loyalty.newTemplate') : t('loyalty.templateTitleOf', { id });
    return c.html(
      <Layout t={t} title={title} here={opts.isNew ? '/console/loyalty/templates/new' : `/console/loyalty/templates/${encodeURIComponent(id)}`} actor={actor} screen="/console/loyalty">
        {opts.notice && <Notice kind={opts.notice.kind}>{opts.notice.text}</Notice>}
        {opts.status === 409 && CouponTemplateSchema.shape.id.safeParse(id).success && (
          <p>
            <a href={`/console/loyalty/templates/${encodeURIComponent(id)}`} data-action="open-current">
              {t('loyalty.openCurrent')}
            </a>
          </p>
        )}
        <Panel title={title}>
          <TemplateForm t={t} c={c} form={form} isNew={opts.isNew} readOnly={readOnly} />
        </Panel>
        {!opts.isNew && (
          <Panel title={t('loyalty.templateHistory')} id="history">
            <History t={t} versions={versions} label={t('loyalty.templateHistory')} />
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
    '/loyalty/templates/new',
    page(ctx, (c) => {
      need(c, 'PUT /templates/:id');
      return formPage(c, { values: EMPTY, errors: new Map() }, { isNew: true });
    }),
  );

  app.get(
    '/loyalty/templates/:id',
    page(ctx, async (c) => {
      need(c, 'GET /templates/:id/versions');
      const id = c.req.param('id') ?? '';
      const template = CouponTemplateSchema.shape.id.safeParse(id).success ? await templateById(ctx.couch, id) : undefined;
      if (!template) throw new AppError('not_found', `no coupon template '${id.slice(0, 40)}'`);
      return formPage(c, { values: templateToForm(template), errors: new Map() }, { isNew: false });
    }),
  );

  app.post(
    '/loyalty/templates',
    formAction(ctx, 'PUT /templates/:id', async (c) => {
      const { t } = c.var;
      const values = await formEntries(c);
      const read = templateFromForm(values);
      const isNew = read.ok ? read.baseVersion === 0 : valueOf({ values, errors: new Map() }, 'version') === '0';
      if (!read.ok) return formPage(c, { values, errors: read.errors }, { isNew, status: 400 });
      c.set('auditTarget', read.template.id);
      try {
        await putTemplate(ctx.couch, read.template, await ctx.storeDbs(), { by: { kind: c.var.actor.kind, name: c.var.actor.name }, at: ctx.clock(), baseVersion: read.baseVersion });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'stale_version')) throw err;
        const text = read.baseVersion === 0 ? t('loyalty.templateExists', { id: read.template.id }) : t('loyalty.stale', { base: read.baseVersion, current: Number(err.details.currentVersion) });
        return formPage(c, { values, errors: new Map() }, { isNew, notice: { kind: 'error', text }, status: 409 });
      }
      return c.redirect(`/console/loyalty?done=template&id=${encodeURIComponent(read.template.id)}#templates`, 303);
    }),
  );
  return app;
}

import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import type { FieldErrors } from '../../../shared/form-errors.ts';
import type { TagPreview } from '../../../shared/profile/tag-preview.ts';
import { TAG_CLASSES, TAG_STATUSES, tagRuleErrors, TagRuleSchema, type Condition, type TagRule } from '../../../shared/profile/tag-rules.ts';
import type { HubContext } from '../../context.ts';
import { previewFor } from '../../tags/routes.ts';
import { listTagRules, putTagRule, retireTagRule, tagRuleByCode, tagRuleHistory } from '../../tags/tag-rule-store.ts';
import { Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { errorText, formEntries, FormErrorsNotice, Input, Select, valueOf, VersionedForm, type FormState } from '../form-fields.tsx';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { History } from './loyalty.tsx';

/*
 * Tags (issue 12, decision 022): the tag rules by class, one rule's form (fields for its code,
 * class, names, window and status; its condition as JSON, each problem listed with where in the
 * tree it is), a preview of the form as it stands (how many members, a sample), the history,
 * and retiring. The forms do the work of PUT /admin/v1/tags/rules/:code (POST for a new one),
 * POST /tags/preview and POST /tags/rules/:code/retire: the same schema, service and checks.
 */

const CODE = /^[a-z][a-z0-9_]{1,47}$/;
const OP_WORDS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'between', 'in', 'notIn', 'containsAny', 'containsAll', 'containsNone', 'topIncludes']);

/** A condition in one line, the operators in the page's language. */
export function conditionText(t: Translator, c: Condition): string {
  if ('all' in c) return c.all.length === 1 ? conditionText(t, c.all[0]!) : `(${c.all.map((x) => conditionText(t, x)).join(` ${t('tags.and')} `)})`;
  if ('any' in c) return c.any.length === 1 ? conditionText(t, c.any[0]!) : `(${c.any.map((x) => conditionText(t, x)).join(` ${t('tags.or')} `)})`;
  if ('not' in c) return `${t('tags.not')} ${conditionText(t, c.not)}`;
  const op = OP_WORDS.has(c.op) ? t.value('tagOp', c.op) : c.op;
  const key = 'key' in c && c.key !== undefined && c.op !== 'topIncludes' ? `[${c.key}]` : '';
  const left = `${c.field}${key}`;
  if (c.op === 'between') return `${left} ${op} ${c.min}–${c.max}`;
  if (c.op === 'topIncludes') return `${left} ${t('tags.top', { n: c.n, key: c.key })}`;
  if ('values' in c) return `${left} ${op} ${c.values.join(', ')}`;
  const v = c.value;
  return `${left} ${op} ${typeof v === 'object' ? t('tags.monthOfDay', { k: v.month }) : v}`;
}

const toForm = (r: TagRule): [string, string][] => [
  ['version', String(r.version)],
  ['code', r.code],
  ['class', r.class],
  ['names.zh-CN', r.names['zh-CN']],
  ['names.en', r.names.en],
  ['about', r.about ?? ''],
  ['valid.from', r.valid?.from ?? ''],
  ['valid.to', r.valid?.to ?? ''],
  ['status', r.status],
  ['condition', JSON.stringify(r.condition, null, 2)],
];

const NEW_FORM: [string, string][] = [['version', '0'], ['class', 'behaviour'], ['status', 'active'], ['condition', '{ "field": "orders", "op": "ge", "value": 1 }']];

/** A form's rule, or its errors: per field, and every problem of the condition with its place in the tree. */
export function tagRuleFromForm(values: readonly (readonly [string, string])[]): { ok: true; rule: TagRule; version: number } | { ok: false; errors: FieldErrors; conditionErrors: { path: string; code: string; params?: Record<string, string> }[] } {
  const v = (name: string) => (values.find(([k]) => k === name)?.[1] ?? '').trim();
  const errors: FieldErrors = new Map();
  let condition: unknown;
  try {
    condition = JSON.parse(v('condition'));
  } catch {
    errors.set('condition', { code: 'json' });
  }
  const from = v('valid.from');
  const to = v('valid.to');
  const input = {
    code: v('code'),
    class: v('class'),
    names: { 'zh-CN': v('names.zh-CN'), en: v('names.en') },
    ...(v('about') ? { about: v('about') } : {}),
    condition,
    ...(from || to ? { valid: { ...(from ? { from } : {}), ...(to ? { to } : {}) } } : {}),
    status: v('status'),
  };
  const version = Number(v('version'));
  if (!Number.isInteger(version) || version < 0) errors.set('version', { code: 'whole' });
  const parsed = TagRuleSchema.safeParse(input);
  if (parsed.success && errors.size === 0) return { ok: true, rule: parsed.data, version };
  const conditionErrors: { path: string; code: string; params?: Record<string, string> }[] = [];
  if (!errors.has('condition'))
    for (const e of tagRuleErrors(input)) {
      const field = e.path.startsWith('condition') ? 'condition' : e.path;
      const code = e.rule ?? (e.path === 'code' ? 'format' : 'invalid');
      if (field === 'condition') conditionErrors.push({ path: e.path, code, ...(e.field !== undefined ? { params: { field: e.field } } : {}) });
      if (!errors.has(field)) errors.set(field, { code, ...(e.field !== undefined ? { params: { field: e.field } } : {}) });
    }
  return { ok: false, errors, conditionErrors };
}

type FormPage = FormState & { conditionErrors?: { path: string; code: string; params?: Record<string, string> }[] };

function TagForm({ t, c, form, isNew, readOnly }: { t: Translator; c: ConsoleContext; form: FormPage; isNew: boolean; readOnly: boolean }) {
  const fields = (
    <>
      <FormErrorsNotice t={t} form={form} />
      <div class="grid-form">
        <Input t={t} form={form} name="code" label={t('tags.code')} size={24} maxlength={48} readonly={!isNew || readOnly} hint={isNew ? t('tags.codeHint') : undefined} />
        <Select t={t} form={form} name="class" label={t('tags.class')} options={TAG_CLASSES} prefix="tagClass" disabled={readOnly} />
        <Select t={t} form={form} name="status" label={t('tags.status')} options={TAG_STATUSES} prefix="tagStatus" disabled={readOnly} />
        <Input t={t} form={form} name="names.zh-CN" label={t('tags.nameZh')} size={20} maxlength={80} readonly={readOnly} />
        <Input t={t} form={form} name="names.en" label={t('tags.nameEn')} size={24} maxlength={80} readonly={readOnly} />
        <Input t={t} form={form} name="valid.from" label={t('tags.validFrom')} size={10} maxlength={10} readonly={readOnly} hint="YYYY-MM-DD" />
        <Input t={t} form={form} name="valid.to" label={t('tags.validTo')} size={10} maxlength={10} readonly={readOnly} hint="YYYY-MM-DD" />
      </div>
      <Input t={t} form={form} name="about" label={t('tags.about')} size={40} maxlength={300} readonly={readOnly} />
      <label>
        {t('tags.condition')}
        <textarea name="condition" rows={12} cols={60} style="display:block;width:100%;box-sizing:border-box;font-family:ui-monospace,monospace" readonly={readOnly} spellcheck={false} aria-invalid={form.errors.has('condition') ? 'true' : undefined}>
          {valueOf(form, 'condition')}
        </textarea>
        <small>{t('tags.conditionHint')}</small>
      </label>
      {form.errors.get('condition')?.code === 'json' && (
        <small class="field-error" data-error-for="condition">
          {errorText(t, { code: 'json' })}
        </small>
      )}
      {form.conditionErrors && form.conditionErrors.length > 0 && (
        <ul class="field-error" data-condition-errors>
          {form.conditionErrors.map((e) => (
            <li data-error-path={e.path}>
              <code>{e.path}</code> {errorText(t, e)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
  const actions = (
    <>
      <button type="submit" name="action" value="save" data-action="save-tag">
        {t('tags.save')}
      </button>
      {mayCall(c.var.actor, 'POST /tags/preview') && (
        <button type="submit" name="action" value="preview" class="secondary" data-action="preview-tag">
          {t('tags.preview')}
        </button>
      )}
      <a href="/console/tags">{t('tags.back')}</a>
    </>
  );
  return (
    <VersionedForm c={c} action="/console/tags/save" id="tag-form" version={valueOf(form, 'version')} readOnly={readOnly} actions={actions}>
      <input type="hidden" name="isNew" value={isNew ? '1' : ''} />
      {fields}
    </VersionedForm>
  );
}

function PreviewPanel({ t, preview }: { t: Translator; preview: TagPreview & { sampleHidden?: true } }) {
  return (
    <Panel title={t('tags.previewTitle')} id="preview">
      <p data-preview-count={preview.count} data-preview-evaluated={preview.evaluated}>
        {t('tags.previewResult', { count: t.num(preview.count), evaluated: t.num(preview.evaluated), day: t.day(preview.day) })}
      </p>
      {preview.sampleHidden ? (
        <p class="hint">{t('tags.sampleHidden')}</p>
      ) : (
        preview.sample.length > 0 && (
          <p>
            {t('tags.sample')}{' '}
            {preview.sample.map((id) => (
              <code data-sample-member={id}>{id} </code>
            ))}
          </p>
        )
      )}
    </Panel>
  );
}

export function tagPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  app.get(
    '/tags',
    page(ctx, async (c) => {
      need(c, 'GET /tags/rules');
      const { t, actor } = c.var;
      const rules = await listTagRules(ctx.couch);
      const done = c.req.query('done');
      const code = (c.req.query('code') ?? '').slice(0, 48);
      const lang = t.lang;
      return c.html(
        <Layout t={t} title={t('tags.title')} here="/console/tags" actor={actor} screen="/console/tags">
          {done === 'saved' && <Notice kind="ok">{t('tags.saved', { code })}</Notice>}
          {done === 'retired' && <Notice kind="ok">{t('tags.retiredNotice', { code })}</Notice>}
          <p class="actions">
            <span>{t('tags.count', { n: rules.filter((r) => r.status === 'active').length, all: rules.length })}</span>
            {mayCall(actor, 'POST /tags/rules') && (
              <a href="/console/tags/new" class="button" data-action="new-tag">
                {t('tags.new')}
              </a>
            )}
          </p>
          {TAG_CLASSES.map((cls) => (
            <Panel title={t.value('tagClass', cls)} id={`class-${cls}`}>
              <Table
                label={t.value('tagClass', cls)}
                empty={t('tags.none')}
                head={[t('tags.name'), t('tags.code'), t('tags.conditionShort'), t('tags.status'), t('tags.version')]}
                rows={rules
                  .filter((r) => r.class === cls)
                  .map((r) => [
                    <a href={`/console/tags/${r.code}`} data-tag={r.code}>
                      {r.names[lang]}
                    </a>,
                    <code>{r.code}</code>,
                    <small>{conditionText(t, r.condition)}</small>,
                    <span data-tag-status={r.code}>{t.value('tagStatus', r.status)}</span>,
                    r.version,
                  ])}
              />
            </Panel>
          ))}
        </Layout>,
      );
    }),
  );

  const editPage = async (c: ConsoleContext, form: FormPage, opts: { isNew: boolean; notice?: { kind: 'error' | 'ok' | 'info'; text: string }; status?: 200 | 400 | 409; preview?: TagPreview & { sampleHidden?: true }; rule?: TagRule }) => {
    const { t, actor } = c.var;
    const code = valueOf(form, 'code');
    const readOnly = !mayCall(actor, opts.isNew ? 'POST /tags/rules' : 'PUT /tags/rules/:code');
    const versions = !opts.isNew && CODE.test(code) ? await tagRuleHistory(ctx.couch, code) : [];
    return c.html(
      <Layout t={t} title={opts.isNew ? t('tags.newTitle') : t('tags.editTitle', { code })} here={opts.isNew ? '/console/tags/new' : `/console/tags/${code}`} actor={actor} screen="/console/tags">
        {opts.notice && <Notice kind={opts.notice.kind}>{opts.notice.text}</Notice>}
        {opts.status === 409 && !opts.isNew && (
          <p>
            <a href={`/console/tags/${code}`} data-action="open-current">
              {t('tags.openCurrent')}
            </a>
          </p>
        )}
        {opts.preview && <PreviewPanel t={t} preview={opts.preview} />}
        <TagForm t={t} c={c} form={form} isNew={opts.isNew} readOnly={readOnly} />
        {opts.rule && opts.rule.status === 'active' && mayCall(actor, 'POST /tags/rules/:code/retire') && (
          <form method="post" action={`/console/tags/${opts.rule.code}/retire`} class="inline">
            <Csrf actor={actor} />
            <input type="hidden" name="version" value={String(opts.rule.version)} />
            <button type="submit" class="danger" data-action="retire-tag">
              {t('tags.retire')}
            </button>
          </form>
        )}
        {opts.rule && !opts.preview && mayCall(actor, 'GET /tags/rules/:code/preview') && (
          <p>
            <a href={`/console/tags/${opts.rule.code}?preview=1`} data-action="preview-stored">
              {t('tags.previewStored')}
            </a>
          </p>
        )}
        {!opts.isNew && (
          <Panel title={t('tags.history')} id="history">
            <History t={t} versions={versions} label={t('tags.history')} />
          </Panel>
        )}
      </Layout>,
      opts.status ?? 200,
    );
  };

  app.get(
    '/tags/new',
    page(ctx, async (c) => {
      need(c, 'POST /tags/rules');
      return editPage(c, { values: NEW_FORM, errors: new Map() }, { isNew: true });
    }),
  );

  app.get(
    '/tags/:code',
    page(ctx, async (c) => {
      need(c, 'GET /tags/rules/:code');
      const code = c.req.param('code') ?? '';
      const rule = CODE.test(code) ? await tagRuleByCode(ctx.couch, code) : undefined;
      if (!rule) throw new AppError('tag_rule_not_found', c.var.t('tags.notFound'));
      const preview = c.req.query('preview') === '1' ? (need(c, 'GET /tags/rules/:code/preview'), previewFor(ctx, c.var.actor.scope, rule)) : undefined;
      return editPage(c, { values: toForm(rule), errors: new Map() }, { isNew: false, rule, ...(preview ? { preview } : {}) });
    }),
  );

  // Save (the work of PUT /tags/rules/:code, or POST /tags/rules for a new one) or preview the form as it stands.
  app.post(
    '/tags/save',
    formAction(ctx, 'PUT /tags/rules/:code', async (c) => {
      const { t, actor } = c.var;
      const values = await formEntries(c);
      const isNew = values.some(([k, v]) => k === 'isNew' && v === '1');
      const action = values.find(([k]) => k === 'action')?.[1] ?? 'save';
      const read = tagRuleFromForm(values);
      if (!read.ok) return editPage(c, { values, errors: read.errors, conditionErrors: read.conditionErrors }, { isNew, status: 400 });
      c.set('auditTarget', read.rule.code);
      if (action === 'preview') {
        need(c, 'POST /tags/preview');
        return editPage(c, { values, errors: new Map() }, { isNew, preview: previewFor(ctx, actor.scope, read.rule) });
      }
      if (isNew) need(c, 'POST /tags/rules');
      try {
        await putTagRule(ctx.couch, read.rule, { by: { kind: actor.kind, name: actor.name }, at: ctx.clock(), baseVersion: read.version }, isNew ? 'create' : 'put');
        void ctx.tagRulesChanged?.();
      } catch (err) {
        if (err instanceof AppError && err.code === 'tag_rule_exists') return editPage(c, { values, errors: new Map([['code', { code: 'tagExists' }]]) }, { isNew, status: 409 });
        if (!(err instanceof AppError && err.code === 'stale_version')) throw err;
        return editPage(c, { values, errors: new Map() }, { isNew, status: 409, notice: { kind: 'error', text: t('tags.stale', { base: read.version, current: Number(err.details.currentVersion) }) } });
      }
      return c.redirect(`/console/tags?done=saved&code=${read.rule.code}`, 303);
    }),
  );

  app.post(
    '/tags/:code/retire',
    formAction(ctx, 'POST /tags/rules/:code/retire', async (c) => {
      const { t, actor } = c.var;
      const code = c.req.param('code') ?? '';
      if (!CODE.test(code)) throw new AppError('tag_rule_not_found', t('tags.notFound'));
      const version = Number(valueOf({ values: await formEntries(c), errors: new Map() }, 'version'));
      try {
        await retireTagRule(ctx.couch, code, { by: { kind: actor.kind, name: actor.name }, at: ctx.clock(), baseVersion: Number.isInteger(version) ? version : undefined });
        void ctx.tagRulesChanged?.();
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'stale_version')) throw err;
        const rule = await tagRuleByCode(ctx.couch, code);
        return editPage(c, { values: rule ? toForm(rule) : [], errors: new Map() }, { isNew: false, status: 409, ...(rule ? { rule } : {}), notice: { kind: 'error', text: t('tags.stale', { base: version, current: Number(err.details.currentVersion) }) } });
      }
      return c.redirect(`/console/tags?done=retired&code=${code}`, 303);
    }),
  );
  return app;
}

import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { own } from '../../../shared/own.ts';
import { columnField, FORMAT_CHOICES, PRICE_UNITS, PRODUCT_FIELDS, productFormDefaults, productMappingFromForm } from '../../../shared/products/mapping-form.ts';
import { safeText } from '../../../shared/safe-text.ts';
import type { HubContext } from '../../context.ts';
import { listProducts, type ProductImportSummary } from '../../products/service.ts';
import { ProductImportJobs, type ProductImportJob } from '../../products/import-jobs.ts';
import { pathId } from '../../routes/path-param.ts';
import { z } from 'zod';
import { Csrf, Notice, Panel, Stat, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { FormErrorsNotice, Input, Select, type FormState } from '../form-fields.tsx';
import type { MessageKey, Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { MAX_UPLOAD_BYTES, uploadedFile, uploadLimit } from '../upload.ts';

/*
 * The product master on the loyalty screen (decision 017): the list (GET /admin/v1/products),
 * and the import form, which does the work of POST /admin/v1/products/imports with the file sent
 * instead of a path on the hub and the mapping filled in on the page. The form's answer waits a
 * moment for the import: a small file answers with its summary; a large one with a page that
 * shows how far it is (reloading itself, no script needed) and then its summary.
 */

/** How long the form's answer waits for the import before it shows its progress instead. */
const ANSWER_WAIT_MS = 3000;
/** The progress page reloads itself this often while the import runs. */
const REFRESH_SECONDS = 2;
const JobId = z.string().regex(/^[0-9a-f-]{13}$/);

const yuan = (cents: number) => `¥${(cents / 100).toLocaleString('en', { minimumFractionDigits: cents % 100 === 0 ? 0 : 2 })}`;

/** Errors of a refused file, worded per language from their stable code. */
const FILE_ERRORS: ReadonlyMap<string, MessageKey> = new Map<string, MessageKey>([
  ['import_column_missing', 'products.err.import_column_missing'],
  ['file_not_readable', 'products.err.file_not_readable'],
  ['validation_failed', 'products.err.validation_failed'],
  ['body_too_large', 'products.err.body_too_large'],
]);

interface Refusal {
  code: string;
  message: string;
}

const FIELD_LABELS: Record<(typeof PRODUCT_FIELDS)[number], MessageKey> = { sku: 'products.sku', name: 'products.name', category: 'products.category', brand: 'products.brand', price: 'products.price' };

function ImportForm({ t, c, form }: { t: Translator; c: ConsoleContext; form: FormState }) {
  return (
    <Panel title={t('products.import')} id="import">
      <form method="post" action="/console/loyalty/products/imports" enctype="multipart/form-data" class="edit-form" id="products-import">
        <Csrf actor={c.var.actor} />
        <FormErrorsNotice t={t} form={form} />
        <div class="grid-form">
          <label class="grow">
            {t('products.file')}
            <input type="file" name="file" required accept=".csv,.ndjson,.jsonl,.json,.txt,text/csv" />
          </label>
          <Select t={t} form={form} name="format" label={t('products.format')} options={FORMAT_CHOICES} prefix="productFormat" />
        </div>
        <p class="hint">{t('products.mappingHint')}</p>
        <div class="grid-form" data-mapping>
          {PRODUCT_FIELDS.map((f) => (
            <Input t={t} form={form} name={columnField(f)} label={`${t(FIELD_LABELS[f])}${f === 'sku' ? ' *' : ''}`} size={14} maxlength={128} />
          ))}
          <Select t={t} form={form} name="priceUnit" label={t('products.priceUnit')} options={PRICE_UNITS} prefix="priceUnit" />
          <Input t={t} form={form} name="categorySeparator" label={t('products.separator')} size={4} maxlength={8} />
        </div>
        <p class="actions">
          <button type="submit" data-action="import-products">
            {t('products.importSubmit')}
          </button>
        </p>
        <p class="hint">{t('products.importHint', { mb: MAX_UPLOAD_BYTES / 1024 / 1024 })}</p>
      </form>
    </Panel>
  );
}

/** What an import did: rows read, imported (new, changed), refused with the first reasons. */
function Summary({ t, s, file }: { t: Translator; s: ProductImportSummary; file: string }) {
  return (
    <Panel title={t('products.summary', { file })} id="import-summary">
      <div class="stats" data-import-summary>
        <div data-count="rows">
          <Stat label={t('products.rows')} value={t.num(s.rows)} />
        </div>
        <div data-count="imported">
          <Stat label={t('products.imported')} value={t.num(s.imported)} tone="good" />
        </div>
        <div data-count="added">
          <Stat label={t('products.added')} value={t.num(s.added)} />
        </div>
        <div data-count="changed">
          <Stat label={t('products.changed')} value={t.num(s.changed)} />
        </div>
        <div data-count="rejected">
          <Stat label={t('products.rejected')} value={t.num(s.rejected)} tone={s.rejected > 0 ? 'bad' : undefined} />
        </div>
      </div>
      {s.rejects.length > 0 && <p class="hint">{t('products.rejects', { n: s.rejects.length, of: t.num(s.rejected) })}</p>}
      {s.rejects.length > 0 && (
        <Table
          label={t('products.rejected')}
          empty="—"
          head={[t('oneId.rowNo'), t('oneId.reason')]}
          rows={s.rejects.map((r) => [<span data-reject-row={r.rowNo}>{r.rowNo}</span>, <span class="reason">{r.reason}</span>])}
        />
      )}
    </Panel>
  );
}

/** How far a running import is: rows read, and the share of the file's bytes. */
function ImportProgress({ t, job }: { t: Translator; job: ProductImportJob }) {
  const pct = job.totalBytes > 0 ? Math.min(100, Math.round((job.bytes / job.totalBytes) * 100)) : 0;
  return (
    <Panel title={t('products.running', { file: job.file })} id="import-progress">
      <div class="import-progress" data-import-running={job.id}>
        <progress max={100} value={pct} aria-label={t('products.running', { file: job.file })}></progress>
        <p>
          <span data-field="percent">{`${pct}%`}</span> · {t('products.rowsSoFar', { n: t.num(job.rows) })}
        </p>
        {pct === 100 && <p class="hint">{t('products.storing')}</p>}
        <p>
          <a href={`/console/loyalty/products/imports/${job.id}`} data-refresh>
            {t('oneId.refresh')}
          </a>
        </p>
      </div>
    </Panel>
  );
}

export function productPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  const jobs = new ProductImportJobs({ couch: ctx.couch, storeDbs: () => ctx.storeDbs(), clock: ctx.clock, log: ctx.log });

  /** A running import's page: its progress alone, reloading itself until the import ends. */
  const runningPage = (c: ConsoleContext, job: ProductImportJob) => {
    const { t, actor } = c.var;
    return c.html(
      <Layout t={t} title={t('products.title')} here="/console/loyalty/products" actor={actor} screen="/console/loyalty" head={<meta http-equiv="refresh" content={String(REFRESH_SECONDS)} />}>
        <ImportProgress t={t} job={job} />
        <p>
          <a href="/console/loyalty/products">{t('products.title')}</a>
        </p>
      </Layout>,
    );
  };

  const render = async (c: ConsoleContext, opts: { form?: FormState; summary?: { s: ProductImportSummary; file: string }; refusal?: Refusal; status?: 200 | 400 | 413 | 422 } = {}) => {
    need(c, 'GET /products');
    const { t, actor } = c.var;
    const prefix = (c.req.query('prefix') ?? '').trim().slice(0, 64);
    const { products, total } = await listProducts(ctx.couch, { prefix: prefix || undefined, limit: 200 });
    const form = opts.form ?? { values: productFormDefaults(), errors: new Map() };
    const refusalKey = opts.refusal ? FILE_ERRORS.get(opts.refusal.code) : undefined;
    return c.html(
      <Layout t={t} title={t('products.title')} here="/console/loyalty/products" actor={actor} screen="/console/loyalty">
        {opts.refusal && (
          <Notice kind="error">
            <span data-error-code={opts.refusal.code}>{refusalKey ? t(refusalKey) : t('products.err.other')}</span> <code>{opts.refusal.code}</code> · {opts.refusal.message}
          </Notice>
        )}
        {opts.summary && <Notice kind="ok">{t('products.importDone', { n: t.num(opts.summary.s.imported), file: opts.summary.file })}</Notice>}
        {opts.summary && <Summary t={t} s={opts.summary.s} file={opts.summary.file} />}
        {mayCall(actor, 'POST /products/imports') && <ImportForm t={t} c={c} form={form} />}
        <form method="get" action="/console/loyalty/products" class="grid-form">
          <label>
            {t('products.prefix')}
            <input name="prefix" value={prefix} maxlength={64} size={16} />
          </label>
          <button type="submit">{t('products.search')}</button>
        </form>
        <Panel title={t('products.title')} id="products">
          <p data-products-total={total}>{t('products.count', { n: t.num(total) })}</p>
          <Table
            label={t('products.title')}
            empty={t('products.none')}
            head={[t('products.sku'), t('products.name'), t('products.category'), t('products.brand'), t('products.price')]}
            rows={products.map((p) => [<code data-sku={p.sku}>{p.sku}</code>, p.name ?? '—', p.category ?? '—', p.brand ?? '—', p.priceCents === undefined ? '—' : yuan(p.priceCents)])}
          />
        </Panel>
        <p>
          <a href="/console/loyalty">{t('loyalty.back')}</a>
        </p>
      </Layout>,
      opts.status ?? 200,
    );
  };

  // The product master (decision 017), through the service GET /admin/v1/products calls.
  app.get('/loyalty/products', page(ctx, (c) => render(c)));

  app.post(
    '/loyalty/products/imports',
    uploadLimit(ctx, '/console/loyalty/products/imports', '`npm run hub -- products import FILE`'),
    formAction(ctx, 'POST /products/imports', async (c) => {
      const body = await c.req.parseBody();
      // The form's text fields as typed, to show them again when it is refused.
      const values = ['format', ...PRODUCT_FIELDS.map(columnField), 'priceUnit', 'categorySeparator'].map((k): [string, string] => {
        const v = own(body, k);
        return [k, typeof v === 'string' ? v.slice(0, 128) : ''];
      });
      const get = (k: string) => values.find(([n]) => n === k)?.[1];
      const file = uploadedFile(body, 'file');
      const fileName = safeText(file?.name ?? '', 120);
      c.set('auditTarget', `products:${fileName}`);
      const read = productMappingFromForm(get, fileName);
      if (!file) {
        const errors = read.ok ? new Map() : read.errors;
        return render(c, { form: { values, errors }, refusal: { code: 'validation_failed', message: 'choose a file to import' }, status: 400 });
      }
      if (!read.ok) return render(c, { form: { values, errors: read.errors }, refusal: { code: 'validation_failed', message: `mapping: ${[...read.errors.keys()].join(', ')}` }, status: 400 });
      if (file.size > MAX_UPLOAD_BYTES) return render(c, { form: { values, errors: new Map() }, refusal: { code: 'body_too_large', message: `at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB` }, status: 413 });
      const job = jobs.start(new Uint8Array(await file.arrayBuffer()), read.mapping, { file: fileName, by: c.var.actor.name });
      c.set('auditTarget', `products:${fileName}:${job.id}`);
      const now = await jobs.settled(job.id, ANSWER_WAIT_MS);
      if (now?.state === 'running') return c.redirect(`/console/loyalty/products/imports/${job.id}`, 303);
      return jobAnswer(c, now!, values);
    }),
  );

  /** A finished import as a page: its summary, or its refusal on the form that was sent. */
  const jobAnswer = (c: ConsoleContext, job: ProductImportJob, values: [string, string][]) => {
    if (job.state === 'done') return render(c, { form: { values, errors: new Map() }, summary: { s: job.summary!, file: job.file } });
    const error = job.error!;
    if (error.code !== 'import_column_missing' && error.code !== 'file_not_readable') throw new AppError('internal', `the import of ${job.file} failed: ${error.message}`);
    const errors = new Map();
    const field = error.details?.field;
    if (error.code === 'import_column_missing' && typeof field === 'string') errors.set(`col.${field.slice('columns.'.length)}`, { code: 'noSuchColumn', params: { column: String(error.details?.column).slice(0, 128) } });
    return render(c, { form: { values, errors }, refusal: { code: error.code, message: error.message }, status: 422 });
  };

  // An import that outlasted the form's answer: how far it is, then what it did.
  app.get(
    '/loyalty/products/imports/:id',
    page(ctx, async (c) => {
      need(c, 'POST /products/imports');
      const job = jobs.get(pathId(c, 'id', JobId, 'not_found', 'import'));
      if (!job) throw new AppError('not_found', 'no such import (the hub keeps the last few while it runs)');
      if (job.state === 'running') return runningPage(c, job);
      return jobAnswer(c, job, productFormDefaults());
    }),
  );
  return app;
}

import { formErrors, type FieldErrors } from '../form-errors.ts';
import { PointsCatalogueSchema, type PointsCatalogue } from '../schemas/catalogue.ts';

/*
 * The console's catalogue form (decision 020): one row per reward, `r<n>.kind|id|title|points|
 * templateId|sku|stock`, a gift's stock as `S001=10, S002=5`; an empty row is no row. Read into
 * the same schema the admin API checks, each issue mapped back to its row's field.
 */

export const REWARD_KINDS = ['coupon', 'gift'] as const;
const FIELDS = ['kind', 'id', 'title', 'points', 'templateId', 'sku', 'stock'] as const;

/** A catalogue as form values, its version included. */
export function catalogueToForm(c: PointsCatalogue): [string, string][] {
  const out: [string, string][] = [['version', String(c.version)]];
  c.rewards.forEach((r, i) => {
    out.push([`r${i}.kind`, r.kind], [`r${i}.id`, r.id], [`r${i}.title`, r.title], [`r${i}.points`, String(r.points)]);
    if (r.kind === 'coupon') out.push([`r${i}.templateId`, r.templateId]);
    else out.push([`r${i}.sku`, r.sku], [`r${i}.stock`, r.stock.map((s) => `${s.storeId}=${s.qty}`).join(', ')]);
  });
  return out;
}

/**
 * The catalogue a form describes and the version it was opened at, or the errors by field.
 *
 * @example catalogueFromForm([['version', '1'], ['r0.kind', 'gift'], ['r0.id', 'CUP'], ['r0.title', 'A cup'], ['r0.points', '300'], ['r0.sku', 'CUP-001'], ['r0.stock', 'S001=2']])
 * // { ok: true, baseVersion: 1, catalogue: { version: 1, rewards: [{ kind: 'gift', id: 'CUP', …, stock: [{ storeId: 'S001', qty: 2 }] }] } }
 */
export function catalogueFromForm(values: readonly [string, string][]): { ok: true; catalogue: PointsCatalogue; baseVersion: number } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = new Map();
  const value = (name: string) => values.find(([k]) => k === name)?.[1]?.trim() ?? '';
  const version = /^\d{1,9}$/.test(value('version')) ? Number(value('version')) : undefined;
  if (version === undefined) errors.set('version', { code: 'whole' });
  const rows = [...new Set(values.flatMap(([k]) => /^r(\d{1,3})\./.exec(k)?.[1] ?? []).map(Number))].sort((a, b) => a - b);
  const used = rows.filter((n) => FIELDS.some((f) => f !== 'kind' && value(`r${n}.${f}`) !== ''));
  const rewards = used.map((n) => {
    const f = (name: string) => value(`r${n}.${name}`);
    const points = /^\d{1,9}$/.test(f('points')) ? Number(f('points')) : f('points') === '' ? undefined : f('points');
    const base = { kind: f('kind'), id: f('id'), title: f('title'), points };
    if (f('kind') !== 'gift') return { ...base, templateId: f('templateId') };
    const stock = f('stock') === '' ? [] : f('stock').split(',').map((part) => /^\s*([A-Za-z0-9][A-Za-z0-9_-]{0,31})\s*=\s*(\d{1,7})\s*$/.exec(part));
    if (stock.some((m) => m === null)) errors.set(`r${n}.stock`, { code: 'format' });
    return { ...base, sku: f('sku'), stock: stock.flatMap((m) => (m ? [{ storeId: m[1]!, qty: Number(m[2]) }] : [])) };
  });
  const parsed = PointsCatalogueSchema.safeParse({ version: version ?? 0, rewards });
  if (!parsed.success) {
    formErrors(parsed.error.issues, (path) => {
      if (path[0] !== 'rewards' || typeof path[1] !== 'number') return 'rewards';
      const field = String(path[2] ?? 'id');
      return `r${used[path[1]]}.${FIELDS.includes(field as (typeof FIELDS)[number]) ? field : 'id'}`;
    }, errors);
  }
  if (errors.size > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, catalogue: parsed.data, baseVersion: version! };
}

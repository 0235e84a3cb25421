import { describe, expect, it } from 'vitest';
import { missingColumns, productFormDefaults, productMappingFromForm } from '../../shared/products/mapping-form.ts';
import { applyProductMapping, defaultProductMapping } from '../../shared/products/mapping.ts';

/* The console's product import form read into the API's mapping (decision 017). */

const form = (values: Record<string, string>) => (name: string) => (Object.hasOwn(values, name) ? values[name] : undefined);
const defaults = Object.fromEntries(productFormDefaults());

describe('the product import form', () => {
  it('the form as first shown, with a CSV, is the default mapping', () => {
    const r = productMappingFromForm(form(defaults), 'items.CSV');
    expect(r).toEqual({ ok: true, mapping: defaultProductMapping('csv') });
  });

  it('columns renamed, a field left out, the price in cents, a separator, NDJSON by its extension', () => {
    const r = productMappingFromForm(form({ ...defaults, 'col.sku': 'code', 'col.name': 'title', 'col.brand': '', 'col.price': 'p', priceUnit: 'cents', categorySeparator: ' > ' }), 'x.jsonl');
    expect(r).toEqual({ ok: true, mapping: { format: 'ndjson', columns: { sku: 'code', name: 'title', category: 'category', price: { column: 'p', transform: 'cents' } }, categorySeparator: '>' } });
    if (!r.ok) return;
    expect(applyProductMapping(r.mapping, { code: 'A1', title: 'Tea', category: 'Food > Tea', p: '1250' })).toEqual({ ok: true, product: { sku: 'A1', name: 'Tea', category: 'Food/Tea', priceCents: 1250 } });
  });

  it('a mapping without the SKU, a file whose name says no format, a column named twice: each on its field', () => {
    const r = productMappingFromForm(form({ ...defaults, 'col.sku': ' ', 'col.brand': 'category' }), 'export.xlsx');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.get('col.sku')).toEqual({ code: 'required' });
    expect(r.errors.get('format')).toEqual({ code: 'formatByName' });
    expect(r.errors.get('col.brand')).toEqual({ code: 'duplicate' });
  });

  it('the format chosen wins over the name; an unknown choice or unit is refused', () => {
    expect(productMappingFromForm(form({ ...defaults, format: 'ndjson' }), 'export.txt')).toMatchObject({ ok: true, mapping: { format: 'ndjson' } });
    const r = productMappingFromForm(form({ ...defaults, format: 'xml', priceUnit: 'fen' }), 'a.csv');
    expect(r.ok).toBe(false);
    if (!r.ok) expect([...r.errors.keys()].sort()).toEqual(['format', 'priceUnit']);
  });

  it('a header lacking a mapped column: the SKU always counts, the others when the mapping is explicit', () => {
    const mapping = defaultProductMapping('csv');
    expect(missingColumns(mapping, ['sku', 'name'], false)).toEqual([]);
    expect(missingColumns(mapping, ['sku', 'name'], true)).toEqual([['category', 'category'], ['brand', 'brand'], ['price', 'price']]);
    expect(missingColumns(mapping, ['SKU', 'name'], false)).toEqual([['sku', 'sku']]);
  });
});

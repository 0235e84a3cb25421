import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalogueFromForm, catalogueToForm } from '../../shared/catalogue/catalogue-form.ts';
import type { PointsCatalogue } from '../../shared/schemas/catalogue.ts';

const catalogue: PointsCatalogue = {
  version: 4,
  rewards: [
    { kind: 'coupon', id: 'CASH-500', title: '20 off', points: 500, templateId: 'CASH20' },
    { kind: 'gift', id: 'CUP', title: 'A cup', points: 300, sku: 'CUP-001', stock: [{ storeId: 'S001', qty: 2 }, { storeId: 'S002', qty: 0 }] },
  ],
};

describe("the console's catalogue form", () => {
  it('reads back what it shows, empty rows left out', () => {
    const read = catalogueFromForm([...catalogueToForm(catalogue), ['r2.kind', 'coupon'], ['r2.id', ''], ['r2.points', '']]);
    expect(read).toEqual({ ok: true, catalogue, baseVersion: 4 });
  });

  it('names the row and field of each mistake', () => {
    const read = catalogueFromForm([['version', '4'], ['r0.kind', 'gift'], ['r0.id', 'CUP'], ['r0.title', 'A cup'], ['r0.points', 'lots'], ['r0.sku', 'CUP-001'], ['r0.stock', 'S001=2, oops'], ['r3.kind', 'coupon'], ['r3.id', 'CUP'], ['r3.title', 'x'], ['r3.points', '0']]);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect([...read.errors.keys()].sort()).toEqual(['r0.points', 'r0.stock', 'r3.points', 'r3.templateId']);
  });

  it('round-trips any catalogue the schema accepts (property)', () => {
    const reward = fc.oneof(
      fc.record({ kind: fc.constant('coupon' as const), id: fc.stringMatching(/^[A-Z][A-Z0-9-]{0,8}$/), title: fc.stringMatching(/^[a-z][a-z ]{0,10}[a-z]$/), points: fc.integer({ min: 1, max: 99_999 }), templateId: fc.constantFrom('CASH20', 'PCT10') }),
      fc.record({ kind: fc.constant('gift' as const), id: fc.stringMatching(/^[A-Z][A-Z0-9-]{0,8}$/), title: fc.stringMatching(/^[a-z][a-z ]{0,10}[a-z]$/), points: fc.integer({ min: 1, max: 99_999 }), sku: fc.stringMatching(/^[A-Z]{1,6}$/), stock: fc.uniqueArray(fc.record({ storeId: fc.constantFrom('S001', 'S002', 'S003'), qty: fc.integer({ min: 0, max: 999 }) }), { selector: (s) => s.storeId, maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(reward, { selector: (r) => r.id, maxLength: 5 }), fc.integer({ min: 0, max: 100 }), (rewards, version) => {
        const c: PointsCatalogue = { version, rewards };
        expect(catalogueFromForm(catalogueToForm(c))).toEqual({ ok: true, catalogue: c, baseVersion: version });
      }),
    );
  });
});

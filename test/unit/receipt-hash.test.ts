import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, requestHash } from '../../edge/services/receipt-hash.ts';

/** The canonical form receipts were first stored with; the hash must keep giving its text. */
function canonicalAsFirstWritten(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalAsFirstWritten).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalAsFirstWritten(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

describe('request hash', () => {
  it('gives the same text as the form receipts were first stored with, for any JSON body', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonical(v)).toBe(canonicalAsFirstWritten(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores key order and undefined members, not content', () => {
    const body = { receiptNo: 'R1', lines: [{ sku: 'A', qty: 1, unitPrice: 100 }], memberId: undefined };
    expect(requestHash(body)).toBe(requestHash({ lines: [{ unitPrice: 100, qty: 1, sku: 'A' }], receiptNo: 'R1' }));
    expect(requestHash(body)).not.toBe(requestHash({ ...body, lines: [{ sku: 'A', qty: 2, unitPrice: 100 }] }));
    expect(canonical({ b: [1, { d: 'x', c: null }], a: '1' })).toBe('{"a":"1","b":[1,{"c":null,"d":"x"}]}');
  });
});

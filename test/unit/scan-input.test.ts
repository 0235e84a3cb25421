import { describe, expect, it } from 'vitest';
import { identityOfScan } from '../../shared/scan-input.ts';

describe('identityOfScan', () => {
  it('reads phones in any format', () => {
    for (const p of ['13900000001', '+86 139 0000 0001', '139-0000-0001', '(+86) 139 0000 0001', '００８６１３９００００００01']) expect(identityOfScan(p)).toEqual({ phone: p.normalize('NFKC').trim() });
  });

  it('reads member codes, also spaced as printed and from a QR link or scheme value', () => {
    expect(identityOfScan('100000000000000001')).toEqual({ memberCode: '100000000000000001' });
    expect(identityOfScan(' 1000 0000 0000 0000 01 ')).toEqual({ memberCode: '100000000000000001' });
    expect(identityOfScan('https://m.example.cn/card?code=100000000000000001')).toEqual({ memberCode: '100000000000000001' });
    expect(identityOfScan('https://m.example.cn/m/100000000000000001')).toEqual({ memberCode: '100000000000000001' });
    expect(identityOfScan('memberedge:100000000000000001')).toEqual({ memberCode: '100000000000000001' });
  });

  it('reads card numbers, and refuses what is none of these', () => {
    expect(identityOfScan('VIP-2024-88')).toEqual({ cardNo: 'VIP-2024-88' });
    for (const bad of ['', '   ', 'hello world', '12', 'https://example.cn/about', 'x'.repeat(600)]) expect(identityOfScan(bad)).toBeUndefined();
  });
});

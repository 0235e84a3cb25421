import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { loadMappings } from '../../hub/import/load-mapping.ts';
import { applyMapping, type Mapping, MappingSchema, type MappingInput } from '../../shared/one-id/mapping.ts';
import { OrderSummarySchema } from '../../shared/one-id/order.ts';
import { SourceRecordSchema } from '../../shared/one-id/record.ts';

const mapping = (m: MappingInput): Mapping => MappingSchema.parse(m);
const ctx = { observedAt: '2026-01-01T00:00:00.000Z', today: '2026-01-01' };

const crm = mapping({
  source: 'crm', format: 'csv', kind: 'members', idField: 'member_no',
  columns: { cardNo: 'card', phone: 'mobile', name: 'name', gender: 'sex', birthday: 'birthday', province: 'prov', city: 'city', registeredAt: 'reg', homeStoreId: 'store' },
  observedAtField: 'updated',
});

const orders = mapping({
  source: 'tmall-orders', format: 'ndjson', kind: 'orders', idField: 'tid',
  columns: { orderNo: 'tid', orderAt: 'created', status: 'status', totalAmount: 'total_fee', paidAmount: 'payment', buyerNick: 'buyer.nick', phone: 'buyer.mobile' },
  lines: { column: 'orders', sku: 'sku', qty: 'num', unitPrice: 'price', category: 'cat' },
});

describe('applyMapping: members', () => {
  it('maps and cleans a row into a valid source record with a deterministic id', () => {
    const row = { member_no: 'M001', card: 'vip-0001', mobile: '0086 138 0013 8000', name: ' 张 三', sex: '女', birthday: '1990/3/5', prov: '广东省', city: '深圳市', reg: '2020-01-02 10:00', store: 'S01', updated: '2025-06-01 08:00:00' };
    const r = applyMapping(crm, row, 1, ctx);
    expect(r).toEqual({
      ok: true,
      record: {
        id: 'crm:M001', source: 'crm', observedAt: '2025-06-01T00:00:00.000Z',
        identities: { phone: '+8613800138000', cardNo: 'VIP0001' },
        profile: { name: '张三', gender: 'F', birthday: '1990-03-05', region: { province: '广东', city: '深圳' }, registeredAt: '2020-01-02T02:00:00.000Z', homeStoreId: 'S01' },
      },
      cleanedFields: ['phone', 'cardNo', 'name', 'gender', 'birthday', 'region', 'registeredAt'],
    });
    expect(SourceRecordSchema.safeParse(r.ok && r.record).success).toBe(true);
    expect(applyMapping(crm, row, 1, ctx)).toEqual(r);
  });

  it('rejects impossible identities and rows without any', () => {
    expect(applyMapping(crm, { member_no: 'M1', mobile: '12345' }, 3, ctx)).toEqual({ ok: false, reason: expect.stringMatching(/^phone:/) });
    expect(applyMapping(crm, { member_no: 'M1', card: '!' }, 3, ctx)).toEqual({ ok: false, reason: expect.stringMatching(/^cardNo:/) });
    expect(applyMapping(crm, { member_no: 'M1', name: '张三' }, 3, ctx)).toEqual({ ok: false, reason: expect.stringMatching(/no identity key/) });
    expect(applyMapping(crm, { member_no: ' ', mobile: '13800138000' }, 3, ctx)).toEqual({ ok: false, reason: 'missing id (member_no)' });
  });

  it('drops impossible profile fields and counts them as cleaned', () => {
    const r = applyMapping(crm, { member_no: 'M1', mobile: '13800138000', birthday: '2030-01-01', reg: 'soon', sex: '?' }, 1, ctx);
    expect(r.ok && r.record.profile).toEqual({});
    expect(r.ok && r.cleanedFields).toEqual(['gender', 'birthday', 'registeredAt']);
    // No time of its own: the file's.
    expect(r.ok && r.record.observedAt).toBe(ctx.observedAt);
  });

  it('uses defaults for empty columns, composite ids and an openId app', () => {
    const wx = mapping({ source: 'wechat', format: 'ndjson', kind: 'members', idField: ['appid', 'openid'], columns: { unionId: 'unionid', openId: 'openid', openIdApp: 'appid', province: 'province' }, defaults: { province: 'Guangdong' } });
    const r = applyMapping(wx, { appid: 'wx01', openid: 'oOpen_123456', unionid: 'oUnion_12345', province: '' }, 1, ctx);
    expect(r.ok && r.record.id).toBe('wechat:wx01:oOpen_123456');
    expect(r.ok && r.record.identities).toEqual({ unionId: 'oUnion_12345', openIds: [{ appId: 'wx01', openId: 'oOpen_123456' }] });
    expect(r.ok && r.record.profile.region).toEqual({ province: '广东' });
    expect(applyMapping(wx, { appid: '', openid: 'oOpen_123456' }, 1, ctx)).toMatchObject({ ok: false });
  });

  it('produces schema-valid records from any strings', () => {
    const cell = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('13800138000', '+86 139 0000 0000', 'VIP-1234', '男', '1990年3月5日', '广东省', '-'));
    fc.assert(fc.property(fc.record({ member_no: fc.stringMatching(/^[A-Z0-9]{1,8}$/), card: cell, mobile: cell, name: cell, sex: cell, birthday: cell, prov: cell, city: cell, reg: cell, store: cell }), (row) => {
      const r = applyMapping(crm, row, 1, ctx);
      if (r.ok) expect(SourceRecordSchema.safeParse(r.record).error).toBeUndefined();
    }), { numRuns: 300 });
  });
});

describe('applyMapping: orders', () => {
  const order = { tid: 'T100', created: '2025-11-11 00:05:00', status: 'TRADE_FINISHED', total_fee: '188.00', payment: '168.5', buyer: { nick: 'Tom_Li', mobile: '13900000000' }, orders: [{ sku: 'A1', num: 2, price: '59.00', cat: 'shoes' }, { sku: 'B2', num: '1', price: 70 }] };

  it('yields the buyer and the order in integer cents', () => {
    const r = applyMapping(orders, order, 1, ctx);
    if (!r.ok) throw new Error(r.reason);
    expect(r.record).toEqual({ id: 'tmall-orders:T100', source: 'tmall-orders', observedAt: '2025-11-10T16:05:00.000Z', identities: { phone: '+8613900000000', buyerNick: 'tom_li' }, profile: {} });
    expect(r.order).toEqual({
      id: 'tmall-orders:T100', recordId: 'tmall-orders:T100', orderNo: 'T100', totalCents: 18800, paidCents: 16850, discountCents: 1950, status: 'completed', at: '2025-11-10T16:05:00.000Z',
      lines: [{ sku: 'A1', qty: 2, unitPriceCents: 5900, category: 'shoes' }, { sku: 'B2', qty: 1, unitPriceCents: 7000 }],
    });
    expect(OrderSummarySchema.safeParse(r.order).success).toBe(true);
  });

  it('computes a missing total from the lines', () => {
    const r = applyMapping(orders, { ...order, total_fee: undefined, payment: undefined }, 1, ctx);
    expect(r.ok && [r.order!.totalCents, r.order!.paidCents, r.order!.discountCents]).toEqual([18800, 18800, 0]);
  });

  it.each([
    [{ payment: '1.005' }, /paidAmount/],
    [{ created: '' }, /missing orderAt/],
    [{ orders: 'none' }, /not a list/],
    [{ orders: [{ sku: 'A', num: 0, price: '1' }] }, /qty/],
    [{ orders: [{ sku: 'A', num: 1.5, price: '1' }] }, /qty/],
    [{ orders: [{ sku: 'A', num: 1, price: '-1' }] }, /unitPrice/],
    [{ payment: '200' }, /larger than the total/],
  ])('rejects %j', (change, reason) => {
    const r = applyMapping(orders, { ...order, ...change }, 1, ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});

describe('mapping schema', () => {
  it('refuses transforms on the wrong fields and orders without what they need', () => {
    expect(MappingSchema.safeParse({ source: 'x1', format: 'csv', kind: 'members', idField: 'id', columns: { name: { column: 'n', transform: 'cents' } } }).success).toBe(false);
    expect(MappingSchema.safeParse({ source: 'x1', format: 'csv', kind: 'orders', idField: 'id', columns: { orderNo: 'id', orderAt: 'at' } }).success).toBe(false);
    expect(MappingSchema.safeParse({ source: 'x1', format: 'csv', kind: 'members', idField: 'id', columns: { nickname: 'n' } }).success).toBe(false);
    expect(MappingSchema.safeParse({ source: 'x1', format: 'csv', kind: 'members', idField: 'id', columns: {}, timeZone: 'Mars/Base' }).success).toBe(false);
  });

  it('accepts every shipped mapping', async () => {
    const all = await loadMappings();
    expect([...all.keys()].sort()).toEqual(['crm', 'ecom', 'jd', 'tmall', 'tmall-orders', 'wechat']);
  });
});

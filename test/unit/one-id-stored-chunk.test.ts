import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderSummary } from '../../shared/one-id/order.ts';
import { GENDER_CODES, type SourceRecord } from '../../shared/one-id/record.ts';
import { chunkOrders, chunkRecords, packChunk } from '../../shared/one-id/stored-chunk.ts';

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const word = fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/);
// Canonical ISO text (said by milliseconds) and other valid forms (kept as text).
const time = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString()),
  fc.constantFrom('2024-05-06T10:11:12Z', '2024-05-06T10:11:12.5+08:00', '1970-01-01T00:00:00.000Z'),
);
const bool = opt(fc.boolean());

const recordArb = (source: fc.Arbitrary<string>, id: fc.Arbitrary<string>) =>
  fc
    .record({
      source,
      id,
      observedAt: time,
      phone: opt(fc.integer({ min: 10_000_000, max: 99_999_999 }).map((n) => `+86139${n}`)),
      cardNo: opt(fc.stringMatching(/^[A-Z0-9]{4,12}$/)),
      unionId: opt(word),
      openIds: opt(fc.array(fc.record({ appId: word, openId: word }), { maxLength: 3 })),
      buyerNick: opt(fc.string({ minLength: 1, maxLength: 12 })),
      jdPin: opt(fc.string({ minLength: 1, maxLength: 12 })),
      name: opt(fc.constantFrom('张三', 'Lily', 'null', '')),
      gender: opt(fc.constantFrom(...GENDER_CODES)),
      birthday: opt(fc.constantFrom('1990-01-02', '2001-12-31')),
      region: opt(fc.record({ province: opt(fc.constantFrom('广东', '上海')), city: opt(fc.constantFrom('深圳', '上海')) })),
      registeredAt: opt(time),
      homeStoreId: opt(fc.constantFrom('S001', '')),
      email: opt(fc.constantFrom('a@b.cn')),
      memberId: opt(fc.constantFrom('M1', 'M-2')),
      provisional: bool,
      consent: opt(fc.record({ sms: bool, wechat: bool, email: bool, phone: bool })),
    })
    .map((x): SourceRecord => {
      const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
      const { phone, cardNo, unionId, openIds, buyerNick, jdPin, name, gender, birthday, region, registeredAt, homeStoreId, email, memberId, provisional, consent } = x;
      return defined({
        id: x.id.startsWith(':') ? `${x.source}${x.id}` : x.id,
        source: x.source,
        observedAt: x.observedAt,
        identities: defined({ phone, cardNo, unionId, openIds, buyerNick, jdPin }),
        profile: defined({ name, gender, birthday, region: region && defined(region), registeredAt, homeStoreId, email }),
        memberId,
        provisional,
        consent: consent && defined(consent),
      });
    });

// Mostly one source with `<source>:` ids, as an import's chunk is; sometimes anything.
const chunkArb = fc.oneof(
  fc.array(recordArb(fc.constant('tmall-orders'), fc.stringMatching(/^:[0-9]{1,13}$/)), { maxLength: 20 }),
  fc.array(recordArb(fc.constantFrom('crm', 'jd'), fc.oneof(fc.stringMatching(/^:[A-Z0-9]{1,9}$/), fc.string({ minLength: 3, maxLength: 12 }))), { maxLength: 20 }),
);

const orderArb = (source: string) =>
  fc
    .record({
      orderNo: fc.stringMatching(/^[0-9]{1,13}$/),
      ownId: fc.boolean(),
      buyer: fc.option(fc.string({ minLength: 3, maxLength: 12 }), { nil: undefined }),
      totalCents: fc.nat(),
      discountCents: fc.nat(),
      paidCents: fc.nat(),
      status: fc.constantFrom(...ORDER_STATUSES),
      at: time,
      lines: fc.array(fc.record({ sku: fc.stringMatching(/^SKU[0-9]{1,4}$/), category: opt(fc.constantFrom('shoes', 'snacks')), qty: fc.integer({ min: 1, max: 9 }), unitPriceCents: fc.nat() }), { maxLength: 4 }),
    })
    .map((o): OrderSummary => {
      const id = o.ownId ? `other:${o.orderNo}` : `${source}:${o.orderNo}`;
      return { id, recordId: o.buyer ?? id, orderNo: o.orderNo, totalCents: o.totalCents, discountCents: o.discountCents, paidCents: o.paidCents, status: o.status, at: o.at, lines: o.lines.map((l) => (l.category === undefined ? { sku: l.sku, qty: l.qty, unitPriceCents: l.unitPriceCents } : l)) };
    });

const throughJson = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('an import chunk as hub-identity holds it (decision 042)', () => {
  it('gives back every record and order exactly, whatever they hold', () => {
    fc.assert(
      fc.property(chunkArb, fc.array(orderArb('tmall-orders'), { maxLength: 6 }), (records, orders) => {
        const stored = throughJson(packChunk(records, orders));
        expect(chunkRecords(stored)).toEqual(records);
        expect(chunkOrders(stored)).toEqual(orders);
      }),
      { numRuns: 300 },
    );
  });

  it('says each field once per chunk, the source once, and times by their milliseconds', () => {
    const records: SourceRecord[] = [
      { id: 'crm:M1', source: 'crm', observedAt: '2020-06-16T03:27:30.000Z', identities: { phone: '+8616036103630', cardNo: 'VIP1' }, profile: { name: '彭婷', region: { province: '广东', city: '深圳' }, registeredAt: '2020-02-28T03:27:30Z' }, consent: { sms: true, email: false } },
      { id: 'crm:M2', source: 'crm', observedAt: '2020-06-16T03:27:31.000Z', identities: { phone: '+8616036103631' }, profile: { region: {} }, provisional: false },
    ];
    const packed = packChunk(records);
    expect(packed).toEqual({
      source: 'crm',
      fields: ['observedAt', 'phone', 'cardNo', 'name', 'region', 'registeredAt', 'provisional', 'consent'],
      rows: [
        ['M1', Date.parse('2020-06-16T03:27:30.000Z'), '+8616036103630', 'VIP1', '彭婷', ['广东', '深圳'], '2020-02-28T03:27:30Z', null, 2 + 9],
        ['M2', Date.parse('2020-06-16T03:27:31.000Z'), '+8616036103631', null, null, [null, null], null, 0],
      ],
    });
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(records).length * 0.7);
  });

  it('keeps ids whole and each record its source when a chunk mixes them', () => {
    const records: SourceRecord[] = [
      { id: 'crm:1', source: 'crm', observedAt: '2020-01-01T00:00:00.000Z', identities: {}, profile: {} },
      { id: 'x1', source: 'crm', observedAt: '2020-01-01T00:00:00.000Z', identities: {}, profile: {} },
    ];
    const packed = packChunk(records);
    expect(packed.source).toBeUndefined();
    expect(packed.rows[1]![0]).toBe('x1');
    expect(chunkRecords(throughJson(packed))).toEqual(records);
  });

  it('reads a chunk stored whole before the packing, and an empty one', () => {
    const records: SourceRecord[] = [{ id: 'jd:a', source: 'jd', observedAt: '2020-01-01T00:00:00.000Z', identities: { jdPin: 'a' }, profile: {} }];
    const order: OrderSummary = { id: 'jd:9', recordId: 'jd:a', orderNo: '9', totalCents: 1, discountCents: 0, paidCents: 1, status: 'paid', at: '2020-01-01T00:00:00.000Z', lines: [] };
    expect(chunkRecords({ _id: 'src:i:000001', type: 'src', importId: 'i', records, orders: [order] })).toEqual(records);
    expect(chunkOrders({ _id: 'src:i:000001', type: 'src', importId: 'i', records, orders: [order] })).toEqual([order]);
    expect(chunkRecords(throughJson(packChunk([])))).toEqual([]);
    expect(chunkOrders(throughJson(packChunk([])))).toEqual([]);
  });

  it('refuses a field it does not know rather than dropping it', () => {
    expect(() => chunkRecords({ source: 'crm', fields: ['shoeSize'], rows: [['1', 42]] })).toThrow(/unknown field shoeSize/);
  });
});

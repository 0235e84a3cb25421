import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { goldenView, packGolden, unpackGolden, type StoredGolden } from '../../shared/one-id/stored-golden.ts';
import { day, phone, rec } from './one-id-fixtures.ts';

const SOURCES = ['crm', 'wechat', 'tmall', 'jd'];

// Few distinct keys, so members of several records (links) and crowded keys (quarantined) are common.
const recordsArb = fc
  .array(
    fc.record({
      source: fc.constantFrom(...SOURCES),
      phone: fc.option(fc.integer({ min: 0, max: 6 }).map(phone), { nil: undefined }),
      card: fc.option(fc.integer({ min: 0, max: 4 }).map((i) => `CARD${i}X`), { nil: undefined }),
      union: fc.option(fc.integer({ min: 0, max: 4 }).map((i) => `oU_union_${i}`), { nil: undefined }),
      open: fc.option(fc.integer({ min: 0, max: 4 }).map((i) => ({ appId: 'wx5f1a2b3c4d5e6f70', openId: `o_open_${i}` })), { nil: undefined }),
      nick: fc.option(fc.constantFrom('lily', 'bob'), { nil: undefined }),
      name: fc.option(fc.constantFrom('张三', 'Lily'), { nil: undefined }),
      member: fc.option(fc.constantFrom('M1', 'M2'), { freq: 5, nil: undefined }),
    }),
    { minLength: 1, maxLength: 25 },
  )
  .map((rs) =>
    rs.map(
      (x, i): SourceRecord =>
        rec(
          `${x.source}:${i}`,
          { ...(x.phone ? { phone: x.phone } : {}), ...(x.card ? { cardNo: x.card } : {}), ...(x.union ? { unionId: x.union } : {}), ...(x.open ? { openIds: [x.open] } : {}), ...(x.nick ? { buyerNick: x.nick } : {}) },
          { observedAt: day(i), profile: { ...(x.name ? { name: x.name } : {}), registeredAt: day(i % 3) }, ...(x.member ? { memberId: x.member } : {}) },
        ),
    ),
  );

describe('golden members as hub-golden holds them (decision 036)', () => {
  it('come back from the database exactly as the API answers them, whatever the member holds', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const r = new Resolver({ sourcePriority: SOURCES, keyLimits: { phone: 3, card: 3 } });
        for (const x of records) r.add(x);
        for (const id of r.memberIds()) {
          const view = goldenView(r.member(id)!);
          const stored = JSON.parse(JSON.stringify(packGolden(view))) as ReturnType<typeof packGolden>;
          expect(unpackGolden(id, stored)).toEqual(view);
          expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(view).length);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps every field a member has, and drops only what is empty, derived or its key', () => {
    const full: StoredGolden = {
      id: 'GABCDEFGHJKMNPQRSTVW',
      profile: { name: '张三', phone: '+8613912345678' },
      identities: { phones: ['+8613912345678'], cardNos: ['VIP1'], unionIds: ['oU1'], openIds: [{ appId: 'wx1', openId: 'o1' }], buyerNicks: ['lily'], jdPins: ['jd_1'], memberIds: ['M1'] },
      keys: ['phone:+8613912345678'],
      quarantinedKeys: ['card:VIP1'],
      sources: ['crm', 'wechat'],
      records: ['crm:1', 'wechat:2'],
      links: [{ a: 'crm:1', b: 'wechat:2', key: 'phone:+8613912345678', at: '2026-01-01T00:00:00.000Z' }],
      completeness: 0.25,
    };
    const packed = packGolden(full);
    expect(Object.keys(packed).sort()).toEqual(['identities', 'keys', 'links', 'profile', 'quarantinedKeys', 'records', 'sources']);
    expect(unpackGolden(full.id, packed)).toEqual(full);
    // Decision 042: what the member repeats of itself is said by its place.
    expect(packed.keys).toEqual([0]);
    expect(packed.links).toEqual([[0, 1, 0, Date.parse('2026-01-01T00:00:00.000Z')]]);
    expect(packed.identities.openIds).toEqual([['wx1', 'o1']]);
    expect(unpackGolden(full.id, packGolden({ ...full, keys: ['manual:x', 'phone:+8613912345678'], links: [{ a: 'crm:1', b: 'crm:9', key: 'manual:x', at: '2026-01-01T00:00:00Z' }] }))).toMatchObject({
      keys: ['manual:x', 'phone:+8613912345678'],
      links: [{ a: 'crm:1', b: 'crm:9', key: 'manual:x', at: '2026-01-01T00:00:00Z' }],
    });
    const bare = packGolden({ ...full, identities: { ...full.identities, cardNos: [], jdPins: [] }, quarantinedKeys: [], links: [] });
    expect(Object.keys(bare).sort()).toEqual(['identities', 'keys', 'profile', 'records', 'sources']);
    expect(Object.keys(bare.identities).sort()).toEqual(['buyerNicks', 'memberIds', 'openIds', 'phones', 'unionIds']);
  });

  it('reads a member packed as decision 036 packed it, as it was', () => {
    const r = new Resolver({ sourcePriority: SOURCES });
    r.add(rec('crm:1', { phone: phone(1), openIds: [{ appId: 'wx5f1a2b3c4d5e6f70', openId: 'o_open_1' }] }, { profile: { name: '张三', registeredAt: day(2) } }));
    r.add(rec('wechat:2', { phone: phone(1), unionId: 'oU_x' }));
    const [id] = r.memberIds();
    const view = goldenView(r.member(id!)!);
    const { id: _, completeness: __, quarantinedKeys: ___, identities, ...rest } = view;
    const v036 = { ...rest, identities: { phones: identities.phones, unionIds: identities.unionIds, openIds: identities.openIds } };
    expect(unpackGolden(id!, JSON.parse(JSON.stringify(v036)))).toEqual(view);
  });

  it('reads a member stored whole, before packing, as it was', () => {
    const r = new Resolver({ sourcePriority: SOURCES });
    r.add(rec('crm:1', { phone: phone(1) }, { profile: { name: '张三' } }));
    r.add(rec('wechat:2', { phone: phone(1), unionId: 'oU_x' }));
    const [id] = r.memberIds();
    const view = goldenView(r.member(id!)!);
    expect(unpackGolden(id!, JSON.parse(JSON.stringify(view)))).toEqual(view);
  });
});

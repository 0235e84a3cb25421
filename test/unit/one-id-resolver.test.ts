import { describe, it, expect } from 'vitest';
import { averageCompleteness } from '../../shared/one-id/completeness.ts';
import { goldenIdOf } from '../../shared/one-id/golden-id.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { day, phone, rec } from './one-id-fixtures.ts';

const resolver = (keyLimits = {}) => new Resolver({ sourcePriority: ['store', 'crm', 'wx', 'tmall', 'jd'], keyLimits });
const OP = 'ops@hq';

describe('Resolver: linking and naming', () => {
  it('links records sharing any key, transitively, and reports who merged into whom', () => {
    const r = resolver();
    const a = r.add(rec('wx:1', { phone: phone(1), unionId: 'oU_union_1' }));
    expect(a).toEqual({ memberId: goldenIdOf('wx:1'), merged: [], split: [], quarantined: [], blocked: [] });
    const b = r.add(rec('tmall:9', { buyerNick: 'lily' }));
    expect(b.memberId).toBe(goldenIdOf('tmall:9'));
    // crm:5 bridges both: the smallest record id (crm:5) names the union.
    const c = r.add(rec('crm:5', { phone: phone(1), buyerNick: 'LILY' }));
    expect(c.memberId).toBe(goldenIdOf('crm:5'));
    expect(c.merged).toEqual(
      [{ survivor: goldenIdOf('crm:5'), loser: goldenIdOf('tmall:9') }, { survivor: goldenIdOf('crm:5'), loser: goldenIdOf('wx:1') }].sort((x, y) => (x.loser < y.loser ? -1 : 1)),
    );
    expect(r.member(goldenIdOf('wx:1'))).toBeUndefined();
    const m = r.member(c.memberId)!;
    expect(m.records.map((x) => x.id)).toEqual(['crm:5', 'tmall:9', 'wx:1']);
    expect(m.sources).toEqual(['crm', 'tmall', 'wx']);
    expect(m.links).toHaveLength(2);
    expect(m.links.map((l) => l.key).sort()).toEqual([`phone:${phone(1)}`, 'tmall:lily']);
  });

  it('names a cluster after its oldest non-provisional store member, and keeps that id on later merges', () => {
    const r = resolver();
    r.add(rec('store:S1-9', { phone: phone(2) }, { memberId: 'MPROV', provisional: true, profile: { registeredAt: day(1) } }));
    r.add(rec('store:S2-3', { phone: phone(2) }, { memberId: 'MNEW', profile: { registeredAt: day(5) } }));
    const res = r.add(rec('store:S3-1', { phone: phone(2) }, { memberId: 'MOLD', profile: { registeredAt: day(2) } }));
    // MOLD is older than MNEW; MPROV is older still but provisional.
    expect(res.memberId).toBe('MOLD');
    expect(res.merged).toEqual([{ survivor: 'MOLD', loser: 'MNEW' }]);
    const wx = r.add(rec('a:1', { phone: phone(2) }));
    expect(wx).toMatchObject({ memberId: 'MOLD', merged: [] });
    expect(r.member('MOLD')!.identities.memberIds).toEqual(['MNEW', 'MOLD', 'MPROV']);
  });

  it('links records of one store member even without a shared identity', () => {
    const r = resolver();
    r.add(rec('store:1', { phone: phone(3) }, { memberId: 'M1' }));
    expect(r.add(rec('store:2', { cardNo: 'VIP0003' }, { memberId: 'M1' })).merged).toEqual([]);
    expect(r.member('M1')!.records).toHaveLength(2);
  });

  it('replacing a record with new keys moves it', () => {
    const r = resolver();
    r.add(rec('crm:1', { phone: phone(1) }));
    r.add(rec('wx:1', { phone: phone(1) }));
    r.add(rec('wx:2', { phone: phone(2) }));
    const moved = r.add(rec('wx:1', { phone: phone(2) }));
    expect(moved.memberId).toBe(goldenIdOf('wx:1'));
    expect(moved.merged).toEqual([{ survivor: goldenIdOf('wx:1'), loser: goldenIdOf('wx:2') }]);
    expect(r.memberOf('crm:1')).toBe(goldenIdOf('crm:1'));
    expect(r.member(goldenIdOf('crm:1'))!.records).toHaveLength(1);
    // The same row again changes nothing.
    expect(r.add(rec('wx:1', { phone: phone(2) }))).toMatchObject({ memberId: goldenIdOf('wx:1'), merged: [], split: [] });
  });
});

describe('Resolver: merge protection', () => {
  it('never links on a junk key, and lists it as quarantined', () => {
    const r = resolver();
    r.add(rec('store:1', { phone: '+8613800000000' }, { profile: { name: 'A' } }));
    const b = r.add(rec('store:2', { phone: '+8613800000000' }, { profile: { name: 'B' } }));
    expect(b.merged).toEqual([]);
    expect(r.memberOf('store:1')).not.toBe(r.memberOf('store:2'));
    expect(r.quarantined()).toEqual([{ key: 'phone:+8613800000000', records: 2, reason: 'junk' }]);
    const m = r.member(r.memberOf('store:1')!)!;
    expect(m.quarantinedKeys).toEqual(['phone:+8613800000000']);
    expect(m.profile.phone).toBeUndefined();
  });

  it('quarantines a key over its limit, undoes its links and reports the split', () => {
    const r = resolver({ phone: 3 });
    const shop = phone(7);
    for (let i = 1; i <= 3; i++) r.add(rec(`store:${i}`, { phone: shop, cardNo: `CARD000${i}` }));
    r.add(rec('crm:1', { cardNo: 'CARD0001' }));
    const before = r.memberOf('store:1')!;
    expect(r.member(before)!.records).toHaveLength(4);
    const res = r.add(rec('store:4', { phone: shop }));
    expect(res.quarantined).toEqual([`phone:${shop}`]);
    expect(res.split).toEqual([{ from: before, into: [goldenIdOf('crm:1'), goldenIdOf('store:2'), goldenIdOf('store:3')].sort() }]);
    expect(r.member(goldenIdOf('crm:1'))!.records.map((x) => x.id)).toEqual(['crm:1', 'store:1']);
    expect(r.quarantined()).toEqual([{ key: `phone:${shop}`, records: 4, reason: 'limit' }]);
    // An operator who knows better releases it: everything links again.
    const rel = r.release(`phone:${shop}`, OP, day(1));
    expect(rel.merged.map((m) => m.survivor)).toEqual([goldenIdOf('crm:1'), goldenIdOf('crm:1'), goldenIdOf('crm:1')]);
    expect(r.member(goldenIdOf('crm:1'))!.records).toHaveLength(5);
    expect(r.quarantined()).toEqual([]);
  });

  it('quarantines a key by hand', () => {
    const r = resolver();
    r.add(rec('crm:1', { cardNo: 'FAMILY01' }));
    r.add(rec('crm:2', { cardNo: 'FAMILY01' }));
    const res = r.quarantine('card:FAMILY01', OP, day(1));
    expect(res.quarantined).toEqual(['card:FAMILY01']);
    expect(res.split).toEqual([{ from: goldenIdOf('crm:1'), into: [goldenIdOf('crm:1'), goldenIdOf('crm:2')].sort() }]);
    expect(r.quarantined()[0]).toMatchObject({ reason: 'manual' });
    expect(() => r.quarantine('member:M1', OP, day(1))).toThrow();
  });
});

describe('Resolver: split', () => {
  function merged() {
    const r = resolver();
    r.add(rec('crm:1', { phone: phone(1), cardNo: 'SHARED01' }, { profile: { name: 'Ann' } }));
    r.add(rec('crm:2', { phone: phone(2), cardNo: 'SHARED01' }, { profile: { name: 'Bob' } }));
    r.add(rec('wx:2', { phone: phone(2) }));
    return r;
  }

  it('keeps the groups apart, now, in resolveAll and on later adds', () => {
    const r = merged();
    const id = r.memberOf('crm:1')!;
    expect(r.member(id)!.records).toHaveLength(3);
    const res = r.split(id, [['crm:1'], ['crm:2']], OP, day(2));
    expect(res.split).toEqual([{ from: id, into: [goldenIdOf('crm:1'), goldenIdOf('crm:2')].sort() }]);
    expect(res.blocked).toEqual([{ key: 'card:SHARED01', a: 'crm:1', b: 'crm:2' }]);
    expect(r.member(goldenIdOf('crm:2'))!.records.map((x) => x.id)).toEqual(['crm:2', 'wx:2']);
    const part = r.partition();
    expect(r.resolveAll()).toEqual({ merged: [], split: [], quarantined: [], blocked: [{ key: 'card:SHARED01', a: 'crm:1', b: 'crm:2' }] });
    expect(r.partition()).toEqual(part);
    // A record bridging both groups joins one of them, never both.
    const add = r.add(rec('tmall:1', { phone: phone(1), cardNo: 'SHARED01' }));
    expect(add.memberId).toBe(goldenIdOf('crm:1'));
    expect(r.memberOf('crm:2')).toBe(goldenIdOf('crm:2'));
    expect(r.add(rec('jd:1', { phone: phone(2) })).memberId).toBe(goldenIdOf('crm:2'));
  });

  it('refuses bad groups', () => {
    const r = merged();
    const id = r.memberOf('crm:1')!;
    expect(() => r.split(id, [['crm:1']], OP, day(1))).toThrow();
    expect(() => r.split(id, [['crm:1'], ['nope:1']], OP, day(1))).toThrow();
    expect(() => r.split(id, [['crm:1'], ['crm:1', 'crm:2']], OP, day(1))).toThrow();
    expect(() => r.split('GNOPE', [['crm:1'], ['crm:2']], OP, day(1))).toThrow();
  });
});

describe('Resolver: operator links and suggestions', () => {
  it('suggests lookalikes, links an accepted pair and forgets a rejected one', () => {
    const r = resolver();
    r.add(rec('crm:1', { phone: phone(1) }, { profile: { name: '王芳', birthday: '1990-01-02' } }));
    r.add(rec('tmall:1', { buyerNick: 'fang' }, { profile: { name: '王芳', birthday: '1990-01-02' } }));
    r.add(rec('crm:2', { phone: '+8613912345670' }, { profile: { name: '李雷' } }));
    r.add(rec('wx:2', { phone: '+8613912345607' }, { profile: { name: '李雷' } }));
    const s = r.suggestions();
    expect(s.map((x) => x.reason)).toEqual(['name+birthday', 'name+phone-typo']);
    const linked = r.link(s[0]!.a, s[0]!.b, OP, day(1));
    expect(linked.merged).toHaveLength(1);
    expect(r.memberOf('crm:1')).toBe(r.memberOf('tmall:1'));
    r.reject(s[1]!.a, s[1]!.b, OP, day(1));
    expect(r.suggestions()).toEqual([]);
    // The operator's link survives a full run.
    r.resolveAll();
    expect(r.memberOf('crm:1')).toBe(r.memberOf('tmall:1'));
    expect(r.decisions().map((d) => d.kind)).toEqual(['link', 'reject']);
  });

  it('reports metrics', () => {
    const r = resolver();
    r.add(rec('crm:1', { phone: phone(1) }, { profile: { name: 'A' } }));
    r.add(rec('wx:1', { phone: phone(1) }));
    r.add(rec('wx:2', { phone: '+8613800000000' }));
    expect(r.figures().metrics).toEqual({ records: 3, members: 2, identificationRate: 0.5, duplicatesRemoved: 1, averageCompleteness: (2 / 8 + 0) / 2, quarantinedKeys: 1 });
    // The fast completeness equals the golden profiles'.
    r.add(rec('store:1', { cardNo: 'VIP0001', phone: phone(1) }, { profile: { region: { city: '上海' }, gender: 'F', name: ' ' } }));
    r.add(rec('tmall:1', { buyerNick: 'nick' }, { profile: { birthday: '1990-01-01', homeStoreId: 'S1', registeredAt: day(1) } }));
    const profiles = [...r.memberIds()].map((id) => r.member(id)!.profile);
    expect(r.figures().metrics.averageCompleteness).toBeCloseTo(averageCompleteness(profiles), 10);
  });
});

describe('Resolver: replaying decisions after a restart', () => {
  it('a new resolver fed the same records and the stored decisions ends with the same members', () => {
    const records = [
      rec('crm:1', { phone: phone(31), cardNo: 'CARD31' }),
      rec('crm:2', { phone: phone(31) }),
      rec('wx:3', { unionId: 'oU_union_31', phone: phone(31) }),
      rec('jd:4', { jdPin: 'pin-44' }),
      rec('tmall:5', { buyerNick: 'nick55' }),
      rec('crm:6', { cardNo: 'CARD66' }),
      rec('wx:7', { cardNo: 'CARD66' }),
    ];
    const before = resolver();
    for (const r of records) before.add(r);
    const id = before.memberOf('crm:1')!;
    before.split(id, [['crm:1'], ['crm:2', 'wx:3']], OP, day(2));
    before.link(before.memberOf('jd:4')!, before.memberOf('tmall:5')!, OP, day(3));
    before.quarantine('card:CARD66', OP, day(4));

    const after = resolver();
    for (const r of [...records].reverse()) after.add(r);
    after.replay(JSON.parse(JSON.stringify(before.decisions())));
    after.resolveAll();
    expect(after.partition()).toEqual(before.partition());
    expect(after.quarantined()).toEqual(before.quarantined());
    expect(after.decisions()).toHaveLength(3);
  });
});

describe('Resolver: keys shared by different people', () => {
  it('a family card lent to three people (three phones) links no one; a member who changed numbers still links', () => {
    const r = resolver();
    r.add(rec('crm:1', { phone: phone(41), cardNo: 'FAM0001' }));
    r.add(rec('crm:2', { phone: phone(42), cardNo: 'FAM0001' }));
    expect(r.memberOf('crm:1')).toBe(r.memberOf('crm:2')); // two numbers: one person may have changed theirs
    const third = r.add(rec('crm:3', { phone: phone(43), cardNo: 'FAM0001' }));
    expect(third.quarantined).toEqual(['card:FAM0001']);
    expect(new Set(['crm:1', 'crm:2', 'crm:3'].map((id) => r.memberOf(id))).size).toBe(3);
    expect(r.quarantined()).toEqual([{ key: 'card:FAM0001', records: 3, reason: 'conflict' }]);
    // The same records in any order, resolved at once, end the same.
    const full = resolver();
    for (const id of ['crm:3', 'crm:1', 'crm:2']) full.add(rec(id, { phone: phone(40 + Number(id.slice(4))), cardNo: 'FAM0001' }));
    full.resolveAll();
    expect(full.partition()).toEqual(r.partition());
  });

  it('a card on three records of one source is shared even when only two of them give a phone', () => {
    const r = resolver();
    r.add(rec('crm:11', { phone: phone(51), cardNo: 'FAM0002' }));
    r.add(rec('crm:12', { cardNo: 'FAM0002' }));
    r.add(rec('crm:13', { phone: phone(53), cardNo: 'FAM0002' }));
    expect(r.quarantined().map((q) => q.key)).toEqual(['card:FAM0002']);
    expect(new Set(['crm:11', 'crm:12', 'crm:13'].map((id) => r.memberOf(id))).size).toBe(3);
  });
});

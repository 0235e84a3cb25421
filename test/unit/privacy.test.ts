import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemberIndex } from '../../shared/member-index.ts';
import { cleanConsent, consentByChannel, consentOfRecord, consentTimeRefusal, mayContact } from '../../shared/privacy/consent.ts';
import { applyMapping, MappingSchema } from '../../shared/one-id/mapping.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { erasedMember, erasedRecord, isErasedRecord, personalValues } from '../../shared/privacy/erasure.ts';
import { storeDocRefusal } from '../../shared/store-facts.ts';
import { AnyDocSchema, CONSENT_CHANNELS, type ConsentDoc, type MemberDoc } from '../../shared/schemas/documents.ts';
import { memberKeys } from '../../shared/identity-keys.ts';

const member: MemberDoc = {
  _id: 'member:MEM1',
  type: 'member',
  id: 'MEM1',
  phone: '+8613900000001',
  name: 'Li Wei',
  gender: 'F',
  birthday: '1990-02-03',
  cardNo: 'VIP001',
  unionId: 'union-abcdef12',
  openIds: [{ appId: 'wxapp', openId: 'openid-12345678' }],
  memberCode: '100000000000000001',
  homeStoreId: 'S001',
  registeredAt: '2026-01-01T00:00:00.000Z',
  registeredStoreId: 'S001',
  provisional: false,
};

const consent = (channel: ConsentDoc['channel'], granted: boolean, at: string, storeId = 'S001'): ConsentDoc => ({
  _id: `consent:MEM1:${channel}:${storeId}:${at}`,
  type: 'consent',
  memberId: 'MEM1',
  channel,
  granted,
  source: storeId === 'HQ' ? 'console' : 'till',
  storeId,
  at,
});

describe('consent', () => {
  it('the latest by time wins per channel, in any order; channels without a fact are unknown (no contact)', () => {
    const facts = [consent('sms', true, '2026-01-02T00:00:00.000Z'), consent('sms', false, '2026-01-03T00:00:00.000Z', 'HQ'), consent('email', true, '2026-01-01T00:00:00.000Z')];
    fc.assert(
      fc.property(fc.shuffledSubarray(facts, { minLength: 3, maxLength: 3 }), (order) => {
        const by = new Map(consentByChannel([...order, ...order]).map((c) => [c.channel, c]));
        expect(by.get('sms')).toMatchObject({ granted: false, storeId: 'HQ', source: 'console' });
        expect(by.get('email')?.granted).toBe(true);
        expect(by.get('wechat')?.granted).toBeNull();
        expect(by.size).toBe(CONSENT_CHANNELS.length);
      }),
    );
    expect(mayContact(facts, 'email')).toBe(true);
    expect(mayContact(facts, 'sms')).toBe(false);
    expect(mayContact(facts, 'phone')).toBe(false);
  });

  it('at the same instant a withdrawal wins over a yes, whatever the order', () => {
    const at = '2026-01-02T00:00:00.000Z';
    for (const facts of [[consent('sms', true, at, 'S001'), consent('sms', false, at, 'S002')], [consent('sms', false, at, 'S002'), consent('sms', true, at, 'S001')]]) {
      expect(mayContact(facts, 'sms')).toBe(false);
    }
  });

  it('a consent dated ahead of the hub or before the registration is not believed', () => {
    const now = new Date('2026-06-01T00:00:00.000Z');
    expect(consentTimeRefusal('2026-06-01T00:05:00.000Z', member.registeredAt, now)).toBeUndefined();
    expect(consentTimeRefusal('2026-06-01T01:00:00.000Z', member.registeredAt, now)).toMatch(/ahead/);
    expect(consentTimeRefusal('2025-12-31T00:00:00.000Z', member.registeredAt, now)).toMatch(/before the member registered/);
  });

  it('the gateway takes a till consent of the store itself under its id, nothing else', () => {
    const ok = consent('sms', true, '2026-01-02T00:00:00.000Z');
    expect(storeDocRefusal(ok, 'S001')).toBeUndefined();
    expect(storeDocRefusal(ok, 'S002')).toMatch(/recorded at store S001/);
    expect(storeDocRefusal({ ...ok, _id: 'consent:MEM2:sms:S001:2026-01-02T00:00:00.000Z' }, 'S001')).toMatch(/consent id/);
    expect(storeDocRefusal({ ...ok, source: 'console' }, 'S001')).toMatch(/hub's to record/);
    expect(storeDocRefusal({ ...ok, channel: 'fax' }, 'S001')).toMatch(/not a valid consent/);
  });
});

describe('erasure', () => {
  it('the erased member keeps id, stores and registration time, and no value that identifies the person; v1 readers still parse it', () => {
    const e = erasedMember(member, '2026-11-30T00:00:00.000Z');
    expect(AnyDocSchema.safeParse(e).success).toBe(true);
    for (const v of personalValues([member], [])) expect(JSON.stringify(e)).not.toContain(v);
    expect(e).toMatchObject({ id: 'MEM1', homeStoreId: 'S001', registeredStoreId: 'S001', registeredAt: member.registeredAt, erasedAt: '2026-11-30T00:00:00.000Z' });
    expect(memberKeys(e)).toEqual([]);
    expect(erasedMember(e, '2027-01-01T00:00:00.000Z').erasedAt).toBe('2026-11-30T00:00:00.000Z');
  });

  it('an erased source record has no identities and no profile beyond registration', () => {
    const r = erasedRecord({ id: 'crm:1', source: 'crm', observedAt: '2026-01-01T00:00:00.000Z', identities: { phone: '+8613900000001', cardNo: 'VIP001', buyerNick: 'nick' }, profile: { name: 'Li Wei', email: 'li@example.com', region: { city: 'Shanghai' }, registeredAt: '2025-01-01T00:00:00.000Z' }, memberId: 'MEM1' });
    expect(r).toEqual({ id: 'crm:1', source: 'crm', observedAt: '2026-01-01T00:00:00.000Z', identities: {}, profile: { registeredAt: '2025-01-01T00:00:00.000Z' }, memberId: 'MEM1' });
    expect(isErasedRecord(r)).toBe(true);
  });

  it('the index forgets an erased member: no key finds them, no phone or name, the balance stays', () => {
    const index = new MemberIndex();
    index.apply(member);
    for (const key of memberKeys(member)) index.apply({ _id: `idk:${key}`, type: 'idk', key, memberId: 'MEM1' });
    index.apply({ _id: 'pts:MEM1:join', type: 'pts', memberId: 'MEM1', delta: 200, reason: 'join', ref: 'member:MEM1', storeId: 'S001', at: '2026-01-01T00:00:00.000Z', day: '2026-01-01' });
    expect(index.memberIdFor('phone:+8613900000001')).toBe('MEM1');
    index.apply(erasedMember(member, '2026-11-30T00:00:00.000Z'));
    for (const key of memberKeys(member)) expect(index.memberIdFor(key)).toBeUndefined();
    expect(index.get('MEM1')?.phone).toBe('');
    expect(index.get('MEM1')?.name).toBeUndefined();
    expect(index.points('MEM1', '2026-11-30')).toBe(200);
  });

  it('a deleted key document finds no one', () => {
    const index = new MemberIndex();
    index.apply(member);
    index.apply({ _id: 'idk:card:VIP001', type: 'idk', key: 'card:VIP001', memberId: 'MEM1' });
    index.dropKey('card:VIP001');
    expect(index.memberIdFor('card:VIP001')).toBeUndefined();
  });
});

describe('consent in imports', () => {
  const mapping = MappingSchema.parse({ source: 'ecom', format: 'csv', kind: 'members', idField: 'uid', columns: { phone: 'mobile', consentSms: '短信营销', consentEmail: 'newsletter', consentWechat: 'wx' } });

  it('consent columns read yes and no in the words exports use; blank is nothing; anything else is dropped, not guessed', () => {
    const r = applyMapping(mapping, { uid: '1', mobile: '13800138000', 短信营销: '同意', newsletter: 'N', wx: 'maybe' }, 1, { observedAt: '2026-01-01T00:00:00.000Z' });
    expect(r.ok && r.record.consent).toEqual({ sms: true, email: false });
    expect(r.ok && r.cleanedFields).toContain('consentWechat');
    const blank = applyMapping(mapping, { uid: '2', mobile: '13800138001', 短信营销: '', newsletter: ' ', wx: '' }, 2, { observedAt: '2026-01-01T00:00:00.000Z' });
    expect(blank.ok && blank.record.consent).toBeUndefined();
    for (const [cell, v] of [['是', true], ['1', true], ['Yes', true], ['拒绝', false], ['退订', false], ['false', false]] as const) expect(cleanConsent(cell)).toMatchObject({ ok: true, value: v });
  });

  it('a record keeps its consent through the resolver, and erasure drops it', () => {
    const resolver = new Resolver({ sourcePriority: ['pos', 'ecom'] });
    const record = { id: 'ecom:1', source: 'ecom', observedAt: '2026-01-01T00:00:00.000Z', identities: { phone: '+8613800138000' }, profile: {}, consent: { sms: true, phone: false } };
    const { memberId } = resolver.add(record);
    expect(resolver.member(memberId)?.records[0]?.consent).toEqual({ sms: true, phone: false });
    const facts = consentOfRecord(resolver.member(memberId)!.records[0]!, 'MEM1');
    expect(facts.map((f) => [f.channel, f.granted, f.source, f.at])).toEqual([['sms', true, 'import', '2026-01-01T00:00:00.000Z'], ['phone', false, 'import', '2026-01-01T00:00:00.000Z']]);
    expect(erasedRecord(record).consent).toBeUndefined();
  });
});

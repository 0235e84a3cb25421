import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { identityKey } from '../../shared/identity-keys.ts';
import { identitiesOfKeys, isJunkKey, recordKeys } from '../../shared/one-id/keys.ts';

describe('recordKeys', () => {
  it('gives one normalised key per identity, in a fixed order', () => {
    expect(
      recordKeys({
        phone: '+8613912345670',
        cardNo: 'VIP0001',
        unionId: 'oU_union_1',
        openIds: [{ appId: 'wxmini', openId: 'oOpen_0001' }, { appId: 'wxoa', openId: 'oOpen_0001' }],
        buyerNick: 'ＬｉＬｙ',
        jdPin: 'Jd_Pin',
      }),
    ).toEqual(['phone:+8613912345670', 'card:VIP0001', 'unionid:oU_union_1', 'openid:wxmini:oOpen_0001', 'openid:wxoa:oOpen_0001', 'tmall:lily', 'jd:jd_pin']);
    expect(recordKeys({})).toEqual([]);
  });

  it('is undone by identitiesOfKeys for normalised identities', () => {
    const ids = { phone: '+8613912345670', cardNo: 'VIP0001', openIds: [{ appId: 'wxmini', openId: 'oOpen_0001' }], buyerNick: 'lily', jdPin: 'pin1' };
    expect(identitiesOfKeys(recordKeys(ids))).toEqual(ids);
  });

  it('adds Tmall and JD key types without changing the store identity types', () => {
    expect(identityKey('tmall', ' ＬｉＬｙ ')).toEqual({ ok: true, key: 'tmall:lily' });
    expect(identityKey('jd', 'ABC')).toEqual({ ok: true, key: 'jd:abc' });
    expect(identityKey('jd', '  ')).toMatchObject({ ok: false, field: 'jdPin' });
  });
});

describe('isJunkKey', () => {
  it.each([
    'phone:+8613800000000',
    'phone:+8613888888888',
    'phone:+8613912345678',
    'phone:+8613987654321',
    'phone:+8611111111111',
    'phone:+11111111111',
    'card:0000',
    'card:AAAAAA',
    'card:12345678',
    'tmall:null',
    'tmall:t**1',
    'jd:test',
    'unionid:aaaaaaaa',
    'openid:wx1:00000000',
  ])('%s is junk', (key) => expect(isJunkKey(key)).toBe(true));

  it.each(['phone:+8613800138000', 'phone:+8613912345670', 'phone:+12025550123', 'card:VIP0001', 'card:123457', 'tmall:lily', 'unionid:oU_union_1', 'member:M0001'])(
    '%s is not',
    (key) => expect(isJunkKey(key)).toBe(false),
  );

  it('is rare among random Chinese mobiles (conservative)', () => {
    let junk = 0;
    fc.assert(
      fc.property(fc.stringMatching(/^1[3-9]\d{9}$/), (n) => {
        if (isJunkKey(`phone:+86${n}`)) junk++;
      }),
      { numRuns: 2000 },
    );
    expect(junk).toBeLessThan(5);
  });
});

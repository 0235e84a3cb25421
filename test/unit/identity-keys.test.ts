import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { identityKey, keyOfIdentity, IDENTITY_TYPES } from '../../shared/identity-keys.ts';

describe('identityKey', () => {
  it('phones key by their E.164 form, however typed', () => {
    for (const p of ['138 0013 8000', '+86 138-0013-8000', '０086１３８００１３８０００', ' 8613800138000 ']) {
      expect(identityKey('phone', p)).toEqual({ ok: true, key: 'phone:+8613800138000' });
    }
    expect(identityKey('phone', '12800138000')).toMatchObject({ ok: false, field: 'phone' });
  });

  it('cards are upper-cased and lose their dashes', () => {
    expect(identityKey('card', 'ab-12-cd')).toEqual({ ok: true, key: 'card:AB12CD' });
    expect(identityKey('card', ' AB12CD ')).toEqual({ ok: true, key: 'card:AB12CD' });
    expect(identityKey('card', 'abc')).toMatchObject({ ok: false, field: 'cardNo' });
    expect(identityKey('card', 'a'.repeat(33))).toMatchObject({ ok: false, field: 'cardNo' });
    expect(identityKey('card', 'AB 12CD')).toMatchObject({ ok: false, field: 'cardNo' });
  });

  it('unionids are kept as given', () => {
    expect(identityKey('unionid', 'oU_abc-12345')).toEqual({ ok: true, key: 'unionid:oU_abc-12345' });
    expect(identityKey('unionid', 'short')).toMatchObject({ ok: false, field: 'unionId' });
  });

  it('openids need their appId and are keyed by it', () => {
    expect(identityKey('openid', 'oAbc12345', 'wx123')).toEqual({ ok: true, key: 'openid:wx123:oAbc12345' });
    expect(identityKey('openid', 'oAbc12345')).toMatchObject({ ok: false, field: 'appId' });
    expect(identityKey('openid', 'oAbc12345', ' ')).toMatchObject({ ok: false, field: 'appId' });
    expect(identityKey('openid', 'oAb', 'wx123')).toMatchObject({ ok: false, field: 'openId' });
    // The same openid under two apps is two identities.
    const a = identityKey('openid', 'oAbc12345', 'wx1');
    const b = identityKey('openid', 'oAbc12345', 'wx2');
    expect(a.ok && b.ok && a.key !== b.key).toBe(true);
  });

  it('member codes are 8-24 digits', () => {
    expect(identityKey('code', '12345678')).toEqual({ ok: true, key: 'code:12345678' });
    expect(identityKey('code', '1234567')).toMatchObject({ ok: false, field: 'memberCode' });
    expect(identityKey('code', '1234567a')).toMatchObject({ ok: false, field: 'memberCode' });
    expect(identityKey('code', '1'.repeat(25))).toMatchObject({ ok: false, field: 'memberCode' });
  });

  it('every key starts with its type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...IDENTITY_TYPES), fc.string({ maxLength: 40 }), fc.string({ maxLength: 10 }), (type, value, app) => {
        const r = identityKey(type, value, app);
        if (r.ok) expect(r.key.startsWith(`${type}:`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a card key fed back in gives itself (normalising twice changes nothing)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9-]{4,32}$/), (card) => {
        const r = identityKey('card', card);
        // Dashes are separators only: fewer than 4 letters or digits is no card number.
        expect(r.ok).toBe(card.replace(/-/g, '').length >= 4);
        if (!r.ok) return;
        const value = r.key.slice('card:'.length);
        if (value.length >= 4) expect(identityKey('card', value)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });
});

describe('keyOfIdentity', () => {
  it('dispatches on the one identity given', () => {
    expect(keyOfIdentity({ phone: '13800138000' })).toEqual({ ok: true, key: 'phone:+8613800138000' });
    expect(keyOfIdentity({ cardNo: 'ab-12' })).toEqual({ ok: true, key: 'card:AB12' });
    expect(keyOfIdentity({ unionId: 'union_123' })).toEqual({ ok: true, key: 'unionid:union_123' });
    expect(keyOfIdentity({ openId: 'open_1234', appId: 'wxapp' })).toEqual({ ok: true, key: 'openid:wxapp:open_1234' });
    expect(keyOfIdentity({ memberCode: '000011112222' })).toEqual({ ok: true, key: 'code:000011112222' });
  });
});

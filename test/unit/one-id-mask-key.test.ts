import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskKey } from '../../shared/one-id/mask-key.ts';

describe('maskKey', () => {
  it('masks a phone as the console masks phones, keeps the type', () => {
    expect(maskKey('phone:+8613800138000')).toBe('phone:138****8000');
    expect(maskKey('card:VIP00123')).toBe('card:VI******');
    expect(maskKey('openid:wxapp:oAbc12345')).toBe('openid:wxapp:oA*******');
    expect(maskKey('tmall:张三丰')).toBe('tmall:张三**');
    // An operator's link and a store member id name no person's data.
    expect(maskKey('manual:3')).toBe('manual:3');
  });

  it('never shows more than two characters of a value after the type', () => {
    fc.assert(
      fc.property(fc.constantFrom('card', 'unionid', 'tmall', 'jd'), fc.string({ minLength: 3, maxLength: 40 }).filter((s) => !s.includes('*')), (type, value) => {
        const masked = maskKey(`${type}:${value}`);
        expect(masked.startsWith(`${type}:`)).toBe(true);
        const shown = [...masked.slice(type.length + 1)].filter((ch) => ch !== '*');
        expect(shown.length).toBeLessThanOrEqual(2);
        expect(masked).not.toContain(value);
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { GUIDE_EN } from '../../edge/guide/messages-en.ts';
import { GUIDE_ZH_CN } from '../../edge/guide/messages-zh-cn.ts';
import { guideTranslators } from '../../edge/guide/i18n.ts';
import { safeNext } from '../../edge/guide/guide-access.ts';

describe('the guide catalogues', () => {
  it('zh-CN has every English message, with the same placeholders', () => {
    expect([...GUIDE_ZH_CN.keys()].sort()).toEqual([...GUIDE_EN.keys()].sort());
    const slots = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const [key, text] of GUIDE_EN) expect(slots(GUIDE_ZH_CN.get(key)!), key).toEqual(slots(text));
  });

  it('fills placeholders, writes days in the language, and falls back to the value for data it has no word for', () => {
    const zh = guideTranslators('Asia/Shanghai')('zh-CN');
    expect(zh('profile.toNext', { amount: '300.00', tier: '金卡' })).toBe('再消费 ¥300.00 升级为金卡');
    expect(zh.value('gender', 'F')).toBe('女');
    expect(zh.value('gender', '__proto__')).toBe('__proto__');
    expect(guideTranslators('Asia/Shanghai')('en').day('2027-03-01')).toBe('Mar 1, 2027');
    expect(zh.day('not a day')).toBe('—');
  });
});

describe('safeNext', () => {
  it('goes back only to a guide page of this node', () => {
    expect(safeNext('/guide/m/MSEED00000001')).toBe('/guide/m/MSEED00000001');
    for (const bad of ['https://evil.example/guide', '//evil.example', '/guide//evil.example', '/console', '/guide/../v1', undefined, 42]) expect(safeNext(bad)).toBe('/guide');
  });
});

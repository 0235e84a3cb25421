import { describe, expect, it } from 'vitest';
import { EN } from '../../hub/console/messages-en.ts';
import { ZH_CN } from '../../hub/console/messages-zh-cn.ts';
import { pickLang, translator } from '../../hub/console/i18n.ts';
import { maskName } from '../../shared/mask-name.ts';

describe('the console catalogues', () => {
  it('zh-CN has every English message, with the same placeholders', () => {
    expect([...ZH_CN.keys()].sort()).toEqual([...EN.keys()].sort());
    const slots = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const [key, text] of EN) expect(slots(ZH_CN.get(key)!), key).toEqual(slots(text));
  });

  it('fills placeholders, and falls back to the value for data it has no word for (never an object key)', () => {
    const t = translator('zh-CN');
    expect(t('dashboard.toStores', { n: 3 })).toBe('全部 3 家门店');
    expect(t.value('state', 'online')).toBe('在线');
    expect(t.value('state', '__proto__')).toBe('__proto__');
    expect(t.value('kind', 'constructor')).toBe('constructor');
    expect(translator('en')('stores.lagValue', { docs: 1, s: 2, __proto__: 'x' } as never)).toBe('1 docs · 2 s');
  });
});

describe('pickLang', () => {
  it('the lang cookie first, then Accept-Language by weight, else English', () => {
    expect(pickLang('zh-CN', 'en')).toBe('zh-CN');
    expect(pickLang('fr', 'zh-CN,zh;q=0.9')).toBe('zh-CN');
    expect(pickLang(undefined, 'fr-FR, zh-TW;q=0.8, en;q=0.9')).toBe('en');
    expect(pickLang(undefined, 'de;q=0.9, zh;q=0.95')).toBe('zh-CN');
    expect(pickLang(undefined, 'zh;q=0, en-GB')).toBe('en');
    expect(pickLang(undefined, undefined)).toBe('en');
    expect(pickLang(undefined, 'ja')).toBe('en');
  });
});

describe('maskName', () => {
  it('keeps the first character, whole (surrogate pairs too)', () => {
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('Li')).toBe('L*');
    expect(maskName('𠮷野家')).toBe('𠮷**');
    expect(maskName('王')).toBe('王*');
    expect(maskName(null)).toBe('—');
  });
});

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  cleanBuyerNick, cleanCardNo, cleanDate, cleanDateTime, cleanEmail, cleanGender, cleanJdPin,
  cleanMoney, cleanName, cleanOpenId, cleanPhone, cleanRegion, cleanUnionId, type Cleaned,
} from '../../shared/one-id/clean.ts';

const value = <T>(c: Cleaned<T>) => (c.ok ? c.value : `REJECT ${c.reason}`);

describe('cleanPhone', () => {
  it.each([
    ['13800138000', '+8613800138000', false],
    ['+8613800138000', '+8613800138000', false],
    ['0086 138-0013-8000', '+8613800138000', true],
    ['１３８００１３８０００', '+8613800138000', true],
    ['13800138000.0', '+8613800138000', true],
  ])('%j → %j (changed %j)', (input, e164, changed) => {
    expect(cleanPhone(input)).toEqual({ ok: true, value: e164, changed });
  });

  it('treats empty, placeholder, masked and landline numbers as no phone', () => {
    expect(cleanPhone('')).toEqual({ ok: true, value: undefined, changed: false });
    expect(cleanPhone(undefined)).toEqual({ ok: true, value: undefined, changed: false });
    for (const v of ['-', 'NULL', '无', '138****8000', '021-62345678', '0755 8888 9999']) {
      expect(cleanPhone(v), v).toEqual({ ok: true, value: undefined, changed: true });
    }
  });

  it.each(['1380013800', '23800138000', '12345', 'abc', '1.38001E+10', '+86 1380013800'])('rejects impossible %j', (input) => {
    expect(cleanPhone(input).ok).toBe(false);
  });
});

describe('cleanName', () => {
  it.each([
    ['张三', '张三'],
    ['  张 三 ', '张三'],
    ['ＬＩ　Ｍｉｎｇ', 'LI Ming'],
    ['Li   Ming', 'Li Ming'],
    ['欧阳\t娜娜', '欧阳娜娜'],
    ['N/A', undefined],
    ['null', undefined],
    ['-', undefined],
    ['未知', undefined],
  ])('%j → %j', (input, out) => {
    expect(value(cleanName(input))).toBe(out);
  });

  it('says whether it changed anything', () => {
    expect(cleanName('张三')).toEqual({ ok: true, value: '张三', changed: false });
    expect(cleanName(' 张三')).toEqual({ ok: true, value: '张三', changed: true });
  });

  it('refuses a name longer than 64 characters', () => {
    expect(cleanName('x'.repeat(65)).ok).toBe(false);
  });
});

describe('cleanGender', () => {
  it.each([
    ['M', 'M'], ['m', 'M'], ['Male', 'M'], ['男', 'M'], ['先生', 'M'], ['1', 'M'], ['Ｍ', 'M'],
    ['F', 'F'], ['female', 'F'], ['女', 'F'], ['女士', 'F'], ['小姐', 'F'], ['2', 'F'],
    ['0', undefined], ['9', undefined], ['unknown', undefined], ['保密', undefined], ['', undefined],
  ])('%j → %j', (input, out) => {
    expect(value(cleanGender(input))).toBe(out);
  });
});

describe('cleanDate', () => {
  it.each([
    ['1990-03-05', '1990-03-05'],
    ['1990-3-5', '1990-03-05'],
    ['1990/3/5', '1990-03-05'],
    ['1990.03.05', '1990-03-05'],
    ['19900305', '1990-03-05'],
    ['1990年3月5日', '1990-03-05'],
    ['1990年03月05号', '1990-03-05'],
    ['05/03/1990', '1990-03-05'],
    ['5-3-1990', '1990-03-05'],
    ['03/25/1990', '1990-03-25'],
    ['32937', '1990-03-05'],
    ['1990-03-05 10:00:00', '1990-03-05'],
    ['1990-03-04T16:00:00.000Z', '1990-03-05'],
    ['1990-03-05T00:00:00Z', '1990-03-05'],
    ['1990-03-05T00:00:00+08:00', '1990-03-05'],
    ['１９９０－０３－０５', '1990-03-05'],
  ])('%j → %j', (input, out) => {
    expect(value(cleanDate(input))).toBe(out);
  });

  it('reads slashes month first when the mapping says so', () => {
    expect(value(cleanDate('05/03/1990', { order: 'mdy' }))).toBe('1990-05-03');
    expect(value(cleanDate('25/03/1990', { order: 'mdy' }))).toBe('1990-03-25');
  });

  it.each(['1990-02-30', '1990-13-01', '2023-02-29', '90-03-05', 'yesterday', '1990/0/5'])('rejects impossible %j', (input) => {
    expect(cleanDate(input).ok).toBe(false);
  });

  it('keeps birthdays between min and max', () => {
    const birthday = { min: '1900-01-02', max: '2026-01-01' };
    expect(cleanDate('2030-01-01', birthday).ok).toBe(false);
    expect(cleanDate('1899-12-31', birthday).ok).toBe(false);
    expect(value(cleanDate('2000-02-29', birthday))).toBe('2000-02-29');
  });
});

describe('cleanDateTime', () => {
  it.each([
    ['2024-03-05T06:03:00.000Z', '2024-03-05T06:03:00.000Z'],
    ['2024-03-05 14:03', '2024-03-05T06:03:00.000Z'],
    ['2024/3/5 14:03:00', '2024-03-05T06:03:00.000Z'],
    ['2024-03-05T14:03:00+08:00', '2024-03-05T06:03:00.000Z'],
    ['2024-03-05 14:03:00 +0800', '2024-03-05T06:03:00.000Z'],
    ['20240305140300', '2024-03-05T06:03:00.000Z'],
    ['2024年3月5日 14:03', '2024-03-05T06:03:00.000Z'],
    ['2024-03-05', '2024-03-04T16:00:00.000Z'],
    ['1709618580', '2024-03-05T06:03:00.000Z'],
    ['1709618580000', '2024-03-05T06:03:00.000Z'],
    ['45356.5', '2024-03-05T04:00:00.000Z'],
  ])('%j → %j', (input, out) => {
    expect(value(cleanDateTime(input))).toBe(out);
  });

  it('reads zone-less times in the configured zone', () => {
    expect(value(cleanDateTime('2024-07-01 12:00', { timeZone: 'Europe/Berlin' }))).toBe('2024-07-01T10:00:00.000Z');
    expect(value(cleanDateTime('2024-01-01 12:00', { timeZone: 'Europe/Berlin' }))).toBe('2024-01-01T11:00:00.000Z');
  });

  it('counts only repairs as changes, not turning a standard timestamp into UTC', () => {
    expect(cleanDateTime('2024-03-05 14:03:00')).toMatchObject({ changed: false });
    expect(cleanDateTime('2024/3/5 14:03')).toMatchObject({ changed: true });
  });

  it('rejects impossible times', () => {
    expect(cleanDateTime('2024-03-05 25:00').ok).toBe(false);
    expect(cleanDateTime('2024-02-30 10:00').ok).toBe(false);
  });
});

describe('cleanRegion', () => {
  it.each([
    [{ province: '广东省', city: '深圳市' }, { province: '广东', city: '深圳' }],
    [{ province: 'Guangdong Province', city: 'Shenzhen City' }, { province: '广东', city: '深圳' }],
    [{ province: 'guangdong', city: 'shenzhen shi' }, { province: '广东', city: '深圳' }],
    [{ province: '广西壮族自治区', city: '南宁市' }, { province: '广西', city: '南宁' }],
    [{ province: '新疆维吾尔自治区' }, { province: '新疆' }],
    [{ province: 'Shaanxi' }, { province: '陕西' }],
    [{ province: 'Shanxi' }, { province: '山西' }],
    [{ city: '杭州' }, { province: '浙江', city: '杭州' }],
    [{ city: '上海市' }, { province: '上海', city: '上海' }],
    [{ text: '广东省深圳市' }, { province: '广东', city: '深圳' }],
    [{ text: '北京市朝阳区' }, { province: '北京', city: '北京' }],
    [{ text: '浙江 杭州' }, { province: '浙江', city: '杭州' }],
    [{ text: 'Guangdong Shenzhen' }, { province: '广东', city: '深圳' }],
    [{ province: '湖南省', city: '株洲市' }, { province: '湖南', city: '株洲' }],
  ])('%j → %j', (input, out) => {
    expect(value(cleanRegion(input))).toEqual(out);
  });

  it('treats placeholders as no region', () => {
    expect(cleanRegion({ province: '-', city: '未知' })).toEqual({ ok: true, value: undefined, changed: true });
    expect(cleanRegion({})).toEqual({ ok: true, value: undefined, changed: false });
  });
});

describe('identity keys', () => {
  it('folds nicknames and PINs, hides masked ones', () => {
    expect(value(cleanBuyerNick(' Ｔｏｍ_Li '))).toBe('tom_li');
    expect(value(cleanBuyerNick('张**'))).toBeUndefined();
    expect(value(cleanJdPin('JD_Lucy'))).toBe('jd_lucy');
  });

  it('normalises card numbers and refuses impossible ones', () => {
    expect(value(cleanCardNo('vip-0012 3456'))).toBe('VIP00123456');
    expect(cleanCardNo('12').ok).toBe(false);
    expect(cleanCardNo('卡号123456').ok).toBe(false);
  });

  it('keeps WeChat ids case-sensitive', () => {
    expect(value(cleanUnionId(' oXyZ12345678 '))).toBe('oXyZ12345678');
    expect(value(cleanOpenId('oABCdef_12-34'))).toBe('oABCdef_12-34');
    expect(cleanOpenId('short').ok).toBe(false);
    expect(cleanUnionId('has space 123').ok).toBe(false);
  });

  it('lower-cases emails and drops non-addresses', () => {
    expect(value(cleanEmail(' Li@Example.COM '))).toBe('li@example.com');
    expect(cleanEmail('li at example').ok).toBe(false);
  });
});

describe('cleanMoney', () => {
  it.each([
    ['88.50', 8850], ['88.5', 8850], ['88', 8800], ['0.01', 1], ['0', 0], ['0.00', 0],
    ['¥1,288.00', 128800], ['1288元', 128800], ['￥ 19.9', 1990], ['123456789.99', 12345678999],
  ])('%j → %j cents', (input, cents) => {
    expect(value(cleanMoney(input))).toBe(cents);
  });

  it('is exact where floats are not', () => {
    // 0.29 * 100 is 28.999999999999996 in floating point.
    expect(value(cleanMoney('0.29'))).toBe(29);
    expect(value(cleanMoney('1.15'))).toBe(115);
    expect(value(cleanMoney('4.35'))).toBe(435);
  });

  it.each(['-5', '88.505', '8,8', 'abc', '1e3'])('rejects %j', (input) => {
    expect(cleanMoney(input).ok).toBe(false);
  });

  it('reads integer cents when told so', () => {
    expect(value(cleanMoney('8850', 'cents'))).toBe(8850);
    expect(cleanMoney('88.50', 'cents').ok).toBe(false);
  });

  it('turns every yuan amount with two decimals into the same integer', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e11 }), (cents) => {
      const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
      expect(value(cleanMoney(text))).toBe(cents);
    }));
  });
});

describe('cleaning is idempotent', () => {
  const messy = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('１３８００１３８０００', ' 0086 138-0013-8000 ', '张 三', 'ＬＩ　Ｍｉｎｇ', '1990年3月5日', '05/03/1990', '32937', '2024/3/5 14:03', '女士', '广东省', 'Shenzhen City', 'vip-0012 3456', 'Tom_Li'),
    fc.tuple(fc.constantFrom('+86', '0086', '', '86 '), fc.integer({ min: 3, max: 9 }), fc.stringMatching(/^\d{9}$/)).map(([p, b, rest]) => `${p}1${b}${rest}`),
  );
  const cleaners: [string, (s: string) => Cleaned<unknown>][] = [
    ['phone', cleanPhone], ['name', cleanName], ['gender', cleanGender], ['date', (s) => cleanDate(s)],
    ['datetime', (s) => cleanDateTime(s)], ['buyerNick', cleanBuyerNick], ['jdPin', cleanJdPin], ['cardNo', cleanCardNo],
    ['unionId', cleanUnionId], ['email', cleanEmail], ['province', (s) => cleanRegion({ province: s })],
  ];

  it.each(cleaners)('%s: cleaning a cleaned value changes nothing', (_, clean) => {
    fc.assert(fc.property(messy, (input) => {
      const once = clean(input);
      if (!once.ok || once.value === undefined) return;
      const again = typeof once.value === 'string' ? clean(once.value) : cleanRegion(once.value as { province?: string; city?: string });
      expect(again).toEqual({ ok: true, value: once.value, changed: false });
    }), { numRuns: 300 });
  });
});

describe('keys a prototype answers for are ordinary text', () => {
  const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
  const cleaners: [string, (s: string) => Cleaned<unknown>][] = [
    ['phone', cleanPhone], ['name', cleanName], ['gender', cleanGender], ['date', (s) => cleanDate(s)],
    ['datetime', (s) => cleanDateTime(s)], ['buyerNick', cleanBuyerNick], ['jdPin', cleanJdPin], ['cardNo', cleanCardNo],
    ['unionId', cleanUnionId], ['email', cleanEmail], ['province', (s) => cleanRegion({ province: s })],
  ];

  // fast-check found `__proto__` cleaning to Object.prototype as a gender (seed -487358135).
  it.each(cleaners)('%s: never answers with something a prototype holds', (_, clean) => {
    for (const key of PROTO_KEYS) {
      const r = clean(key);
      if (r.ok && r.value !== undefined) expect(typeof r.value === 'string' || Object.getPrototypeOf(r.value) === Object.prototype).toBe(true);
      if (r.ok && typeof r.value === 'object' && r.value !== null) for (const v of Object.values(r.value)) expect(v === undefined || typeof v === 'string').toBe(true);
    }
    expect(cleanGender('__proto__')).toEqual({ ok: true, value: undefined, changed: true });
    expect(cleanGender('constructor')).toEqual({ ok: true, value: undefined, changed: true });
  });
});

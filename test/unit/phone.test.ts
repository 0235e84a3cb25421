import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { maskPhone, normalizePhone } from '../../shared/phone.ts';

const ok = (e164: string) => ({ ok: true, e164 });

describe('normalizePhone: Chinese mobiles', () => {
  it.each([
    '13800138000',
    '+8613800138000',
    '+86 138 0013 8000',
    '008613800138000',
    '0086 138 0013 8000',
    '8613800138000',
    '86 138-0013-8000',
    '138-0013-8000',
    '138 0013 8000',
    '(138) 0013 8000',
    '+86 (138) 0013-8000',
    '138.0013.8000',
    '  13800138000  ',
    '１３８００１３８０００',
    '＋８６ 138-0013-8000',
    '＋８６\u3000１３８－００１３－８０００',
    '００８６ 138-0013-8000',
    '８６１３８００１３８０００',
  ])('%j → +8613800138000', (input) => {
    expect(normalizePhone(input)).toEqual(ok('+8613800138000'));
  });

  it('accepts every 13-19 prefix band', () => {
    for (const second of ['3', '4', '5', '6', '7', '8', '9']) {
      expect(normalizePhone(`1${second}000000000`)).toEqual(ok(`+861${second}000000000`));
    }
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['\u3000', 'empty'],
    ['1380013800', 'too short'],
    ['138001380001', 'too long'],
    ['12800138000', 'starts with 12'],
    ['10800138000', 'starts with 10'],
    ['23800138000', 'does not start with 1'],
    ['+8612800138000', '+86 but starts with 12'],
    ['+86138001380', '+86 but too short'],
    ['008612800138000', '0086 but starts with 12'],
    ['8612800138000', '86 prefix but starts with 12'],
    ['138OO138OOO', 'letters O for zeros'],
    ['138-0013-800a', 'a letter'],
    ['tel:13800138000', 'a scheme'],
    ['138+00138000', 'misplaced +'],
    ['++8613800138000', 'double +'],
    ['+', 'only +'],
    ['+0123456789', 'country code 0'],
    ['+1234567', 'E.164 too short'],
    ['+1234567890123456', 'E.164 too long'],
  ])('rejects %j (%s)', (input) => {
    const r = normalizePhone(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toEqual(expect.any(String));
  });
});

describe('normalizePhone: other countries', () => {
  it('need a leading + or 00', () => {
    expect(normalizePhone('+1 415 555 2671')).toEqual(ok('+14155552671'));
    expect(normalizePhone('001 (415) 555-2671')).toEqual(ok('+14155552671'));
    expect(normalizePhone('+852 6123 4567')).toEqual(ok('+85261234567'));
    expect(normalizePhone('+44 20 7946 0958')).toEqual(ok('+442079460958'));
    // Without the + a foreign number is not guessed at.
    expect(normalizePhone('4155552671').ok).toBe(false);
    expect(normalizePhone('85261234567').ok).toBe(false);
    expect(normalizePhone('442079460958').ok).toBe(false);
  });

  it('accepts the E.164 length bounds exactly', () => {
    expect(normalizePhone('+12345678')).toEqual(ok('+12345678'));
    expect(normalizePhone('+123456789012345')).toEqual(ok('+123456789012345'));
  });
});

describe('normalizePhone properties', () => {
  const cnMobile = fc
    .tuple(fc.constantFrom('3', '4', '5', '6', '7', '8', '9'), fc.stringMatching(/^\d{9}$/))
    .map(([b, rest]) => `1${b}${rest}`);

  const decorate = (digits: string, prefix: string, sep: string, fullWidth: boolean) => {
    const grouped = `${digits.slice(0, 3)}${sep}${digits.slice(3, 7)}${sep}${digits.slice(7)}`;
    const s = `${prefix}${grouped}`;
    return fullWidth ? s.replace(/[0-9+\-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)) : s;
  };

  it('any way of writing a Chinese mobile gives the same E.164', () => {
    fc.assert(
      fc.property(
        cnMobile,
        fc.constantFrom('', '+86', '+86 ', '0086', '0086 ', '86', '86 '),
        fc.constantFrom('', ' ', '-', '.', '  '),
        fc.boolean(),
        (digits, prefix, sep, fullWidth) => {
          expect(normalizePhone(decorate(digits, prefix, sep, fullWidth))).toEqual(ok(`+86${digits}`));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is idempotent: normalising an E.164 output gives itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789+- ()．１２３８６＋'.split('')), maxLength: 20 }), (input) => {
        const r = normalizePhone(input);
        if (!r.ok) return;
        expect(r.e164).toMatch(/^\+[1-9]\d{7,14}$/);
        expect(normalizePhone(r.e164)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent on random valid numbers of either kind', () => {
    const intl = fc.stringMatching(/^\+[1-9]\d{7,14}$/).filter((s) => !s.startsWith('+86'));
    fc.assert(
      fc.property(fc.oneof(cnMobile, cnMobile.map((d) => `+86 ${d}`), intl), (input) => {
        const r = normalizePhone(input);
        expect(r.ok).toBe(true);
        if (r.ok) expect(normalizePhone(r.e164)).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a number with a letter in it', () => {
    fc.assert(
      fc.property(cnMobile, fc.nat({ max: 10 }), fc.constantFrom(...'abcxyzOIlABC'.split('')), (digits, at, letter) => {
        const i = at % (digits.length + 1);
        expect(normalizePhone(digits.slice(0, i) + letter + digits.slice(i)).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('maskPhone', () => {
  it('shows the first three and last four digits of a Chinese mobile', () => {
    expect(maskPhone('+8613800138000')).toBe('138****8000');
    expect(maskPhone('+8615912345678')).toBe('159****5678');
  });

  it('keeps the country code and last three digits of other numbers', () => {
    expect(maskPhone('+14155552671')).toBe('+141****671');
    expect(maskPhone('+442079460958')).toBe('+442****958');
  });

  it('hides very short input entirely', () => {
    expect(maskPhone('+1234')).toBe('****');
    expect(maskPhone('')).toBe('****');
  });

  it('never shows the middle digits of a Chinese mobile', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^1[3-9]\d{9}$/), (digits) => {
        const masked = maskPhone(`+86${digits}`);
        expect(masked).toBe(`${digits.slice(0, 3)}****${digits.slice(7)}`);
        expect(masked).not.toContain(digits.slice(3, 7) + digits.slice(7));
      }),
      { numRuns: 200 },
    );
  });
});

describe('bracketed country codes', () => {
  it('reads (+86) and full-width brackets and dots', () => {
    expect(normalizePhone('(+86) 138 0013 8000')).toEqual({ ok: true, e164: '+8613800138000' });
    expect(normalizePhone('（＋８６）１３８．００１３．８０００')).toEqual({ ok: true, e164: '+8613800138000' });
  });
});

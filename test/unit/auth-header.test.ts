import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credentialsOf } from '../../shared/auth-header.ts';

const token = fc.stringMatching(/^[A-Za-z0-9_~+/=.-]{1,60}$/);
const spaces = fc.stringMatching(/^[ \t]{0,4}$/);
/** A spelling of a scheme with each letter in either case. */
const anyCase = (scheme: string) => fc.array(fc.boolean(), { minLength: scheme.length, maxLength: scheme.length }).map((up) => [...scheme].map((ch, i) => (up[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''));

describe('Authorization header credentials', () => {
  it('takes the scheme in any case and spaces around the credentials', () => {
    expect(credentialsOf('Bearer met_abc', 'Bearer')).toBe('met_abc');
    expect(credentialsOf('bearer met_abc', 'Bearer')).toBe('met_abc');
    expect(credentialsOf('BEARER   met_abc  ', 'Bearer')).toBe('met_abc');
    expect(credentialsOf(' basic\tdTpw', 'Basic')).toBe('dTpw');
    const spelled = fc.constantFrom('Bearer', 'Basic' as const).chain((scheme) => anyCase(scheme).map((text) => ({ scheme, text })));
    fc.assert(
      fc.property(spelled, token, spaces, fc.stringMatching(/^[ \t]{1,4}$/), spaces, ({ scheme, text }, t, before, between, after) => {
        expect(credentialsOf(`${before}${text}${between}${t}${after}`, scheme)).toBe(t);
      }),
    );
  });

  it('refuses another scheme, a missing separator and empty credentials', () => {
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Bearer   ', 'Bearermet_abc', 'Basic met_abc', 'Bearer-met_abc', 'Token met_abc', 'Bear met_abc', 'BearerX met_abc']) {
      expect(credentialsOf(h, 'Bearer'), String(h)).toBeUndefined();
    }
    fc.assert(
      fc.property(token, anyCase('Basic'), (t, basic) => credentialsOf(`${basic} ${t}`, 'Bearer') === undefined && credentialsOf(`Bearer ${t}`, 'Basic') === undefined),
    );
  });

  it('never throws and never returns text with spaces at its ends', () => {
    fc.assert(
      fc.property(fc.string(), (h) => {
        const c = credentialsOf(h, 'Bearer');
        return c === undefined || (c.length > 0 && c === c.trim());
      }),
    );
  });
});

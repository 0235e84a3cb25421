import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentParams, hashPassword, MIN_COST_ENV, MIN_COST_PARAMS, needsRehash, newOneTimePassword, passwordProblem, SCRYPT_PARAMS, verifyPassword, warnIfMinCost } from '../../shared/passwords.ts';
import type { Log } from '../../shared/cli/log.ts';

// Cheap parameters where the test is about the format, not the cost.
const FAST = MIN_COST_PARAMS;

afterEach(() => vi.unstubAllEnvs());

describe('operator passwords', () => {
  it('verifies the right password and refuses a wrong one, with the default parameters', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash: the same password twice is stored differently', async () => {
    const [a, b] = [await hashPassword('same password', FAST), await hashPassword('same password', FAST)];
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('verifies with the parameters stored with the hash, so they can be raised later', async () => {
    const old = await hashPassword('an older password', FAST);
    expect(old.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('an older password', old)).toBe(true);
    // The same salt and key under other parameters is another hash: the stored ones are the ones used.
    expect(await verifyPassword('an older password', old.replace('scrypt$10$', 'scrypt$11$'))).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('a current password'))).toBe(false);
    expect(SCRYPT_PARAMS).toEqual({ logN: 15, r: 8, p: 1 });
  });

  it(`${MIN_COST_ENV}=1 hashes at N = 2^10, the least a stored hash may have, and says so; anything else is the real cost`, async () => {
    const warnings: string[] = [];
    const log = { warn: (msg: string) => warnings.push(msg) } as unknown as Log;
    for (const value of ['', '0', 'true', 'yes']) {
      vi.stubEnv(MIN_COST_ENV, value);
      expect(currentParams(), value).toBe(SCRYPT_PARAMS);
      warnIfMinCost(log);
    }
    expect(warnings).toEqual([]);
    vi.stubEnv(MIN_COST_ENV, '1');
    const stored = await hashPassword('a test password');
    expect(stored).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(await verifyPassword('a test password', stored)).toBe(true);
    // A hash at the real cost is never stored again at the least one.
    vi.unstubAllEnvs();
    const real = await hashPassword('a real password');
    vi.stubEnv(MIN_COST_ENV, '1');
    expect(needsRehash(real)).toBe(false);
    warnIfMinCost(log);
    expect(warnings).toEqual([expect.stringContaining('for test runs only')]);
  });

  it('a malformed or out-of-bounds stored hash verifies nothing (and is never run)', async () => {
    const good = await hashPassword('whatever it is', FAST);
    const parts = good.split('$');
    for (const bad of ['', 'scrypt', 'bcrypt$10$8$1$x$y', good.replace('scrypt$10$', 'scrypt$40$'), good.replace('$8$1$', '$8$99$'), [...parts.slice(0, 5), 'AAAA'].join('$'), [...parts.slice(0, 4), '', parts[5]].join('$')]) {
      expect(await verifyPassword('whatever it is', bad), bad).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('policy: at least 10 characters, counted as characters, not bytes', () => {
    expect(passwordProblem('123456789')).toMatch(/at least 10/);
    expect(passwordProblem('1234567890')).toBeUndefined();
    expect(passwordProblem('密码密码密码密码密码')).toBeUndefined();
    expect(passwordProblem('😀😀😀😀😀')).toMatch(/at least 10/); // ten UTF-16 units, five characters
    expect(passwordProblem(' '.repeat(12))).toMatch(/spaces/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most/);
  });

  it('one-time passwords are long, random and pass the policy', () => {
    const seen = new Set(Array.from({ length: 200 }, newOneTimePassword));
    expect(seen.size).toBe(200);
    for (const p of seen) {
      expect(p).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
      expect(passwordProblem(p)).toBeUndefined();
    }
  });
});

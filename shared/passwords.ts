import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Log } from './cli/log.ts';

/*
 * Operators' passwords, hashed with scrypt (memory-hard: each guess costs 32 MiB as well as
 * time). The parameters are stored with each hash, `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`
 * (base64url), so they can be raised later: an old hash still verifies with its own, and
 * `needsRehash` says when to store it again with the current ones (at the next login).
 * Decision 009 says why these numbers.
 */

export interface ScryptParams {
  /** log2 of N, the CPU and memory cost. */
  logN: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and a tenth to a quarter of a second a hash on a small hub; 16-byte salt, 32-byte key. */
export const SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };
/**
 * N = 2^10, the least a stored hash may have: 6 ms, for test runs only, as Rails' `min_cost`
 * (decision 043). The suite hashes some 600 passwords, a minute of its two cores at the real cost.
 */
export const MIN_COST_PARAMS: ScryptParams = { logN: 10, r: 8, p: 1 };
/** The environment variable that turns on MIN_COST_PARAMS (`1`); a hub or store that has it says so in a warning at its start. */
export const MIN_COST_ENV = 'MEMBEREDGE_PASSWORD_MIN_COST';
/** The parameters new hashes get in this process. */
export const currentParams = (): ScryptParams => (process.env[MIN_COST_ENV] === '1' ? MIN_COST_PARAMS : SCRYPT_PARAMS);

/** A serving hub or store says at its start that it hashes at the test cost: a warning, so that --quiet still says it. */
export function warnIfMinCost(log: Log): void {
  if (currentParams() === MIN_COST_PARAMS) log.warn(`${MIN_COST_ENV}=1: passwords are hashed at the least cost (scrypt N = 2^10), for test runs only; unset it on a real hub or store`);
}
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** A stored hash outside these bounds is refused rather than run (N = 2^40 would stall the hub). */
const BOUNDS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

/** The shortest password an operator may choose, and the longest any login reads (scrypt's input is bounded). */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

const derive = (password: string, salt: Buffer, { logN, r, p }: ScryptParams) =>
  new Promise<Buffer>((resolve, reject) =>
    // Node refuses by default anything over 32 MiB, which N = 2^15, r = 8 needs exactly.
    scrypt(password.normalize('NFC'), new Uint8Array(salt), KEY_BYTES, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r * p }, (err, key) => (err ? reject(err) : resolve(key))),
  );

/**
 * The stored form of a password.
 *
 * @example await hashPassword('correct horse battery') // 'scrypt$15$8$1$<salt>$<hash>'
 */
export async function hashPassword(password: string, params: ScryptParams = currentParams()): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** The parameters, salt and key of a stored hash, or undefined when it is not one this code wrote. */
function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [logN, r, p] = parts.slice(1, 4).map((n) => (/^\d{1,2}$/.test(n!) ? Number(n) : NaN)) as [number, number, number];
  const within = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v <= hi;
  if (!within(logN, BOUNDS.logN) || !within(r, BOUNDS.r) || !within(p, BOUNDS.p)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < SALT_BYTES || key.length !== KEY_BYTES) return undefined;
  return { params: { logN, r, p }, salt, key };
}

/**
 * Whether `password` is the one `stored` was made from, with the parameters stored with it,
 * compared in constant time. A malformed stored hash verifies nothing.
 *
 * @example await verifyPassword('wrong', await hashPassword('right one!')) // false
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(new Uint8Array(key), new Uint8Array(parsed.key));
}

/** Whether a stored hash was made with weaker parameters than `params` (store it again at the next login). */
export function needsRehash(stored: string, params: ScryptParams = currentParams()): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.params.logN < params.logN || parsed.params.r < params.r || parsed.params.p < params.p;
}

/**
 * What is wrong with a password an operator chose, or undefined when it will do.
 *
 * @example passwordProblem('short') // 'at least 10 characters'
 */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.trim() === '') return 'not only spaces';
  return undefined;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A one-time password to hand to a person: 20 Crockford characters (100 bits) in groups of five. */
export function newOneTimePassword(): string {
  const bytes = randomBytes(20);
  let s = '';
  for (let i = 0; i < 20; i++) s += CROCKFORD[bytes[i]! % 32];
  return s.match(/.{5}/g)!.join('-');
}

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { afterFailure, isLocked, type LoginFailures } from '../../shared/login-policy.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, newOneTimePassword, verifyPassword } from '../../shared/passwords.ts';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import { paths } from '../node-dir.ts';

/*
 * Guide accounts: the sales associates who sign in to the guide pages of this store's node.
 * They live in the node's data dir (guides.json, mode 0600), like the POS terminals, and never
 * in the replica: everything in the store's database replicates to the hub, and a guide's
 * password hash has no business leaving the store. Passwords are scrypt hashes
 * (shared/passwords.ts): unlike a terminal token, a password a person types is worth guessing.
 */

/** A guide's sign-in name: lower case, as operators' names at the hub. */
export const GuideName = z.string().regex(/^[a-z][a-z0-9._-]{1,31}$/, 'a lower-case letter, then 1-31 lower-case letters, digits, ., _ or -');

const GuidesFileSchema = z.object({
  guides: z.array(z.object({ name: GuideName, passwordHash: z.string(), createdAt: z.string(), revoked: z.boolean().default(false), revokedAt: z.string().optional() })),
});
type GuidesFile = z.infer<typeof GuidesFileSchema>;
type Guide = GuidesFile['guides'][number];

async function readGuides(dir: string): Promise<GuidesFile> {
  const file = paths(dir).guides;
  if (!existsSync(file)) return { guides: [] };
  return GuidesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

const writeGuides = (dir: string, file: GuidesFile) => writeFileAtomic(paths(dir).guides, JSON.stringify(file, null, 2) + '\n');

/**
 * Adds a guide, or gives an existing one a new password (which also lifts a lockout and ends
 * their sessions), and returns the password: shown once, stored only as its scrypt hash.
 */
export async function addGuide(dir: string, name: string, now: Date): Promise<string> {
  const password = newOneTimePassword();
  const passwordHash = await hashPassword(password);
  const file = await readGuides(dir);
  const guides = file.guides.filter((g) => g.name !== name);
  guides.push({ name, passwordHash, createdAt: now.toISOString(), revoked: false });
  await writeGuides(dir, { guides });
  return password;
}

/** A guide as `guide list` shows it: never a hash. */
export interface GuideView {
  name: string;
  createdAt: string;
  revoked: boolean;
  revokedAt?: string;
}

export async function listGuides(dir: string): Promise<GuideView[]> {
  const { guides } = await readGuides(dir);
  return guides.map(({ name, createdAt, revoked, revokedAt }) => ({ name, createdAt, revoked, ...(revokedAt ? { revokedAt } : {}) }));
}

/** Revokes a guide: their sessions end and their password stops working within a second, also while the node serves. */
export async function revokeGuide(dir: string, name: string, now: Date): Promise<{ alreadyRevokedAt?: string }> {
  const file = await readGuides(dir);
  const guide = file.guides.find((g) => g.name === name);
  if (!guide) throw new AppError('not_found', `no guide ${name} in ${dir}; 'guide list' shows them`);
  if (guide.revoked) return { alreadyRevokedAt: guide.revokedAt ?? 'an earlier time' };
  guide.revoked = true;
  guide.revokedAt = now.toISOString();
  await writeGuides(dir, file);
  return {};
}

/** Who signed in: the name, and which password (its creation time) they signed in with. */
export interface SignedIn {
  name: string;
  passwordAt: string;
}

/**
 * The accounts as the serving node checks them. `guide add|revoke` run while it serves, so the
 * file is stat'ed (at most once a second) and read again when it changed. Failed sign-ins are
 * counted here, in memory (shared/login-policy.ts: five in a row lock the account for 15
 * minutes): a restart of the node lifts a lock, and so does a new password (`guide add` again).
 */
export class GuideAccounts {
  private byName = new Map<string, Guide>();
  private version = '';
  private statAt = 0;
  private readonly failures = new Map<string, LoginFailures>();
  private decoy: Promise<string> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly clock: () => Date,
  ) {}

  static async load(dir: string, clock: () => Date = () => new Date()): Promise<GuideAccounts> {
    const a = new GuideAccounts(dir, clock);
    await a.reload();
    return a;
  }

  private fileVersion(): string {
    const file = paths(this.dir).guides;
    if (!existsSync(file)) return 'none';
    const s = statSync(file);
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  }

  private async reload(): Promise<void> {
    this.version = this.fileVersion();
    const { guides } = await readGuides(this.dir);
    this.byName = new Map(guides.map((g) => [g.name, g]));
  }

  private async fresh(force = false): Promise<void> {
    if (!force && Date.now() - this.statAt < 1000) return;
    this.statAt = Date.now();
    if (this.fileVersion() !== this.version) await this.reload();
  }

  /** Whether a session made with this password is still good: the guide is not revoked and has no newer password. */
  async stillValid(who: SignedIn): Promise<boolean> {
    await this.fresh();
    const g = this.byName.get(who.name);
    return g !== undefined && !g.revoked && g.createdAt === who.passwordAt;
  }

  /**
   * Checks a sign-in. Every refusal (unknown name, revoked, locked, wrong password) is the same
   * undefined and takes as long: an unknown or locked name is verified against a decoy hash.
   */
  async signIn(name: string, password: string): Promise<SignedIn | undefined> {
    await this.fresh(true);
    const g = GuideName.safeParse(name).success ? this.byName.get(name) : undefined;
    const key = g ? `${g.name}@${g.createdAt}` : '';
    const now = this.clock();
    const state = this.failures.get(key) ?? { failures: 0 };
    const usable = g !== undefined && !g.revoked && !isLocked(state, now) && password.length <= MAX_PASSWORD_LENGTH;
    this.decoy ??= hashPassword(newOneTimePassword());
    const ok = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), usable ? g.passwordHash : await this.decoy);
    if (usable && ok) {
      this.failures.delete(key);
      return { name: g.name, passwordAt: g.createdAt };
    }
    if (g && !g.revoked) {
      const { locked: _, ...next } = afterFailure(state, now);
      this.failures.set(key, next);
    }
    return undefined;
  }
}

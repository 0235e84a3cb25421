import { existsSync, statSync } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { afterFailure, isLocked, type LoginFailures } from '../../shared/login-policy.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, newOneTimePassword, passwordProblem, verifyPassword } from '../../shared/passwords.ts';
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
  guides: z.array(
    z.object({
      name: GuideName,
      passwordHash: z.string(),
      createdAt: z.string(),
      /** When the password in force was set (absent: at `createdAt`); a session of an older one has ended. */
      passwordAt: z.string().optional(),
      /** A password `guide add` printed: the guide chooses their own at their first sign-in. Absent in files made before. */
      mustChangePassword: z.boolean().default(false),
      revoked: z.boolean().default(false),
      revokedAt: z.string().optional(),
    }),
  ),
});
type GuidesFile = z.infer<typeof GuidesFileSchema>;
type Guide = GuidesFile['guides'][number];

async function readGuides(dir: string): Promise<GuidesFile> {
  const file = paths(dir).guides;
  if (!existsSync(file)) return { guides: [] };
  return GuidesFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

const writeGuides = (dir: string, file: GuidesFile) => writeFileAtomic(paths(dir).guides, JSON.stringify(file, null, 2) + '\n');

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

/**
 * Reads, changes and writes guides.json with no other writer in between: `guide add|revoke` (the
 * CLI) and a guide choosing their password (the serving node) may run at once, and the later
 * write must not undo the earlier. The lock is a file created exclusively beside it.
 */
async function changeGuides<T>(dir: string, change: (file: GuidesFile) => T | Promise<T>): Promise<T> {
  const lock = `${paths(dir).guides}.lock`;
  for (let waited = 0; ; waited += 25) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await unlink(lock).catch(() => {});
      else if (waited > 2 * STALE_LOCK_MS) throw new AppError('unavailable', `${lock} is held by another process; try again`);
      else await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    const file = await readGuides(dir);
    const result = await change(file);
    await writeGuides(dir, file);
    return result;
  } finally {
    await unlink(lock).catch(() => {});
  }
}

/**
 * Adds a guide, or gives an existing one a new password (which also lifts a lockout and ends
 * their sessions), and returns the password: shown once, stored only as its scrypt hash.
 */
export async function addGuide(dir: string, name: string, now: Date): Promise<string> {
  const password = newOneTimePassword();
  const passwordHash = await hashPassword(password);
  await changeGuides(dir, (file) => {
    file.guides = file.guides.filter((g) => g.name !== name);
    file.guides.push({ name, passwordHash, createdAt: now.toISOString(), mustChangePassword: true, revoked: false });
  });
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
  return changeGuides(dir, (file) => {
    const guide = file.guides.find((g) => g.name === name);
    if (!guide) throw new AppError('not_found', `no guide ${name} in ${dir}; 'guide list' shows them`);
    if (guide.revoked) return { alreadyRevokedAt: guide.revokedAt ?? 'an earlier time' };
    guide.revoked = true;
    guide.revokedAt = now.toISOString();
    return {};
  });
}

/** Who signed in: the name, which password (the time it was set) they signed in with, and whether it is one to replace. */
export interface SignedIn {
  name: string;
  passwordAt: string;
  mustChangePassword: boolean;
}

const passwordAtOf = (g: Guide) => g.passwordAt ?? g.createdAt;

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
    return g !== undefined && !g.revoked && passwordAtOf(g) === who.passwordAt;
  }

  /**
   * Checks a sign-in. Every refusal (unknown name, revoked, locked, wrong password) is the same
   * undefined and takes as long: an unknown or locked name is verified against a decoy hash.
   */
  async signIn(name: string, password: string): Promise<SignedIn | undefined> {
    await this.fresh(true);
    const g = GuideName.safeParse(name).success ? this.byName.get(name) : undefined;
    const key = g ? `${g.name}@${passwordAtOf(g)}` : '';
    const now = this.clock();
    const state = this.failures.get(key) ?? { failures: 0 };
    const usable = g !== undefined && !g.revoked && !isLocked(state, now) && password.length <= MAX_PASSWORD_LENGTH;
    this.decoy ??= hashPassword(newOneTimePassword());
    const ok = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), usable ? g.passwordHash : await this.decoy);
    if (usable && ok) {
      this.failures.delete(key);
      return { name: g.name, passwordAt: passwordAtOf(g), mustChangePassword: g.mustChangePassword };
    }
    if (g && !g.revoked) {
      const { locked: _, ...next } = afterFailure(state, now);
      this.failures.set(key, next);
    }
    return undefined;
  }

  /**
   * A signed-in guide's own new password: the current one again (a wrong one counts towards the
   * lock, as at sign-in), the policy, and a different password. Every session of the old
   * password ends; answers who is signed in with the new one.
   */
  async changePassword(who: SignedIn, current: string, next: string): Promise<{ ok: true; who: SignedIn } | { ok: false; reason: 'wrong_current' | 'same' | 'policy'; problem?: string }> {
    const checked = await this.signIn(who.name, current);
    if (!checked || checked.passwordAt !== who.passwordAt) return { ok: false, reason: 'wrong_current' };
    const problem = passwordProblem(next);
    if (problem) return { ok: false, reason: 'policy', problem };
    if (next === current) return { ok: false, reason: 'same' };
    const passwordHash = await hashPassword(next);
    const passwordAt = this.clock().toISOString();
    const changed = await changeGuides(this.dir, (file) => {
      const g = file.guides.find((x) => x.name === who.name);
      // Revoked or given a new password by `guide add` meanwhile: that stands.
      if (!g || g.revoked || passwordAtOf(g) !== who.passwordAt) return false;
      Object.assign(g, { passwordHash, passwordAt, mustChangePassword: false });
      return true;
    });
    await this.fresh(true);
    return changed ? { ok: true, who: { name: who.name, passwordAt, mustChangePassword: false } } : { ok: false, reason: 'wrong_current' };
  }

}

import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { AppError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import { afterFailure, isLocked } from '../../shared/login-policy.ts';
import { hashPassword, needsRehash, newOneTimePassword, passwordProblem, verifyPassword } from '../../shared/passwords.ts';
import { ConcurrencyGate } from '../../shared/concurrency-gate.ts';
import { DEFAULT_ROLES, PERMISSIONS, type Role } from '../../shared/permissions.ts';
import { AddOperatorSchema, OperatorName, RoleId } from '../../shared/schemas/operator.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';

export interface OperatorDoc extends Doc {
  type: 'operator';
  name: string;
  role: string;
  scope?: string;
  /** scrypt, with its parameters (shared/passwords.ts). */
  passwordHash: string;
  /** A one-time password (from `operator add` or `reset`) works for one thing: choosing a password. */
  mustChangePassword: boolean;
  disabled: boolean;
  failures: number;
  lockedUntil?: string;
  createdAt: string;
  lastLoginAt?: string;
  passwordChangedAt?: string;
}
export interface RoleDoc extends Doc, Role {
  type: 'role';
  /** The permissions that existed when the role was last brought up to date (absent: before issue 12). */
  known?: string[];
}

/**
 * The permissions every release before role top-ups had: a role stored without `known` was made
 * knowing these, so only those added since are new to it.
 */
const KNOWN_BEFORE_TOP_UPS = PERMISSIONS.filter((p) => !['products:read', 'products:write', 'tags:read', 'tags:write'].includes(p));

const operatorKey = (name: string) => `operator:${name}`;
const roleKey = (id: string) => `role:${id}`;

/** An operator as the API shows them: never the hash. */
export const operatorView = ({ _id, _rev, type, passwordHash, failures, ...o }: OperatorDoc) => ({ ...o, scope: o.scope ?? null });

/**
 * At most this many scrypt computations at once, the rest wait their turn: each holds 32 MiB,
 * and logins from many addresses at once (the rate limit is per address) must not take the
 * hub's memory.
 */
const HASHING_AT_ONCE = 4;

export type LoginOutcome = { ok: true; operator: OperatorDoc } | { ok: false; reason: 'unknown' | 'disabled' | 'wrong_password' | 'locked'; justLocked: boolean };

/** Operators of the console and their roles: accounts, passwords, lockout. */
export class Operators {
  /** A hash to verify against when the name is unknown, so that such a login takes as long as any. */
  private decoy: Promise<string> | undefined;
  private readonly gate = new ConcurrencyGate(HASHING_AT_ONCE);
  private readonly hash = (password: string) => this.gate.run(() => hashPassword(password));
  private readonly verify = (password: string, stored: string) => this.gate.run(() => verifyPassword(password, stored));

  constructor(
    private readonly couch: Couch,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Stores the default roles that are not there yet, and gives each default role the permissions
   * a release added that its default holds (an admin's `admin` is everything by definition: all of
   * them). Only permissions new since the role was last brought up to date are added: one an admin
   * took away stays away.
   */
  async ensureDefaultRoles(): Promise<void> {
    await this.couch.insertNew(DB.operators, DEFAULT_ROLES.map((r) => ({ _id: roleKey(r.id), type: 'role', ...r, permissions: [...r.permissions], known: [...PERMISSIONS] }) satisfies RoleDoc));
    for (const role of DEFAULT_ROLES) {
      await this.couch.update<RoleDoc>(DB.operators, roleKey(role.id), (cur) => {
        if (!cur) return undefined;
        const held = Array.isArray(cur.permissions) ? cur.permissions : [];
        const known = Array.isArray(cur.known) ? cur.known : KNOWN_BEFORE_TOP_UPS;
        const added = PERMISSIONS.filter((p) => !held.includes(p) && (role.id === 'admin' || (!known.includes(p) && role.permissions.includes(p))));
        const upToDate = PERMISSIONS.every((p) => known.includes(p));
        return added.length > 0 || !upToDate ? { ...cur, permissions: [...held, ...added], known: [...PERMISSIONS] } : undefined;
      });
    }
  }

  async roles(): Promise<Role[]> {
    return (await this.couch.range<RoleDoc>(DB.operators, { startkey: 'role:', endkey: 'role:\ufff0' })).map(({ id, title, permissions }) => ({ id, title, permissions }));
  }

  async role(id: string): Promise<Role | undefined> {
    if (!RoleId.safeParse(id).success) return undefined;
    const doc = await this.couch.get<RoleDoc>(DB.operators, roleKey(id));
    return doc && { id: doc.id, title: doc.title, permissions: Array.isArray(doc.permissions) ? doc.permissions : [] };
  }

  async get(name: string): Promise<OperatorDoc | undefined> {
    if (!OperatorName.safeParse(name).success) return undefined;
    return this.couch.get<OperatorDoc>(DB.operators, operatorKey(name));
  }

  async require(name: string): Promise<OperatorDoc> {
    const op = await this.get(name);
    if (!op) throw new AppError('operator_not_found', `no operator ${name}`);
    return op;
  }

  async list(): Promise<OperatorDoc[]> {
    return this.couch.range<OperatorDoc>(DB.operators, { startkey: 'operator:', endkey: 'operator:\ufff0' });
  }

  /** A new operator with a one-time password, returned once and stored only as its hash. */
  async add(input: { name: string; role: string; scope?: string | undefined }): Promise<{ operator: OperatorDoc; password: string }> {
    const o = AddOperatorSchema.parse(input);
    if (!(await this.role(o.role))) throw new AppError('validation_failed', `role: no role ${o.role}`, { field: 'role', allowed: (await this.roles()).map((r) => r.id) });
    const password = newOneTimePassword();
    const operator: OperatorDoc = {
      _id: operatorKey(o.name),
      type: 'operator',
      name: o.name,
      role: o.role,
      ...(o.scope !== undefined ? { scope: o.scope } : {}),
      passwordHash: await this.hash(password),
      mustChangePassword: true,
      disabled: false,
      failures: 0,
      createdAt: this.clock().toISOString(),
    };
    const [result] = await this.couch.insertNew(DB.operators, [operator]);
    if (result === 'exists') throw new AppError('operator_exists', `operator ${o.name} exists; 'operator reset ${o.name}' gives them a new one-time password`);
    return { operator, password };
  }

  /**
   * The first operator of a hub that has none: `admin`, with a one-time password written to
   * `file` (mode 0600) before the account exists, so a crash between the two leaves no account
   * whose password nobody has. Returns whether it made one.
   */
  async ensureFirstAdmin(file: string): Promise<boolean> {
    const any = await this.couch.db(DB.operators).list({ startkey: 'operator:', endkey: 'operator:\ufff0', limit: 1 });
    if (any.rows.length > 0) return false;
    const password = newOneTimePassword();
    await writeFileAtomic(file, password + '\n');
    const admin: OperatorDoc = { _id: operatorKey('admin'), type: 'operator', name: 'admin', role: 'admin', passwordHash: await this.hash(password), mustChangePassword: true, disabled: false, failures: 0, createdAt: this.clock().toISOString() };
    const [result] = await this.couch.insertNew(DB.operators, [admin]);
    if (result === 'exists') await unlink(file); // another hub on this database was quicker: that file is not the password
    return result === 'created';
  }

  async setDisabled(name: string, disabled: boolean): Promise<OperatorDoc> {
    await this.require(name);
    return (await this.couch.update<OperatorDoc>(DB.operators, operatorKey(name), (o) => (o ? { ...o, disabled } : undefined)))!;
  }

  /** A new one-time password; the lock and the count of failures are cleared. */
  async reset(name: string): Promise<{ operator: OperatorDoc; password: string }> {
    await this.require(name);
    const password = newOneTimePassword();
    const passwordHash = await this.hash(password);
    const operator = await this.couch.update<OperatorDoc>(DB.operators, operatorKey(name), (o) => {
      if (!o) return undefined;
      const { lockedUntil, ...rest } = o;
      return { ...rest, passwordHash, mustChangePassword: true, failures: 0 };
    });
    return { operator: operator!, password };
  }

  /**
   * Checks a login. Every refusal looks the same to the caller (the route answers `login_failed`
   * for all of them); the reason is for the audit log. A wrong password counts towards the lock
   * (shared/login-policy.ts); a right one clears the count.
   */
  async login(name: string, password: string): Promise<LoginOutcome> {
    const now = this.clock();
    const op = await this.get(name);
    if (!op || op.disabled || isLocked(op, now)) {
      await this.verify(password, await this.decoyHash());
      return { ok: false, reason: !op ? 'unknown' : op.disabled ? 'disabled' : 'locked', justLocked: false };
    }
    if (!(await this.verify(password, op.passwordHash))) return { ok: false, reason: 'wrong_password', justLocked: await this.recordFailure(op.name) };
    const rehashed = needsRehash(op.passwordHash) ? await this.hash(password) : undefined;
    const operator = await this.couch.update<OperatorDoc>(DB.operators, operatorKey(op.name), (o) => {
      if (!o) return undefined;
      const { lockedUntil, ...rest } = o;
      return { ...rest, failures: 0, lastLoginAt: now.toISOString(), ...(rehashed && o.passwordHash === op.passwordHash ? { passwordHash: rehashed } : {}) };
    });
    return { ok: true, operator: operator! };
  }

  /** One more failed login; whether it locked the account. */
  async recordFailure(name: string): Promise<boolean> {
    let locked = false;
    await this.couch.update<OperatorDoc>(DB.operators, operatorKey(name), (o) => {
      if (!o) return undefined;
      const next = afterFailure(o, this.clock());
      locked = next.locked;
      const { lockedUntil, ...rest } = o;
      return { ...rest, failures: next.failures, ...(next.lockedUntil ? { lockedUntil: next.lockedUntil } : {}) };
    });
    return locked;
  }

  /** The operator's own new password, checked against the policy; the current one was verified by the caller. */
  async setPassword(name: string, next: string): Promise<OperatorDoc> {
    const problem = passwordProblem(next);
    if (problem) throw new AppError('validation_failed', `next: the new password needs ${problem}`, { field: 'next' });
    const op = await this.require(name);
    if (await this.verify(next, op.passwordHash)) throw new AppError('validation_failed', 'next: the new password must differ from the current one', { field: 'next' });
    const passwordHash = await this.hash(next);
    const now = this.clock().toISOString();
    return (await this.couch.update<OperatorDoc>(DB.operators, operatorKey(name), (o) => (o ? { ...o, passwordHash, mustChangePassword: false, passwordChangedAt: now } : undefined)))!;
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= this.hash(newOneTimePassword());
    return this.decoy;
  }
}

/** Deletes the first admin's one-time password file once it is no longer the password. */
export async function forgetInitialPassword(file: string): Promise<void> {
  if (existsSync(file)) await unlink(file).catch(() => {});
}

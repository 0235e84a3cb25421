import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { credentialsOf } from '../shared/auth-header.ts';
import { HUB_STORE_ID } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { EVERYTHING, seesStore, type DataScope } from '../shared/org-scope.ts';
import { StoreId } from '../shared/schemas/common.ts';
import { OrgName } from '../shared/schemas/org.ts';
import { isTimeZone } from '../shared/local-time.ts';
import { hashSecret, newSecret } from '../shared/secrets.ts';
import { statusOf, type Couch, type Doc } from './couch/couch.ts';
import { DB, storeDbName } from './couch/databases.ts';
import { pushRulesTo } from './rules.ts';
import { pushProductsTo } from './products/service.ts';

export const AddStoreSchema = z.strictObject({
  // HQ is the store id of the hub's own facts (an operator's claw-back): never a store's.
  id: StoreId.refine((id) => id.toLowerCase() !== HUB_STORE_ID.toLowerCase(), `${HUB_STORE_ID} is the hub's own id`),
  name: z.string().min(1).max(80),
  /** Absent: the city's region, or `default` without a city. */
  region: OrgName.optional(),
  /** A city the hub knows (`hub org city add`); the store is then in the city's region. */
  city: OrgName.optional(),
  timeZone: z.string().refine(isTimeZone, 'unknown time zone').default('Asia/Shanghai'),
});
export type AddStore = z.input<typeof AddStoreSchema>;

export interface StoreDoc extends Doc {
  type: 'store';
  id: string;
  name: string;
  /** The store's region: its city's when it is in one (kept in step when it moves; a city never changes region). */
  region: string;
  /** Absent for a store directly in its region (every store added before cities). */
  city?: string;
  timeZone: string;
  db: string;
  disabled: boolean;
  createdAt: string;
  /** SHA-256 of the store's replication secret; absent until the node enrolls. */
  secretHash?: string;
  enrolledAt?: string;
}

interface EnrollmentDoc extends Doc {
  type: 'enrollment';
  storeId: string;
  expiresAt: string;
  usedAt?: string;
  /** The node that used the code: it may exchange it again (a retry after a crash), nobody else. */
  nodeId?: string;
}

export const storeKey = (id: string) => `store:${id.toUpperCase()}`;
const enrollKey = (code: string) => `enroll:${hashSecret(normaliseCode(code))}`;
const normaliseCode = (code: string) => code.toUpperCase().replace(/[^0-9A-Z]/g, '');

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 16 Crockford characters (80 bits) in groups of four: easy to read over the phone. */
function newEnrollmentCode(): string {
  const bytes = randomBytes(16);
  let s = '';
  for (let i = 0; i < 16; i++) s += CROCKFORD[bytes[i]! % 32];
  return s.match(/.{4}/g)!.join('-');
}

export const DEFAULT_ENROLLMENT_TTL_MS = 24 * 3600_000;

/** Stores: registration, enrollment codes, credentials. */
export class Stores {
  /** Verified Authorization headers → store id, so replication does not hash on every request. */
  private readonly verified = new Map<string, { store: StoreDoc; until: number }>();

  constructor(
    private readonly couch: Couch,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates the store's database (with the current rules and templates) and a first enrollment code. */
  async add(input: AddStore, ttlMs = DEFAULT_ENROLLMENT_TTL_MS): Promise<{ store: StoreDoc; code: string; expiresAt: string }> {
    const s = AddStoreSchema.parse(input);
    const now = this.clock().toISOString();
    const store: StoreDoc = { _id: storeKey(s.id), type: 'store', id: s.id, name: s.name, region: s.region ?? 'default', ...(s.city !== undefined ? { city: s.city } : {}), timeZone: s.timeZone, db: storeDbName(s.id), disabled: false, createdAt: now };
    // The database first: a store record always has its database, even after a crash here.
    await this.couch.ensureDb(store.db);
    await pushRulesTo(this.couch, store.db);
    await pushProductsTo(this.couch, store.db);
    const [result] = await this.couch.insertNew(DB.registry, [store]);
    if (result === 'exists') throw new AppError('store_exists', `store ${s.id} exists; 'store code ${s.id}' makes a new enrollment code`);
    return { store, ...(await this.newCode(s.id, ttlMs)) };
  }

  /** A new one-time enrollment code for a store (earlier unused codes stay valid until they expire). */
  async newCode(storeId: string, ttlMs = DEFAULT_ENROLLMENT_TTL_MS): Promise<{ code: string; expiresAt: string }> {
    const store = await this.require(storeId);
    if (store.disabled) throw new AppError('store_disabled', `store ${store.id} is disabled`);
    const code = newEnrollmentCode();
    const expiresAt = new Date(this.clock().getTime() + ttlMs).toISOString();
    await this.couch.insertNew(DB.registry, [{ _id: enrollKey(code), type: 'enrollment', storeId: store.id, expiresAt } satisfies EnrollmentDoc]);
    return { code, expiresAt };
  }

  /**
   * Exchanges an enrollment code for the store's credentials. The node sends a random id of its
   * own with the code; the same node may exchange the same code again (it crashed before saving
   * the answer), any other gets `enrollment_code_used`. Each exchange issues a fresh secret.
   */
  async enroll(code: string, nodeId: string): Promise<{ store: StoreDoc; secret: string }> {
    const key = enrollKey(code);
    const now = this.clock();
    let outcome: AppError | undefined;
    await this.couch.update<EnrollmentDoc>(DB.registry, key, (e) => {
      outcome = undefined;
      if (!e) outcome = new AppError('enrollment_code_invalid', 'this enrollment code is not known; check it, or ask HQ for a new one');
      else if (e.usedAt && e.nodeId !== nodeId) outcome = new AppError('enrollment_code_used', `this enrollment code was used at ${e.usedAt}; ask HQ for a new one ('store code ${e.storeId}')`);
      else if (!e.usedAt && e.expiresAt < now.toISOString()) outcome = new AppError('enrollment_code_expired', `this enrollment code expired at ${e.expiresAt}; ask HQ for a new one`);
      if (outcome || !e || e.usedAt) return undefined;
      return { ...e, usedAt: now.toISOString(), nodeId };
    });
    if (outcome) throw outcome;
    const enrollment = (await this.couch.get<EnrollmentDoc>(DB.registry, key))!;
    const secret = newSecret();
    const store = await this.couch.update<StoreDoc>(DB.registry, storeKey(enrollment.storeId), (s) => (s ? { ...s, secretHash: hashSecret(secret), enrolledAt: now.toISOString() } : undefined));
    if (!store) throw new AppError('store_not_found', `store ${enrollment.storeId} no longer exists`);
    if (store.disabled) throw new AppError('store_disabled', `store ${store.id} is disabled`);
    this.verified.clear();
    return { store, secret };
  }

  /** Every store, or those a scope sees. */
  async list(scope: DataScope = EVERYTHING): Promise<StoreDoc[]> {
    const all = await this.couch.range<StoreDoc>(DB.registry, { startkey: 'store:', endkey: 'store:\ufff0' });
    return scope.stores === 'all' ? all : all.filter((s) => seesStore(scope, s.id));
  }

  async get(storeId: string): Promise<StoreDoc | undefined> {
    return this.couch.get<StoreDoc>(DB.registry, storeKey(storeId));
  }

  async require(storeId: string): Promise<StoreDoc> {
    const store = await this.get(storeId);
    if (!store) throw new AppError('store_not_found', `no store ${storeId}`);
    return store;
  }

  /** A disabled store's credentials stop working at once; its data stays. */
  async setDisabled(storeId: string, disabled: boolean): Promise<StoreDoc> {
    await this.require(storeId);
    const store = await this.couch.update<StoreDoc>(DB.registry, storeKey(storeId), (s) => (s ? { ...s, disabled } : undefined));
    this.verified.clear();
    return store!;
  }

  /** Puts the store into a city (and so its region) or directly into a region; hub/org/organisation.ts decides where. */
  async move(storeId: string, place: { region: string; city?: string | undefined }): Promise<StoreDoc> {
    await this.require(storeId);
    const store = await this.couch.update<StoreDoc>(DB.registry, storeKey(storeId), (s) => {
      if (!s) return undefined;
      const { city, ...rest } = s;
      return { ...rest, region: place.region, ...(place.city !== undefined ? { city: place.city } : {}) };
    });
    return store!;
  }

  /**
   * The store an `Authorization: Basic <store id:secret>` header belongs to, or undefined.
   * Verified headers are remembered for a minute (replication sends several requests a second);
   * disabling a store or a new enrollment forgets them at once.
   */
  async authenticate(header: string | undefined): Promise<StoreDoc | undefined> {
    const credentials = credentialsOf(header, 'Basic');
    if (credentials === undefined) return undefined;
    const hit = this.verified.get(credentials);
    if (hit && hit.until > Date.now()) return hit.store;
    const decoded = Buffer.from(credentials, 'base64').toString();
    const colon = decoded.indexOf(':');
    if (colon < 1) return undefined;
    const store = await this.get(decoded.slice(0, colon)).catch((err) => {
      if (statusOf(err) === 400) return undefined;
      throw err;
    });
    if (!store || store.disabled || !store.secretHash) return undefined;
    const given = new Uint8Array(createHash('sha256').update(decoded.slice(colon + 1)).digest());
    if (!timingSafeEqual(given, new Uint8Array(Buffer.from(store.secretHash, 'hex')))) return undefined;
    this.verified.set(credentials, { store, until: Date.now() + 60_000 });
    return store;
  }
}

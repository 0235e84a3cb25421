/**
 * The hub's databases. Central ones hold what the hub owns or has gathered; each store has its
 * own database, replicated with that store's node (design.md, principle 4).
 */
/**
 * Changes of hub-identity read with their documents, a page at a time: its import chunks are up
 * to ~400 KB each, so a page of thousands (the other feeds' page) can be an answer of gigabytes,
 * built whole by the database child and parsed whole by the hub. Fifty is at most ~20 MB.
 */
const IDENTITY_CHANGES_PAGE = 50;

export const DB = {
  /** Stores, their credentials and enrollment codes, rules and templates, worker checkpoints. */
  registry: 'hub-registry',
  /** Members and identity keys, under the ids the stores use. */
  members: 'hub-members',
  /** Every fact from every store, under `m:<memberId>:<fact id>` so one range reads a member's. */
  facts: 'hub-facts',
  /** Conflicts and anomalies for operators. */
  incidents: 'hub-incidents',
  /** One-ID: imported source records, import checkpoints, golden members, operators' decisions. */
  identity: 'hub-identity',
  /** One-ID's golden members, in buckets by member id hash. */
  golden: 'hub-golden',
  /** Holds on single-use coupons while a store's checkout completes (`reserve:<code>`). */
  reservations: 'hub-reservations',
  /** Console operators (`operator:<name>`, password hashes), roles as data (`role:<id>`), sessions (`session:<sha-256 of the cookie>`). */
  operators: 'hub-operators',
  /**
   * Who changed what, or read personal data, when and from where (`audit:<time-ordered id>`, so
   * the newest first is one range read). Written by the hub only, never replicated to a store.
   */
  audit: 'hub-audit',
  /**
   * The dashboard's counters (decision 013): `day:`, `online:`, `reg:`, `act:` per day, `buyers`,
   * the members' state in chunks `mbrs:<bucket>`, and a checkpoint per feed followed (`cp:facts`,
   * `cp:members`, `cp:online`).
   */
  dashboard: 'hub-dashboard',
  /**
   * Tag history (decision 022): when each golden member entered and left each tag, one document
   * per member per month (`th:<golden id>:<YYYY-MM>`), events appended as tags change.
   */
  tagHistory: 'hub-tag-history',
  /**
   * Segments (decision 023): `seg:<id>` the current version, `seg-v:<id>@<n>` each version,
   * `snap:<segment>:<id>` a snapshot's header and `snapc:<snapshot>:<n>` its members in chunks.
   */
  segments: 'hub-segments',
} as const;

/** Changes of `db` to read with their documents in one page: hub-identity's few (above), any other's `otherwise`. */
export const changesPage = (db: string, otherwise: number) => (db === DB.identity ? IDENTITY_CHANGES_PAGE : otherwise);

export const CENTRAL_DBS = Object.values(DB);

/** CouchDB database names are lower case; store ids are unique regardless of case. */
export const storeDbName = (storeId: string) => `store-${storeId.toLowerCase()}`;

/** The id of a fact in hub-facts: grouped by member; facts without one under `_`. */
export const factKey = (memberId: string | undefined, id: string) => `m:${memberId ?? '_'}:${id}`;
export const memberFactRange = (memberId: string) => ({ startkey: `m:${memberId}:`, endkey: `m:${memberId}:\ufff0` });
export const factIdOf = (key: string) => key.slice(key.indexOf(':', 2) + 1);

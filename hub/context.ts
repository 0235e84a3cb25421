import type { Log } from '../shared/cli/log.ts';
import type { Bundles } from './bundles.ts';
import type { Couch } from './couch/couch.ts';
import type { GatewayRefusals } from './gateway-refusals.ts';
import type { HubMembers } from './members.ts';
import type { StoreClocks } from './store-clocks.ts';
import type { Stores } from './stores.ts';
import type { ImportJobs } from './identity/import-jobs.ts';
import type { IdentityService } from './identity/service.ts';
import type { IngestWorker } from './workers/ingest.ts';
import type { AuditLog } from './operators/audit.ts';
import type { DashboardCounters } from './dashboard/counters.ts';
import type { Operators } from './operators/operators.ts';
import type { Organisation } from './org/organisation.ts';
import type { Sessions } from './operators/sessions.ts';
import type { ProfileSource } from './tags/profile-source.ts';
import type { ProfileEngine } from './profile/engine.ts';
import type { RfmAndStages } from './profile/rfm-stages.ts';
import type { StoreProfiles } from './profile/store-profiles.ts';
import type { ProfileTags } from './profile/profile-tags.ts';
import type { SegmentExports } from './segments/export-jobs.ts';

/** What the hub's routes and workers need; built once by `serve` (or a test) and passed in. */
export interface HubContext {
  couch: Couch;
  stores: Stores;
  /** The org tree (regions, cities, where stores are) and the data scope of an operator's node. */
  org: Organisation;
  members: HubMembers;
  ingest: IngestWorker;
  /** How far each store's clock is off, from the clock its requests carry. */
  clocks: StoreClocks;
  bundles: Bundles;
  identity: IdentityService;
  imports: ImportJobs;
  log: Log;
  clock: () => Date;
  version: string;
  /** A stable id of this hub (PouchDB names replication checkpoints after the server's uuid). */
  hubId: string;
  adminToken: string;
  /** Console operators and roles, their sessions, and the audit log of what they (and the token) did. */
  operators: Operators;
  sessions: Sessions;
  audit: AuditLog;
  /** The dashboard's counters, kept as facts and members arrive (decision 013). */
  dashboard: DashboardCounters;
  /** Member profiles: metrics per golden member, kept as facts arrive, rebuilt nightly (decision 021). */
  profiles: ProfileEngine;
  /** Stage, RFM and recommendations over the profiles, and the profile documents stores receive (decision 024). */
  profileParts?: { rfmStages: RfmAndStages; storeProfiles: StoreProfiles; tags?: ProfileTags };
  /** A tag rule was stored (created, edited, retired): the engine evaluates it again over the base, in the background (decision 025). */
  tagRulesChanged?: () => Promise<void>;
  /** Deletes DIR/initial-admin-password once the first admin has chosen a password. */
  forgetInitialAdminPassword(): Promise<void>;
  /** Console logins per minute per client address, and the burst allowed at once. */
  loginRate: { perMinute: number; burst: number };
  /** The gateway's last refusal per store, for the fleet view. */
  refusals: GatewayRefusals;
  /** Segment exports under way and finished, their files on disk (hub/segments/export-jobs.ts). */
  segmentExports: SegmentExports;
  /** Golden members' profiles, for tag previews: the metrics engine's (decision 021, 022), or a test's. */
  profileSource: ProfileSource;
  /** Store databases of every enabled store, for pushing rules and templates. */
  storeDbs(): Promise<string[]>;
}

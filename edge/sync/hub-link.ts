import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import PouchDB from 'pouchdb-node';
import { z } from 'zod';
import { CLOCK_HEADER } from '../../shared/clock-skew.ts';
import { StoreId } from '../../shared/schemas/common.ts';
import { writeFileAtomic } from '../../shared/cli/write-file-atomic.ts';
import { paths } from '../node-dir.ts';

export const HubLinkSchema = z.object({
  hubUrl: z.string().url(),
  storeId: StoreId,
  db: z.string(),
  username: z.string(),
  password: z.string(),
  enrolledAt: z.string(),
});
export type HubLinkConfig = z.infer<typeof HubLinkSchema>;

export async function readHubLink(dir: string): Promise<HubLinkConfig | undefined> {
  const file = paths(dir).hub;
  if (!existsSync(file)) return undefined;
  return HubLinkSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

/** Saved with mode 0600: the password is the store's replication secret. */
export async function writeHubLink(dir: string, link: HubLinkConfig): Promise<void> {
  await writeFileAtomic(paths(dir).hub, JSON.stringify(link, null, 2) + '\n', 0o600);
}

export const basicAuth = (link: HubLinkConfig) => `Basic ${Buffer.from(`${link.username}:${link.password}`).toString('base64')}`;

/**
 * The store's database on the hub, through the hub's replication gateway. Every request carries
 * the node's clock: the hub orders the facts of stores by it (shared/clock-skew.ts).
 */
export function remoteDb(link: HubLinkConfig, clock: () => Date = () => new Date()): PouchDB.Database<Record<string, unknown>> {
  return new PouchDB<Record<string, unknown>>(`${link.hubUrl.replace(/\/$/, '')}/couch/${link.db}`, {
    auth: { username: link.username, password: link.password },
    skip_setup: true,
    fetch: (url: string, init: { headers: Headers }) => {
      init.headers.set(CLOCK_HEADER, clock().toISOString());
      return PouchDB.fetch(url, init);
    },
  } as PouchDB.Configuration.RemoteDatabaseConfiguration);
}

/**
 * The hub's database as the replicator uses it. PouchDB's replicator reads the source's info
 * after each batch only to count progress, and does not catch that read: with the hub gone the
 * rejection goes unhandled (the node logged "unhandled rejection ... socket hang up" on every hub
 * restart). Here a failed info answers what was last known; replication itself fails and retries
 * through its own requests.
 */
export function replicationRemote(link: HubLinkConfig, clock: () => Date): PouchDB.Database<Record<string, unknown>> {
  const db = remoteDb(link, clock);
  const info = db.info.bind(db);
  let last: PouchDB.Core.DatabaseInfo = { db_name: link.db, doc_count: 0, update_seq: 0 };
  db.info = (() => info().then((i) => (last = i), () => last)) as typeof db.info;
  return db;
}


import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../shared/cli/write-file-atomic.ts';
import { join } from 'node:path';
import { z } from 'zod';
import { StoreId } from '../shared/schemas/common.ts';
import { isTimeZone } from '../shared/local-time.ts';
import { AppError } from '../shared/errors.ts';

/**
 * A node's data directory: node.json (who this node is), terminals.json (hashed POS tokens),
 * guides.json (guide accounts, scrypt-hashed passwords),
 * db/ (the PouchDB replica), index.snapshot.json (a cache of the in-memory index) and, once
 * enrolled, hub.json (how to reach the hub).
 */
export const NodeConfigSchema = z.object({
  format: z.literal(1),
  storeId: StoreId,
  timeZone: z.string().refine(isTimeZone, 'unknown time zone'),
  createdAt: z.string(),
});
export type NodeConfig = z.infer<typeof NodeConfigSchema>;

export const paths = (dir: string) => ({
  config: join(dir, 'node.json'),
  terminals: join(dir, 'terminals.json'),
  /** Guide accounts (scrypt hashes; never replicated: see edge/guide/accounts.ts). */
  guides: join(dir, 'guides.json'),
  db: join(dir, 'db'),
  snapshot: join(dir, 'index.snapshot.json'),
  /** The hub's URL and this store's replication credentials (mode 0600), from `enroll`. */
  hub: join(dir, 'hub.json'),
  /** This node's random id, sent with the enrollment code so a retried enrollment is recognised. */
  nodeId: join(dir, 'node-id'),
  /** Where replication from the hub starts after enroll's first copy of the replica. */
  pulled: join(dir, 'pulled.json'),
  /** The sync state `serve` last saw, for `doctor` while `serve` holds the database. */
  syncStatus: join(dir, 'sync-status.json'),
});

export async function readNodeConfig(dir: string): Promise<NodeConfig> {
  const file = paths(dir).config;
  if (!existsSync(file)) throw new AppError('not_found', `${dir} is not a node data dir: run 'edge init --store ID --data ${dir}' first`);
  return NodeConfigSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

export async function createNodeDir(dir: string, config: NodeConfig): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths(dir).config, JSON.stringify(config, null, 2) + '\n');
}

import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { StoreId } from '../shared/schemas/common.ts';
import { isTimeZone } from '../shared/local-time.ts';
import { AppError } from '../shared/errors.ts';

/**
 * A node's data directory: node.json (who this node is), terminals.json (hashed POS tokens),
 * db/ (the PouchDB replica) and index.snapshot.json (a cache of the in-memory index).
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
  db: join(dir, 'db'),
  snapshot: join(dir, 'index.snapshot.json'),
});

export async function readNodeConfig(dir: string): Promise<NodeConfig> {
  const file = paths(dir).config;
  if (!existsSync(file)) throw new AppError('not_found', `${dir} is not a node data dir: run 'edge init --store ID --data ${dir}' first`);
  return NodeConfigSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

/** Writes a file so that a crash leaves either the old or the new content, never half of one. */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}

export async function createNodeDir(dir: string, config: NodeConfig): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths(dir).config, JSON.stringify(config, null, 2) + '\n');
}

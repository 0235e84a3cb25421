import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../shared/cli/write-file-atomic.ts';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { newSecret } from '../shared/secrets.ts';

/**
 * The hub's data dir: hub.json (its id), admin-token (mode 0600), initial-admin-password (mode
 * 0600; the first operator's one-time password, until they choose their own), couch/ (the
 * embedded server's files, and its stderr.log), hub-status.json (the breadcrumb of the running
 * hub: how the last run ended, hub/last-words.ts).
 */
export const hubPaths = (dir: string) => ({
  config: join(dir, 'hub.json'),
  adminToken: join(dir, 'admin-token'),
  initialAdminPassword: join(dir, 'initial-admin-password'),
  /** One-ID's and the profile engine's snapshots (decisions 029, 030). */
  snapshots: join(dir, 'snapshots'),
  /** Segment exports waiting for their download (decision 023). */
  exports: join(dir, 'exports'),
});

export async function ensureHubDir(dir: string): Promise<{ hubId: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = hubPaths(dir).config;
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as { hubId: string };
  const config = { hubId: randomUUID(), createdAt: new Date().toISOString() };
  await writeFileAtomic(file, JSON.stringify(config, null, 2) + '\n');
  return config;
}

/**
 * The admin token: HUB_ADMIN_TOKEN when set, else the one saved in DIR, else a new one saved
 * there (mode 0600). `generated` tells the caller to say where it is, never what it is.
 */
export async function loadAdminToken(dir: string, env = process.env.HUB_ADMIN_TOKEN): Promise<{ token: string; generated: boolean }> {
  if (env) return { token: env, generated: false };
  const file = hubPaths(dir).adminToken;
  if (existsSync(file)) return { token: (await readFile(file, 'utf8')).trim(), generated: false };
  const token = `mha_${newSecret()}`;
  await writeFileAtomic(file, token + '\n');
  return { token, generated: true };
}

/** The token for the CLI's admin commands: HUB_ADMIN_TOKEN, or read from --data DIR. */
export async function readAdminToken(dir: string | undefined): Promise<string | undefined> {
  if (process.env.HUB_ADMIN_TOKEN) return process.env.HUB_ADMIN_TOKEN;
  if (!dir || !existsSync(hubPaths(dir).adminToken)) return undefined;
  return (await readFile(hubPaths(dir).adminToken, 'utf8')).trim();
}

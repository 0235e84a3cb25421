import { readFileSync } from 'node:fs';
import { createLog } from '../../shared/cli/log.ts';
import { profileField, type Profile, type ProfileValue } from '../../shared/profile/fields.ts';
import { serveHub } from '../../hub/server.ts';
import type { ProfileSource } from '../../hub/tags/profile-source.ts';

/*
 * A real hub (its embedded database, its HTTP API, the CLI's token) with a fake profile source
 * in place of the metrics engine: the profiles are read from a JSON file, `[[goldenId, {field:
 * value}], ...]` (sets as arrays, scores as objects), and read again on every preview, so a test
 * may change them while the hub runs. Usage: tsx hub-with-profiles.ts DATA_DIR PORT PROFILES.json
 */

const [dir, port, file] = process.argv.slice(2);

/** A profile from JSON, each value in its field's kind. */
export function profileFromJson(fields: Record<string, unknown>): Profile {
  const p = new Map<string, ProfileValue>();
  for (const [name, v] of Object.entries(fields)) {
    const kind = profileField(name)?.kind;
    if (kind === 'set') p.set(name, new Set(v as string[]));
    else if (kind === 'scores') p.set(name, new Map(Object.entries(v as Record<string, number>)));
    else p.set(name, v as number | string);
  }
  return p;
}

const source: ProfileSource = {
  *profiles() {
    const rows = JSON.parse(readFileSync(file!, 'utf8')) as [string, Record<string, unknown>][];
    for (const [id, fields] of rows) yield [id, profileFromJson(fields)] as const;
  },
};

const hub = await serveHub({ dir: dir!, port: Number(port), host: '127.0.0.1', log: createLog('hub', true), profileSource: source, sweepEveryMs: 1000 });
console.log(`hub ready at ${hub.url}`);
const stop = async () => {
  await hub.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

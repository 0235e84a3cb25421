import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Mapping, MappingSchema } from '../../shared/one-id/mapping.ts';
import { PROJECT_ROOT } from '../project-root.ts';

/** The mappings shipped with the hub (deploy/mappings/<source>.json); a deployment may point the import at its own directory. */
export const SHIPPED_MAPPINGS = join(PROJECT_ROOT, 'deploy', 'mappings');

/** Reads and validates one mapping file; the error names the file and each bad field. */
export async function loadMapping(file: string): Promise<Mapping> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`mapping ${file}: ${(err as Error).message}`);
  }
  const parsed = MappingSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new Error(`mapping ${file}: ${issues}`);
  }
  return parsed.data;
}

/** Every mapping in a directory, by source name. */
export async function loadMappings(dir = SHIPPED_MAPPINGS): Promise<Map<string, Mapping>> {
  const out = new Map<string, Mapping>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    const m = await loadMapping(join(dir, name));
    if (out.has(m.source)) throw new Error(`mapping ${name}: source '${m.source}' is mapped twice`);
    out.set(m.source, m);
  }
  return out;
}

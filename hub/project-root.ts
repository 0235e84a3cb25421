import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's directory (the one with package.json), found from this module whether it runs
 * from the sources (hub/…) or from the bundle (dist/hub.mjs): files the hub reads or starts
 * beside its code (the shipped mappings, the console's static files, the database child) are
 * named from here, not relative to a module that the bundle moves.
 */
export const PROJECT_ROOT = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
  }
})();

// `npm run build`: the edge, the hub and the hub's import worker as single files (decisions 038, 040).
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // The packages are bundled too: Node's loader took as long to find and compile zod's, hono's and
  // PouchDB's hundreds of files as the command's own work (decision 040). Native code (leveldown)
  // and the database child's server (started as its own process) stay in node_modules.
  external: ['leveldown', 'pouchdb-server'],
  // Bundled CommonJS packages require Node's own modules; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};

await Promise.all([
  build({ ...common, entryPoints: ['edge/cli.ts'], outfile: 'dist/edge.mjs' }),
  build({ ...common, entryPoints: ['hub/cli.ts'], outfile: 'dist/hub.mjs' }),
  build({ ...common, entryPoints: ['hub/import/import-worker.ts'], outfile: 'dist/import-worker.mjs' }),
]);
mkdirSync('dist/static', { recursive: true });
cpSync('edge/guide/static', 'dist/static', { recursive: true });

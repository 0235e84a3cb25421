import { execFileSync } from 'node:child_process';
import { ROOT } from './edge-node.ts';

/**
 * Vitest's global setup: builds the bundles once, before any test file runs (decision 038).
 * Every edge a test starts or commands is `node dist/edge.mjs`, as on a store's box, and every
 * hub `node dist/hub.mjs`: they start in a fifth to a third of the CPU of the sources through tsx, on a
 * suite bound by two cores. The sources' own start is tested where a test spawns them itself.
 */
export default function buildBundles() {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

import { readFileSync } from 'node:fs';

/** The node's version, reported in /healthz and heartbeats. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

import { localDate } from '../shared/local-time.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { LiveIndex } from './live-index.ts';
import type { Log } from './log.ts';

/** What every edge service needs; built once by `serve` (or a test) and passed in. */
export interface EdgeContext {
  storeId: string;
  timeZone: string;
  version: string;
  live: LiveIndex;
  locks: KeyedLock;
  clock: () => Date;
  log: Log;
}

/** The current instant and the store's business day, read once per request. */
export function moment(ctx: EdgeContext): { now: string; today: string } {
  const d = ctx.clock();
  return { now: d.toISOString(), today: localDate(d, ctx.timeZone) };
}

/** A stored document by id, or undefined when there is none. */
export async function getDoc(ctx: EdgeContext, id: string): Promise<unknown | undefined> {
  try {
    return await ctx.live.db.get(id);
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

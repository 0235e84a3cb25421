import { localDate } from '../shared/local-time.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { LiveIndex } from './live-index.ts';
import type { Log } from '../shared/cli/log.ts';
import type { HubAccess } from './sync/hub-access.ts';

/** What every edge service needs; built once by `serve` (or a test) and passed in. */
export interface EdgeContext {
  storeId: string;
  timeZone: string;
  version: string;
  live: LiveIndex;
  locks: KeyedLock;
  clock: () => Date;
  log: Log;
  /** Present on an enrolled node that is serving: the hub, when it can be reached. */
  hub?: HubAccess;
}

let lastMoment = { ms: Number.NaN, timeZone: '', now: '', today: '' };

/**
 * The current instant and the store's business day, read once per request. At thousands of
 * requests a second many fall in the same millisecond: the strings are made once for it.
 */
export function moment(ctx: EdgeContext): { now: string; today: string } {
  const d = ctx.clock();
  const ms = d.getTime();
  if (ms !== lastMoment.ms || ctx.timeZone !== lastMoment.timeZone) lastMoment = { ms, timeZone: ctx.timeZone, now: d.toISOString(), today: localDate(d, ctx.timeZone) };
  return lastMoment;
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

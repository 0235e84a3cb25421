import type { Log } from '../../shared/cli/log.ts';

/** How long the hub's requests wait for a database that does not answer, and where it says so. */
export interface Patience {
  ms: number;
  log: Log;
}

/** The message nano rejects with when no HTTP answer came at all (refused, reset, closed mid-answer). */
export const isConnectionError = (err: unknown): boolean => /^error happened in your connection/.test(String((err as Error)?.message ?? ''));

/**
 * Wraps a nano server so that every request that got no answer at all (the embedded database
 * was restarting: refused, or reset mid-request) is sent again until the database answers or
 * `patience.ms` have passed. The hub's callers then ride out a restart of the database child
 * (an import keeps going) instead of failing on it (decision 028).
 *
 * A request sent again may have been applied the first time: the hub's writes are made for that
 * (a document that exists is a conflict, which insertNew, update and the golden writes handle).
 */
export function patient<T extends object>(server: T, patience: Patience): T {
  const outage = new Outage(patience.log);
  const wrap = <O extends object>(target: O): O =>
    new Proxy(target, {
      get(t, key) {
        const value = Reflect.get(t, key, t) as unknown;
        // server.db holds the database-level calls; use/scope return a database's scope.
        if (key === 'db' && value && typeof value === 'object') return wrap(value);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const first = (value as (...a: unknown[]) => unknown).apply(t, args);
          if ((key === 'use' || key === 'scope') && first && typeof first === 'object') return wrap(first);
          if (!isThenable(first)) return first;
          return outage.retry(first, () => (value as (...a: unknown[]) => Promise<unknown>).apply(t, args), patience.ms);
        };
      },
    });
  return wrap(server);
}

const isThenable = (v: unknown): v is Promise<unknown> => !!v && typeof (v as Promise<unknown>).then === 'function';

/** One outage of the database as the hub's requests see it: said once when it begins and once when it ends. */
class Outage {
  private since: number | undefined;
  constructor(private readonly log: Log) {}

  async retry(first: Promise<unknown>, again: () => Promise<unknown>, ms: number): Promise<unknown> {
    const deadline = Date.now() + ms;
    let delay = 100;
    let attempt = first;
    for (let failures = 1; ; failures++) {
      try {
        const v = await attempt;
        this.up();
        return v;
      } catch (err) {
        if (!isConnectionError(err) || Date.now() > deadline) throw err;
        // One failure alone is said nowhere: a kept-alive connection the server closed just as it
        // was reused ('other side closed') is common and the next attempt answers.
        if (failures > 1) this.down(err, ms);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
        attempt = again();
      }
    }
  }

  private down(err: unknown, ms: number) {
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.log.warn('the database does not answer; requests wait for it', { err: String((err as Error)?.message ?? err).slice(0, 300), waitsUpToSeconds: ms / 1000 });
  }

  private up() {
    if (this.since === undefined) return;
    this.log.warn('the database answers again', { afterSeconds: Math.round((Date.now() - this.since) / 100) / 10 });
    this.since = undefined;
  }
}

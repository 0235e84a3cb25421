import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/errors.ts';
import { CLOCK_HEADER } from '../../shared/clock-skew.ts';
import type { StoreClocks } from '../store-clocks.ts';
import type { StoreDoc, Stores } from '../stores.ts';

export type StoreEnv = { Variables: { store: StoreDoc } };

/**
 * Requires a store's credentials from enrollment (Basic <store id>:<secret>); the store is
 * `c.var.store`. The clock the request carries is noted for the store (only once it is known
 * whose it is).
 */
export function requireStore(stores: Stores, clocks: Pick<StoreClocks, 'note'>): MiddlewareHandler<StoreEnv> {
  return async (c, next) => {
    const store = await stores.authenticate(c.req.header('authorization'));
    if (!store) {
      c.header('WWW-Authenticate', 'Basic realm="memberedge"');
      throw new AppError('unauthorized', 'send the store credentials from enrollment (Basic <store id>:<secret>)');
    }
    c.set('store', store);
    clocks.note(store.id, c.req.header(CLOCK_HEADER));
    await next();
  };
}

import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/errors.ts';
import type { StoreDoc, Stores } from '../stores.ts';

export type StoreEnv = { Variables: { store: StoreDoc } };

/** Requires a store's credentials from enrollment (Basic <store id>:<secret>); the store is `c.var.store`. */
export function requireStore(stores: Stores): MiddlewareHandler<StoreEnv> {
  return async (c, next) => {
    const store = await stores.authenticate(c.req.header('authorization'));
    if (!store) {
      c.header('WWW-Authenticate', 'Basic realm="memberedge"');
      throw new AppError('unauthorized', 'send the store credentials from enrollment (Basic <store id>:<secret>)');
    }
    c.set('store', store);
    await next();
  };
}

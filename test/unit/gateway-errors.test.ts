import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Couch } from '../../hub/couch/couch.ts';
import { freePort } from '../../hub/couch/embedded.ts';
import { gatewayRoutes } from '../../hub/gateway.ts';
import { claimedStoreId, GatewayRefusals } from '../../hub/gateway-refusals.ts';
import { Stores } from '../../hub/stores.ts';

/*
 * The gateway answers errors as CouchDB does, because PouchDB's replicator reads them: `error`
 * must be a string (it is lower-cased as the error's name), `reason` the message.
 */

const silent = { error: () => {} };
async function gatewayWithoutDatabase() {
  // A port nothing listens on: the hub's database is down.
  const couch = new Couch(`http://127.0.0.1:${await freePort()}`);
  return gatewayRoutes({ couch, stores: new Stores(couch, () => new Date()), clocks: { note: () => {} }, onStoreWrite: () => {}, onRefused: async () => {}, hubId: 'hub', refusals: new GatewayRefusals(), log: silent });
}
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('gateway errors', () => {
  it('401 with WWW-Authenticate and a CouchDB body without credentials', async () => {
    const gw = await gatewayWithoutDatabase();
    const res = await gw.request('/store-s001/_changes');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await res.json()).toEqual({ error: 'unauthorized', reason: expect.any(String) });
  });

  it('503 unavailable, not 500, while the database cannot be reached', async () => {
    const gw = await gatewayWithoutDatabase();
    const res = await gw.request('/store-s001/', { headers: { authorization: basic('S001', 'secret') } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'unavailable', reason: expect.stringContaining('retry') });
  });

  it('every answer to any request is an error PouchDB can read', async () => {
    const gw = await gatewayWithoutDatabase();
    const segment = fc.oneof(fc.constantFrom('store-s001', '_changes', '_bulk_docs', '_local', '__proto__', 'constructor', '%2F', '..', '_design'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'),
        fc.option(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.string()).map(([u, p]) => basic(u, p))), { nil: undefined }),
        async (path, method, authorization) => {
          const res = await gw.request(`/${path.join('/')}`, { method, headers: authorization ? { authorization } : {}, ...(method === 'POST' || method === 'PUT' ? { body: '{}' } : {}) });
          expect([401, 403, 404, 503]).toContain(res.status);
          if (method === 'HEAD') return;
          const body = (await res.json()) as { error: unknown; reason: unknown };
          expect(typeof body.error).toBe('string');
          expect(typeof body.reason).toBe('string');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('GatewayRefusals', () => {
  it('keeps the last refusal per store, and a bounded number of stores', () => {
    const r = new GatewayRefusals();
    for (let i = 0; i < 10_050; i++) r.note(`S${i}`, { at: 't', status: 401, code: 'unauthorized', reason: String(i) });
    expect(r.get('S0')).toBeUndefined();
    expect(r.get('S10049')?.reason).toBe('10049');
    r.note('__proto__', { at: 't', status: 401, code: 'unauthorized', reason: 'x' });
    expect(r.get('__proto__')?.reason).toBe('x');
    expect(r.get('constructor')).toBeUndefined();
  });

  it('reads the claimed store id of a Basic header, whatever the case of the scheme', () => {
    expect(claimedStoreId(basic('S001', 'a:b'))).toBe('S001');
    expect(claimedStoreId(`basic ${Buffer.from('S002:x').toString('base64')}`)).toBe('S002');
    expect(claimedStoreId('Bearer abc')).toBeUndefined();
    expect(claimedStoreId(undefined)).toBeUndefined();
    expect(claimedStoreId(basic('', 'x'))).toBeUndefined();
  });
});

import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

/**
 * The ceiling the edge is measured against: a Hono app on the same adapter that reads a small
 * JSON body and answers JSON, with no auth, validation or data behind it.
 */
const app = new Hono().post('/echo', async (c) => {
  const body = await c.req.json();
  return c.json({ ok: true, got: typeof body });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  console.log(`trivial ready at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app.ts';
import { openNode } from '../../edge/node.ts';
import { TerminalRegistry } from '../../edge/terminals.ts';
import { createLog } from '../../shared/cli/log.ts';
import { provisionNode, removeDir } from '../support/edge-node.ts';

/*
 * Every /v1 route, as the app registers it (not a list kept by hand), refuses a request without
 * a valid terminal token: the check wraps each route's handler (edge/app.ts).
 */
let dir: string;
let token: string;
let node: Awaited<ReturnType<typeof openNode>>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  ({ dir, token } = await provisionNode());
  node = await openNode({ dir, log: createLog('test', true) });
  app = createApp(node, { terminals: await TerminalRegistry.load(dir), identifyRate: { perMinute: 60, burst: 10 } });
});

afterAll(async () => {
  await node?.close();
  removeDir(dir);
});

describe('edge authentication', () => {
  it('every /v1 route answers 401 without a token or with a wrong one, and writes nothing', async () => {
    const routes = app.routes.filter((r) => r.path.startsWith('/v1'));
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /v1/members/identify', 'POST /v1/members', 'POST /v1/checkouts']));
    const before = (await node.live.db.info()).doc_count;
    for (const r of routes) {
      const path = r.path.replace(/:[a-zA-Z]+/g, 'X1');
      for (const headers of [{}, { authorization: 'Bearer met_wrong' }, { authorization: `Basic ${token}` }] as Record<string, string>[]) {
        const res = await app.request(path, { method: r.method, headers: { 'content-type': 'application/json', ...headers }, ...(r.method === 'GET' ? {} : { body: '{"phone":"13800138000"}' }) });
        expect(res.status, `${r.method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect((await res.json()).error.code).toBe('unauthorized');
      }
    }
    expect((await node.live.db.info()).doc_count).toBe(before);
    const ok = await app.request('/v1/members/identify', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"phone":"13800138000"}' });
    expect(ok.status).toBe(404); // past the check: no such member in an empty store
  });

  it('takes the scheme in any case and spaces around the token (RFC 9110), on every /v1 route', async () => {
    const routes = app.routes.filter((r) => r.path.startsWith('/v1'));
    for (const authorization of [`bearer ${token}`, `BEARER ${token}`, `Bearer   ${token}  `, `bEaReR\t${token}`]) {
      for (const r of routes) {
        const path = r.path.replace(/:[a-zA-Z]+/g, 'X1');
        const res = await app.request(path, { method: r.method, headers: { 'content-type': 'application/json', authorization }, ...(r.method === 'GET' ? {} : { body: '{}' }) });
        expect(res.status, `${r.method} ${path} ${JSON.stringify(authorization)}`).not.toBe(401);
      }
    }
    // Another scheme, or the token glued to the scheme, is still refused.
    for (const authorization of [`Token ${token}`, `Bearer${token}`, `bearer`]) {
      const res = await app.request('/v1/members/identify', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: '{"phone":"13800138000"}' });
      expect(res.status, authorization).toBe(401);
    }
  });
});

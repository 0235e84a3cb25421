import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, provisionNode, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';

let dir: string;
let token: string;
let node: EdgeProcess;

beforeAll(async () => {
  ({ dir, token } = await provisionNode({ members: 5 }));
  node = await startEdge(dir, ['--identify-rate', '60', '--identify-burst', '5']);
});
afterAll(async () => {
  await node?.stop();
  removeDir(dir);
});

it('limits identify per terminal so phone numbers cannot be enumerated', async () => {
  const pos = client(node.url, token);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await pos.post('/v1/members/identify', { phone: `1370000${String(i).padStart(4, '0')}` })).status);
  expect(statuses.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
  expect(statuses.slice(5)).toEqual([429, 429, 429]);
  const limited = await pos.post('/v1/members/identify', { phone: '13900000001' });
  expect(limited.body.error.code).toBe('rate_limited');
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  // Other calls of the same terminal are not limited.
  expect((await pos.get('/v1/members/MSEED00000001')).status).toBe(200);
});

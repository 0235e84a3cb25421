import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { enroll } from '../edge/enroll.ts';
import { serveNode } from '../edge/node.ts';
import { paths } from '../edge/node-dir.ts';
import { seedMemberId, seedPhone } from '../edge/seed.ts';
import { addTerminal, TerminalRegistry } from '../edge/terminals.ts';
import { writeFileAtomic } from '../shared/cli/write-file-atomic.ts';
import { issueHubCoupon } from '../hub/coupons.ts';
import { seedStoreMembers } from '../hub/seed.ts';
import { serveHub } from '../hub/server.ts';
import { createLog } from '../shared/cli/log.ts';
import { AppError } from '../shared/errors.ts';
import { EVERYTHING } from '../shared/org-scope.ts';

/**
 * `npm start`: the hub with its embedded database on http://127.0.0.1:8400, and two enrolled
 * demo stores, S001 on :8401 and S002 on :8402, each with 1,000 sample members of its own and a
 * few coupons. Data lives in ./data/demo and survives restarts (delete it to start over).
 */
const root = join(process.cwd(), 'data', 'demo');

/**
 * Terminal T1's token, the same on every start: the curl lines printed last time keep working.
 * It is kept beside the node's data (mode 0600, like the hub credentials there); a token that
 * no longer verifies (T1 revoked or re-keyed) is replaced.
 */
async function demoToken(dir: string): Promise<string> {
  const file = join(dir, 'demo-terminal-token');
  if (existsSync(file)) {
    const saved = (await readFile(file, 'utf8')).trim();
    if ((await (await TerminalRegistry.load(dir)).terminalFor(saved)) === 'T1') return saved;
  }
  const token = await addTerminal(dir, 'T1', new Date());
  await writeFileAtomic(file, token + '\n', 0o600);
  return token;
}
const hubPort = Number(process.env.HUB_PORT ?? 8400);
const quiet = createLog('demo', true);

const hub = await serveHub({ dir: join(root, 'hub'), port: hubPort, host: '127.0.0.1', log: createLog('hub', true), sweepEveryMs: 5000 });
const demoStores = [
  { id: 'S001', name: 'Shanghai Jing An', city: 'Shanghai', port: hubPort + 1, first: 0 },
  { id: 'S002', name: 'Hangzhou West Lake', city: 'Hangzhou', port: hubPort + 2, first: 1000 },
];
// The org tree the console shows: region East with a city per store.
for (const name of ['Shanghai', 'Hangzhou']) {
  try {
    await hub.ctx.org.addCity({ name, region: 'East' }, EVERYTHING);
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'city_exists')) throw err;
  }
}

const running: ((typeof demoStores)[number] & { url: string; token: string; node: Awaited<ReturnType<typeof serveNode>> })[] = [];
for (const s of demoStores) {
  const dir = join(root, s.id);
  if (!existsSync(paths(dir).hub)) {
    const { store, code } = (await hub.ctx.stores.get(s.id))
      ? { store: await hub.ctx.stores.require(s.id), ...(await hub.ctx.stores.newCode(s.id)) }
      : await hub.ctx.org.addStore({ id: s.id, name: s.name, city: s.city }, undefined, EVERYTHING);
    await seedStoreMembers(hub.ctx.couch, hub.ctx.ingest, store, 1000, { first: s.first });
    for (const [i, templateId] of [[1, 'CASH20'], [2, 'PCT10'], [3, 'GIFT-CUP']] as const) {
      await issueHubCoupon(hub.ctx, { memberId: seedMemberId(s.first + i), templateId });
    }
    hub.ctx.bundles.request(s.id);
    await hub.ctx.bundles.idle();
    console.log(`enrolling ${s.id}…`);
    await enroll({ dir, hubUrl: hub.url, code, log: quiet });
  }
  const token = await demoToken(dir);
  const node = await serveNode({ dir, log: createLog(`edge-${s.id}`, true), port: s.port, host: '127.0.0.1', identifyRate: { perMinute: 120, burst: 30 }, snapshotEveryMs: 30_000 });
  running.push({ ...s, url: node.url, token, node });
}

const [a, b] = running;
console.log(`
MemberEdge demo: hub at ${hub.url} (data in ${root})
  admin token: in ${join(root, 'hub', 'admin-token')}
  HQ console: ${hub.url}/console — ${existsSync(join(root, 'hub', 'initial-admin-password')) ? `log in as admin with the one-time password in ${join(root, 'hub', 'initial-admin-password')}` : 'log in as admin with the password you chose'}
${running.map((s) => `  store ${s.id} (${s.name}) at ${s.url}   POS terminal T1 token: ${s.token}`).join('\n')}

Try: a member of ${a!.id} earns points there, then is served at ${b!.id} (the hub looks them up):
  curl -s -X POST ${a!.url}/v1/checkouts -H 'authorization: Bearer ${a!.token}' -H 'content-type: application/json' \\
    -d '{"receiptNo":"R'$RANDOM'","memberId":"${seedMemberId(1)}","lines":[{"sku":"BEANS-1KG","qty":1,"unitPrice":12800}]}'
  curl -s -X POST ${b!.url}/v1/members/identify -H 'authorization: Bearer ${b!.token}' -H 'content-type: application/json' -d '{"phone":"${seedPhone(1).slice(3)}"}'
  curl -s ${a!.url}/healthz
  HUB_URL=${hub.url} npm run hub -- fleet --data ${join(root, 'hub')}

Ctrl-C stops all.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const s of running) await s.node.close();
  await hub.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

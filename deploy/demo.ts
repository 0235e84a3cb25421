import { join } from 'node:path';
import { initNode } from '../edge/init-node.ts';
import { createLog } from '../edge/log.ts';
import { openNode, serveNode } from '../edge/node.ts';
import { seedMemberId, seedMembers, seedPhone } from '../edge/seed.ts';
import { issueCoupon } from '../edge/services/coupons.ts';
import { addTerminal } from '../edge/terminals.ts';

/**
 * `npm start`: a demo store node (S001) with 1,000 sample members and a few coupons, served on
 * http://127.0.0.1:8401 (PORT to change). Its data lives in ./data/demo-S001 and survives
 * restarts. The hub joins this command with the hub issue.
 */
const dir = join(process.cwd(), 'data', 'demo-S001');
const port = Number(process.env.PORT ?? 8401);
const log = createLog('demo', true);

const config = { format: 1 as const, storeId: 'S001', timeZone: 'Asia/Shanghai', createdAt: new Date().toISOString() };
if ((await initNode(dir, config, log)) === 'created') {
  const node = await openNode({ dir, log });
  await seedMembers(node, 1000);
  for (const [i, templateId] of [[1, 'CASH20'], [2, 'PCT10'], [3, 'GIFT-CUP']] as const) {
    await issueCoupon(node, { memberId: seedMemberId(i), templateId });
  }
  await node.close();
}

const token = await addTerminal(dir, 'T1', new Date());
const running = await serveNode({ dir, log: createLog('edge'), port, host: '127.0.0.1', identifyRate: { perMinute: 120, burst: 30 }, snapshotEveryMs: 30_000 });
const phone = seedPhone(1).slice(3);
console.log(`
MemberEdge demo store S001 at ${running.url} (data in ${dir})
POS terminal T1 token: ${token}

Try:
  curl -s ${running.url}/healthz
  curl -s -X POST ${running.url}/v1/members/identify -H 'authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"phone":"${phone}"}'
  curl -s -X POST ${running.url}/v1/checkouts -H 'authorization: Bearer ${token}' -H 'content-type: application/json' \\
    -d '{"receiptNo":"R'$RANDOM'","memberId":"${seedMemberId(1)}","lines":[{"sku":"BEANS-1KG","qty":1,"unitPrice":12800}],"pointsToRedeem":100}'

Ctrl-C stops it.`);

const stop = async () => {
  await running.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

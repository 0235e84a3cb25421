import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exchangeCouponCode } from '../../shared/ids.ts';
import { client, edgeCliOk, lastLine } from '../support/edge-node.ts';
import { signInGuide } from '../support/guide-session.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM, openAsOperator, screenshot, scrollsSideways, type ConsoleRig } from '../support/browser.ts';
import { pushAsStore, startTwoStoreFleet, stopFleet, syncStateOf, type FleetStore } from '../support/fleet.ts';
import { adminClient, eventually, hubCliOk, startHub, type HubProcess } from '../support/hub.ts';

/*
 * The points catalogue and coupon pools (issue 13, decision 020) with a real hub and two real
 * store nodes: exchanges at the till online and with the hub down (within the offline spend
 * limit), gift stock per store, refunds that give the points back and void the coupon, pool
 * claims first come within the limits, and forged exchange facts quarantined at the hub.
 */

const seedId = (i: number) => `MSEED${String(i).padStart(8, '0')}`;

let hubDir: string;
let hubPort: number;
let hub: HubProcess;
let stores: FleetStore[] = [];
/** A pool coupon claimed online, redeemed later with the hub down. */
let springCode = '';

const admin = () => adminClient(hub);
const pos = (i: number) => client(stores[i]!.edge!.url, stores[i]!.token);
const balanceAt = async (i: number, m: string) => (await pos(i).get(`/v1/members/${m}/points`)).body.balance as number;

const CATALOGUE = {
  version: 0,
  rewards: [
    { kind: 'gift', id: 'GIFT-CUP', title: 'A cup', points: 300, sku: 'CUP-001', stock: [{ storeId: 'S001', qty: 2 }] },
    { kind: 'coupon', id: 'CASH-500', title: '20 RMB off for 500 points', points: 500, templateId: 'CASH20' },
    { kind: 'coupon', id: 'BIG', title: '10% off for 4,800 points', points: 4800, templateId: 'PCT10' },
  ],
};

beforeAll(async () => {
  ({ hubDir, hubPort, hub, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1']));
  const put = await admin().put('/catalogue', { catalogue: CATALOGUE });
  expect(put.status).toBe(200);
  expect(put.body.catalogue.version).toBe(1);
  for (const i of [0, 1]) await eventually(async () => ((await pos(i).get('/v1/exchanges/catalogue')).body.catalogue?.version === 1 ? true : undefined), 15_000, `the catalogue at store ${i}`);
}, 120_000);

afterAll(async () => {
  await stopFleet(hub, hubDir, stores);
});

it('the catalogue is versioned at the hub: a change from an old version is refused, nothing written', async () => {
  const stale = await admin().put('/catalogue', { catalogue: { ...CATALOGUE, version: 0 } });
  expect(stale.status).toBe(409);
  expect(stale.body.error.code).toBe('stale_version');
  const unknownTemplate = await admin().put('/catalogue', { catalogue: { version: 1, rewards: [{ kind: 'coupon', id: 'X', title: 'X', points: 1, templateId: 'NOPE' }] } });
  expect(unknownTemplate.body.error.code).toBe('template_not_found');
  expect((await admin().get('/catalogue')).body.catalogue.version).toBe(1);
  expect((await admin().get('/catalogue/versions')).body.versions.map((v: { version: number }) => v.version)).toEqual([1]);
});

it('a gift: stock per store never below zero, idempotent by request id, a refund puts the unit back', async () => {
  const m = seedId(1);
  const till = pos(0);
  expect((await till.post('/v1/checkouts', { receiptNo: 'G-EARN', memberId: m, lines: [{ sku: 'TV', qty: 1, unitPrice: 300_000 }] })).status).toBe(201);
  const before = await balanceAt(0, m);
  const ask = (requestId: string, rewardId = 'GIFT-CUP') => till.post('/v1/exchanges', { requestId, memberId: m, rewardId });

  // Two at once for a stock of two, then a third: the store's stock is counted under one lock.
  const [a, b] = await Promise.all([ask('gift-req-0001'), ask('gift-req-0002')]);
  expect([a.status, b.status]).toEqual([201, 201]);
  const third = await ask('gift-req-0003');
  expect(third.status).toBe(422);
  expect(third.body.error.code).toBe('out_of_stock');
  expect((await till.get('/v1/exchanges/catalogue')).body.catalogue.rewards.find((r: { id: string }) => r.id === 'GIFT-CUP').stock).toBe(0);
  // S002 has none of it.
  expect((await pos(1).get('/v1/exchanges/catalogue')).body.catalogue.rewards.find((r: { id: string }) => r.id === 'GIFT-CUP').stock).toBe(0);

  const again = await ask('gift-req-0001');
  expect(again.status).toBe(200);
  expect(again.body.exchange).toEqual(a.body.exchange);
  const other = await ask('gift-req-0001', 'CASH-500');
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('exchange_conflict');
  expect(await balanceAt(0, m)).toBe(before - 600);

  const refund = await till.post(`/v1/exchanges/${a.body.exchange.id}/refund`);
  expect(refund.status).toBe(201);
  expect(refund.body.exchange.refunded.points).toBe(300);
  expect((await till.post(`/v1/exchanges/${a.body.exchange.id}/refund`)).status).toBe(200);
  expect(await balanceAt(0, m)).toBe(before - 300);
  expect((await till.get('/v1/exchanges/catalogue')).body.catalogue.rewards.find((r: { id: string }) => r.id === 'GIFT-CUP').stock).toBe(1);
  expect((await ask('gift-req-0004')).status).toBe(201);
  expect((await ask('gift-req-0005')).body.error.code).toBe('out_of_stock');

  // In the ledger with the reward as its reason.
  const ledger = (await till.get(`/v1/members/${m}/points`)).body.ledger as { reason: string; delta: number; reward?: { id: string } }[];
  expect(ledger.filter((e) => e.reason === 'exchange').map((e) => [e.delta, e.reward?.id])).toEqual([[-300, 'GIFT-CUP'], [-300, 'GIFT-CUP'], [-300, 'GIFT-CUP']]);
  expect(ledger.filter((e) => e.reason === 'exchange_refund').map((e) => [e.delta, e.reward?.id])).toEqual([[300, 'GIFT-CUP']]);
  // Not more than the member has.
  const poor = await till.post('/v1/exchanges', { requestId: 'poor-req-0001', memberId: seedId(2), rewardId: 'BIG' });
  if ((await balanceAt(0, seedId(2))) < 4800) expect(poor.body.error.code).toBe('insufficient_points');
});

it('on the guide page: a button on the profile, the catalogue with what the member can spend, an exchange once per form', async () => {
  const m = seedId(6);
  const url = stores[0]!.edge!.url;
  expect((await pos(0).post('/v1/checkouts', { receiptNo: 'GUIDE-EARN', memberId: m, lines: [{ sku: 'TV', qty: 1, unitPrice: 100_000 }] })).status).toBe(201);
  const before = await balanceAt(0, m);
  const password = lastLine(await edgeCliOk(['guide', 'add', 'amy', '--data', stores[0]!.dir]));
  const { cookie } = await signInGuide(url, 'amy', password);
  const get = async (path: string) => (await fetch(url + path, { headers: { cookie } })).text();
  expect(await get(`/guide/m/${m}`)).toContain(`action="/guide/m/${m}/rewards"`);
  const page = await get(`/guide/m/${m}/rewards`);
  expect(page).toContain(`data-spendable="${before}"`);
  const form = /<form[^>]*data-reward="CASH-500"[^>]*>([\s\S]*?)<\/form>/.exec(page)![1]!;
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(form)![1]!;
  const send = () =>
    fetch(`${url}/guide/m/${m}/rewards`, {
      method: 'POST',
      headers: { cookie, origin: url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: field('_csrf'), rewardId: 'CASH-500', requestId: field('requestId') }),
    });
  const first = await send();
  expect(first.status).toBe(200);
  const code = exchangeCouponCode('S001', field('requestId'));
  expect(await first.text()).toContain(code);
  expect((await send()).status).toBe(200); // the same form again: the same exchange
  expect(await balanceAt(0, m)).toBe(before - 500);
  expect((await pos(0).get(`/v1/members/${m}`)).body.member.coupons.map((c: { code: string }) => c.code)).toContain(code);
  // Without the form's token nothing is exchanged.
  const forged = await fetch(`${url}/guide/m/${m}/rewards`, { method: 'POST', headers: { cookie, origin: url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ rewardId: 'CASH-500', requestId: 'forged-req-0001' }) });
  expect(forged.status).toBe(403);
  expect(await balanceAt(0, m)).toBe(before - 500);
});

it('coupon pools: imported at the hub, claimed first come within the limits per member and per campaign, redeemable at the till', async () => {
  const csv = 'code\npartner-0001\nPARTNER-0002\nPARTNER-0003\n';
  const imported = await admin().post('/coupon-pools', { id: 'P1', title: 'Partner batch', templateId: 'CASH20', limitPerMember: 1, csv });
  expect(imported.status).toBe(201);
  expect(imported.body.pool).toMatchObject({ id: 'P1', size: 3, claimed: 0 });
  expect((await admin().post('/coupon-pools', { id: 'P1', title: 'again', templateId: 'CASH20', codes: ['PARTNER-0009'] })).body.error.code).toBe('pool_exists');
  expect((await admin().post('/coupon-pools', { id: 'PBAD', title: 'bad', templateId: 'CASH20', csv: 'code\nok-1234\nnot a code!\n' })).body.error.code).toBe('validation_failed');

  // Five members at once for three codes: three get one each, the rest are told the pool is empty.
  const members = [10, 11, 12, 13, 14].map(seedId);
  const claims = await Promise.all(members.map((m, i) => pos(0).post('/v1/coupon-pools/P1/claims', { requestId: `claim-req-000${i}`, memberId: m })));
  const won = claims.filter((c) => c.status === 201);
  expect(won).toHaveLength(3);
  expect(new Set(won.map((c) => c.body.coupon.code))).toEqual(new Set(['PARTNER-0001', 'PARTNER-0002', 'PARTNER-0003']));
  expect(claims.filter((c) => c.status !== 201).map((c) => c.body.error.code)).toEqual(['pool_empty', 'pool_empty']);

  const first = members[claims.findIndex((c) => c.status === 201)]!;
  const firstIndex = members.indexOf(first);
  const replay = await pos(0).post('/v1/coupon-pools/P1/claims', { requestId: `claim-req-000${firstIndex}`, memberId: first });
  expect(replay.status).toBe(200);
  expect(replay.body.coupon.code).toBe(claims[firstIndex]!.body.coupon.code);
  expect((await pos(0).post('/v1/coupon-pools/P1/claims', { requestId: 'claim-req-0100', memberId: first })).body.error.code).toBe('claim_limit_reached');

  // Two pools of one campaign: one coupon per member across both.
  for (const id of ['P2', 'P3']) expect((await admin().post('/coupon-pools', { id, title: id, templateId: 'CASH20', campaign: { id: 'SPRING', limitPerMember: 1 }, codes: [`${id}-AAAA`, `${id}-BBBB`] })).status).toBe(201);
  const spring = await pos(0).post('/v1/coupon-pools/P2/claims', { requestId: 'spring-req-01', memberId: seedId(15) });
  expect(spring.status).toBe(201);
  springCode = spring.body.coupon.code;
  const campaign = await pos(0).post('/v1/coupon-pools/P3/claims', { requestId: 'spring-req-02', memberId: seedId(15) });
  expect(campaign.status).toBe(422);
  expect(campaign.body.error).toMatchObject({ code: 'claim_limit_reached', scope: 'campaign' });
  expect((await pos(0).post('/v1/coupon-pools/NOPE/claims', { requestId: 'nope-req-01', memberId: seedId(15) })).body.error.code).toBe('pool_not_found');
  // S001's members are not served at S002: a store claims only for its own.
  expect((await pos(1).post('/v1/coupon-pools/P2/claims', { requestId: 'other-req-01', memberId: seedId(16) })).body.error.code).toBe('member_not_found');

  // The claimed coupon is at the till at once, and redeems like any other.
  const code = claims[firstIndex]!.body.coupon.code as string;
  const paid = await pos(0).post('/v1/checkouts', { receiptNo: 'POOL-1', memberId: first, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code] });
  expect(paid.status).toBe(201);
  expect(paid.body.checkout.couponsRedeemed).toEqual([{ code, discount: 2000 }]);
  expect((await admin().get('/coupon-pools')).body.pools.find((p: { id: string }) => p.id === 'P1')).toMatchObject({ size: 3, claimed: 3 });

  // The same from the hub's CLI: a partner's file, and the catalogue as it is.
  const file = join(hubDir, 'partner.csv');
  writeFileSync(file, 'code\nCLI-0001\nCLI-0002\nPARTNER-0001\n');
  const out = JSON.parse((await hubCliOk(hub, ['pool', 'import', 'P4', '--template', 'CASH20', '--csv', file, '--title', 'From the CLI'])).stdout);
  // PARTNER-0001 is P1's. CI once saw it taken into P4 too, not seen since: say the pools if so.
  expect(out, JSON.stringify((await admin().get('/coupon-pools')).body.pools)).toMatchObject({ pool: { id: 'P4', size: 2, claimed: 0 }, duplicates: 1 });
  expect(JSON.parse((await hubCliOk(hub, ['catalogue', 'show'])).stdout).rewards.map((r: { id: string }) => r.id)).toEqual(['GIFT-CUP', 'CASH-500', 'BIG']);
});

it('with the hub down: exchange within the offline limit, redeem, refund voids the coupon; a pool claim says the hub is needed; all converges', async () => {
  const m = seedId(5);
  const till = pos(0);
  expect((await till.post('/v1/checkouts', { receiptNo: 'X-EARN', memberId: m, lines: [{ sku: 'TV', qty: 1, unitPrice: 1_000_000 }] })).status).toBe(201);
  const before = await balanceAt(0, m);

  await hub.kill();
  await eventually(async () => ((await syncStateOf(stores[0]!)) === 'offline' ? true : undefined), 30_000, 'S001 offline');

  const claim = await till.post('/v1/coupon-pools/P2/claims', { requestId: 'offline-req-01', memberId: m });
  expect(claim.status).toBe(503);
  expect(claim.body.error.code).toBe('hub_unreachable');

  // A coupon claimed from a pool while the hub was up redeems with it down, like any coupon.
  expect(springCode).toMatch(/^P2-/);
  const pooled = await till.post('/v1/checkouts', { receiptNo: 'X-POOL', memberId: seedId(15), lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [springCode] });
  expect(pooled.status).toBe(201);
  expect(pooled.body.checkout.couponsRedeemed).toEqual([{ code: springCode, discount: 2000 }]);

  const x1 = await till.post('/v1/exchanges', { requestId: 'offline-x-0001', memberId: m, rewardId: 'CASH-500' });
  expect(x1.status).toBe(201);
  const code1 = x1.body.exchange.reward.couponCode as string;
  expect(code1).toBe(exchangeCouponCode('S001', 'offline-x-0001'));
  expect(x1.body.exchange.member.points.balance).toBe(before - 500);
  // 500 spent offline; 4,800 more would pass the 5,000 the rules allow while the hub is away.
  const big = await till.post('/v1/exchanges', { requestId: 'offline-x-0002', memberId: m, rewardId: 'BIG' });
  expect(big.status).toBe(422);
  expect(big.body.error.code).toBe('offline_limit_exceeded');

  const paid = await till.post('/v1/checkouts', { receiptNo: 'X-PAY', memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code1] });
  expect(paid.status).toBe(201);
  expect(paid.body.checkout.couponsRedeemed).toEqual([{ code: code1, discount: 2000 }]);
  const used = await till.post(`/v1/exchanges/${x1.body.exchange.id}/refund`);
  expect(used.status).toBe(422);
  expect(used.body.error.code).toBe('exchange_coupon_used');

  const x3 = await till.post('/v1/exchanges', { requestId: 'offline-x-0003', memberId: m, rewardId: 'CASH-500' });
  expect(x3.status).toBe(201);
  const code3 = x3.body.exchange.reward.couponCode as string;
  const refunded = await till.post(`/v1/exchanges/${x3.body.exchange.id}/refund`);
  expect(refunded.status).toBe(201);
  expect(refunded.body.exchange.refunded.member.points.balance).toBe(x3.body.exchange.member.points.balance + 500);
  const voided = await till.post('/v1/checkouts', { receiptNo: 'X-VOID', memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code3] });
  expect(voided.status).toBe(422);
  expect(voided.body.error).toMatchObject({ code: 'coupon_invalid', reason: 'redeemed' });
  const storeBalance = await balanceAt(0, m);

  hub = await startHub(hubDir, hubPort);
  await eventually(async () => ((await syncStateOf(stores[0]!)) === 'online' ? true : undefined), 30_000, 'S001 online again');
  const atHub = await eventually(async () => {
    const d = (await admin().get(`/members/${m}`)).body;
    const ids = (d.facts as { id: string }[] | undefined)?.map((f) => f.id) ?? [];
    return d.member?.points.balance === storeBalance && ids.includes('xrefund:S001:offline-x-0003') && ids.includes(`coupon:${code1}`) ? d : undefined;
  }, 30_000, 'the exchanges at the hub').catch(async (err) => {
    console.log(storeBalance, JSON.stringify((await admin().get(`/members/${m}`)).body), JSON.stringify((await admin().get('/incidents')).body));
    throw err;
  });
  expect(atHub.member.points.balance).toBe(storeBalance);
  const incidents = (await admin().get('/incidents')).body.incidents as { kind: string; memberId?: string; summary: string }[];
  expect(incidents.filter((i) => i.memberId === m || /xchg|xrefund|exchange/.test(i.summary))).toEqual([]);
  // Online again, the voided coupon stays refused.
  const again = await till.post('/v1/checkouts', { receiptNo: 'X-VOID2', memberId: m, lines: [{ sku: 'A', qty: 1, unitPrice: 20_000 }], couponCodes: [code3] });
  expect(again.body.error.code).toBe('coupon_invalid');
  // Online again, a pool claim goes through.
  expect((await till.post('/v1/coupon-pools/P2/claims', { requestId: 'offline-req-01', memberId: m })).status).toBe(201);
}, 120_000);

it('forged exchange facts are refused at the gateway or quarantined at the hub; no coupon is minted', async () => {
  const push = async (docs: unknown[]) => (await pushAsStore(hub.url, stores[0]!.dir, docs)).results;
  const incident = (id: string) =>
    eventually(async () => ((await admin().get('/incidents?kind=quarantined_fact')).body.incidents as { details: { id: string; reason: string } }[]).find((i) => i.details.id === id), 20_000, `a quarantine of ${id}`);
  const m = seedId(3);
  const now = new Date().toISOString();
  const day = now.slice(0, 10);
  const before = (await admin().get(`/members/${m}`)).body.member;
  const coupon = (code: string, exchangeId?: string) => ({
    _id: `coupon:${code}`, type: 'coupon', code, memberId: m, templateId: 'CASH20', title: '20 RMB off 100', terms: { kind: 'cash', valueCents: 2000, minSpendCents: 10000 }, scope: {},
    validFrom: now, validTo: new Date(Date.now() + 30 * 86_400_000).toISOString(), issuedAt: now, ...(exchangeId ? { exchangeId } : {}),
  });

  // An exchange whose coupon is not the one derived from it: refused at the gateway.
  const wrongCode = { _id: 'xchg:S001:forge-req-01', type: 'exchange', storeId: 'S001', requestId: 'forge-req-01', by: 'T1', memberId: m, reward: { kind: 'coupon', id: 'CASH-500', title: 't', templateId: 'CASH20', couponCode: 'FORGE-0002' }, catalogueVersion: 1, points: 500, at: now, day, requestHash: 'x' };
  expect((await push([wrongCode])).map((r) => r.error)).toEqual(['forbidden']);
  // A coupon out of nothing: a store's coupon without an exchange can only be a tier gift
  // (decision 019), so the gateway passes it on and the hub, finding no gift it could be, quarantines it.
  const plain = coupon('FORGE-0001');
  expect((await push([plain])).every((r) => r.ok)).toBe(true);
  expect((await incident(plain._id)).details.reason).toMatch(/FORGE-0001 is not what template/);

  // Well-formed but untrue: a coupon naming an exchange that never was; an exchange at a price no catalogue had.
  const orphan = coupon(exchangeCouponCode('S001', 'forge-req-02'), 'xchg:S001:forge-req-02');
  const cheapCode = exchangeCouponCode('S001', 'forge-req-03');
  const cheap = { ...wrongCode, _id: 'xchg:S001:forge-req-03', requestId: 'forge-req-03', reward: { ...wrongCode.reward, couponCode: cheapCode }, points: 1 };
  const cheapPts = { _id: `pts:${m}:exchange:S001:forge-req-03`, type: 'pts', memberId: m, delta: -1, reason: 'exchange', ref: cheap._id, storeId: 'S001', at: now, day };
  const cheapCoupon = coupon(cheapCode, cheap._id);
  expect((await push([orphan, cheap, cheapPts, cheapCoupon])).every((r) => r.ok)).toBe(true);
  expect((await incident(orphan._id)).details.reason).toMatch(/does not have/);
  expect((await incident(cheap._id)).details.reason).toMatch(/no version of the points catalogue/);
  expect((await incident(cheapCoupon._id)).details.reason).toMatch(/does not have/);
  expect((await incident(cheapPts._id)).details.reason).toMatch(/does not have/);

  const after = (await admin().get(`/members/${m}`)).body;
  expect(after.member.points.balance).toBe(before.points.balance);
  const ids = (after.facts as { id: string }[]).map((f) => f.id);
  for (const id of [plain._id, orphan._id, cheap._id, cheapCoupon._id, cheapPts._id]) expect(ids).not.toContain(id);
}, 60_000);

it("on the console's loyalty screen: the rewards, a new version from the form, a pool imported from the partner's codes, at 390 px", async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000 });
  try {
    const rig = {
      hub,
      browser,
      open: async (opts: { locale?: string; viewport?: { width: number; height: number } } = {}) => {
        const context = await browser.newContext({ baseURL: hub.url, locale: opts.locale ?? 'en-US', viewport: opts.viewport ?? { width: 1280, height: 800 } });
        context.setDefaultTimeout(15_000);
        return { context, page: await context.newPage() };
      },
      close: async () => {},
    } as unknown as ConsoleRig;
    const { page } = await openAsOperator(rig, 'marketer', { viewport: { width: 390, height: 844 } });
    await page.goto('/console/loyalty');
    await page.click('[data-action=open-catalogue]');
    await page.waitForURL('**/console/loyalty/catalogue');
    expect(await page.locator('[data-reward]').allTextContents()).toEqual(['GIFT-CUP', 'CASH-500', 'BIG']);
    const version = (await admin().get('/catalogue')).body.catalogue.version as number;

    // A new gift in the first spare row, with stock at S002.
    await page.selectOption('select[name="r3.kind"]', 'gift');
    await page.fill('input[name="r3.id"]', 'BAG');
    await page.fill('input[name="r3.title"]', 'A tote bag');
    await page.fill('input[name="r3.points"]', '800');
    await page.fill('input[name="r3.sku"]', 'BAG-001');
    await page.fill('input[name="r3.stock"]', 'S002=5');
    await page.click('[data-action=save-catalogue]');
    await page.waitForURL('**/console/loyalty/catalogue?done=catalogue');
    expect(await page.locator('[data-reward]').allTextContents()).toEqual(['GIFT-CUP', 'CASH-500', 'BIG', 'BAG']);
    const saved = (await admin().get('/catalogue')).body.catalogue;
    expect(saved.version).toBe(version + 1);
    expect(saved.rewards[3]).toEqual({ kind: 'gift', id: 'BAG', title: 'A tote bag', points: 800, sku: 'BAG-001', stock: [{ storeId: 'S002', qty: 5 }] });
    await eventually(async () => ((await pos(1).get('/v1/exchanges/catalogue')).body.catalogue.rewards.find((r: { id: string }) => r.id === 'BAG')?.stock === 5 ? true : undefined), 15_000, 'the new gift at S002');

    // A mistake is shown on its field, nothing saved.
    await page.fill('input[name="r3.points"]', 'lots');
    await page.click('[data-action=save-catalogue]');
    expect(await page.locator('[data-form-errors]').count()).toBe(1);
    expect((await admin().get('/catalogue')).body.catalogue.version).toBe(version + 1);

    await page.goto('/console/loyalty/catalogue');
    await page.fill('#pool-form input[name=id]', 'WEB');
    await page.fill('#pool-form input[name=title]', 'From the console');
    await page.fill('#pool-form textarea[name=csv]', 'code\nWEB-0001\nWEB-0002\n');
    await page.click('[data-action=import-pool]');
    await page.waitForURL('**/console/loyalty/catalogue?done=pool*');
    expect(await page.locator('[data-pool=WEB]').count()).toBe(1);
    expect((await admin().get('/coupon-pools')).body.pools.find((p: { id: string }) => p.id === 'WEB')).toMatchObject({ size: 2, claimed: 0, templateId: 'CASH20' });
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'loyalty-catalogue-phone');
  } finally {
    await browser.close();
  }
}, 90_000);

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { giftCouponCode } from '../../shared/ids.ts';
import { localDate } from '../../shared/local-time.ts';
import { client, edgeCliOk, lastLine } from '../support/edge-node.ts';
import { signInGuide } from '../support/guide-session.ts';
import { pushAsStore, startTwoStoreFleet, stopFleet, type FleetStore } from '../support/fleet.ts';
import { adminClient, eventually, startHub, type HubProcess } from '../support/hub.ts';

/*
 * Tier gifts with a real hub and two real stores (decision 019). A member reaches Gold at S001
 * while the hub is down (so S002 cannot hear of it), in their birthday month: S001 issues the
 * upgrade coupon and the birthday points, S002 (a small receipt of its own) the birthday points
 * too. When the hub is back, everything converges to one of each: the coupon reaches S002 and is
 * redeemed once, the birthday points count once everywhere, and no incident is recorded for
 * either. A forged gift pushed through the gateway is quarantined.
 */

let hub: HubProcess;
let hubDir: string;
let hubPort: number;
let stores: FleetStore[] = [];

beforeAll(async () => {
  ({ hub, hubDir, hubPort, stores } = await startTwoStoreFleet(['--heartbeat-interval', '1']));
}, 120_000);
afterAll(async () => {
  await stopFleet(hub, hubDir, stores);
});

const PERKS = [{ en: 'Free parking', 'zh-CN': '免费停车' }];

it('a member reaches Gold at S001 while the hub is down: one upgrade gift, one birthday gift, everywhere', async () => {
  const admin = adminClient(hub);
  const rules = (await admin.get('/rules')).body.rules;
  const birthdayPoints = { birthdayGift: { points: 150 } };
  const saved = await admin.put('/rules', {
    rules: { ...rules, tierBenefits: { L1: birthdayPoints, L2: birthdayPoints, L3: { upgradeGift: ['CASH20'], ...birthdayPoints, perks: PERKS }, L4: birthdayPoints } },
  });
  expect(saved.status).toBe(200);
  const version = saved.body.rules.version as number;
  for (const s of stores) await eventually(async () => ((await (await fetch(`${s.edge!.url}/healthz`)).json()).rulesVersion === version ? true : undefined), 20_000, `rules v${version} at ${s.id}`);

  const [pos1, pos2] = stores.map((s) => client(s.edge!.url, s.token)) as [ReturnType<typeof client>, ReturnType<typeof client>];
  const today = localDate(new Date(), 'Asia/Shanghai');
  const phone = '+8613712340001';
  const reg = await pos1.post('/v1/members', { phone, name: 'Gift', birthday: `1990-${today.slice(5, 7)}-01` });
  expect(reg.status).toBe(201);
  const memberId = reg.body.member.id as string;
  // S002 finds the member through the hub once the registration has reached it.
  await eventually(async () => ((await pos2.post('/v1/members/identify', { phone })).status === 200 ? true : undefined), 20_000, 'the member at S002');
  await eventually(async () => ((await pos2.get(`/v1/members/${memberId}/points`)).body?.balance === 200 ? true : undefined), 20_000, 'the join gift at S002');

  // Apart: the hub is down, neither store hears of the other's receipts.
  await hub.kill();
  const gold = await pos1.post('/v1/checkouts', { receiptNo: 'G1', memberId, lines: [{ sku: 'X', qty: 1, unitPrice: 200_000 }] });
  expect(gold.status).toBe(201);
  const code = giftCouponCode(memberId, 'tier:L3', 'CASH20');
  const year = today.slice(0, 4);
  expect(gold.body.checkout.member).toMatchObject({ tier: 'L3', points: { balance: 200 + 2000 + 150 } });
  expect(gold.body.checkout.gifts).toEqual([
    { cause: 'tier:L3', kind: 'coupon', code, title: '20 RMB off 100', validTo: expect.any(String) },
    { cause: `birthday:${year}`, kind: 'points', points: 150 },
  ]);
  expect(gold.body.checkout.benefits).toEqual(PERKS);
  // The same receipt again answers as before and issues nothing more.
  const retried = await pos1.post('/v1/checkouts', { receiptNo: 'G1', memberId, lines: [{ sku: 'X', qty: 1, unitPrice: 200_000 }] });
  expect(retried.status).toBe(200);
  expect(retried.body.checkout.benefits).toEqual(PERKS);
  // It prints the gifts this receipt made due, as the first answer did, and writes none again.
  expect(retried.body.checkout.gifts).toEqual(gold.body.checkout.gifts);
  const small = await pos2.post('/v1/checkouts', { receiptNo: 'B1', memberId, lines: [{ sku: 'X', qty: 1, unitPrice: 1_000 }] });
  expect(small.status).toBe(201);
  expect(small.body.checkout.member.tier).toBe('L2');
  expect(small.body.checkout.gifts).toEqual([{ cause: `birthday:${year}`, kind: 'points', points: 150 }]);
  expect((await pos2.get(`/v1/members/${memberId}`)).body.member.coupons).toEqual([]);

  // Together again.
  hub = await startHub(hubDir, hubPort);
  const expected = 200 + 2000 + 10 + 150;
  for (const pos of [pos1, pos2]) {
    await eventually(
      async () => {
        const m = (await pos.get(`/v1/members/${memberId}`)).body.member;
        return m?.points.balance === expected && m.coupons.some((c: { code: string }) => c.code === code) ? true : undefined;
      },
      60_000,
      'one birthday gift and the upgrade coupon at both stores',
    );
    const ledger = (await pos.get(`/v1/members/${memberId}/points?limit=100`)).body.ledger as { id: string; reason: string }[];
    expect(ledger.filter((e) => e.reason === 'birthday').map((e) => e.id)).toEqual([`pts:${memberId}:birthday:${year}`]);
  }
  // Stays so: the copy of the birthday points the hub did not keep does not come back.
  await new Promise((r) => setTimeout(r, 2000));
  for (const pos of [pos1, pos2]) expect((await pos.get(`/v1/members/${memberId}`)).body.member.points.balance).toBe(expected);
  const detail = (await adminClient(hub).get(`/members/${memberId}`)).body;
  expect(detail.member.points.balance).toBe(expected);
  expect(detail.facts.filter((f: { id: string }) => f.id.includes(':birthday:') || f.id === `coupon:${code}`)).toHaveLength(2);
  // In both stores' databases one revision of each gift is left, and it is the same one.
  const winners = [];
  for (const s of stores) {
    const creds = JSON.parse(readFileSync(join(s.dir, 'hub.json'), 'utf8')) as { username: string; password: string; db: string };
    const auth = { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` };
    const doc = (await (await fetch(`${hub.url}/couch/${creds.db}/pts:${memberId}:birthday:${year}?conflicts=true`, { headers: auth })).json()) as { _rev: string; _conflicts?: string[]; storeId: string };
    expect(doc._conflicts ?? []).toEqual([]);
    winners.push(doc.storeId);
  }
  expect(new Set(winners).size).toBe(1);
  const profile = (await pos2.get(`/v1/members/${memberId}`)).body.member;
  expect(profile).toMatchObject({ tier: 'L3', benefits: PERKS, tierSince: today });
  expect(profile.tierHistory.map((c: { to: string; why: string }) => [c.to, c.why])).toEqual([['L3', 'reached']]);

  // The guide page at S002 lists what Gold gives, in the page's language.
  const guide = await signInGuide(stores[1]!.edge!.url, 'tina', lastLine(await edgeCliOk(['guide', 'add', 'tina', '--data', stores[1]!.dir])));
  for (const [lang, perk] of [['en', 'Free parking'], ['zh-CN', '免费停车']] as const) {
    const html = await (await fetch(`${stores[1]!.edge!.url}/guide/m/${memberId}`, { headers: { cookie: `${guide.cookie}; lang=${lang}` } })).text();
    expect(html).toContain('id="benefits"');
    expect(html).toContain(`<li data-benefit="true">${perk}</li>`);
    expect(html).toContain(`data-tier-since="${today}"`);
  }

  // The coupon is redeemed once: at S002, then refused at S001.
  const use = await pos2.post('/v1/checkouts', { receiptNo: 'C1', memberId, couponCodes: [code], lines: [{ sku: 'X', qty: 1, unitPrice: 15_000 }] });
  expect(use.status).toBe(201);
  expect(use.body.checkout.couponDiscount).toBe(2000);
  const again = await pos1.post('/v1/checkouts', { receiptNo: 'C2', memberId, couponCodes: [code], lines: [{ sku: 'X', qty: 1, unitPrice: 15_000 }] });
  expect(again.status).toBe(422);
  expect(again.body.error.code).toBe('coupon_invalid');

  // Nothing about the gifts was quarantined or seen as a conflict.
  await new Promise((r) => setTimeout(r, 1500));
  const incidents = (await adminClient(hub).get('/incidents')).body.incidents as { kind: string; summary: string }[];
  expect(incidents.filter((i) => i.summary.includes(memberId))).toEqual([]);
}, 180_000);

it('a gift a store makes up is quarantined: a coupon with a made-up code, birthday points out of the birthday month', async () => {
  const member = 'MSEED00000003';
  const now = new Date().toISOString();
  const validTo = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const forged = [
    { _id: 'coupon:FAKE-GIFT-0001', type: 'coupon', code: 'FAKE-GIFT-0001', memberId: member, templateId: 'CASH20', title: '20 RMB off 100', terms: { kind: 'cash', valueCents: 2000, minSpendCents: 10000 }, scope: {}, validFrom: now, validTo, issuedAt: now },
    { _id: `pts:${member}:birthday:${now.slice(0, 4)}`, type: 'pts', memberId: member, delta: 150, reason: 'birthday', ref: `member:${member}`, storeId: 'S001', at: now, day: now.slice(0, 10) },
  ];
  const res = await pushAsStore(hub.url, stores[0]!.dir, forged);
  expect(res.status).toBe(201);
  expect(res.results.every((r) => r.ok)).toBe(true); // well-formed documents: the ingest judges them
  const admin = adminClient(hub);
  const quarantined = await eventually(
    async () => {
      const list = (await admin.get('/incidents')).body.incidents as { kind: string; summary: string }[];
      const mine = list.filter((i) => i.kind === 'quarantined_fact' && forged.some((f) => i.summary.includes(f._id)));
      return mine.length === 2 ? mine : undefined;
    },
    30_000,
    'both forged gifts quarantined',
  );
  expect(quarantined.map((i) => i.summary).join('\n')).toMatch(/no tier gift the rules give|birthday month/);
  // Neither reached the other store.
  const pos2 = client(stores[1]!.edge!.url, stores[1]!.token);
  // (S002 asks the hub for S001's member, which must answer within 1.5 s: asked again on a busy machine.)
  const seen = await eventually(async () => {
    const res = await pos2.post('/v1/members/identify', { phone: '+8613900000003' });
    return res.status === 200 ? res : undefined;
  }, 20_000, 'S001 member at S002');
  expect(seen.body.member.coupons.map((c: { code: string }) => c.code)).not.toContain('FAKE-GIFT-0001');
}, 60_000);

it('the console edits tier life and benefits without scripts: a form, its errors at their fields, a new version; a marketer only reads', async () => {
  const { OperatorSession } = await import('../support/operator-session.ts');
  const admin = adminClient(hub);
  const session = async (role: string) => {
    const added = await admin.post('/operators', { name: `tiers-${role}`, role });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const s = new OperatorSession(hub.url);
    expect((await s.login(`tiers-${role}`, added.body.password)).status).toBe(200);
    expect((await s.call('POST', '/console/api/password', { current: added.body.password, next: `the ${role} chose this` })).status).toBe(200);
    expect((await s.call('GET', '/console/api/session')).status).toBe(200);
    return s;
  };
  const page = (s: InstanceType<typeof OperatorSession>, path: string, form?: Record<string, string>) =>
    fetch(`${hub.url}${path}`, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: `memberedge_session=${s.cookie}`, origin: hub.url, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams({ _csrf: s.csrf!, ...form }).toString() } : {}),
    });
  const manager = await session('admin');
  const shown = await page(manager, '/console/loyalty/tiers');
  expect(shown.status).toBe(200);
  const html = await shown.text();
  const l3 = ((await admin.get('/rules')).body.rules.tierBenefits?.L3?.upgradeGift ?? []).join(', ');
  expect(html).toContain(`name="tiers.2.upgradeGift" type="text" value="${l3}"`);
  expect(html).toContain('name="life.reviewMonths"');
  expect(html).toContain('data-action="save-tier-benefits"');

  const rules = (await admin.get('/rules')).body.rules;
  const form = {
    version: String(rules.version),
    'life.reviewMonths': '3',
    'life.graceDays': '30',
    'tiers.0.code': 'L1',
    'tiers.1.code': 'L2',
    'tiers.2.code': 'L3',
    'tiers.2.upgradeGift': 'CASH20, NOPE',
    'tiers.2.perks.0.en': 'Free parking',
    'tiers.2.perks.0.zh': '免费停车',
    'tiers.3.code': 'L4',
    'tiers.3.birthdayPoints': '500',
  };
  const refused = await page(manager, '/console/loyalty/tiers', form);
  expect(refused.status).toBe(400);
  expect(await refused.text()).toContain('data-error-for="tiers.2.upgradeGift"');
  expect((await admin.get('/rules')).body.rules.version).toBe(rules.version);

  const saved = await page(manager, '/console/loyalty/tiers', { ...form, 'tiers.2.upgradeGift': 'CASH20' });
  expect(saved.status).toBe(303);
  const now = (await admin.get('/rules')).body.rules;
  expect(now.version).toBe(rules.version + 1);
  expect(now.tierLife).toEqual({ reviewMonths: 3, graceDays: 30 });
  expect(now.tierBenefits).toEqual({ L3: { upgradeGift: ['CASH20'], perks: PERKS }, L4: { birthdayGift: { points: 500 } } });
  expect(now.tiers).toEqual(rules.tiers);
  // The rules form, which does not show them, keeps them when it saves.
  const { rulesToForm } = await import('../../shared/loyalty/rules-form.ts');
  const rulesForm = Object.fromEntries(rulesToForm({ ...now, joinGift: now.joinGift + 1 }));
  expect((await page(manager, '/console/loyalty/rules', rulesForm)).status).toBe(303);
  const after = (await admin.get('/rules')).body.rules;
  expect(after).toMatchObject({ version: now.version + 1, joinGift: now.joinGift + 1, tierLife: now.tierLife, tierBenefits: now.tierBenefits });

  // The stores get it: a till's answer lists the new perks.
  const pos1 = client(stores[0]!.edge!.url, stores[0]!.token);
  await eventually(async () => ((await (await fetch(`${stores[0]!.edge!.url}/healthz`)).json()).rulesVersion === after.version ? true : undefined), 20_000, 'the new rules at S001');
  const sale = await pos1.post('/v1/checkouts', { receiptNo: 'P1', memberId: 'MSEED00000004', lines: [{ sku: 'X', qty: 1, unitPrice: 200_000 }] });
  expect(sale.body.checkout.benefits).toEqual(PERKS);

  // The member 360 shows the tier history, as the tills compute it.
  await eventually(async () => ((await (await page(manager, '/console/members/MSEED00000004')).text()).includes('data-tier-change="L3"') ? true : undefined), 20_000, 'Gold in the 360 tier history');

  const reader = await session('marketer');
  const readOnly = await page(reader, '/console/loyalty/tiers');
  expect(readOnly.status).toBe(200);
  expect(await readOnly.text()).not.toContain('data-action="save-tier-benefits"');
  expect((await page(reader, '/console/loyalty/tiers', { ...form, version: String(after.version) })).status).toBe(403);
}, 60_000);

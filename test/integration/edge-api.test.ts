import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, edgeCliOk, lastLine, provisionNode, removeDir, startEdge, type EdgeProcess } from '../support/edge-node.ts';

/*
 * The edge API as a POS terminal uses it: a real `edge serve` process on a loopback port, its
 * data in a fresh directory, called over HTTP. Each test works on its own members and receipts.
 */

let dir: string;
let token: string;
let node: EdgeProcess;
let pos: ReturnType<typeof client>;
const coupons: Record<string, string> = {};

beforeAll(async () => {
  ({ dir, token } = await provisionNode({ members: 50 }));
  for (const [member, template, code] of [
    ['MSEED00000001', 'CASH20', 'TCASH-0001'],
    ['MSEED00000002', 'PCT10', 'TPCT-0002'],
    ['MSEED00000003', 'GIFT-CUP', 'TGIFT-0003'],
    ['MSEED00000004', 'CASH20', 'TCASH-0004'],
  ] as const) {
    coupons[code] = lastLine(await edgeCliOk(['coupon', 'issue', '--data', dir, '--member', member, '--template', template, '--code', code]));
  }
  node = await startEdge(dir);
  pos = client(node.url, token);
});

afterAll(async () => {
  await node?.stop();
  removeDir(dir);
});

const basket = [
  { sku: 'BEANS-1KG', category: 'coffee', qty: 2, unitPrice: 8800 },
  { sku: 'CUP-001', category: 'cups', qty: 1, unitPrice: 2500 },
];

describe('health and authentication', () => {
  it('answers /healthz without a token', async () => {
    const res = await fetch(`${node.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', storeId: 'S001', version: expect.any(String), rulesVersion: 1 });
  });

  it('refuses /v1 without a token or with a wrong one', async () => {
    const none = await fetch(`${node.url}/v1/members/MSEED00000001`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('unauthorized');
    const wrong = await client(node.url, 'met_wrong').get('/v1/members/MSEED00000001');
    expect(wrong.status).toBe(401);
  });

  it('accepts a terminal added while the node runs', async () => {
    const newToken = lastLine(await edgeCliOk(['terminal', 'add', '--data', dir, '--id', 'T9']));
    const res = await client(node.url, newToken).get('/v1/members/MSEED00000010');
    expect(res.status).toBe(200);
  });
});

describe('identify and register', () => {
  it('registers a member with the join gift and identifies them by phone in any format', async () => {
    const reg = await pos.post('/v1/members', { phone: '+86 137 0000 1111', name: 'Lin Mei', cardNo: 'C-7700-1111' });
    expect(reg.status).toBe(201);
    expect(reg.body.member).toMatchObject({ tier: 'L1', points: { balance: 200 }, phoneMasked: '137****1111', name: 'Lin Mei' });
    const id = reg.body.member.id;
    for (const phone of ['13700001111', '0086 137-0000-1111', '１３７００００１１１１']) {
      const found = await pos.post('/v1/members/identify', { phone });
      expect(found.status).toBe(200);
      expect(found.body.member.id).toBe(id);
    }
    const byCard = await pos.post('/v1/members/identify', { cardNo: 'c77001111' });
    expect(byCard.body.member.id).toBe(id);
  });

  it('answers 409 with the existing member for a phone that is registered', async () => {
    const first = await pos.post('/v1/members', { phone: '13700002222' });
    const again = await pos.post('/v1/members', { phone: '+8613700002222', name: 'Someone Else' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'member_exists' }, member: { id: first.body.member.id } });
  });

  it('identifies by WeChat unionId, openId with appId, and member code', async () => {
    const reg = await pos.post('/v1/members', { phone: '13700003333', unionId: 'union_abc12345', openId: 'open_abc12345', appId: 'wxmini' });
    const id = reg.body.member.id;
    expect((await pos.post('/v1/members/identify', { unionId: 'union_abc12345' })).body.member.id).toBe(id);
    expect((await pos.post('/v1/members/identify', { openId: 'open_abc12345', appId: 'wxmini' })).body.member.id).toBe(id);
    expect((await pos.post('/v1/members/identify', { openId: 'open_abc12345', appId: 'other' })).status).toBe(404);
    expect((await pos.post('/v1/members/identify', { memberCode: '100000000000000007' })).body.member.id).toBe('MSEED00000007');
  });

  it('says member_not_found for an unknown phone and refuses ambiguous or malformed identities', async () => {
    const miss = await pos.post('/v1/members/identify', { phone: '13799999999' });
    expect(miss.status).toBe(404);
    expect(miss.body.error.code).toBe('member_not_found');
    const two = await pos.post('/v1/members/identify', { phone: '13700001111', cardNo: 'C77001111' });
    expect(two.status).toBe(400);
    expect(two.body.error.code).toBe('validation_failed');
    const bad = await pos.post('/v1/members/identify', { phone: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('phone');
  });

  it('shows a profile with a masked phone, and the points ledger', async () => {
    const profile = await pos.get('/v1/members/MSEED00000011');
    expect(profile.status).toBe(200);
    expect(profile.body.member.phoneMasked).toBe('139****0011');
    expect(JSON.stringify(profile.body)).not.toContain('13900000011');
    const points = await pos.get('/v1/members/MSEED00000011/points');
    expect(points.body.ledger).toHaveLength(1);
    expect(points.body.balance).toBe(points.body.ledger[0].delta);
    expect((await pos.get('/v1/members/NOPE0000')).status).toBe(404);
  });
});

describe('checkout', () => {
  it('awards points on what is paid, spends points as cash, and answers a retry with the same result', async () => {
    const before = (await pos.get('/v1/members/MSEED00000020')).body.member.points.balance;
    const request = { receiptNo: 'R-20-1', memberId: 'MSEED00000020', lines: basket, pointsToRedeem: 100 };
    const first = await pos.post('/v1/checkouts', request);
    expect(first.status).toBe(201);
    expect(first.body.checkout).toMatchObject({ id: 'S001:T1:R-20-1', total: 20100, discount: 100, payable: 20000, pointsEarned: 200, pointsRedeemed: 100 });
    expect(first.body.checkout.member).toEqual({ id: 'MSEED00000020', tier: 'L2', points: { balance: before + 100 } });

    const retry = await pos.post('/v1/checkouts', request);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await pos.get('/v1/members/MSEED00000020')).body.member.points.balance).toBe(before + 100);

    const clash = await pos.post('/v1/checkouts', { ...request, lines: [basket[0]] });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('receipt_conflict');
  });

  it('records a checkout without a member and refuses points or coupons without one', async () => {
    const anon = await pos.post('/v1/checkouts', { receiptNo: 'R-anon-1', lines: basket });
    expect(anon.status).toBe(201);
    expect(anon.body.checkout).toMatchObject({ payable: 20100, pointsEarned: 0, member: null });
    const refused = await pos.post('/v1/checkouts', { receiptNo: 'R-anon-2', lines: basket, pointsToRedeem: 10 });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('member_required');
  });

  it('refuses spending more points than the balance or the cap, and writes nothing', async () => {
    const balance = (await pos.get('/v1/members/MSEED00000021')).body.member.points.balance;
    const over = await pos.post('/v1/checkouts', { receiptNo: 'R-21-1', memberId: 'MSEED00000021', lines: [{ sku: 'X', qty: 1, unitPrice: 10_000_000 }], pointsToRedeem: balance + 1 });
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({ code: 'insufficient_points', balance });
    const cap = await pos.post('/v1/checkouts', { receiptNo: 'R-21-2', memberId: 'MSEED00000021', lines: [{ sku: 'X', qty: 1, unitPrice: 100 }], pointsToRedeem: 51 });
    expect(cap.status).toBe(422);
    expect(cap.body.error).toMatchObject({ code: 'points_over_cap', maxPoints: 50 });
    expect((await pos.get('/v1/members/MSEED00000021/points')).body.ledger).toHaveLength(1);
    // The refused receipt numbers were not taken.
    expect((await pos.post('/v1/checkouts', { receiptNo: 'R-21-1', memberId: 'MSEED00000021', lines: basket })).status).toBe(201);
  });

  it('verifies and redeems a cash coupon once, and refuses it afterwards', async () => {
    const code = coupons['TCASH-0001']!;
    const identified = await pos.post('/v1/members/identify', { phone: '13900000001' });
    expect(identified.body.member.coupons.map((c: { code: string }) => c.code)).toContain(code);

    const small = await pos.post(`/v1/coupons/${code}/verify`, { memberId: 'MSEED00000001', lines: [{ sku: 'A', qty: 1, unitPrice: 5000 }] });
    expect(small.body).toEqual({ valid: false, discount: 0, reason: 'min_spend_not_met' });
    const ok = await pos.post(`/v1/coupons/${code}/verify`, { memberId: 'MSEED00000001', lines: basket });
    expect(ok.body).toEqual({ valid: true, discount: 2000 });
    const notOwner = await pos.post(`/v1/coupons/${code}/verify`, { memberId: 'MSEED00000002', lines: basket });
    expect(notOwner.body.reason).toBe('not_owner');

    const sale = await pos.post('/v1/checkouts', { receiptNo: 'R-1-1', memberId: 'MSEED00000001', lines: basket, couponCodes: [code] });
    expect(sale.status).toBe(201);
    expect(sale.body.checkout).toMatchObject({ total: 20100, discount: 2000, payable: 18100, pointsEarned: 181, couponsRedeemed: [{ code, discount: 2000 }] });

    const after = await pos.post(`/v1/coupons/${code}/verify`, { memberId: 'MSEED00000001', lines: basket });
    expect(after.body).toEqual({ valid: false, discount: 0, reason: 'redeemed' });
    const again = await pos.post('/v1/checkouts', { receiptNo: 'R-1-2', memberId: 'MSEED00000001', lines: basket, couponCodes: [code] });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({ code: 'coupon_invalid', reason: 'redeemed' });
    const listed = await pos.post('/v1/members/identify', { phone: '13900000001' });
    expect(listed.body.member.coupons.map((c: { code: string }) => c.code)).not.toContain(code);
  });

  it('applies a percent coupon with its cap and a gift coupon on its SKU', async () => {
    const pct = await pos.post('/v1/checkouts', { receiptNo: 'R-2-1', memberId: 'MSEED00000002', lines: [{ sku: 'TV', qty: 1, unitPrice: 100_000 }], couponCodes: [coupons['TPCT-0002']] });
    expect(pct.body.checkout).toMatchObject({ total: 100_000, discount: 5000, payable: 95_000 });
    const gift = await pos.post('/v1/checkouts', { receiptNo: 'R-3-1', memberId: 'MSEED00000003', lines: basket, couponCodes: [coupons['TGIFT-0003']] });
    expect(gift.body.checkout).toMatchObject({ total: 20100, discount: 2500, payable: 17600 });
  });
});

describe('refunds', () => {
  it('refunds part then the rest, claws back exactly what was earned and returns what was redeemed', async () => {
    const start = (await pos.get('/v1/members/MSEED00000030')).body.member.points.balance;
    const sale = await pos.post('/v1/checkouts', { receiptNo: 'R-30-1', memberId: 'MSEED00000030', lines: basket, pointsToRedeem: 300 });
    expect(sale.status).toBe(201);
    const id = sale.body.checkout.id;

    const part = await pos.post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F1', lines: [{ sku: 'BEANS-1KG', qty: 1 }] });
    expect(part.status).toBe(201);
    expect(part.body.refund.pointsClawedBack).toBeGreaterThan(0);
    expect((await pos.post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F1', lines: [{ sku: 'BEANS-1KG', qty: 1 }] })).status).toBe(200);
    const tooMuch = await pos.post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F2', lines: [{ sku: 'BEANS-1KG', qty: 2 }] });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error.code).toBe('refund_exceeds_purchase');

    const rest = await pos.post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F3' });
    expect(rest.status).toBe(201);
    expect(part.body.refund.refund + rest.body.refund.refund).toBe(sale.body.checkout.payable);
    expect(part.body.refund.pointsClawedBack + rest.body.refund.pointsClawedBack).toBe(sale.body.checkout.pointsEarned);
    expect(part.body.refund.pointsReturned + rest.body.refund.pointsReturned).toBe(300);
    expect(rest.body.refund.member.points.balance).toBe(start);
    expect((await pos.get('/v1/members/MSEED00000030')).body.member.points.balance).toBe(start);
    expect((await pos.post(`/v1/checkouts/${id}/refunds`, { refundNo: 'F4' })).body.error.code).toBe('nothing_to_refund');
  });

  it('records a negative balance when the points to claw back were already spent', async () => {
    const reg = await pos.post('/v1/members', { phone: '13700004444' });
    const id = reg.body.member.id;
    const sale = await pos.post('/v1/checkouts', { receiptNo: 'R-neg-1', memberId: id, lines: [{ sku: 'BIG', qty: 1, unitPrice: 100_000 }] });
    expect(sale.body.checkout.member.points.balance).toBe(1200);
    const spend = await pos.post('/v1/checkouts', { receiptNo: 'R-neg-2', memberId: id, lines: [{ sku: 'BIG', qty: 1, unitPrice: 300_000 }], pointsToRedeem: 1200 });
    expect(spend.status).toBe(201);
    const back = await pos.post(`/v1/checkouts/${sale.body.checkout.id}/refunds`, { refundNo: 'F1' });
    expect(back.body.refund.pointsClawedBack).toBe(1000);
    const now = (await pos.get(`/v1/members/${id}`)).body.member.points.balance;
    expect(now).toBe(200 + 1000 - 1200 + spend.body.checkout.pointsEarned - 1000);
  });

  it('answers 404 for a checkout this store does not have', async () => {
    const res = await pos.post('/v1/checkouts/S001:T1:NOPE/refunds', { refundNo: 'F1' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('checkout_not_found');
  });
});

describe('interactions', () => {
  it('awards a check-in once per day and says so the second time', async () => {
    const first = await pos.post('/v1/members/MSEED00000040/interactions', { kind: 'checkin' });
    expect(first.status).toBe(201);
    expect(first.body.interaction).toMatchObject({ awarded: 5, alreadyAwarded: false });
    const second = await pos.post('/v1/members/MSEED00000040/interactions', { kind: 'checkin' });
    expect(second.status).toBe(200);
    expect(second.body.interaction).toMatchObject({ awarded: 0, alreadyAwarded: true, balance: first.body.interaction.balance });
  });

  it('awards profile completion once, only for a complete profile', async () => {
    const bare = await pos.post('/v1/members', { phone: '13700005555' });
    const refused = await pos.post(`/v1/members/${bare.body.member.id}/interactions`, { kind: 'profile_completed' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'profile_incomplete', missing: ['name', 'gender', 'birthday'] });
    const full = await pos.post('/v1/members', { phone: '13700006666', name: 'Zhou Yan', gender: 'F', birthday: '1991-04-05' });
    const ok = await pos.post(`/v1/members/${full.body.member.id}/interactions`, { kind: 'profile_completed' });
    expect(ok.body.interaction).toMatchObject({ awarded: 100, balance: 300 });
    expect((await pos.post(`/v1/members/${full.body.member.id}/interactions`, { kind: 'profile_completed' })).body.interaction.awarded).toBe(0);
  });

  it('refuses unknown kinds and per-reference kinds without a ref', async () => {
    expect((await pos.post('/v1/members/MSEED00000041/interactions', { kind: 'dance' })).body.error.code).toBe('unknown_interaction');
    expect((await pos.post('/v1/members/MSEED00000041/interactions', { kind: 'survey' })).body.error.field).toBe('ref');
    expect((await pos.post('/v1/members/MSEED00000041/interactions', { kind: 'survey', ref: 'S-2026-11' })).status).toBe(201);
  });

  it('refuses kinds a plain object would answer from its prototype, and writes nothing', async () => {
    const m = 'MSEED00000042';
    const before = (await pos.get(`/v1/members/${m}/points`)).body;
    for (const kind of ['__proto__', 'constructor', 'to_string', 'has_own_property', 'value_of']) {
      const res = await pos.post(`/v1/members/${m}/interactions`, { kind });
      expect(res.status, kind).toBe(422);
      expect(res.body.error.code).toBe('unknown_interaction');
    }
    const after = (await pos.get(`/v1/members/${m}/points`)).body;
    expect(after.balance).toBe(before.balance);
    expect(typeof after.balance).toBe('number');
    expect(after.ledger).toEqual(before.ledger);
    const spend = await pos.post('/v1/checkouts', { receiptNo: 'PROTO-1', memberId: m, lines: [{ sku: 'X', qty: 1, unitPrice: 10_000_000 }], pointsToRedeem: 50_000 });
    expect(spend.status).toBe(422);
    expect(spend.body.error.code).toBe('insufficient_points');
  });
});

describe('bad input writes nothing', () => {
  it('refuses unknown fields, bad JSON, a wrong content type and oversized bodies with stable codes', async () => {
    const unknown = await pos.post('/v1/checkouts', { receiptNo: 'R-bad-1', lines: basket, tip: 5 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'validation_failed', field: 'tip' });
    const money = await pos.post('/v1/checkouts', { receiptNo: 'R-bad-2', lines: [{ sku: 'A', qty: 1, unitPrice: 12.5 }] });
    expect(money.status).toBe(400);
    expect(money.body.error.field).toBe('lines.0.unitPrice');
    const json = await pos.post('/v1/checkouts', '{"receiptNo":', {});
    expect(json.body.error.code).toBe('invalid_json');
    const text = await pos.post('/v1/checkouts', 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const huge = await pos.post('/v1/checkouts', { receiptNo: 'R-bad-3', lines: Array.from({ length: 400 }, (_, i) => ({ sku: `SKU-${'x'.repeat(150)}-${i}`, qty: 1, unitPrice: 100 })) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('body_too_large');
    for (const receiptNo of ['R-bad-1', 'R-bad-2', 'R-bad-3']) {
      expect((await pos.post(`/v1/checkouts/S001:T1:${receiptNo}/refunds`, { refundNo: 'F1' })).status).toBe(404);
    }
  });
});

describe('hostile ids and text', () => {
  it('refuses malformed ids in the path with 400, without echoing them, and writes nothing', async () => {
    const long = 'M'.repeat(10_000);
    for (const path of [`/v1/members/${long}`, `/v1/members/${long}/points`, '/v1/members/..%2F..%2Fx', '/v1/members/_design%2Fx']) {
      const res = await pos.get(path);
      expect(res.status, path.slice(0, 40)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'id' });
      expect(JSON.stringify(res.body).length).toBeLessThan(300);
    }
    for (const q of ['limit=abc', 'limit=0', 'limit=1&limit=2', 'bogus=1']) expect((await pos.get(`/v1/members/MSEED00000001/points?${q}`)).status, q).toBe(400);
    expect((await pos.get('/v1/members/MSEED00000001/points?limit=2')).body.ledger.length).toBeLessThanOrEqual(2);
    const refund = await pos.post(`/v1/checkouts/${'x'.repeat(5000)}/refunds`, { refundNo: 'F1' });
    expect(refund.status).toBe(400);
    expect(JSON.stringify(refund.body).length).toBeLessThan(300);
    const unknownKey = await pos.post('/v1/members/identify', { phone: '13800138000', ['k'.repeat(5000)]: 1 });
    expect(unknownKey.status).toBe(400);
    expect(JSON.stringify(unknownKey.body).length).toBeLessThan(400);
  });

  it('refuses names with NUL or a right-to-left override, and birthdays in 1800 or the future', async () => {
    for (const name of ['Li\u0000Ming', 'Evil\u202Egnp.exe']) {
      const res = await pos.post('/v1/members', { phone: '13700007777', name });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'name' });
    }
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    for (const birthday of ['1800-01-01', tomorrow]) {
      const res = await pos.post('/v1/members', { phone: '13700007777', birthday });
      expect(res.status, birthday).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'birthday' });
    }
    expect((await pos.post('/v1/members/identify', { phone: '13700007777' })).status).toBe(404);
  });

  it('refuses a receipt worth more than one receipt may hold, and writes nothing', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => ({ sku: `S${i}`, qty: 10_000, unitPrice: 100_000_000 }));
    const res = await pos.post('/v1/checkouts', { receiptNo: 'HUGE-1', memberId: 'MSEED00000043', lines });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect((await pos.post('/v1/checkouts/S001:T1:HUGE-1/refunds', { refundNo: 'F1' })).status).toBe(404);
  });
});

describe('restart', () => {
  it('keeps every fact across a clean restart', async () => {
    const sale = await pos.post('/v1/checkouts', { receiptNo: 'R-45-1', memberId: 'MSEED00000045', lines: basket });
    const balance = sale.body.checkout.member.points.balance;
    await node.stop();
    node = await startEdge(dir);
    pos = client(node.url, token);
    expect((await pos.get('/v1/members/MSEED00000045')).body.member.points.balance).toBe(balance);
    expect((await pos.post('/v1/checkouts', { receiptNo: 'R-45-1', memberId: 'MSEED00000045', lines: basket })).status).toBe(200);
  });
});

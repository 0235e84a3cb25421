import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeLedger, decodeSpend } from '../../shared/compact-facts.ts';
import { MemberIndex, type MemberIndexSnapshot } from '../../shared/member-index.ts';
import type { AnyDoc, CouponDoc, IdentityKeyDoc, LedgerDoc, MemberDoc, OrderDoc, RedemptionDoc, RefundDoc } from '../../shared/schemas/documents.ts';
import { AnyDocSchema } from '../../shared/schemas/documents.ts';
import { DEFAULT_RULES, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import { DEFAULT_TEMPLATES } from '../../shared/schemas/coupon.ts';
import { cash } from './fixtures.ts';

/* ---------- document builders, shaped per shared/schemas/documents.ts ---------- */

const T0 = Date.parse('2025-06-01T00:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const dayOf = (at: string) => at.slice(0, 10);

function memberDoc(id: string, phone: string): MemberDoc {
  return {
    _id: `member:${id}`,
    type: 'member',
    id,
    phone,
    memberCode: `0000${id.replace(/\D/g, '').padStart(8, '0')}`,
    homeStoreId: 'S001',
    registeredAt: iso(0),
    registeredStoreId: 'S001',
    provisional: false,
  };
}

const idkDoc = (key: string, memberId: string): IdentityKeyDoc => ({ _id: `idk:${key}`, type: 'idk', key, memberId });

function ptsDoc(memberId: string, cause: string, delta: number, at: string, expiresOn?: string): LedgerDoc {
  return {
    _id: `pts:${memberId}:${cause}`,
    type: 'pts',
    memberId,
    delta,
    reason: delta >= 0 ? 'earn' : 'redeem',
    ref: cause,
    storeId: 'S001',
    at,
    day: dayOf(at),
    ...(expiresOn !== undefined ? { expiresOn } : {}),
  };
}

function orderDoc(memberId: string, receiptNo: string, payableCents: number, at: string): OrderDoc {
  return {
    _id: `order:S001:T1:${receiptNo}`,
    type: 'order',
    storeId: 'S001',
    terminalId: 'T1',
    receiptNo,
    memberId,
    at,
    day: dayOf(at),
    lines: [{ sku: 'X', qty: 1, unitPriceCents: payableCents, totalCents: payableCents, discountCents: 0, payableCents }],
    totalCents: payableCents,
    couponDiscountCents: 0,
    pointsCashCents: 0,
    payableCents,
    pointsEarned: Math.floor(payableCents / 100),
    pointsRedeemed: 0,
    coupons: [],
    requestHash: 'h',
  };
}

function refundDoc(order: OrderDoc, refundNo: string, refundCents: number, at: string): RefundDoc {
  return {
    _id: `refund:${order._id.slice('order:'.length)}:${refundNo}`,
    type: 'refund',
    orderId: order._id,
    refundNo,
    storeId: 'S001',
    terminalId: 'T1',
    ...(order.memberId !== undefined ? { memberId: order.memberId } : {}),
    at,
    day: dayOf(at),
    lines: [{ index: 0, qty: 1, refundCents }],
    refundCents,
    pointsClawedBack: 0,
    pointsReturned: 0,
    requestHash: 'h',
  };
}

function couponDoc(code: string, memberId: string, validTo: string): CouponDoc {
  return {
    _id: `coupon:${code}`,
    type: 'coupon',
    code,
    memberId,
    templateId: 'CASH20',
    title: '20 off',
    terms: cash(2000),
    scope: {},
    validFrom: iso(0),
    validTo,
    issuedAt: iso(0),
  };
}

function redeemDoc(code: string, memberId: string, storeId: string, receiptNo: string, at: string): RedemptionDoc {
  return { _id: `redeem:${code}`, type: 'redeem', code, memberId, orderId: `order:${storeId}:T1:${receiptNo}`, storeId, terminalId: 'T1', discountCents: 2000, at };
}

/* ---------- comparing states ---------- */

const byId = <T extends { id: string }>(xs: readonly T[] | undefined) => (xs ? [...xs].sort((a, b) => (a.id < b.id ? -1 : 1)) : undefined);

/**
 * -0 and 0 are the same amount (a refund of 0 cents folds to a spend of -0, which JSON writes as 0);
 * toEqual tells them apart, so compare through this.
 */
const zeroed = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The snapshot with every list in a canonical order, so equal states compare equal. */
function normalised(s: MemberIndexSnapshot) {
  return zeroed({
    format: s.format,
    rules: s.rules,
    templates: [...s.templates].sort((a, b) => (a.id < b.id ? -1 : 1)),
    members: [...s.members]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, r]) => [
        id,
        {
          phone: r.phone,
          name: r.name,
          ledger: r.ledger ? byId(decodeLedger(r.ledger)) : undefined,
          spend: r.spend ? byId(decodeSpend(r.spend)) : undefined,
          coupons: r.coupons ? [...r.coupons].sort((a, b) => (a.code < b.code ? -1 : 1)) : undefined,
        },
      ]),
    keys: [...s.keys].sort(([a], [b]) => (a < b ? -1 : 1)),
    redemptions: [...s.redemptions].sort(([a], [b]) => (a < b ? -1 : 1)),
    aliases: [...(s.aliases ?? [])].sort(([a], [b]) => (a < b ? -1 : 1)),
  });
}

const TODAY = '2026-06-01';
const NOW = '2026-06-01T02:00:00.000Z';

/** What a store asks of the index, for every member and coupon code it might know. */
function answers(index: MemberIndex, memberIds: readonly string[], codes: readonly string[], keys: readonly string[]) {
  return {
    members: memberIds.map((id) => {
      const balance = index.balance(id, TODAY);
      // The quick balance the tills read must be the full computation's, for any ledger.
      expect(index.points(id, TODAY)).toBe(balance.balance);
      return {
        id,
        known: index.get(id) !== undefined,
        balance,
        tier: index.tier(id, TODAY).code,
        usable: index
          .usableCoupons(id, NOW)
          .map((c) => c.code)
          .sort(),
      };
    }),
    coupons: codes.map((c) => index.coupon(c) ?? null),
    redemptions: codes.map((c) => index.redemptions.get(c) ?? null),
    keys: keys.map((k) => index.memberIdFor(k) ?? null),
  };
}

function applyAll(docs: readonly AnyDoc[], into = new MemberIndex()): MemberIndex {
  for (const d of docs) into.apply(d);
  return into;
}

/* ---------- random universes of documents ---------- */

const MEMBERS = ['M0001', 'M0002', 'M0003'] as const;
const CODES = ['CPN-A1', 'CPN-B2', 'CPN-C3', 'CPN-D4'] as const;
const STORES = ['S001', 'S002', 'S003'] as const;

interface Universe {
  /** Every document once; redeem docs of one code are rival versions of the same id. */
  docs: AnyDoc[];
  keys: string[];
}

const universeArb: fc.Arbitrary<Universe> = fc
  .record({
    pts: fc.array(
      fc.record({
        m: fc.constantFrom(...MEMBERS),
        delta: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: -1500, max: -1 })),
        t: fc.nat({ max: 400 * 24 * 60 }),
        expires: fc.option(fc.nat({ max: 500 }), { nil: undefined }),
      }),
      { maxLength: 25 },
    ),
    orders: fc.array(
      fc.record({
        m: fc.constantFrom(...MEMBERS),
        cents: fc.integer({ min: 0, max: 400_000 }),
        t: fc.nat({ max: 400 * 24 * 60 }),
        refund: fc.option(fc.record({ frac: fc.integer({ min: 1, max: 100 }), later: fc.nat({ max: 60 * 24 * 30 }) }), { nil: undefined }),
      }),
      { maxLength: 10 },
    ),
    // One-ID merges, a chain among them: M0003 into M0002 into M0001.
    aliases: fc.subarray([
      ['M0002', 'M0001'],
      ['M0003', 'M0002'],
    ] as const),
    coupons: fc.array(
      fc.record({
        m: fc.constantFrom(...MEMBERS),
        validDays: fc.integer({ min: 1, max: 500 }),
        // Rival redemptions: equal times happen on purpose.
        redeems: fc.array(fc.record({ store: fc.constantFrom(...STORES), receipt: fc.nat({ max: 3 }), t: fc.constantFrom(1000, 2000, 2000, 3000) }), {
          maxLength: 3,
        }),
      }),
      { maxLength: CODES.length },
    ),
  })
  .map(({ pts, orders, aliases, coupons }) => {
    const docs: AnyDoc[] = [];
    const keys: string[] = [];
    MEMBERS.forEach((m, i) => {
      docs.push(memberDoc(m, `+861380013800${i}`));
      const key = `phone:+861380013800${i}`;
      keys.push(key);
      docs.push(idkDoc(key, m));
    });
    pts.forEach((p, i) => {
      const at = iso(p.t);
      const exp = p.delta > 0 && p.expires !== undefined ? new Date(T0 + p.t * 60_000 + p.expires * 86_400_000).toISOString().slice(0, 10) : undefined;
      docs.push(ptsDoc(p.m, `c${i}`, p.delta, at, exp));
    });
    orders.forEach((o, i) => {
      const order = orderDoc(o.m, `R${i}`, o.cents, iso(o.t));
      docs.push(order);
      if (o.refund) docs.push(refundDoc(order, `F${i}`, Math.floor((o.cents * o.refund.frac) / 100), iso(o.t + o.refund.later)));
    });
    coupons.forEach((c, i) => {
      const code = CODES[i]!;
      docs.push(couponDoc(code, c.m, iso(c.validDays * 24 * 60 + 500_000)));
      for (const r of c.redeems) docs.push(redeemDoc(code, c.m, r.store, `R${r.receipt}`, iso(500_000 + r.t)));
    });
    for (const [from, to] of aliases) docs.push({ _id: `alias:${from}`, type: 'alias', from, to, at: iso(9) });
    // Events and an anonymous order are folded to nothing.
    docs.push({ _id: 'event:S001:M0001:checkin', type: 'event', kind: 'checkin', memberId: 'M0001', storeId: 'S001', at: iso(5), day: dayOf(iso(5)) });
    const anon = orderDoc('M0001', 'ANON', 500, iso(7));
    delete anon.memberId;
    docs.push(anon);
    return { docs, keys };
  });

/** The universe's documents in a random order, each at least once, some several times. */
const arrivalArb = (u: Universe) =>
  fc
    .tuple(fc.shuffledSubarray(u.docs, { minLength: u.docs.length, maxLength: u.docs.length }), fc.array(fc.nat({ max: 1000 }), { maxLength: 20 }))
    .map(([shuffled, dupIdx]) => {
      const out = [...shuffled];
      for (const n of dupIdx) out.splice(n % (out.length + 1), 0, u.docs[n % u.docs.length]!);
      return out;
    });

describe('MemberIndex: the fold', () => {
  it('documents in any order and with duplicates give the same state as applying them once in order', () => {
    fc.assert(
      fc.property(
        universeArb.chain((u) => fc.tuple(fc.constant(u), arrivalArb(u))),
        ([u, arrival]) => {
          const canonical = applyAll(u.docs);
          const shuffled = applyAll(arrival);
          expect(normalised(shuffled.snapshot())).toEqual(normalised(canonical.snapshot()));
          expect(answers(shuffled, MEMBERS, CODES, u.keys)).toEqual(answers(canonical, MEMBERS, CODES, u.keys));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('applying everything twice changes nothing', () => {
    fc.assert(
      fc.property(universeArb, (u) => {
        const once = applyAll(u.docs);
        const twice = applyAll(u.docs, applyAll(u.docs));
        expect(normalised(twice.snapshot())).toEqual(normalised(once.snapshot()));
      }),
      { numRuns: 200 },
    );
  });

  it('every generated document is valid per AnyDocSchema', () => {
    fc.assert(
      fc.property(universeArb, (u) => {
        for (const d of u.docs) expect(AnyDocSchema.safeParse(d).success).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('balance and tier are the ledger and spend of the member', () => {
    const m = 'M0001';
    const o = orderDoc(m, 'R1', 160_000, '2026-05-01T00:00:00.000Z');
    const index = applyAll([
      memberDoc(m, '+8613800138000'),
      ptsDoc(m, 'join', 200, '2026-01-01T00:00:00.000Z'),
      ptsDoc(m, 'earn1', 300, '2026-02-01T00:00:00.000Z', '2026-05-31'),
      ptsDoc(m, 'redeem1', -100, '2026-03-01T00:00:00.000Z'),
      o,
    ]);
    expect(index.balance(m, '2026-05-31')).toEqual({ balance: 400, expired: 0, nextExpiry: { on: '2026-05-31', points: 200 } });
    expect(index.balance(m, '2026-06-01')).toEqual({ balance: 200, expired: 200 });
    expect(index.tier(m, '2026-06-01').code).toBe('L3');
    index.apply(refundDoc(o, 'F1', 20_000, '2026-05-02T00:00:00.000Z'));
    expect(index.tier(m, '2026-06-01').code).toBe('L2');
    // A member nobody told us about has nothing.
    expect(index.balance('M9999', TODAY)).toEqual({ balance: 0, expired: 0 });
    expect(index.tier('M9999', TODAY).code).toBe('L1');
    expect(index.get('M9999')).toBeUndefined();
  });

  it('get needs the profile: facts alone do not make a known member', () => {
    const index = applyAll([ptsDoc('M0002', 'join', 200, iso(1))]);
    expect(index.get('M0002')).toBeUndefined();
    expect(index.balance('M0002', TODAY).balance).toBe(200);
    index.apply(memberDoc('M0002', '+8613800138002'));
    // Only what the till needs is kept: the phone to mask and the name to greet.
    expect(index.get('M0002')).toMatchObject({ phone: '+8613800138002' });
    expect(index.get('M0002')?.name).toBeUndefined();
  });

  it('a snapshot written before phone and name moved onto the record still loads', () => {
    const docs = [{ ...memberDoc('M0003', '+8613800138003'), name: '王芳' }, idkDoc('phone:+8613800138003', 'M0003'), idkDoc('card:CD34', 'M0003'), ptsDoc('M0003', 'join', 200, iso(1))];
    const index = applyAll(docs);
    const now = index.snapshot();
    const before: MemberIndexSnapshot = JSON.parse(JSON.stringify({
      ...now,
      members: now.members.map(([id, { phone, name, ...r }]) => [id, { ...r, profile: { phone, name } }]),
      keys: now.keys.map(([k, id]) => [k.startsWith('+') ? `phone:${k}` : k, id]),
    }));
    const restored = MemberIndex.restore(before);
    expect(normalised(restored.snapshot())).toEqual(normalised(now));
    expect(restored.memberIdFor('phone:+8613800138003')).toBe('M0003');
    expect(restored.memberIdFor('card:CD34')).toBe('M0003');
    expect(restored.get('M0003')).toMatchObject({ phone: '+8613800138003', name: '王芳' });
  });

  it('a phone key finds its member whether the key or the profile arrived first', () => {
    for (const order of [0, 1]) {
      const docs = [memberDoc('M0004', '+8613800138004'), idkDoc('phone:+8613800138004', 'M0004')];
      const index = applyAll(order ? docs.reverse() : docs);
      expect(index.memberIdFor('phone:+8613800138004')).toBe('M0004');
      expect(index.memberIdFor('phone:+8613800138005')).toBeUndefined();
      expect(index.memberIdFor('card:+8613800138004')).toBeUndefined();
    }
  });

  it('identity keys, rules and templates', () => {
    const index = applyAll([idkDoc('phone:+8613800138000', 'M0001'), idkDoc('card:AB12', 'M0001')]);
    expect(index.memberIdFor('phone:+8613800138000')).toBe('M0001');
    expect(index.memberIdFor('card:AB12')).toBe('M0001');
    expect(index.memberIdFor('card:NOPE')).toBeUndefined();

    const rules: LoyaltyRules = { ...DEFAULT_RULES, version: 2, tiers: [{ code: 'ONLY', minSpendCents: 0, multiplierPct: 100 }] };
    index.apply({ _id: 'rules:loyalty', type: 'rules', rules });
    expect(index.rules).toEqual(rules);
    expect(index.tier('M0001', TODAY).code).toBe('ONLY');

    for (const t of DEFAULT_TEMPLATES) index.apply({ _id: `tpl:${t.id}`, type: 'tpl', template: t });
    expect([...index.templates.keys()].sort()).toEqual(DEFAULT_TEMPLATES.map((t) => t.id).sort());
  });

  it('usable coupons are neither redeemed nor expired; coupon() finds any by code', () => {
    const index = applyAll([
      memberDoc('M0001', '+8613800138000'),
      couponDoc('CPN-A1', 'M0001', '2026-07-01T00:00:00.000Z'),
      couponDoc('CPN-B2', 'M0001', '2026-05-31T23:59:59.999Z'),
      couponDoc('CPN-C3', 'M0001', '2026-07-01T00:00:00.000Z'),
      couponDoc('CPN-D4', 'M0002', '2026-07-01T00:00:00.000Z'),
      redeemDoc('CPN-C3', 'M0001', 'S001', 'R1', '2026-05-01T00:00:00.000Z'),
    ]);
    expect(index.usableCoupons('M0001', NOW).map((c) => c.code)).toEqual(['CPN-A1']);
    expect(index.usableCoupons('M0002', NOW).map((c) => c.code)).toEqual(['CPN-D4']);
    expect(index.coupon('CPN-B2')?.memberId).toBe('M0001');
    expect(index.coupon('CPN-D4')?.memberId).toBe('M0002');
    expect(index.coupon('CPN-D4')).not.toHaveProperty('_id');
    expect(index.coupon('CPN-D4')).not.toHaveProperty('type');
    expect(index.coupon('NOPE-1')).toBeUndefined();
    // Valid to the millisecond.
    expect(index.usableCoupons('M0001', '2026-05-31T23:59:59.999Z').map((c) => c.code).sort()).toEqual(['CPN-A1', 'CPN-B2']);
  });

  it('a fact that is re-sent with new content replaces the old one (keyed by id)', () => {
    const index = applyAll([ptsDoc('M0001', 'x', 100, iso(1))]);
    index.apply(ptsDoc('M0001', 'x', 250, iso(1)));
    expect(index.balance('M0001', TODAY).balance).toBe(250);
    expect(index.ledger('M0001')).toHaveLength(1);
    index.apply({ ...couponDoc('CPN-A1', 'M0001', iso(10)), title: 'new' });
    index.apply({ ...couponDoc('CPN-A1', 'M0001', iso(10)), title: 'newer' });
    expect(index.members.get('M0001')?.coupons).toHaveLength(1);
    expect(index.coupon('CPN-A1')?.title).toBe('newer');
  });
});

describe('MemberIndex: One-ID merges', () => {
  const survivor = 'M0001';
  const provisional = 'P0009';
  const docs = (): AnyDoc[] => [
    memberDoc(survivor, '+8613800138000'),
    idkDoc('phone:+8613800138000', survivor),
    ptsDoc(survivor, 'join', 200, iso(1)),
    memberDoc(provisional, '+8613900139000'),
    idkDoc('phone:+8613900139000', provisional),
    ptsDoc(provisional, 'join', 200, iso(2)),
    ptsDoc(provisional, 'earn1', 55, iso(3)),
    couponDoc('CPN-P1', provisional, iso(60 * 24 * 30)),
    { _id: `alias:${provisional}`, type: 'alias', from: provisional, to: survivor, at: iso(4) },
  ];

  it("the merged-away id and its keys resolve to the survivor, whose balance is both members' ledgers", () => {
    for (const order of [docs(), docs().reverse()]) {
      const index = applyAll(order);
      expect(index.memberIdFor('phone:+8613900139000')).toBe(survivor);
      expect(index.canonical(provisional)).toBe(survivor);
      expect(index.balance(provisional, TODAY)).toEqual(index.balance(survivor, TODAY));
      expect(index.balance(survivor, '2025-06-02').balance).toBe(455);
      expect(index.coupon('CPN-P1')?.memberId).toBe(survivor);
      expect(index.get(survivor)?.phone).toBe('+8613800138000');
      expect(index.mergedInto(survivor)).toEqual([provisional]);
    }
  });

  it('a fact of the merged-away id that arrives later counts for the survivor; a snapshot keeps the merge', () => {
    const index = applyAll(docs());
    index.apply(ptsDoc(provisional, 'late', 10, iso(5)));
    expect(index.balance(survivor, '2025-06-02').balance).toBe(465);
    const restored = MemberIndex.restore(JSON.parse(JSON.stringify(index.snapshot())) as MemberIndexSnapshot);
    expect(restored.balance(provisional, '2025-06-02').balance).toBe(465);
    restored.apply(ptsDoc(provisional, 'later', 1, iso(6)));
    expect(restored.balance(survivor, '2025-06-02').balance).toBe(466);
  });

  it('an undone merge (a split at the hub) gives each member back what was written under their id', () => {
    const index = applyAll(docs());
    index.apply(ptsDoc(survivor, 'while-merged', 7, iso(5)));
    const alias = docs().at(-1) as Extract<AnyDoc, { type: 'alias' }>;
    index.apply({ ...alias, undoneAt: iso(6) });
    const apart = applyAll([...docs().slice(0, -1), ptsDoc(survivor, 'while-merged', 7, iso(5))]);
    for (const i of [index, MemberIndex.restore(JSON.parse(JSON.stringify(index.snapshot())) as MemberIndexSnapshot)]) {
      expect(i.canonical(provisional)).toBe(provisional);
      expect(i.memberIdFor('phone:+8613900139000')).toBe(provisional);
      expect(i.mergedInto(survivor)).toEqual([]);
      for (const id of [survivor, provisional]) {
        expect(i.balance(id, '2025-06-02')).toEqual(apart.balance(id, '2025-06-02'));
        expect(i.view(id, TODAY, NOW)).toEqual(apart.view(id, TODAY, NOW));
      }
      expect(i.balance(survivor, '2025-06-02').balance).toBe(207);
      expect(i.coupon('CPN-P1')?.memberId).toBe(provisional);
    }
    // Merged again later (the alias document's next revision): together again.
    index.apply({ ...alias, at: iso(7) });
    expect(index.balance(provisional, '2025-06-02').balance).toBe(462);
  });
});

describe('MemberIndex: redemptions', () => {
  it('the earliest redemption of a coupon wins whatever the arrival order', () => {
    const rivals = fc.uniqueArray(fc.nat({ max: 100_000 }), { minLength: 1, maxLength: 6 }).chain((ts) =>
      fc.tuple(
        fc.constant(ts),
        fc.shuffledSubarray(ts, { minLength: ts.length, maxLength: ts.length }),
        fc.array(fc.constantFrom(...STORES), { minLength: ts.length, maxLength: ts.length }),
      ),
    );
    fc.assert(
      fc.property(rivals, ([ts, order, stores]) => {
        const docs = ts.map((t, i) => redeemDoc('CPN-A1', 'M0001', stores[i]!, `R${i}`, iso(t)));
        const earliest = docs[ts.indexOf(Math.min(...ts))]!;
        const index = applyAll(order.map((t) => docs[ts.indexOf(t)]!));
        expect(index.redemptions.get('CPN-A1')).toEqual({ memberId: 'M0001', orderId: earliest.orderId, storeId: earliest.storeId, at: earliest.at });
      }),
      { numRuns: 300 },
    );
  });

  it('rival redemptions at the same instant settle the same way whatever the arrival order', () => {
    const at = '2026-05-01T00:00:00.000Z';
    const a = redeemDoc('CPN-A1', 'M0001', 'S001', 'R1', at);
    const b = redeemDoc('CPN-A1', 'M0001', 'S002', 'R7', at);
    expect(applyAll([a, b]).redemptions.get('CPN-A1')).toEqual(applyAll([b, a]).redemptions.get('CPN-A1'));
  });
});

describe('MemberIndex: snapshot and restore', () => {
  it('restore(snapshot) round-trips, also through JSON as on disk', () => {
    fc.assert(
      fc.property(universeArb, (u) => {
        const index = applyAll(u.docs);
        index.apply({ _id: 'rules:loyalty', type: 'rules', rules: { ...DEFAULT_RULES, version: 7 } });
        for (const t of DEFAULT_TEMPLATES) index.apply({ _id: `tpl:${t.id}`, type: 'tpl', template: t });
        const snap = index.snapshot();
        const json = JSON.parse(JSON.stringify(snap)) as MemberIndexSnapshot;
        for (const restored of [MemberIndex.restore(snap), MemberIndex.restore(json)]) {
          expect(zeroed(restored.snapshot())).toEqual(zeroed(snap));
          expect(answers(restored, MEMBERS, CODES, u.keys)).toEqual(answers(index, MEMBERS, CODES, u.keys));
          expect(restored.rules.version).toBe(7);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a restored index goes on folding like the original', () => {
    fc.assert(
      fc.property(
        universeArb.chain((u) => fc.tuple(fc.constant(u), fc.nat({ max: u.docs.length }))),
        ([u, cut]) => {
          const first = u.docs.slice(0, cut);
          const rest = u.docs.slice(cut);
          const restored = applyAll(rest, MemberIndex.restore(JSON.parse(JSON.stringify(applyAll(first).snapshot())) as MemberIndexSnapshot));
          const whole = applyAll(u.docs);
          expect(normalised(restored.snapshot())).toEqual(normalised(whole.snapshot()));
          expect(answers(restored, MEMBERS, CODES, u.keys)).toEqual(answers(whole, MEMBERS, CODES, u.keys));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the snapshot survives JSON unchanged', () => {
    fc.assert(
      fc.property(universeArb, (u) => {
        // Nothing is lost on disk: no undefined-valued fields, Maps or Dates that JSON would drop or change.
        const snap = applyAll(u.docs).snapshot();
        const strip = (x: unknown): unknown => (typeof x === 'number' && Object.is(x, -0) ? 0 : Array.isArray(x) ? x.map(strip) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, strip(v)])) : x);
        expect(JSON.parse(JSON.stringify(snap))).toStrictEqual(strip(snap));
      }),
      { numRuns: 100 },
    );
  });
});

describe('MemberIndex: preview', () => {
  it('equals the state after actually applying the same docs, and changes nothing', () => {
    fc.assert(
      fc.property(
        // What a checkout previews are facts; merges arrive by replication, not in a checkout.
        universeArb.chain((u) => fc.tuple(fc.constant(u), fc.subarray(u.docs), fc.subarray(u.docs.filter((d) => d.type !== 'alias')))),
        fc.constantFrom(...MEMBERS),
        fc.constantFrom('2025-09-01', TODAY, '2027-06-01'),
        ([u, applied, pending], memberId, today) => {
          const index = applyAll(applied);
          const before = normalised(index.snapshot());
          const preview = index.preview(memberId, pending, today);
          expect(normalised(index.snapshot())).toEqual(before);
          const after = applyAll(pending, applyAll(applied));
          expect(preview).toEqual({ tier: after.tier(memberId, today), points: after.balance(memberId, today).balance });
          void u;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('previews a checkout: earn, redeem and the order', () => {
    const m = 'M0001';
    const at = (d: string) => `2026-05-${d}T03:00:00.000Z`;
    const index = applyAll([memberDoc(m, '+8613800138000'), ptsDoc(m, 'join', 200, at('01')), orderDoc(m, 'R0', 149_000, at('02'))]);
    const o = orderDoc(m, 'R1', 1000, at('03'));
    const p = index.preview(m, [o, ptsDoc(m, 'earn:R1', 10, at('03')), ptsDoc(m, 'redeem:R1', -100, at('03')), ptsDoc('M0002', 'other', 999, at('03'))], TODAY);
    expect(p.points).toBe(110);
    expect(p.tier.code).toBe('L3');
    expect(index.balance(m, TODAY).balance).toBe(200);
    expect(index.tier(m, TODAY).code).toBe('L2');
  });
});

describe('MemberIndex: receipts filter', () => {
  it('knows every recorded receipt, with or without a member, also after a snapshot round trip', () => {
    const index = new MemberIndex();
    const orders = Array.from({ length: 500 }, (_, i) => `order:S001:T1:R${i}`);
    for (const [i, id] of orders.entries()) {
      index.apply({ _id: id, type: 'order', storeId: 'S001', terminalId: 'T1', receiptNo: `R${i}`, ...(i % 2 ? { memberId: 'M0001' } : {}), at: '2026-01-01T00:00:00.000Z', day: '2026-01-01', lines: [], totalCents: 0, couponDiscountCents: 0, pointsCashCents: 0, payableCents: 0, pointsEarned: 0, pointsRedeemed: 0, coupons: [], requestHash: 'h' });
    }
    const restored = MemberIndex.restore(JSON.parse(JSON.stringify(index.snapshot())));
    for (const id of orders) {
      expect(index.mayHaveOrder(id)).toBe(true);
      expect(restored.mayHaveOrder(id)).toBe(true);
    }
    const misses = Array.from({ length: 2000 }, (_, i) => `order:S001:T2:R${i}`).filter((id) => index.mayHaveOrder(id));
    expect(misses.length).toBeLessThan(3);
  });
});

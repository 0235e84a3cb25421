import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLedger, ledgerTuple, upsertTuple, vestTuple, LEDGER_STRIDE, VEST_STRIDE } from '../../shared/compact-facts.ts';
import { docId } from '../../shared/doc-ids.ts';
import { addMonths } from '../../shared/local-time.ts';
import { firstOverspend } from '../../shared/loyalty/overspend.ts';
import { ledgerBalance, type LedgerFact } from '../../shared/loyalty/points.ts';
import { clawbackVestsOn, earnedExpiry, spendableNow, vestingDayFor } from '../../shared/loyalty/vesting.ts';
import { MemberIndex } from '../../shared/member-index.ts';
import { memberSummary } from '../../shared/member-summary.ts';
import type { LedgerDoc } from '../../shared/schemas/documents.ts';
import { rulesFromForm, rulesToForm } from '../../shared/loyalty/rules-form.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema } from '../../shared/schemas/rules.ts';

/*
 * Vesting (issue 13, decision 018): points a receipt earns wait in a pool of their vesting day;
 * a refund before that day cancels them there, never from what can be spent.
 */

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const BASE = Date.parse('2025-01-01T00:00:00Z');
const dayOf = (n: number) => new Date(BASE + n * 86_400_000).toISOString().slice(0, 10);
const atOf = (n: number, sec: number) => BASE + n * 86_400_000 + 12 * 3_600_000 + sec * 1000;

/** An expiry policy for one ledger: none, or months counted from the day points vest (as the till writes them). */
const policyArb = fc.constantFrom<number | undefined>(undefined, 3, 12);
const expiryBy = (months: number | undefined, from: string) => (months === undefined ? undefined : addMonths(from, months));

function fact(id: string, delta: number, dayN: number, sec: number, months: number | undefined, vestIn?: number): LedgerFact {
  const day = dayOf(dayN);
  const vestsOn = vestIn === undefined ? undefined : dayOf(dayN + vestIn);
  const expiresOn = delta > 0 ? expiryBy(months, vestsOn ?? day) : undefined;
  return { id, delta, atMs: atOf(dayN, sec), day, ...(expiresOn ? { expiresOn } : {}), ...(vestsOn ? { vestsOn } : {}) };
}

/** Random ledgers over ~2 years: earnings (some vesting later), spends, claw-backs of pending points, one expiry policy. */
const ledgerArb = (months: number | undefined) =>
  fc
    .array(
      fc.record({
        dayN: fc.nat({ max: 700 }),
        sec: fc.nat({ max: 3 }),
        delta: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -800, max: -1 }), fc.constant(0)),
        vestIn: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined, freq: 3 }),
      }),
      { maxLength: 40 },
    )
    .map((rows) => rows.map((r, i) => fact(`pts:m1:${String(i).padStart(3, '0')}`, r.delta, r.dayN, r.sec, months, r.vestIn)));

const todayArb = fc.nat({ max: 1200 });

/** A receipt earning `earned` points that vest `vestIn` days later, and a refund `refundIn` days after it (before vesting) clawing back `clawed`. */
const receiptArb = fc
  .record({ dayN: fc.nat({ max: 700 }), vestIn: fc.integer({ min: 1, max: 30 }), earned: fc.integer({ min: 1, max: 2000 }), share: fc.double({ min: 0, max: 1, noNaN: true }), refundAt: fc.double({ min: 0, max: 0.999, noNaN: true }) })
  .map((r) => ({ ...r, clawed: Math.max(1, Math.round(r.earned * r.share)), refundIn: Math.floor(r.refundAt * r.vestIn) }));

function receiptFacts(r: { dayN: number; vestIn: number; earned: number; clawed: number; refundIn: number }, months: number | undefined) {
  const vestsOn = dayOf(r.dayN + r.vestIn);
  const earn = fact('pts:m1:earn:R', r.earned, r.dayN, 10, months, r.vestIn);
  // The claw-back carries the receipt's vesting day, as clawbackVestsOn gives it for a refund before it.
  const claw: LedgerFact = { id: 'pts:m1:clawback:R:F', delta: -r.clawed, atMs: atOf(r.dayN + r.refundIn, 20), day: dayOf(r.dayN + r.refundIn), vestsOn };
  expect(clawbackVestsOn({ pointsVestOn: vestsOn }, claw.day)).toBe(vestsOn);
  return { earn, claw, vestsOn };
}

describe('ledgerBalance with vesting: properties', () => {
  it('a refund before vesting leaves no trace in the spendable balance: in full, the balance is as if the receipt never was', () => {
    fc.assert(
      fc.property(policyArb.chain((m) => fc.tuple(fc.constant(m), ledgerArb(m))), receiptArb, todayArb, ([months, base], r, t) => {
        const { earn, claw } = receiptFacts({ ...r, clawed: r.earned }, months);
        const today = dayOf(t);
        expect(ledgerBalance([...base, earn, claw], today)).toEqual(ledgerBalance(base, today));
      }),
      { numRuns: 500 },
    );
  });

  it('a refund before vesting, in part, leaves spendable, expired and next expiry unchanged until the vesting day; pending holds what is left', () => {
    fc.assert(
      fc.property(policyArb.chain((m) => fc.tuple(fc.constant(m), ledgerArb(m))), receiptArb, todayArb, ([months, base], r, t) => {
        const { earn, claw, vestsOn } = receiptFacts(r, months);
        const today = dayOf(t);
        const before = ledgerBalance(base, today);
        const withEarn = ledgerBalance([...base, earn], today);
        const after = ledgerBalance([...base, earn, claw], today);
        if (today >= vestsOn) return;
        for (const b of [withEarn, after]) {
          expect(b.balance).toBe(before.balance);
          expect(b.expired).toBe(before.expired);
          expect(b.nextExpiry).toEqual(before.nextExpiry);
        }
        expect(withEarn.pending ?? 0).toBe((before.pending ?? 0) + r.earned);
        expect(after.pending ?? 0).toBe((before.pending ?? 0) + r.earned - r.clawed);
      }),
      { numRuns: 500 },
    );
  });

  it('spendable + pending + expired === sum of the ledger, always; expired never negative', () => {
    fc.assert(
      fc.property(policyArb.chain((m) => ledgerArb(m)), todayArb, (ledger, t) => {
        const b = ledgerBalance(ledger, dayOf(t));
        expect(b.balance + (b.pending ?? 0) + b.expired).toBe(sum(ledger.map((e) => e.delta)));
        expect(b.expired).toBeGreaterThanOrEqual(0);
        // pending is reported exactly when some pool has not vested with points in it or taken from it
        if (b.pending === undefined) expect(b.nextVesting).toBeUndefined();
        if (b.nextVesting) expect(b.nextVesting.on > dayOf(t) && b.nextVesting.points > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order in which entries arrived', () => {
    fc.assert(
      fc.property(
        policyArb.chain((m) => ledgerArb(m)).chain((l) => fc.tuple(fc.constant(l), fc.shuffledSubarray(l, { minLength: l.length, maxLength: l.length }))),
        todayArb,
        ([ledger, shuffled], t) => {
          expect(ledgerBalance(shuffled, dayOf(t))).toEqual(ledgerBalance(ledger, dayOf(t)));
          expect(ledgerBalance([...ledger].reverse(), dayOf(t))).toEqual(ledgerBalance(ledger, dayOf(t)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('once every pool has vested and nothing expires, spendable is the sum of the ledger', () => {
    fc.assert(
      fc.property(ledgerArb(undefined), (ledger) => {
        const b = ledgerBalance(ledger, dayOf(800));
        expect(b).toEqual({ balance: sum(ledger.map((e) => e.delta)), expired: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('spendableNow is the balance ledgerBalance gives', () => {
    fc.assert(
      fc.property(policyArb.chain((m) => ledgerArb(m)), todayArb, (ledger, t) => {
        expect(spendableNow(ledger, dayOf(t))).toBe(ledgerBalance(ledger, dayOf(t)).balance);
      }),
      { numRuns: 200 },
    );
  });
});

describe('vesting: examples', () => {
  const d = (n: number) => dayOf(n);
  const f = (id: string, delta: number, n: number, extra: Partial<LedgerFact> = {}): LedgerFact => ({ id, delta, atMs: atOf(n, 0), day: d(n), ...extra });

  it('earned points are pending until the start of their vesting day, then spendable', () => {
    const ledger = [f('join', 200, 0), f('earn', 500, 1, { vestsOn: d(8) })];
    expect(ledgerBalance(ledger, d(7))).toEqual({ balance: 200, expired: 0, pending: 500, nextVesting: { on: d(8), points: 500 } });
    expect(ledgerBalance(ledger, d(8))).toEqual({ balance: 700, expired: 0 });
  });

  it('a claw-back of vested points comes from the balance, as before vesting existed, and may leave a debt', () => {
    const ledger = [f('earn', 500, 1, { vestsOn: d(8) }), f('redeem', -400, 9), f('clawback', -500, 10)];
    expect(ledgerBalance(ledger, d(10))).toEqual({ balance: -400, expired: 0 });
  });

  it('a claw-back of pending points never takes from the balance, even with nothing spendable to cover it', () => {
    const ledger = [f('earn', 500, 1, { vestsOn: d(8) }), f('clawback', -300, 3, { vestsOn: d(8) })];
    expect(ledgerBalance(ledger, d(3))).toEqual({ balance: 0, expired: 0, pending: 200, nextVesting: { on: d(8), points: 200 } });
    expect(ledgerBalance(ledger, d(8))).toEqual({ balance: 200, expired: 0 });
  });

  it('a claw-back that arrives before the earning it cancels leaves the balance alone: pending is negative until the earning comes', () => {
    const claw = f('clawback', -300, 3, { vestsOn: d(8) });
    expect(ledgerBalance([f('join', 100, 0), claw], d(3))).toEqual({ balance: 100, expired: 0, pending: -300 });
    expect(ledgerBalance([f('join', 100, 0), claw, f('earn', 300, 1, { vestsOn: d(8) })], d(3))).toEqual({ balance: 100, expired: 0 });
  });

  it('a vestsOn on or before the entry day counts at once', () => {
    expect(ledgerBalance([f('earn', 500, 5, { vestsOn: d(5) })], d(5))).toEqual({ balance: 500, expired: 0 });
  });

  it('vested points expire counting from their vesting day', () => {
    const rules = { ...DEFAULT_RULES, vestingDays: 14 };
    const vestsOn = vestingDayFor(rules, '2026-03-01');
    expect(vestsOn).toBe('2026-03-15');
    expect(earnedExpiry(rules, '2026-03-01', vestsOn)).toBe('2028-03-15');
    expect(earnedExpiry(DEFAULT_RULES, '2026-03-01', vestingDayFor(DEFAULT_RULES, '2026-03-01'))).toBe('2028-03-01');
  });

  it('the rules setting is optional, 0 means at once, and today’s rules documents read unchanged', () => {
    expect(LoyaltyRulesSchema.parse(DEFAULT_RULES)).toEqual(DEFAULT_RULES);
    expect(vestingDayFor(LoyaltyRulesSchema.parse({ ...DEFAULT_RULES, vestingDays: 0 }), '2026-03-01')).toBeUndefined();
    expect(LoyaltyRulesSchema.safeParse({ ...DEFAULT_RULES, vestingDays: -1 }).success).toBe(false);
    expect(LoyaltyRulesSchema.safeParse({ ...DEFAULT_RULES, vestingDays: 1.5 }).success).toBe(false);
  });

  it('the console’s rules form reads and writes the vesting days; left empty, there are none', () => {
    const seven = { ...DEFAULT_RULES, vestingDays: 7 };
    expect(rulesFromForm(rulesToForm(seven))).toEqual({ ok: true, rules: seven });
    expect(rulesFromForm(rulesToForm(DEFAULT_RULES))).toEqual({ ok: true, rules: DEFAULT_RULES });
    expect(rulesFromForm([...rulesToForm(DEFAULT_RULES), ['vestingDays', '']]).rules).not.toHaveProperty('vestingDays');
    const wrong = rulesFromForm([...rulesToForm(DEFAULT_RULES), ['vestingDays', '-3']]);
    expect(wrong.ok).toBe(false);
    expect(wrong.errors?.has('vestingDays')).toBe(true);
  });

  it('a refund on the vesting day or after it claws back from the balance', () => {
    expect(clawbackVestsOn({ pointsVestOn: '2026-03-15' }, '2026-03-14')).toBe('2026-03-15');
    expect(clawbackVestsOn({ pointsVestOn: '2026-03-15' }, '2026-03-15')).toBeUndefined();
    expect(clawbackVestsOn({}, '2026-03-01')).toBeUndefined();
  });
});

const M = 'M0001';
const pts = (cause: string, delta: number, at: string, extra: Partial<LedgerDoc> = {}): LedgerDoc => ({
  _id: docId.pts(M, cause),
  type: 'pts',
  memberId: M,
  delta,
  reason: (cause.split(':')[0] as LedgerDoc['reason']) ?? 'earn',
  ref: `order:S001:T1:${cause}`,
  storeId: 'S001',
  at,
  day: at.slice(0, 10),
  ...extra,
});

function indexWith(docs: LedgerDoc[]): MemberIndex {
  const index = new MemberIndex();
  index.apply({ _id: docId.member(M), type: 'member', id: M, phone: '+8613800138000', memberCode: '1', homeStoreId: 'S001', registeredAt: '2026-03-01T00:00:00.000Z', registeredStoreId: 'S001', provisional: false });
  for (const d of docs) index.apply(d);
  return index;
}

describe('MemberIndex with vesting', () => {
  const docArb = fc
    .array(
      fc.record({ dayN: fc.integer({ min: 420, max: 450 }), delta: fc.oneof(fc.integer({ min: 1, max: 900 }), fc.integer({ min: -600, max: -1 })), vestIn: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }) }),
      { maxLength: 25 },
    )
    .map((rows) =>
      rows.map((r, i) => {
        const f = fact(`x${i}`, r.delta, r.dayN, i, 12, r.vestIn);
        return pts(`${r.delta > 0 ? 'earn' : 'clawback'}:${i}`, r.delta, new Date(f.atMs).toISOString(), { ...(f.expiresOn ? { expiresOn: f.expiresOn } : {}), ...(f.vestsOn ? { vestsOn: f.vestsOn } : {}) });
      }),
    );

  it('spendable, points, pending and the summary agree with ledgerBalance over the same entries, in any order, and after a snapshot', () => {
    fc.assert(
      fc.property(docArb.chain((d) => fc.tuple(fc.constant(d), fc.shuffledSubarray(d, { minLength: d.length, maxLength: d.length }))), fc.integer({ min: 415, max: 470 }), ([docs, shuffled], t) => {
        const today = dayOf(t);
        const full = ledgerBalance(docs.map((d) => ({ id: d._id, delta: d.delta, atMs: Date.parse(d.at), day: d.day, ...(d.expiresOn ? { expiresOn: d.expiresOn } : {}), ...(d.vestsOn ? { vestsOn: d.vestsOn } : {}) })), today);
        for (const index of [indexWith(docs), indexWith(shuffled), MemberIndex.restore(JSON.parse(JSON.stringify(indexWith(docs).snapshot())))]) {
          expect(index.balance(M, today)).toEqual(full);
          expect(index.points(M, today)).toBe(full.balance);
          expect(index.spendable(M, today)).toBe(full.balance);
          expect(index.pending(M, today)).toEqual(full.pending === undefined ? undefined : { pending: full.pending, nextVesting: full.nextVesting ?? null });
          expect(memberSummary(index, M, today, `${today}T12:00:00.000Z`)!.points).toEqual({ balance: full.balance, pending: full.pending ?? 0, nextVesting: full.nextVesting ?? null });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the packed vesting days decode onto their entries', () => {
    const ledger = upsertTuple(upsertTuple(undefined, LEDGER_STRIDE, ledgerTuple('a', 100, '2026-03-01T01:00:00.000Z', '2026-03-01', '2028-03-08')), LEDGER_STRIDE, ledgerTuple('b', 5, '2026-03-01T02:00:00.000Z', '2026-03-01', undefined));
    const vest = upsertTuple(undefined, VEST_STRIDE, vestTuple('a', '2026-03-08'));
    const [a, b] = decodeLedger(ledger, vest);
    expect(a).toMatchObject({ delta: 100, vestsOn: '2026-03-08', expiresOn: '2028-03-08' });
    expect(b!.vestsOn).toBeUndefined();
  });

  it('a merged-away member’s pending points stay pending for the survivor', () => {
    const index = indexWith([]);
    index.apply({ _id: docId.member('M0002'), type: 'member', id: 'M0002', phone: '+8613800138001', memberCode: '2', homeStoreId: 'S001', registeredAt: '2026-03-01T00:00:00.000Z', registeredStoreId: 'S001', provisional: false });
    index.apply({ ...pts('earn:loser', 300, '2026-03-02T04:00:00.000Z', { vestsOn: '2026-03-09' }), _id: docId.pts('M0002', 'earn:loser'), memberId: 'M0002' });
    index.apply({ _id: docId.alias('M0002'), type: 'alias', from: 'M0002', to: M, at: '2026-03-03T00:00:00.000Z' });
    expect(index.pending(M, '2026-03-05')).toEqual({ pending: 300, nextVesting: { on: '2026-03-09', points: 300 } });
    expect(index.spendable(M, '2026-03-05')).toBe(0);
    expect(index.spendable(M, '2026-03-09')).toBe(300);
  });

  it('a checkout preview names the pending points the receipt leaves', () => {
    const index = indexWith([pts('join', 200, '2026-03-01T04:00:00.000Z')]);
    const p = index.preview(M, [pts('earn:R1', 150, '2026-03-02T04:00:00.000Z', { vestsOn: '2026-03-09' })], '2026-03-02');
    expect(p.points).toBe(200);
    expect(p.pending).toBe(150);
  });
});

describe('the hub’s overspend judgement with vesting', () => {
  const at = (day: number, h = 4) => `2026-03-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000Z`;
  const join = pts('join', 200, at(1));
  const earn = pts('earn:R1', 500, at(2), { vestsOn: '2026-03-09' });

  it('pending points are not spendable: a spend of them before the vesting day is an overspend', () => {
    const found = firstOverspend(new MemberIndex(), M, [join, earn, pts('redeem:R2', -600, at(3))]);
    expect(found).toMatchObject({ balance: -400 });
  });

  it('the same spend on the vesting day is none', () => {
    expect(firstOverspend(new MemberIndex(), M, [join, earn, pts('redeem:R2', -600, at(9))])).toBeUndefined();
  });

  it('a refund before vesting, with spends of what was spendable, makes no false incident', () => {
    const claw = pts('clawback:R1:F1', -500, at(4), { vestsOn: '2026-03-09' });
    expect(firstOverspend(new MemberIndex(), M, [join, earn, pts('redeem:R2', -200, at(3)), claw])).toBeUndefined();
    expect(firstOverspend(new MemberIndex(), M, [join, earn, claw, pts('redeem:R2', -200, at(10))])).toBeUndefined();
    // …and what the refund cancelled never becomes spendable.
    expect(firstOverspend(new MemberIndex(), M, [join, earn, claw, pts('redeem:R2', -201, at(10))])).toMatchObject({ balance: -1 });
  });
});

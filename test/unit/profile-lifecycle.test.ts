import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advance, DEFAULT_LIFECYCLE, lifecycleFacts, LifecycleConfigSchema, replay, sortFacts, START, step, type LifecycleFact } from '../../shared/profile/lifecycle.ts';
import type { OrderFact } from '../../shared/profile/source-facts.ts';

const buy = (day: number, ref = `o${day}`): LifecycleFact => ({ kind: 'purchase', day, ref });

describe('lifecycle stages', () => {
  it('walks fan → member → first purchase → active → at risk → dormant → churned → reactivated, each with its cause', () => {
    const facts: LifecycleFact[] = [{ kind: 'follow', day: 0, ref: 'f' }, { kind: 'registration', day: 5, ref: 'r' }, buy(10), buy(20), buy(1000)];
    const { stage, transitions } = replay(facts, 1010);
    expect(stage).toBe('reactivated');
    expect(transitions.map((t) => [t.day, t.to, t.cause.kind === 'days' ? `days:${t.cause.days}` : t.cause.kind])).toEqual([
      [0, 'fan', 'follow'],
      [5, 'member', 'registration'],
      [10, 'first_purchase', 'purchase'],
      [20, 'active', 'purchase'],
      [110, 'at_risk', 'days:90'],
      [200, 'dormant', 'days:180'],
      [385, 'churned', 'days:365'],
      [1000, 'reactivated', 'purchase'],
    ]);
  });

  it('passes a threshold before the same day’s purchase, and not a day early', () => {
    expect(replay([buy(0), buy(89)], 89).stage).toBe('active');
    expect(replay([buy(0), buy(90)], 90).stage).toBe('reactivated');
    expect(replay([buy(0)], 89).stage).toBe('first_purchase');
    expect(replay([buy(0)], 90).stage).toBe('at_risk');
    expect(replay([buy(0)], 179).stage).toBe('at_risk');
    expect(replay([buy(0)], 180).stage).toBe('dormant');
    expect(replay([buy(0)], 365).stage).toBe('churned');
  });

  it('a fan who unfollows has no stage; a registered member without a purchase is a member', () => {
    expect(replay([{ kind: 'follow', day: 0, ref: 'f' }, { kind: 'unfollow', day: 3, ref: 'u' }], 10).stage).toBeNull();
    expect(replay([{ kind: 'registration', day: 0, ref: 'r' }], 1000).stage).toBe('member');
  });

  it('takes its thresholds from a validated config', () => {
    const c = LifecycleConfigSchema.parse({ atRiskDays: 30, dormantDays: 60, churnedDays: 120 });
    expect(replay([buy(0)], 60, c).stage).toBe('dormant');
    expect(LifecycleConfigSchema.safeParse({ atRiskDays: 200 }).success).toBe(false);
    expect(LifecycleConfigSchema.safeParse({ surprise: 1 }).success).toBe(false);
    expect(DEFAULT_LIFECYCLE).toEqual({ atRiskDays: 90, dormantDays: 180, churnedDays: 365 });
  });

  it('reads purchases as the metrics do: an order refunded in full is none', () => {
    const order = (id: string, day: number): OrderFact => ({ id, day, channel: 0, market: '', store: 'S1', listCents: 100, discountCents: 0, paidCents: 100, items: 1, lines: [{ sku: 'A', category: 'c', brand: 'b', qty: 1, cents: 100, promo: false }], refundedInFull: false });
    const facts = lifecycleFacts([{ orders: [order('o1', 10), order('o2', 20)], refunds: [{ id: 'r', orderId: 'o2', day: 21, orderDay: 20, cents: 100, lines: [{ index: 0, qty: 1, cents: 100 }] }] }], 5, true);
    expect(sortFacts(facts).map((f) => `${f.kind}@${f.day}`)).toEqual(['registration@5', 'purchase@10']);
  });

  it('property: the stage from replaying all facts equals the stage kept by incremental steps', () => {
    const fact = fc.record({ kind: fc.constantFrom('follow', 'unfollow', 'registration', 'purchase', 'purchase'), day: fc.integer({ min: 0, max: 1500 }), ref: fc.string({ maxLength: 3 }) }) as fc.Arbitrary<LifecycleFact>;
    const config = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 400 })).map(([a, b, c]) => ({ atRiskDays: a, dormantDays: a + b, churnedDays: a + b + c }));
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 1600 }), { maxLength: 5 }), fc.integer({ min: 0, max: 2000 }), config, (facts, evaluations, today, c) => {
        // Incremental: facts arrive in order, the state is advanced to days the engine evaluates in between.
        let s = START;
        const transitions = [];
        const sorted = sortFacts(facts).filter((f) => f.day <= today);
        const checks = [...evaluations].sort((a, b) => a - b);
        for (const f of sorted) {
          while (checks.length > 0 && checks[0]! < f.day) {
            const r = advance(s, checks.shift()!, c);
            (s = r.state), transitions.push(...r.transitions);
          }
          const r = step(s, f, c);
          (s = r.state), transitions.push(...r.transitions);
        }
        const end = advance(s, today, c);
        transitions.push(...end.transitions);
        const full = replay(facts, today, c);
        expect(end.state.stage).toBe(full.stage);
        expect(transitions).toEqual(full.transitions);
      }),
      { numRuns: 500 },
    );
  });
});

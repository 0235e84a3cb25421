import type { PointsCatalogue, Reward } from '../schemas/catalogue.ts';

/*
 * Whether a member may exchange points for a reward of the points catalogue, at this store,
 * now: pure, so the till, the guide page and the tests decide it the same way (decision 020).
 */

export type ExchangeRefusal =
  | { code: 'reward_not_found'; message: string }
  | { code: 'insufficient_points'; message: string; balance: number; points: number }
  | { code: 'offline_limit_exceeded'; message: string; limit: number; spent: number }
  | { code: 'out_of_stock'; message: string; sku: string };

export type ExchangeDecision = { ok: true; reward: Reward } | { ok: false; refusal: ExchangeRefusal };

export interface ExchangeAsk {
  catalogue: PointsCatalogue;
  rewardId: string;
  storeId: string;
  /** The points the member may spend now (one place decides it: see the edge's spendablePoints). */
  spendable: number;
  /** Points spent here since the hub became unreachable; undefined while it can be reached. */
  offlineSpent: number | undefined;
  offlineLimit: number;
  /** Units of each gift exchanged at this store and not given back, by reward id. */
  giftsOut: (rewardId: string) => number;
}

/** The stock of a gift left at a store: what HQ sent there less what was exchanged and not given back. */
export function giftStockLeft(reward: Extract<Reward, { kind: 'gift' }>, storeId: string, out: number): number {
  const sent = reward.stock.find((s) => s.storeId === storeId)?.qty ?? 0;
  return Math.max(0, sent - out);
}

/**
 * The reward the member gets, or why not: unknown reward, not enough points, the offline limit,
 * no stock left here. Checked in that order, so the till says the most useful thing first.
 *
 * @example decideExchange({ catalogue, rewardId: 'CUP', storeId: 'S001', spendable: 50, offlineSpent: undefined, offlineLimit: 5000, giftsOut: () => 0 }) // { ok: false, refusal: { code: 'insufficient_points', … } }
 */
export function decideExchange(ask: ExchangeAsk): ExchangeDecision {
  const reward = ask.catalogue.rewards.find((r) => r.id === ask.rewardId);
  if (!reward) return { ok: false, refusal: { code: 'reward_not_found', message: `no reward '${ask.rewardId}' in the points catalogue` } };
  if (reward.points > ask.spendable) {
    return { ok: false, refusal: { code: 'insufficient_points', message: `${reward.title} costs ${reward.points} points; the member has ${ask.spendable} to spend`, balance: ask.spendable, points: reward.points } };
  }
  if (ask.offlineSpent !== undefined && ask.offlineSpent + reward.points > ask.offlineLimit) {
    const { offlineSpent: spent, offlineLimit: limit } = ask;
    return { ok: false, refusal: { code: 'offline_limit_exceeded', message: `the store cannot reach HQ: a member may spend at most ${limit} points until it can (${spent} spent)`, limit, spent } };
  }
  if (reward.kind === 'gift' && giftStockLeft(reward, ask.storeId, ask.giftsOut(reward.id)) < 1) {
    return { ok: false, refusal: { code: 'out_of_stock', message: `no ${reward.title} left at store ${ask.storeId}`, sku: reward.sku } };
  }
  return { ok: true, reward };
}

/**
 * Whether a reward is priced so in some version of the catalogue the hub has had: what the hub
 * asks of an exchange a store reports (a store offline for days exchanges with an old version).
 */
export function pricedInSomeVersion(versions: readonly PointsCatalogue[], rewardId: string, points: number, matches: (r: Reward) => boolean): boolean {
  return versions.some((c) => c.rewards.some((r) => r.id === rewardId && r.points === points && matches(r)));
}

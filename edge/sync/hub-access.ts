import type { MemberSummary } from '../../shared/member-summary.ts';
import type { IdentifyBody } from '../../shared/schemas/api.ts';
import type { Log } from '../../shared/cli/log.ts';
import { CLOCK_HEADER } from '../../shared/clock-skew.ts';
import { basicAuth, type HubLinkConfig } from './hub-link.ts';
import type { Replication } from './replication.ts';
import { PoolClaimAnswerSchema, PoolRefusalSchema, type PoolClaimAnswer } from '../../shared/schemas/pool-api.ts';
import { ElsewhereRefundAnswerSchema } from '../../shared/catalogue/exchange-refund.ts';
import { HubDocsSchema, OrderAnswerSchema, ReservationAnswerSchema, type ReservationAnswer } from '../../shared/schemas/store-api.ts';

/** How long the till waits for the hub on a member it does not hold; then it answers without. */
const LOOKUP_TIMEOUT_MS = 1500;
/** A coupon hold is asked on every checkout with coupons: the till waits about a second at most. */
const RESERVE_TIMEOUT_MS = 1000;
/** A decision only the hub makes (a pool claim, another store's exchange refunded): the member is at the counter, the hub writes a few documents. */
const CLAIM_TIMEOUT_MS = 3000;
/** The hub's refusal of a decision, as it answered it. */
type HubRefusal = { error: { code: string; message: string } };
/** A refund of another store's receipt: the shopper is at the counter, the hub has a few reads to do. */
const CHECKOUT_TIMEOUT_MS = 3000;

/**
 * What the edge's services may ask of the hub, and only while it is reachable: a member the
 * replica does not hold, holds on single-use coupons, another store's checkout to refund. Points
 * spent while offline are counted per member, since the store cannot see spending elsewhere
 * (rules.offlineSpendLimit bounds them).
 */
export class HubAccess {
  private readonly spentOffline = new Map<string, number>();

  constructor(
    private readonly link: HubLinkConfig,
    private readonly replication: Replication,
    private readonly log: Log,
    private readonly clock: () => Date,
  ) {
    replication.onStateChange((s) => {
      if (s.state !== 'offline') this.spentOffline.clear();
    });
  }

  /** Reachable as far as replication knows: online, or catching up (also while first connecting). */
  reachable(): boolean {
    return this.replication.state !== 'offline';
  }

  /**
   * The member from the hub, or undefined when the hub has none (or cannot be asked now), with
   * the documents the hub added to this store's database for them (none from an older hub).
   */
  async lookup(body: IdentifyBody): Promise<{ member: MemberSummary; docs: Record<string, unknown>[] } | undefined> {
    if (!this.reachable()) return undefined;
    try {
      const res = await this.call('POST', '/v1/lookup', body, LOOKUP_TIMEOUT_MS);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`hub answered ${res.status}`);
      const answer = (await res.json()) as { member: MemberSummary; docs?: unknown };
      const docs = HubDocsSchema.safeParse(answer.docs ?? []);
      return { member: answer.member, docs: docs.success ? docs.data : [] };
    } catch (err) {
      this.log.warn('hub lookup failed; answering from the replica', { err: String((err as Error)?.message ?? err) });
      return undefined;
    }
  }

  /**
   * Asks the hub to hold single-use coupons for a receipt. 'unknown' when the hub cannot be
   * asked or does not answer in time: the till then follows the offline rules.
   */
  async reserveCoupons(orderId: string, codes: string[]): Promise<ReservationAnswer['reservations'] | 'unknown'> {
    if (!this.reachable() || codes.length === 0) return 'unknown';
    try {
      const res = await this.call('POST', '/v1/coupons/reserve', { orderId, codes }, RESERVE_TIMEOUT_MS);
      if (!res.ok) throw new Error(`hub answered ${res.status}`);
      return ReservationAnswerSchema.parse(await res.json()).reservations;
    } catch (err) {
      this.log.warn('coupon hold at the hub failed; following the offline rules', { err: String((err as Error)?.message ?? err) });
      return 'unknown';
    }
  }

  /**
   * Another store's checkout with the refunds of it the hub knows and its member's documents, as
   * the hub stored them for this store; 'not_found' when the hub has no such checkout,
   * 'unreachable' when it cannot be asked now.
   */
  async checkout(checkoutId: string, timeoutMs = CHECKOUT_TIMEOUT_MS): Promise<Record<string, unknown>[] | 'not_found' | 'unreachable'> {
    if (!this.reachable()) return 'unreachable';
    try {
      const res = await this.call('GET', `/v1/checkouts/${encodeURIComponent(checkoutId)}`, undefined, timeoutMs);
      if (res.status === 404 || res.status === 400) return 'not_found';
      if (!res.ok) throw new Error(`hub answered ${res.status}`);
      return OrderAnswerSchema.parse(await res.json()).docs;
    } catch (err) {
      this.log.warn('checkout lookup at the hub failed', { err: String((err as Error)?.message ?? err) });
      return 'unreachable';
    }
  }

  /**
   * Claims a coupon from a pool at the hub (decision 020): a pool is shared by every store, so
   * only the hub can hand out its next code.
   */
  claimFromPool(poolId: string, body: { memberId: string; requestId: string }): Promise<PoolClaimAnswer | HubRefusal | 'unreachable'> {
    return this.decide(`/v1/coupon-pools/${encodeURIComponent(poolId)}/claims`, body, PoolClaimAnswerSchema, 'pool claim');
  }

  /**
   * Refunds at the hub an exchange another store made (decision 031): only the hub sees every
   * store's refunds, so only it can give one back at most once.
   */
  refundExchange(publicId: string, body: { by: string }): Promise<{ docs: Record<string, unknown>[] } | HubRefusal | 'unreachable'> {
    return this.decide(`/v1/exchanges/${encodeURIComponent(publicId)}/refund`, body, ElsewhereRefundAnswerSchema, 'exchange refund');
  }

  /**
   * Asks the hub for a decision only it can make: its answer, or its refusal as it answered it;
   * 'unreachable' when it cannot be asked now (or answered with a fault of its own).
   */
  private async decide<T>(path: string, body: unknown, answer: { parse(v: unknown): T }, what: string): Promise<T | HubRefusal | 'unreachable'> {
    if (!this.reachable()) return 'unreachable';
    try {
      const res = await this.call('POST', path, body, CLAIM_TIMEOUT_MS);
      const json = (await res.json()) as unknown;
      if (res.ok) return answer.parse(json);
      const refused = PoolRefusalSchema.safeParse(json);
      if (refused.success && res.status < 500) return refused.data;
      throw new Error(`hub answered ${res.status}`);
    } catch (err) {
      this.log.warn(`${what} at the hub failed`, { err: String((err as Error)?.message ?? err) });
      return 'unreachable';
    }
  }

  private call(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<Response> {
    return fetch(`${this.link.hubUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: { authorization: basicAuth(this.link), [CLOCK_HEADER]: this.clock().toISOString(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** Points the member spent here since the hub became unreachable; undefined while it is reachable. */
  offlineSpent(memberId: string): number | undefined {
    return this.reachable() ? undefined : (this.spentOffline.get(memberId) ?? 0);
  }

  noteSpent(memberId: string, points: number): void {
    const spent = this.offlineSpent(memberId);
    if (spent !== undefined && points > 0) this.spentOffline.set(memberId, spent + points);
  }
}

import type { MemberSummary } from '../../shared/member-summary.ts';
import type { IdentifyBody } from '../../shared/schemas/api.ts';
import type { Log } from '../../shared/cli/log.ts';
import { basicAuth, type HubLinkConfig } from './hub-link.ts';
import type { Replication } from './replication.ts';

/** How long the till waits for the hub on a member it does not hold; then it answers without. */
const LOOKUP_TIMEOUT_MS = 1500;

/**
 * What the edge's services may ask of the hub, and only while it is reachable: a member the
 * replica does not hold. Points spent while offline are counted per member, since the store
 * cannot see spending elsewhere (rules.offlineSpendLimit bounds them).
 */
export class HubAccess {
  private readonly spentOffline = new Map<string, number>();

  constructor(
    private readonly link: HubLinkConfig,
    private readonly replication: Replication,
    private readonly log: Log,
  ) {
    replication.onStateChange((s) => {
      if (s.state !== 'offline') this.spentOffline.clear();
    });
  }

  /** Reachable as far as replication knows: online, or catching up (also while first connecting). */
  reachable(): boolean {
    return this.replication.state !== 'offline';
  }

  /** The member from the hub, or undefined when the hub has none (or cannot be asked now). */
  async lookup(body: IdentifyBody): Promise<MemberSummary | undefined> {
    if (!this.reachable()) return undefined;
    try {
      const res = await fetch(`${this.link.hubUrl.replace(/\/$/, '')}/v1/lookup`, {
        method: 'POST',
        headers: { authorization: basicAuth(this.link), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
      });
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`hub answered ${res.status}`);
      return ((await res.json()) as { member: MemberSummary }).member;
    } catch (err) {
      this.log.warn('hub lookup failed; answering from the replica', { err: String((err as Error)?.message ?? err) });
      return undefined;
    }
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

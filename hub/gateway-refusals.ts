/** Why and when the gateway last turned a store's request away. */
export interface Refusal {
  at: string;
  status: number;
  code: string;
  reason: string;
}

/** Enough for any real fleet; beyond it the oldest entries go, so made-up ids cannot grow it. */
const MAX_STORES = 10_000;

/**
 * The last request the gateway refused per store, for the fleet view: a disabled store's node
 * keeps knocking with its old credentials, and its own heartbeat cannot reach the hub to say so.
 */
export class GatewayRefusals {
  private readonly last = new Map<string, Refusal>();

  note(storeId: string, refusal: Refusal): void {
    this.last.delete(storeId);
    this.last.set(storeId, refusal);
    if (this.last.size > MAX_STORES) this.last.delete(this.last.keys().next().value!);
  }

  get(storeId: string): Refusal | undefined {
    return this.last.get(storeId);
  }
}

/** The store id a Basic header claims (before any check), or undefined. */
export function claimedStoreId(header: string | undefined): string | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : undefined;
}

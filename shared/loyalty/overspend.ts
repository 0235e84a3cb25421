import type { MemberIndex } from '../member-index.ts';
import type { LedgerDoc } from '../schemas/documents.ts';

/**
 * The first spend, in the order given (orderForOverspend), that took the member's balance below
 * zero, with that balance; undefined when none did. Every entry counts in the balance, the
 * hub's adjustments too, but an adjustment is never itself the overspend: it is an operator's
 * claw-back, which may take a balance below zero on purpose, not a store letting a member spend
 * points they did not have. `index` is folded forward as the entries are read.
 *
 * @example firstOverspend(new MemberIndex(), 'M1', [earn100, adjustMinus300]) // undefined: the claw-back is no overspend
 */
export function firstOverspend(index: MemberIndex, memberId: string, ledger: readonly LedgerDoc[]): { entry: LedgerDoc; balance: number } | undefined {
  for (const entry of ledger) {
    index.apply(entry);
    if (entry.delta >= 0 || entry.reason === 'adjust') continue;
    const balance = index.balance(memberId, entry.day).balance;
    if (balance < 0) return { entry, balance };
  }
  return undefined;
}

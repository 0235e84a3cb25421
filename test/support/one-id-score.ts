import { readFileSync } from 'node:fs';
import { isJunkKey, recordKeys } from '../../shared/one-id/keys.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';

/** record id → true person, from the channel generator's ground truth file. */
export function readTruth(file: string): Map<string, string> {
  const truth = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [record, person] = line.split('\t');
    if (record && person) truth.set(record, person);
  }
  return truth;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/**
 * Links found against the truth, counted over pairs of records. Precision: of the pairs put in
 * one member, the share that are one person. Recall: of the pairs of one person connected by
 * real keys (a key only that person's records carry, not a junk value), the share put in one
 * member. Also the members that hold more than one true person.
 */
export function scoreLinks(records: readonly SourceRecord[], truth: Map<string, string>, memberOf: (recordId: string) => string) {
  const personOf = (id: string) => truth.get(id) ?? `?${id}`;
  const carriers = new Map<string, Set<string>>();
  for (const r of records) for (const k of recordKeys(r.identities)) (carriers.get(k) ?? carriers.set(k, new Set()).get(k)!).add(personOf(r.id));
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  const firstWithKey = new Map<string, string>();
  for (const r of records) {
    parent.set(r.id, r.id);
    for (const k of recordKeys(r.identities)) {
      if (carriers.get(k)!.size !== 1 || isJunkKey(k)) continue;
      const other = firstWithKey.get(k);
      if (other === undefined) firstWithKey.set(k, r.id);
      else parent.set(find(r.id), find(other));
    }
  }
  const count = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const member = new Map<string, number>();
  const memberPerson = new Map<string, number>();
  const linkable = new Map<string, number>();
  const memberLinkable = new Map<string, number>();
  const peopleIn = new Map<string, Set<string>>();
  for (const r of records) {
    const m = memberOf(r.id);
    const person = personOf(r.id);
    const comp = find(r.id);
    count(member, m);
    count(memberPerson, `${m}\u0000${person}`);
    count(linkable, comp);
    count(memberLinkable, `${m}\u0000${comp}`);
    (peopleIn.get(m) ?? peopleIn.set(m, new Set()).get(m)!).add(person);
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + pairs(n), 0);
  const predicted = sum(member);
  const reachable = sum(linkable);
  return {
    precision: predicted === 0 ? 1 : sum(memberPerson) / predicted,
    recall: reachable === 0 ? 1 : sum(memberLinkable) / reachable,
    linkablePairs: reachable,
    membersWithTwoPeople: [...peopleIn.values()].filter((p) => p.size > 1).length,
  };
}

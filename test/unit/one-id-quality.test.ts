import { describe, it, expect } from 'vitest';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { day, phone } from './one-id-fixtures.ts';

/** A tiny deterministic generator (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK = '+8613800000000';
const SHOP = phone(99_999);

/**
 * People with 1-4 channel records; the records of one person always share a real key. 50 store
 * records carry the junk phone and 30 the shop's own phone instead of the customer's; those
 * link to the person's other records through the membership card.
 */
function people(n: number, seed: number): { records: SourceRecord[]; truth: Map<string, number> } {
  const rand = rng(seed);
  const records: SourceRecord[] = [];
  const truth = new Map<string, number>();
  let junk = 50;
  let shop = 30;
  for (let p = 0; p < n; p++) {
    const own = phone(p);
    const card = `VIP${String(p).padStart(6, '0')}`;
    const channels = ['crm', 'store', 'wx', 'tmall'].slice(0, 1 + Math.floor(rand() * 4));
    for (const source of channels) {
      const id = `${source}:${p}`;
      truth.set(id, p);
      const ids: SourceRecord['identities'] = {};
      if (source === 'crm') Object.assign(ids, { phone: own, cardNo: card });
      if (source === 'store') {
        const fake = junk > 0 ? (junk--, JUNK) : shop > 0 ? (shop--, SHOP) : undefined;
        Object.assign(ids, fake ? { phone: fake, cardNo: card } : { phone: own });
      }
      if (source === 'wx') Object.assign(ids, { phone: own, unionId: `oU_person_${p}`, openIds: [{ appId: 'wxmini', openId: `oOpen_${p}_x` }] });
      if (source === 'tmall') Object.assign(ids, { phone: own, buyerNick: `buyer${p}` });
      records.push({ id, source, observedAt: day(Math.floor(rand() * 300)), identities: ids, profile: { name: `P${p}` } });
    }
  }
  return { records, truth };
}

const pairs = (k: number) => (k * (k - 1)) / 2;

describe('Resolver quality on generated people', () => {
  it('links every person exactly, and no junk or shop phone joins two people', () => {
    const { records, truth } = people(2000, 7);
    const r = new Resolver({ sourcePriority: ['crm', 'store', 'wx', 'tmall'] });
    for (const x of records) r.add(x);
    const check = () => {
      let predicted = 0;
      let truePairs = 0;
      for (const recs of r.partition().values()) {
        predicted += pairs(recs.length);
        const byPerson = new Map<number, number>();
        for (const id of recs) byPerson.set(truth.get(id)!, (byPerson.get(truth.get(id)!) ?? 0) + 1);
        for (const c of byPerson.values()) truePairs += pairs(c);
      }
      const perPerson = new Map<number, number>();
      for (const p of truth.values()) perPerson.set(p, (perPerson.get(p) ?? 0) + 1);
      let actual = 0;
      for (const c of perPerson.values()) actual += pairs(c);
      return { precision: truePairs / predicted, recall: truePairs / actual };
    };
    expect(check()).toEqual({ precision: 1, recall: 1 });
    expect(r.quarantined().map((q) => [q.key, q.reason])).toEqual([
      [`phone:${JUNK}`, 'junk'],
      [`phone:${SHOP}`, 'limit'],
    ]);
    for (const id of r.memberIds()) {
      for (const l of r.member(id)!.links) expect([`phone:${JUNK}`, `phone:${SHOP}`]).not.toContain(l.key);
    }
    r.resolveAll();
    expect(check()).toEqual({ precision: 1, recall: 1 });
  });
});

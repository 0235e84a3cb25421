import { RULES_ID } from '../../shared/doc-ids.ts';
import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import type { SpendFact } from '../../shared/loyalty/tiers.ts';
import type { Coupon } from '../../shared/schemas/coupon.ts';
import { AnyDocSchema, CouponDocSchema, MemberDocSchema, type AnyDoc, type MemberDoc } from '../../shared/schemas/documents.ts';
import { LoyaltyRulesSchema, type LoyaltyRules } from '../../shared/schemas/rules.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB, factIdOf, factKey } from '../couch/databases.ts';
import type { HubMembers } from '../members.ts';

export interface Verdict {
  accepted: AnyDoc[];
  quarantined: { doc: AnyDoc; reason: string }[];
}

/** Members first, then keys and receipts, then what refers to them: a batch may hold both. */
const ORDER_OF_JUDGING = ['member', 'idk', 'order', 'refund', 'event', 'redeem', 'pts'];

/**
 * Judges a batch of one store's new facts (shared/fact-checks.ts) with what the hub knows,
 * gathered in a few reads: the rules' versions, the members named, the facts referred to, the
 * coupons redeemed and, for receipts that claim a tier above the first, the member's receipts.
 * Facts are judged in dependency order, each accepted one becoming evidence for the next.
 */
export async function judgeFacts(deps: { couch: Couch; members: HubMembers }, storeId: string, docs: AnyDoc[]): Promise<Verdict> {
  const { couch, members } = deps;
  if (docs.length === 0) return { accepted: [], quarantined: [] };
  const rules = await rulesVersions(couch);
  const canonical = (id: string) => members.canonical(id);

  const memberIds = new Set<string>();
  for (const d of docs) {
    const id = d.type === 'member' ? d.id : 'memberId' in d ? d.memberId : undefined;
    if (id !== undefined) memberIds.add(id).add(canonical(id));
  }
  const ids = [...memberIds];
  const profiles = new Map<string, MemberDoc>();
  for (const doc of await couch.fetchDocs(DB.members, ids.map((id) => `member:${id}`))) {
    const m = doc && MemberDocSchema.safeParse(doc);
    if (m?.success) profiles.set(m.data.id, m.data);
  }
  const stores = new Map(await Promise.all(ids.map(async (id) => [id, await members.relevantStores(id)] as const)));

  // Facts referred to, under the ids the store may have used for the member.
  const facts = new Map<string, AnyDoc>();
  const wanted = new Set<string>();
  const under = (memberId: string | undefined, id: string) => {
    if (memberId === undefined) wanted.add(factKey(undefined, id));
    else for (const m of new Set([memberId, canonical(memberId)])) wanted.add(factKey(m, id));
  };
  const codes = new Map<string, string>();
  for (const d of docs) {
    if (d.type === 'pts') under(d.memberId, d.ref);
    if (d.type === 'refund') under(d.memberId, d.orderId);
    if (d.type === 'redeem') {
      under(d.memberId, d.orderId);
      codes.set(d.code, d.memberId);
    }
    if (d.type === 'order' && d.memberId !== undefined) for (const c of d.coupons) codes.set(c.code, d.memberId);
  }
  for (const [code, memberId] of codes) {
    const target = canonical(memberId);
    for (const m of new Set([memberId, target, ...(await members.mergedInto(target))])) wanted.add(factKey(m, `coupon:${code}`));
  }
  const coupons = new Map<string, Coupon>();
  for (const doc of await couch.fetchDocs(DB.facts, [...wanted])) {
    if (!doc) continue;
    const id = factIdOf(doc._id);
    if (doc.type === 'coupon') {
      const c = CouponDocSchema.safeParse(doc);
      if (c.success) coupons.set(c.data.code, c.data);
      continue;
    }
    const f = AnyDocSchema.safeParse({ ...doc, _id: id });
    if (f.success) facts.set(id, f.data);
  }

  // Receipts of members whose receipts claim a tier that earns more than the first.
  const spend = new Map<string, Map<string, SpendFact>>();
  for (const d of docs) {
    if (d.type !== 'order' || d.memberId === undefined || d.tier === undefined) continue;
    const raises = rules.some((r) => (r.tiers.find((t) => t.code === d.tier)?.multiplierPct ?? 0) > r.tiers[0]!.multiplierPct);
    const target = canonical(d.memberId);
    if (!raises || spend.has(target)) continue;
    const receipts = new Map<string, SpendFact>();
    for (const m of [target, ...(await members.mergedInto(target))]) {
      for (const o of await couch.range(DB.facts, { startkey: `m:${m}:order:`, endkey: `m:${m}:order:\ufff0` }, 100_000)) {
        receipts.set(factIdOf(o._id), { day: String(o.day), cents: Number(o.payableCents) || 0 });
      }
    }
    spend.set(target, receipts);
  }

  const ev: FactEvidence = {
    storeId,
    rules,
    canonical,
    knownHere: (id) => profiles.get(id)?.registeredStoreId === storeId || [id, canonical(id)].some((m) => stores.get(m)?.includes(storeId)),
    member: (id) => profiles.get(id),
    fact: (id) => facts.get(id),
    coupon: (code) => coupons.get(code),
    spend: (id, except) => [...(spend.get(canonical(id)) ?? new Map<string, SpendFact>())].flatMap(([orderId, f]) => (orderId === except ? [] : [f])),
  };

  const verdict: Verdict = { accepted: [], quarantined: [] };
  const rank = (d: AnyDoc) => ORDER_OF_JUDGING.indexOf(d.type);
  for (const doc of [...docs].sort((a, b) => rank(a) - rank(b))) {
    const reason = factRefusal(doc, ev);
    if (reason) {
      verdict.quarantined.push({ doc, reason });
      continue;
    }
    verdict.accepted.push(doc);
    if (doc.type === 'member') profiles.set(doc.id, doc);
    else facts.set(doc._id, doc);
    if (doc.type === 'order' && doc.memberId !== undefined) spend.get(canonical(doc.memberId))?.set(doc._id, { day: doc.day, cents: doc.payableCents });
  }
  return verdict;
}

/** Every version of the rules the hub has had: the current one and those it replaced. */
async function rulesVersions(couch: Couch): Promise<LoyaltyRules[]> {
  const docs = await couch.range<Doc & { rules?: unknown }>(DB.registry, { startkey: RULES_ID, endkey: `${RULES_ID}@\ufff0` });
  return docs.flatMap((d) => {
    const r = LoyaltyRulesSchema.safeParse(d.rules);
    return r.success ? [r.data] : [];
  });
}

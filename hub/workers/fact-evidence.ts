import { factRefusal, type FactEvidence } from '../../shared/fact-checks.ts';
import type { SpendFact } from '../../shared/loyalty/tiers.ts';
import type { Coupon } from '../../shared/schemas/coupon.ts';
import { AnyDocSchema, CouponDocSchema, MemberDocSchema, type AnyDoc, type MemberDoc } from '../../shared/schemas/documents.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB, factIdOf, factKey, storeDbName } from '../couch/databases.ts';
import type { HubMembers } from '../members.ts';
import { rulesVersions } from '../rules.ts';
import { exchangeEvidence } from '../catalogue/catalogue.ts';
import { productAttributes } from '../products/service.ts';
import { isTierGift } from '../tier-gifts.ts';

export interface Verdict {
  /** The batch's facts the hub takes in, and those of the store's later ones it had to judge first. */
  accepted: AnyDoc[];
  quarantined: { doc: AnyDoc; reason: string }[];
}

/** Members first, then keys and receipts, then what refers to them. */
const ORDER_OF_JUDGING = ['member', 'idk', 'exchange', 'coupon', 'exchange-refund', 'order', 'refund', 'event', 'redeem', 'pts', 'consent'];
/** How many times a fact's references are looked for further on in the store's database. */
const LOOKAHEAD_ROUNDS = 3;

const refOf = (d: AnyDoc): string | undefined =>
  d.type === 'pts' ? d.ref : d.type === 'refund' || d.type === 'redeem' ? d.orderId : d.type === 'exchange-refund' || d.type === 'coupon' ? d.exchangeId : undefined;

/**
 * Judges a batch of one store's new facts (shared/fact-checks.ts) with what the hub knows,
 * gathered in a few reads: the rules' versions, the members named, the facts referred to, the
 * coupons redeemed and, for receipts that claim a tier above the first, the member's receipts.
 * `central` holds documents of the central facts database the caller has read already, by key
 * (absent ones as undefined).
 *
 * The store's database at the hub is not in the store's order: PouchDB pushes each batch of
 * changes in id order, so a receipt's points or a refund's order may sit in the store's next
 * batch. A reference found neither centrally nor in the batch is looked for there, and judged
 * with the batch (it is then held centrally, and not judged again when its turn comes).
 */
export async function judgeFacts(deps: { couch: Couch; members: HubMembers; clock?: () => Date }, storeId: string, batch: AnyDoc[], central: ReadonlyMap<string, Doc | undefined> = new Map()): Promise<Verdict> {
  const { couch, members } = deps;
  if (batch.length === 0) return { accepted: [], quarantined: [] };
  const rules = await rulesVersions(couch);
  const canonical = (id: string) => members.canonical(id);
  const storeDb = storeDbName(storeId);

  const facts = new Map<string, AnyDoc>();
  const coupons = new Map<string, Coupon>();
  const docs = [...batch];
  const inBatch = new Set(docs.map((d) => d._id));
  await readCentral(docs);
  for (let round = 0; round < LOOKAHEAD_ROUNDS; round++) {
    const missing = [...new Set(docs.flatMap((d) => refOf(d) ?? []))].filter((id) => !facts.has(id) && !inBatch.has(id));
    if (missing.length === 0) break;
    const ahead = (await couch.fetchDocs(storeDb, missing)).flatMap((d) => {
      const parsed = d && AnyDocSchema.safeParse(d);
      return parsed?.success && 'storeId' in parsed.data && parsed.data.storeId === storeId ? [parsed.data] : [];
    });
    if (ahead.length === 0) break;
    for (const d of ahead) inBatch.add(d._id);
    docs.push(...ahead);
    await readCentral(ahead);
  }

  // Vesting (decision 018): a claw-back's vesting day is judged by its refund's order, two
  // references away; a refund the hub already holds brings no order of its own to the batch.
  const heldRefunds = docs.flatMap((d) => {
    const refund = d.type === 'pts' && d.reason === 'clawback' ? facts.get(d.ref) : undefined;
    return refund?.type === 'refund' && !facts.has(refund.orderId) && !inBatch.has(refund.orderId) ? [refund] : [];
  });
  if (heldRefunds.length > 0) await readCentral(heldRefunds);

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
  // A member registered at this store whose profile sits further on in its database (PouchDB
  // pushes in id order: `event:…:register` and `order:…` before `member:…`; the 10-minute chaos
  // run quarantined 11 registrations so). The store's own registration is the evidence
  // meanwhile; it is judged itself when its turn comes.
  const unknown = ids.filter((id) => !profiles.has(id));
  for (const doc of await couch.fetchDocs(storeDb, unknown.map((id) => `member:${id}`))) {
    const m = doc && MemberDocSchema.safeParse(doc);
    if (m?.success && m.data.registeredStoreId === storeId) profiles.set(m.data.id, m.data);
  }
  const stores = await members.relevantStoresOf(ids);
  const spend = await receiptsOf(docs);
  // Coupons (tier gifts, exchanges') and exchanges are rare: the catalogue's and templates' versions are read only for a batch that has one.
  const exchanges = docs.some((d) => d.type === 'exchange' || d.type === 'coupon') ? await exchangeEvidence(couch) : undefined;
  // The product master, only while some version of the rules rates lines (decision 017).
  const master = rules.some((r) => (r.earning?.lineRules.length ?? 0) > 0) && docs.some((d) => d.type === 'order') ? await productAttributes(couch) : undefined;

  const ev: FactEvidence = {
    storeId,
    rules,
    canonical,
    knownHere: (id) => profiles.get(id)?.registeredStoreId === storeId || [id, canonical(id)].some((m) => stores.get(m)?.includes(storeId)),
    member: (id) => profiles.get(id),
    fact: (id) => facts.get(id),
    coupon: (code) => coupons.get(code),
    spend: (id, except) => [...(spend.get(canonical(id)) ?? new Map<string, SpendFact>())].flatMap(([orderId, f]) => (orderId === except ? [] : [f])),
    now: deps.clock?.() ?? new Date(),
    templates: (id: string) => exchanges?.templates.get(id) ?? [],
    ...(exchanges ? { catalogues: exchanges.catalogues } : {}),
    ...(master ? { product: (sku: string) => master.get(sku) } : {}),
  };

  const verdict: Verdict = { accepted: [], quarantined: [] };
  const rank = (d: AnyDoc) => ORDER_OF_JUDGING.indexOf(d.type);
  for (const doc of docs.sort((a, b) => rank(a) - rank(b))) {
    const reason = factRefusal(doc, ev);
    if (reason) {
      verdict.quarantined.push({ doc, reason });
      continue;
    }
    verdict.accepted.push(doc);
    if (doc.type === 'member') profiles.set(doc.id, doc);
    else if (doc.type === 'coupon') coupons.set(doc.code, doc);
    else facts.set(doc._id, doc);
    // An exchange's coupon, once accepted, is one the hub knows: a receipt of the batch may redeem it.
    if (doc.type === 'coupon') coupons.set(doc.code, doc);
  }
  return verdict;

  /** The facts and coupons these documents refer to, from the central databases. */
  async function readCentral(some: AnyDoc[]): Promise<void> {
    const wanted = new Set<string>();
    const under = (memberId: string | undefined, id: string) => {
      if (memberId === undefined) wanted.add(factKey(undefined, id));
      else for (const m of new Set([memberId, canonical(memberId)])) wanted.add(factKey(m, id));
    };
    const codes = new Map<string, string>();
    for (const d of some) {
      const ref = refOf(d);
      if (ref !== undefined) under('memberId' in d ? d.memberId : undefined, ref);
      if (d.type === 'redeem') codes.set(d.code, d.memberId);
      if (d.type === 'order' && d.memberId !== undefined) for (const c of d.coupons) codes.set(c.code, d.memberId);
    }
    for (const [code, memberId] of codes) {
      if (coupons.has(code)) continue;
      const target = canonical(memberId);
      for (const m of new Set([memberId, target, ...(await members.mergedInto(target))])) wanted.add(factKey(m, `coupon:${code}`));
    }
    // Keys the caller read already (a receipt's points usually arrive with the receipt, whose
    // key the ingest has just looked up) are not asked for again.
    const keys = [...wanted];
    const toRead = keys.filter((k) => !central.has(k));
    const fetched = await couch.fetchDocs(DB.facts, toRead);
    const read = new Map(toRead.map((k, i) => [k, fetched[i]]));
    for (const key of keys) {
      const doc = central.has(key) ? central.get(key) : read.get(key);
      if (!doc) continue;
      if (doc.type === 'coupon') {
        const c = CouponDocSchema.safeParse(doc);
        if (c.success) coupons.set(c.data.code, c.data);
        continue;
      }
      const id = factIdOf(doc._id);
      const f = AnyDocSchema.safeParse({ ...doc, _id: id });
      if (f.success) facts.set(id, f.data);
    }
  }

  /**
   * Every receipt the store can have known of, for members whose receipts here claim a tier
   * that earns more than the first: those the hub holds from every store, those in the batch,
   * and the store's own further on in its database (found through their points entries, which
   * are keyed by member). An upper bound of the store's view: refunds are left out.
   */
  async function receiptsOf(all: AnyDoc[]): Promise<Map<string, Map<string, SpendFact>>> {
    const out = new Map<string, Map<string, SpendFact>>();
    const add = (target: string, id: string, day: unknown, cents: unknown) => out.get(target)!.set(id, { day: String(day), cents: Number(cents) || 0 });
    for (const d of all) {
      // A tier gift is judged by the tier the receipts reach, too (decision 019).
      const gift = isTierGift(d);
      if (!gift && (d.type !== 'order' || d.memberId === undefined || d.tier === undefined)) continue;
      const raises = gift || (d.type === 'order' && rules.some((r) => (r.tiers.find((t) => t.code === d.tier)?.multiplierPct ?? 0) > r.tiers[0]!.multiplierPct));
      const target = canonical((d as { memberId: string }).memberId);
      if (!raises || out.has(target)) continue;
      out.set(target, new Map());
      const ids = [target, ...(await members.mergedInto(target))];
      const alsoHere = new Set<string>();
      for (const m of ids) {
        for (const o of await couch.range(DB.facts, { startkey: `m:${m}:order:`, endkey: `m:${m}:order:\ufff0` }, 100_000)) add(target, factIdOf(o._id), o.day, o.payableCents);
        for (const p of (await couch.db(storeDb).list({ startkey: `pts:${m}:earn:`, endkey: `pts:${m}:earn:\ufff0`, limit: 100_000 })).rows) alsoHere.add(`order:${p.id.slice(`pts:${m}:earn:`.length)}`);
      }
      const unseen = [...alsoHere].filter((id) => !out.get(target)!.has(id));
      for (const o of await couch.fetchDocs(storeDb, unseen)) if (o?.type === 'order') add(target, o._id, o.day, o.payableCents);
      for (const o of all) if (o.type === 'order' && o.memberId !== undefined && canonical(o.memberId) === target) add(target, o._id, o.day, o.payableCents);
    }
    return out;
  }
}

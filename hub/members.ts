import { docId, RULES_ID } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { keyOfIdentity, memberKeys, type IdentityInput } from '../shared/identity-keys.ts';
import { localDate } from '../shared/local-time.ts';
import { MemberIndex } from '../shared/member-index.ts';
import { memberSummary, type MemberSummary } from '../shared/member-summary.ts';
import type { MemberDoc } from '../shared/schemas/documents.ts';
import { content, stripRev, type Couch, type Doc } from './couch/couch.ts';
import { DB, factIdOf, memberFactRange, storeDbName } from './couch/databases.ts';

interface RelevanceDoc extends Doc {
  type: 'relevance';
  memberId: string;
  /** Stores besides the home store that serve this member (it was looked up or bought there). */
  stores: string[];
}

/** A document's id in a store database: a redemption goes in as `redeem:<code>@<store>` (see projectTo). */
const projectedId = (d: Doc) => (d.type === 'redeem' ? `${d._id}@${String(d.storeId)}` : d._id);

/** The members One-ID merged into this one, transitively: their documents are the survivor's too. */
interface MergedDoc extends Doc {
  type: 'merged';
  memberId: string;
  ids: string[];
}

const relKey = (memberId: string) => `rel:${memberId}`;
const mergedKey = (memberId: string) => `merged:${memberId}`;
const copyKey = (memberId: string, storeId: string) => `copy:${memberId}:${storeId}`;
const CACHE_LIMIT = 200_000;

/**
 * Members at the hub: where each is relevant, what a store's replica must hold of them, and
 * their state computed from every store's facts.
 */
export class HubMembers {
  /** memberId → stores that hold the member; bounded, refilled from the database on a miss. */
  private readonly relevant = new Map<string, string[]>();
  /** One-ID merges of store members: merged-away id → survivor (alias documents). */
  private readonly aliases = new Map<string, string>();

  constructor(private readonly couch: Couch) {}

  async memberDoc(memberId: string): Promise<(MemberDoc & Doc) | undefined> {
    return this.couch.get<MemberDoc & Doc>(DB.members, docId.member(memberId));
  }

  /** The stores whose replicas hold the member: the home store and those added since. */
  async relevantStores(memberId: string): Promise<string[]> {
    const hit = this.relevant.get(memberId);
    if (hit) return hit;
    const [member, rel] = await this.couch.fetchDocs<Doc>(DB.members, [docId.member(memberId), relKey(memberId)]);
    return this.learnStores(memberId, member, rel);
  }

  /**
   * relevantStores of many members, those not remembered read in one request: a backlog of a
   * store's receipts names hundreds of members per batch, and one request each was most of
   * what the ingest asked of the database.
   */
  async relevantStoresOf(memberIds: string[]): Promise<Map<string, string[]>> {
    const ids = [...new Set(memberIds)];
    const out = new Map<string, string[]>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.relevant.get(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    const docs = await this.couch.fetchDocs<Doc>(DB.members, missing.flatMap((id) => [docId.member(id), relKey(id)]));
    missing.forEach((id, i) => out.set(id, this.learnStores(id, docs[2 * i], docs[2 * i + 1])));
    return out;
  }

  private learnStores(memberId: string, member: Doc | undefined, rel: Doc | undefined): string[] {
    const stores = [...new Set([...(member ? [String(member.homeStoreId)] : []), ...((rel as RelevanceDoc | undefined)?.stores ?? [])])];
    // A member the hub has no profile of yet (a registration on its way in) is not remembered:
    // the profile, when it arrives, brings the home store.
    if (member) this.remember(memberId, stores);
    return this.relevant.get(memberId) ?? stores;
  }

  /**
   * A store is to serve the member from now on and is about to be sent their documents. The
   * intent is written first (`copy:<member>:<store>`) and removed once the copy is made: a hub
   * that dies in between makes the copy on its next start (resumeCopies), else the store would be
   * listed as serving a member it never received.
   */
  async serveAt(memberId: string, storeId: string): Promise<void> {
    await this.couch.insertNew(DB.members, [{ _id: copyKey(memberId, storeId), type: 'copy', memberId, storeId }]);
    await this.addRelevance(memberId, storeId);
  }

  /** The copy serveAt announced is made. */
  async copied(memberId: string, storeId: string): Promise<void> {
    const doc = await this.couch.get(DB.members, copyKey(memberId, storeId));
    if (doc?._rev) await this.couch.db(DB.members).destroy(doc._id, doc._rev).catch(() => {});
  }

  /** Copies announced by serveAt that a stopped hub did not finish: made now. */
  async resumeCopies(): Promise<number> {
    const pending = await this.couch.range(DB.members, { startkey: 'copy:', endkey: 'copy:\ufff0' }, 100_000);
    for (const p of pending) {
      const memberId = this.canonical(String(p.memberId));
      // The hub may have died between announcing the copy and listing the store as serving the
      // member: listed first, or the store holds the member and the hub quarantines its facts
      // as a member it does not serve (found by the 10-minute chaos run).
      await this.addRelevance(memberId, String(p.storeId));
      await this.projectTo([String(p.storeId)], await this.docsOf(memberId));
      await this.copied(String(p.memberId), String(p.storeId));
    }
    return pending.length;
  }

  /** Marks a store as serving the member; true when it is new there. */
  async addRelevance(memberId: string, storeId: string): Promise<boolean> {
    const stores = await this.relevantStores(memberId);
    if (stores.includes(storeId)) return false;
    const saved = await this.couch.update<RelevanceDoc>(DB.members, relKey(memberId), (cur) =>
      cur?.stores.includes(storeId) ? undefined : { _id: relKey(memberId), type: 'relevance', memberId, stores: [...(cur?.stores ?? []), storeId] },
    );
    this.remember(memberId, [...stores, ...(saved?.stores ?? []), storeId]);
    return true;
  }

  /**
   * Stores only ever join a member, so what is remembered is the union with what is remembered
   * already: two lookups of one member at once each saw the other's store missing, and the one
   * remembered last lost the other's store (the hub then quarantined that store's facts and
   * projected nothing to it; found by the chaos run).
   */
  private remember(memberId: string, stores: string[]) {
    const known = this.relevant.get(memberId);
    if (!known && this.relevant.size >= CACHE_LIMIT) this.relevant.delete(this.relevant.keys().next().value!);
    this.relevant.set(memberId, known ? [...new Set([...known, ...stores])] : stores);
  }

  /** The ids merged into a member so far (their facts are the member's). */
  async mergedInto(memberId: string): Promise<string[]> {
    return (await this.couch.get<MergedDoc>(DB.members, mergedKey(memberId)))?.ids ?? [];
  }

  /**
   * Everything a store's replica needs of one member: profile, identity keys, facts, coupons,
   * and the same of every member merged into it, with the alias documents that say so.
   */
  async docsOf(memberId: string): Promise<Doc[]> {
    return (await this.read(memberId)).docs;
  }

  /**
   * docsOf, and the member's own facts among them. What does not wait on another read is asked
   * at once: one after the other, a member's six reads were most of a member page's 50 ms.
   */
  private async read(memberId: string): Promise<{ docs: Doc[]; ownFacts: Doc[] }> {
    const [merged, own] = await Promise.all([this.mergedInto(memberId), this.ownDocsOf(memberId)]);
    if (merged.length === 0) return { docs: own.docs, ownFacts: own.facts };
    const [aliases, ...others] = await Promise.all([this.couch.fetchDocs(DB.members, merged.map(docId.alias)), ...merged.map((id) => this.ownDocsOf(id))]);
    return { docs: [...own.docs, ...others.flatMap((o) => o.docs), ...aliases.filter((d): d is Doc => !!d)], ownFacts: own.facts };
  }

  private async ownDocsOf(memberId: string): Promise<{ docs: Doc[]; facts: Doc[] }> {
    const [member, facts] = await Promise.all([this.memberDoc(memberId), this.factsOf(memberId)]);
    if (!member) return { docs: [], facts: [] };
    const keys = (await this.couch.fetchDocs(DB.members, memberKeys(member).map(docId.idk))).filter((d): d is Doc => !!d && d.memberId === memberId);
    return { docs: [member, ...keys, ...facts], facts };
  }

  /** Reads the merges made so far (few: members merged at stores, not imported records). */
  async loadAliases(): Promise<void> {
    for (const a of await this.couch.range(DB.members, { startkey: 'alias:', endkey: 'alias:\ufff0' }, 10_000_000)) if (!a.undoneAt) this.aliases.set(String(a.from), String(a.to));
  }

  /** The member this one was merged into directly, if it was. */
  aliasOf(memberId: string): string | undefined {
    return this.aliases.get(memberId);
  }

  /** The member an id stands for now: itself, or the survivor of the merges it went into. */
  canonical(memberId: string): string {
    let id = memberId;
    for (let to = this.aliases.get(id); to !== undefined && to !== memberId; to = this.aliases.get(id)) id = to;
    return id;
  }

  /**
   * One-ID found that two store members are one person: `loser` goes into `survivor`. The alias
   * document and both members' documents reach every store that held either, so each till
   * identifies the survivor by the keys of both and counts the points and coupons of both.
   */
  async merge(loser: string, survivor: string, at: Date): Promise<void> {
    const target = this.canonical(survivor);
    if (target === loser || this.canonical(loser) === target) return;
    const alias = { _id: docId.alias(loser), type: 'alias', from: loser, to: target, at: at.toISOString() };
    await this.couch.update(DB.members, alias._id, (cur) => (cur && !cur.undoneAt && cur.to === target ? undefined : alias));
    this.aliases.set(loser, target);
    const carried = await this.mergedInto(loser);
    await this.couch.update<MergedDoc>(DB.members, mergedKey(target), (cur) => {
      const ids = [...new Set([...(cur?.ids ?? []), loser, ...carried])];
      return cur && ids.length === cur.ids.length ? undefined : { _id: mergedKey(target), type: 'merged', memberId: target, ids };
    });
    const stores = [...new Set([...(await this.relevantStores(target)), ...(await this.relevantStores(loser))])];
    const docs = await this.docsOf(target);
    for (const storeId of stores) await this.addRelevance(target, storeId);
    await this.projectTo(stores, docs);
  }

  /**
   * An operator split apart two store members One-ID had merged: the alias is marked undone and
   * reaches every store that held either, where each member again has the facts written under
   * their own id (those written under the survivor's id while merged stay the survivor's).
   */
  async unmerge(loser: string, at: Date): Promise<void> {
    const to = this.aliases.get(loser);
    if (to === undefined) return;
    const target = this.canonical(loser);
    const alias = await this.couch.update(DB.members, docId.alias(loser), (cur) => (cur && !cur.undoneAt ? { ...cur, undoneAt: at.toISOString() } : undefined));
    this.aliases.delete(loser);
    // The loser leaves every member up the chain with the ids merged into it.
    const carried = new Set([loser, ...(await this.mergedInto(loser))]);
    for (let id: string | undefined = to; id !== undefined; id = this.aliases.get(id)) {
      await this.couch.update<MergedDoc>(DB.members, mergedKey(id), (cur) => {
        const ids = cur?.ids.filter((x) => !carried.has(x));
        return cur && ids && ids.length < cur.ids.length ? { ...cur, ids } : undefined;
      });
    }
    const stores = [...new Set([...(await this.relevantStores(target)), ...(await this.relevantStores(loser))])];
    if (alias) await this.projectTo(stores, [alias]);
  }

  /** The member's facts from every store (and coupons), under the ids the stores use. */
  async factsOf(memberId: string): Promise<Doc[]> {
    return (await this.couch.range(DB.facts, memberFactRange(memberId))).map((f) => ({ ...f, _id: factIdOf(f._id) }));
  }

  /**
   * Copies documents into store databases; those already there are left alone (facts never
   * change). A redemption goes in as `redeem:<code>@<store>`: under the store's own id it would
   * meet, in the store's database, the redemption that store may have made offline, and CouchDB
   * would keep one of the two as the winner without a new change for the other.
   */
  async projectTo(storeIds: string[], docs: Doc[]): Promise<void> {
    if (docs.length === 0) return;
    const projected = docs.map((d): Doc => ({ ...d, _id: projectedId(d) }));
    // Aliases are the one kind that changes (a merge undone, or made again): written over.
    const facts = projected.filter((d) => d.type !== 'alias');
    const aliases = projected.filter((d) => d.type === 'alias').map(stripRev);
    for (const storeId of storeIds) {
      await this.couch.insertNew(storeDbName(storeId), facts);
      for (const a of aliases) await this.couch.update(storeDbName(storeId), a._id, (cur) => (cur && content(cur) === content(a) ? undefined : a));
    }
  }

  /**
   * Projects documents into one store's database and reads them back as stored there (the
   * projected ids, with their revisions). A node that writes these with new_edits: false holds
   * the very revisions replication would bring, so the two never conflict.
   */
  async projectAndRead(storeId: string, docs: Doc[]): Promise<Doc[]> {
    const unique = [...new Map(docs.map((d) => [d._id, d])).values()];
    await this.projectTo([storeId], unique);
    const ids = unique.map(projectedId);
    return (await this.couch.fetchDocs(storeDbName(storeId), ids)).filter((d): d is Doc => d !== undefined);
  }

  /** The member id an identity belongs to at the hub. */
  async findByIdentity(input: IdentityInput): Promise<string | undefined> {
    const key = keyOfIdentity(input);
    if (!key.ok) throw new AppError('validation_failed', `${key.field}: ${key.reason}`, { field: key.field });
    const idk = await this.couch.get(DB.members, docId.idk(key.key));
    return idk ? this.canonical(String(idk.memberId)) : undefined;
  }

  /** The member's tier, balance and coupons computed from every store's facts, as the POS shows them. */
  async summary(asked: string, timeZone: string, now: Date): Promise<MemberSummary | undefined> {
    return (await this.computed(this.canonical(asked), timeZone, now)).member;
  }

  /** summary, and the facts stored under the id asked (the console's member page): read once for both. */
  async summaryAndFacts(asked: string, timeZone: string, now: Date): Promise<{ member: MemberSummary | undefined; facts: Doc[] }> {
    const memberId = this.canonical(asked);
    const [{ member, ownFacts }, askedFacts] = await Promise.all([this.computed(memberId, timeZone, now), asked === memberId ? undefined : this.factsOf(asked)]);
    return { member, facts: askedFacts ?? ownFacts };
  }

  /** A member's documents and the rules, read at once, and the summary they make. */
  private async computed(memberId: string, timeZone: string, now: Date): Promise<{ member: MemberSummary | undefined; docs: Doc[]; ownFacts: Doc[] }> {
    const [{ docs, ownFacts }, rules] = await Promise.all([this.read(memberId), this.couch.get(DB.registry, RULES_ID)]);
    return { member: summaryOf(memberId, docs, rules, timeZone, now), docs, ownFacts };
  }

  /**
   * A store's lookup of a member it does not hold: the summary its till shows and the member's
   * documents as now stored for the store. The member's documents are read once for both: the
   * till waits for this answer (1.5 s at most).
   */
  async lookupFor(asked: string, storeId: string, timeZone: string, now: Date): Promise<{ member: MemberSummary; docs: Doc[] } | undefined> {
    const memberId = this.canonical(asked);
    if (!(await this.memberDoc(memberId))) return undefined;
    // The store serves the member before their documents are read: a fact ingested meanwhile is
    // then either in what is read here or projected to this store by the ingest (which reads
    // where the member is served after storing the fact). The other way round, one fell between.
    await this.serveAt(memberId, storeId);
    const { member, docs } = await this.computed(memberId, timeZone, now);
    const copy = member ? await this.projectAndRead(storeId, docs) : [];
    await this.copied(memberId, storeId);
    return member && { member, docs: copy };
  }
}

function summaryOf(memberId: string, docs: Doc[], rules: Doc | undefined, timeZone: string, now: Date): MemberSummary | undefined {
  const index = new MemberIndex();
  for (const doc of [...(rules ? [rules] : []), ...docs]) index.applyStored(doc);
  return memberSummary(index, memberId, localDate(now, timeZone), now.toISOString());
}

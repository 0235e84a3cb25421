import { HUB_STORE_ID, RULES_ID } from '../shared/doc-ids.ts';
import { localDate } from '../shared/local-time.ts';
import { giftsDue } from '../shared/loyalty/tier-gifts.ts';
import { MemberIndex } from '../shared/member-index.ts';
import { CouponTemplateSchema, type CouponTemplate } from '../shared/schemas/coupon.ts';
import type { AnyDoc } from '../shared/schemas/documents.ts';
import { content, stripRev, type Couch, type Doc } from './couch/couch.ts';
import { DB, factKey } from './couch/databases.ts';
import type { HubMembers } from './members.ts';

/*
 * The hub's side of tier gifts (decision 019): it issues the gifts a member is due when their
 * receipts reach it (whichever side sees the event first issues), and it settles the copies of
 * one gift that two sides wrote while apart: same id, so one gift, whose first copy the hub
 * stored stands everywhere.
 */

/** A store-written document that is a tier gift: a coupon (stores write no other) or birthday points. */
export function isTierGift(d: Pick<AnyDoc, 'type'> & { reason?: unknown }): boolean {
  return d.type === 'coupon' || (d.type === 'pts' && d.reason === 'birthday');
}

/**
 * Makes a store's copy of a gift the one the hub stored: every other revision of it in the
 * store's database goes (the one kept, or written over the winner, replicates down), so the
 * store's till ends with the hub's copy and counts it once. Answers whether anything changed.
 */
export async function settleGift(couch: Couch, storeDb: string, id: string, stored: Doc): Promise<boolean> {
  const db = couch.db(storeDb);
  const cur = (await db.get(id, { conflicts: true } as never)) as Doc & { _conflicts?: string[] };
  const want = content({ ...stripRev(stored), _id: id });
  const leaves = [cur._rev!, ...(cur._conflicts ?? [])];
  let keep: string | undefined;
  for (const rev of leaves) {
    const doc = rev === cur._rev ? cur : ((await db.get(id, { rev })) as Doc);
    if (content(doc) === want) {
      keep = rev;
      break;
    }
  }
  if (keep === undefined) {
    keep = (await db.insert({ ...stripRev(stored), _id: id, _rev: cur._rev } as Doc)).rev;
    leaves.shift();
  }
  const drop = leaves.filter((rev) => rev !== keep);
  for (const rev of drop) await db.destroy(id, rev);
  return drop.length > 0 || keep !== cur._rev;
}

/** How the hub counts a member's business day for gifts it issues itself. */
export const HUB_GIFT_TIME_ZONE = 'Asia/Shanghai';

/**
 * Issues the tier gifts these members are due and nobody issued yet, from every store's facts:
 * stored with the facts, projected to every store that serves the member. A gift a store wrote
 * meanwhile under the same id is found stored ('exists') and left as it is.
 */
export async function issueHubGifts(deps: { couch: Couch; members: HubMembers; clock: () => Date }, memberIds: readonly string[]): Promise<AnyDoc[]> {
  const { couch, members } = deps;
  const rulesDoc = await couch.get(DB.registry, RULES_ID);
  const probe = new MemberIndex();
  if (rulesDoc) probe.applyStored(rulesDoc);
  if (!probe.rules.tierBenefits || memberIds.length === 0) return [];
  const templates = new Map<string, CouponTemplate>();
  for (const t of await couch.range<Doc>(DB.registry, { startkey: 'tpl:', endkey: 'tpl:\ufff0' })) {
    const parsed = CouponTemplateSchema.safeParse(t.template);
    if (parsed.success) templates.set(parsed.data.id, parsed.data);
  }
  const now = deps.clock();
  const today = localDate(now, HUB_GIFT_TIME_ZONE);
  const issued: AnyDoc[] = [];
  for (const asked of new Set(memberIds.map((id) => members.canonical(id)))) {
    const index = new MemberIndex();
    for (const doc of [rulesDoc, ...(await members.docsOf(asked))]) if (doc) index.applyStored(doc);
    if (!index.get(asked)) continue;
    const gifts = giftsDue({
      rules: index.rules,
      template: (id) => templates.get(id),
      memberId: asked,
      tier: index.tier(asked, today),
      birthMonth: index.members.get(asked)?.birthMonth,
      today,
      now,
      storeId: HUB_STORE_ID,
      held: (id) => (id.startsWith('coupon:') ? index.holdsCoupon(asked, id.slice('coupon:'.length)) : index.hasLedgerEntry(asked, id)),
    });
    if (gifts.length === 0) continue;
    const docs = gifts.map((g) => g.doc);
    const results = await couch.insertNew(DB.facts, docs.map((d) => ({ ...(d as unknown as Doc), _id: factKey(asked, d._id) })));
    const fresh = docs.filter((_, i) => results[i] === 'created');
    await members.projectTo(await members.relevantStores(asked), fresh as unknown as Doc[]);
    issued.push(...fresh);
  }
  return issued;
}

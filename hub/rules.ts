import { RULES_ID, docId } from '../shared/doc-ids.ts';
import { DEFAULT_TEMPLATES, type CouponTemplate } from '../shared/schemas/coupon.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../shared/schemas/rules.ts';
import type { RulesDoc, TemplateDoc } from '../shared/schemas/documents.ts';
import { content, type Couch, type Doc } from './couch/couch.ts';
import { DB } from './couch/databases.ts';

/*
 * Loyalty rules and coupon templates are owned by the hub: kept in the registry with every past
 * version (`rules:loyalty@3`), and copied into every store's database, where the node reads them.
 */

const TEMPLATE_RANGE = { startkey: 'tpl:', endkey: 'tpl:\ufff0' };

/** On a new hub: the defaults of requirements.md §2, so stores have rules from their first pull. */
export async function ensureDefaultRules(couch: Couch): Promise<void> {
  if (!(await couch.get(DB.registry, RULES_ID))) await couch.insertNew(DB.registry, [{ _id: RULES_ID, type: 'rules', rules: DEFAULT_RULES } satisfies RulesDoc]);
  versionsRead.delete(couch);
  const existing = new Set((await couch.range(DB.registry, TEMPLATE_RANGE)).map((d) => d._id));
  const missing = DEFAULT_TEMPLATES.filter((t) => !existing.has(docId.template(t.id)));
  await couch.insertNew(DB.registry, missing.map((template) => ({ _id: docId.template(template.id), type: 'tpl', template }) satisfies TemplateDoc));
}

/** The rules in force, read through their schema: a version stored before a field existed gets its default. */
export async function currentRules(couch: Couch): Promise<LoyaltyRules> {
  const stored = (await couch.get<RulesDoc & Doc>(DB.registry, RULES_ID))?.rules;
  return stored ? LoyaltyRulesSchema.parse(stored) : DEFAULT_RULES;
}

export async function listTemplates(couch: Couch): Promise<CouponTemplate[]> {
  return (await couch.range<TemplateDoc & Doc>(DB.registry, TEMPLATE_RANGE)).map((d) => d.template as CouponTemplate);
}

/**
 * The rules' versions as last read, per database client. The ingest judges every batch with them,
 * and they change only through setRules and ensureDefaultRules (below), which forget them: the hub
 * is the one process that writes its registry.
 */
const versionsRead = new WeakMap<Couch, Promise<LoyaltyRules[]>>();

/** Every version of the rules the hub has had: the current one and those it replaced (`rules:loyalty@<n>`). */
export function rulesVersions(couch: Couch): Promise<LoyaltyRules[]> {
  let read = versionsRead.get(couch);
  if (!read) {
    read = readRulesVersions(couch);
    versionsRead.set(couch, read);
    // A failed read is not remembered: the next batch asks again.
    read.catch(() => versionsRead.get(couch) === read && versionsRead.delete(couch));
  }
  return read;
}

async function readRulesVersions(couch: Couch): Promise<LoyaltyRules[]> {
  const docs = await couch.range<Doc & { rules?: unknown }>(DB.registry, { startkey: RULES_ID, endkey: `${RULES_ID}@\ufff0` });
  return docs.flatMap((d) => {
    const r = LoyaltyRulesSchema.safeParse(d.rules);
    return r.success ? [r.data] : [];
  });
}

/** Replaces the rules with a new version (the number is the hub's, one past the current). */
export async function setRules(couch: Couch, rules: LoyaltyRules, storeDbs: string[]): Promise<LoyaltyRules> {
  const current = await currentRules(couch);
  const next = { ...rules, version: current.version + 1 };
  await couch.insertNew(DB.registry, [{ _id: `${RULES_ID}@${current.version}`, type: 'rules-history', rules: current }]);
  await couch.update<Doc>(DB.registry, RULES_ID, () => ({ _id: RULES_ID, type: 'rules', rules: next }));
  // After both writes: a read begun in between is forgotten too.
  versionsRead.delete(couch);
  await pushToStores(couch, storeDbs);
  return next;
}

/** Adds or replaces a coupon template (coupons already issued keep the terms they were issued with). */
export async function putTemplate(couch: Couch, template: CouponTemplate, storeDbs: string[]): Promise<CouponTemplate> {
  const id = docId.template(template.id);
  const current = await couch.get<TemplateDoc & Doc>(DB.registry, id);
  const next = { ...template, version: current ? (current.template as CouponTemplate).version + 1 : 1 };
  await couch.update<Doc>(DB.registry, id, () => ({ _id: id, type: 'tpl', template: next }));
  await pushToStores(couch, storeDbs);
  return next;
}

async function pushToStores(couch: Couch, storeDbs: string[]): Promise<void> {
  for (const db of storeDbs) await pushRulesTo(couch, db);
}

/** Copies the rules and templates into a store's database where they differ. */
export async function pushRulesTo(couch: Couch, storeDb: string): Promise<void> {
  const wanted = [...(await couch.fetchDocs(DB.registry, [RULES_ID])), ...(await couch.range(DB.registry, TEMPLATE_RANGE))].filter((d): d is Doc => !!d);
  const there = await couch.fetchDocs(storeDb, wanted.map((d) => d._id));
  const changed = wanted.flatMap((d, i) => {
    const cur = there[i];
    if (cur && content(cur) === content(d)) return [];
    const { _rev, ...rest } = d;
    return [{ ...rest, ...(cur?._rev ? { _rev: cur._rev } : {}) }];
  });
  if (changed.length > 0) await couch.db(storeDb).bulk({ docs: changed });
}

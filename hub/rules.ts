import { CATALOGUE_ID, RULES_ID, docId } from '../shared/doc-ids.ts';
import { AppError } from '../shared/errors.ts';
import { fieldChanges, type FieldChange } from '../shared/loyalty/field-changes.ts';
import { CouponTemplateSchema, DEFAULT_TEMPLATES, type CouponTemplate } from '../shared/schemas/coupon.ts';
import { DEFAULT_RULES, LoyaltyRulesSchema, type LoyaltyRules } from '../shared/schemas/rules.ts';
import type { RulesDoc, TemplateDoc } from '../shared/schemas/documents.ts';
import { copyWhereChanged, type Couch, type Doc } from './couch/couch.ts';
import { DB } from './couch/databases.ts';

/*
 * Loyalty rules and coupon templates are owned by the hub: kept in the registry with every
 * version (`rules:loyalty@3`, `tpl-history:CASH20@2`: who made it and when), and the current one
 * copied into every store's database, where the node reads it. A change names the version it
 * was made from; one made from a version that is no longer current is refused (decision 015).
 */

/** Who made a version: an operator, or the admin token (scripts, the CLI). */
export interface ChangedBy {
  kind: 'token' | 'operator';
  name: string;
}

/** A change as the services take it: who, when, and the version it was made from (undefined: no check). */
export interface Change {
  by: ChangedBy;
  at: Date;
  baseVersion?: number | undefined;
}

/** One version in a history: who made it and when (unknown for versions made before histories recorded them), and what it changed. */
export interface VersionEntry {
  version: number;
  by: ChangedBy | null;
  at: string | null;
  changes: FieldChange[];
}

const rulesVersionId = (version: number) => `${RULES_ID}@${version}`;
// Outside `tpl:` (the range stores get): a template's past versions stay at the hub.
const templateVersionPrefix = (id: string) => `tpl-history:${id}@`;
const templateVersionId = (id: string, version: number) => `${templateVersionPrefix(id)}${version}`;
const stale = (what: string, base: number, current: number) =>
  new AppError('stale_version', `${what} changed since you opened version ${base}: version ${current} is current now; nothing was saved. Open it again and redo your change.`, { baseVersion: base, currentVersion: current });

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
  // A version is kept twice while it is current (the rules and its history document): once is enough.
  const byVersion = new Map<number, LoyaltyRules>();
  for (const d of docs) {
    const r = LoyaltyRulesSchema.safeParse(d.rules);
    if (r.success && !byVersion.has(r.data.version)) byVersion.set(r.data.version, r.data);
  }
  return [...byVersion.values()];
}

/**
 * Replaces the rules with a new version (the number is the hub's, one past the current), made
 * from `change.baseVersion` when given: if another change came first, 409 `stale_version` and
 * nothing written. The new version is kept with who made it and when; the one it replaces was
 * kept when it was made (or is kept now, for versions older than that).
 */
export async function setRules(couch: Couch, rules: LoyaltyRules, storeDbs: string[], change: Change): Promise<LoyaltyRules> {
  let replaced: LoyaltyRules | undefined;
  let next: LoyaltyRules | undefined;
  // The check and the write are one: update() reads again after a conflicting write, so of two changes from one version the second is refused.
  await couch.update<Doc>(DB.registry, RULES_ID, (doc) => {
    const parsed = LoyaltyRulesSchema.safeParse(doc?.rules);
    const current = parsed.success ? parsed.data : DEFAULT_RULES;
    if (change.baseVersion !== undefined && change.baseVersion !== current.version) throw stale('The rules', change.baseVersion, current.version);
    replaced = current;
    next = { ...rules, version: current.version + 1 };
    return { _id: RULES_ID, type: 'rules', rules: next };
  });
  await couch.insertNew(DB.registry, [
    { _id: rulesVersionId(replaced!.version), type: 'rules-history', rules: replaced },
    { _id: rulesVersionId(next!.version), type: 'rules-history', rules: next, by: change.by, at: change.at.toISOString() },
  ]);
  // After the writes: a read begun in between is forgotten too.
  versionsRead.delete(couch);
  await pushToStores(couch, storeDbs);
  return next!;
}

/** Every version of the rules, newest first, with who made it, when, and the fields it changed. */
export async function rulesHistory(couch: Couch): Promise<VersionEntry[]> {
  const docs = await couch.range<Doc>(DB.registry, { startkey: RULES_ID, endkey: `${RULES_ID}@\ufff0` });
  return history(docs.map((d) => ({ value: LoyaltyRulesSchema.safeParse(d.rules).data, by: d.by, at: d.at })));
}

/** Every version of a template, newest first (empty: no such template). */
export async function templateHistory(couch: Couch, id: string): Promise<VersionEntry[]> {
  const [past, current] = await Promise.all([couch.range<Doc>(DB.registry, { startkey: templateVersionPrefix(id), endkey: `${templateVersionPrefix(id)}\ufff0` }), couch.get<Doc>(DB.registry, docId.template(id))]);
  const docs = current ? [...past, current] : past;
  return history(docs.map((d) => ({ value: CouponTemplateSchema.safeParse(d.template).data, by: d.by, at: d.at })));
}

/** Versions (stored, and the current document, which may be the only copy of an old hub's current version) in order, each against the one before. */
export function history(stored: { value: { version: number } | undefined; by: unknown; at: unknown }[]): VersionEntry[] {
  const byVersion = new Map<number, { value: { version: number }; by: ChangedBy | null; at: string | null }>();
  for (const s of stored) {
    if (!s.value) continue;
    const known = byVersion.get(s.value.version);
    const by = isChangedBy(s.by) ? { kind: s.by.kind, name: s.by.name } : null;
    const at = typeof s.at === 'string' ? s.at : null;
    // The history document carries who and when; the current document only the content.
    if (!known || (known.by === null && by !== null)) byVersion.set(s.value.version, { value: s.value, by: by ?? known?.by ?? null, at: at ?? known?.at ?? null });
  }
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  return versions
    .map((v, i) => {
      const entry = byVersion.get(v)!;
      const before = i > 0 && versions[i - 1] === v - 1 ? byVersion.get(v - 1)!.value : undefined;
      return { version: v, by: entry.by, at: entry.at, changes: before ? fieldChanges(before, entry.value) : [] };
    })
    .reverse();
}

const isChangedBy = (v: unknown): v is ChangedBy => typeof v === 'object' && v !== null && ((v as ChangedBy).kind === 'token' || (v as ChangedBy).kind === 'operator') && typeof (v as ChangedBy).name === 'string';

/**
 * Adds or replaces a coupon template (coupons already issued keep the terms they were issued
 * with), made from `change.baseVersion` when given (0: a new template): else 409 `stale_version`.
 */
export async function putTemplate(couch: Couch, template: CouponTemplate, storeDbs: string[], change: Change): Promise<CouponTemplate> {
  const id = docId.template(template.id);
  let replaced: CouponTemplate | undefined;
  let next: CouponTemplate | undefined;
  await couch.update<TemplateDoc & Doc>(DB.registry, id, (doc) => {
    replaced = doc ? CouponTemplateSchema.parse(doc.template) : undefined;
    const current = replaced?.version ?? 0;
    if (change.baseVersion !== undefined && change.baseVersion !== current) throw stale(`Template ${template.id}`, change.baseVersion, current);
    next = { ...template, version: current + 1 };
    return { _id: id, type: 'tpl', template: next };
  });
  await couch.insertNew(DB.registry, [
    ...(replaced ? [{ _id: templateVersionId(template.id, replaced.version), type: 'tpl-history', template: replaced }] : []),
    { _id: templateVersionId(template.id, next!.version), type: 'tpl-history', template: next, by: change.by, at: change.at.toISOString() },
  ]);
  await pushToStores(couch, storeDbs);
  return next!;
}

/** One template as it is now, or undefined. */
export async function templateById(couch: Couch, id: string): Promise<CouponTemplate | undefined> {
  const doc = await couch.get<TemplateDoc & Doc>(DB.registry, docId.template(id));
  return doc ? CouponTemplateSchema.parse(doc.template) : undefined;
}

async function pushToStores(couch: Couch, storeDbs: string[]): Promise<void> {
  for (const db of storeDbs) await pushRulesTo(couch, db);
}

/** Copies the rules, templates and the points catalogue (decision 020) into a store's database where they differ. */
export async function pushRulesTo(couch: Couch, storeDb: string): Promise<void> {
  const wanted = [...(await couch.fetchDocs(DB.registry, [RULES_ID, CATALOGUE_ID])), ...(await couch.range(DB.registry, TEMPLATE_RANGE))].filter((d): d is Doc => !!d);
  await copyWhereChanged(couch, storeDb, wanted);
}

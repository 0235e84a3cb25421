import { CATALOGUE_ID } from '../../shared/doc-ids.ts';
import { AppError } from '../../shared/errors.ts';
import { PointsCatalogueSchema, EMPTY_CATALOGUE, type PointsCatalogue } from '../../shared/schemas/catalogue.ts';
import { CouponTemplateSchema, type CouponTemplate } from '../../shared/schemas/coupon.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import { pushRulesTo, type Change } from '../rules.ts';

/*
 * The points catalogue at the hub (decision 020): kept like the loyalty rules (decision 015), the
 * current version `catalogue:points` copied into every store's database with the rules
 * (pushRulesTo), every version kept as `catalogue:points@<n>` with who made it, so the ingest can
 * judge an exchange priced by a version a store offline for days still had.
 */

const versionId = (v: number) => `${CATALOGUE_ID}@${v}`;
const VERSIONS = { startkey: `${CATALOGUE_ID}@`, endkey: `${CATALOGUE_ID}@\ufff0` };

/** The catalogue in force (version 0 and no rewards on a hub that never had one). */
export async function currentCatalogue(couch: Couch): Promise<PointsCatalogue> {
  const doc = await couch.get<Doc>(DB.registry, CATALOGUE_ID);
  const parsed = PointsCatalogueSchema.safeParse(doc?.catalogue);
  return parsed.success ? parsed.data : EMPTY_CATALOGUE;
}

/**
 * Replaces the catalogue with a new version, made from `change.baseVersion` (another change
 * first: 409 `stale_version`, nothing written). Every coupon reward must name a template the hub
 * has. Pushed to every store's database, from where replication brings it to the tills.
 */
export async function setCatalogue(couch: Couch, catalogue: PointsCatalogue, storeDbs: string[], change: Change): Promise<PointsCatalogue> {
  for (const r of catalogue.rewards) {
    if (r.kind === 'coupon' && !(await couch.get(DB.registry, `tpl:${r.templateId}`))) throw new AppError('template_not_found', `reward ${r.id}: no coupon template '${r.templateId}'`, { field: 'rewards' });
  }
  let next: PointsCatalogue | undefined;
  await couch.update<Doc>(DB.registry, CATALOGUE_ID, (doc) => {
    const parsed = PointsCatalogueSchema.safeParse(doc?.catalogue);
    const current = parsed.success ? parsed.data : EMPTY_CATALOGUE;
    if (change.baseVersion !== undefined && change.baseVersion !== current.version) {
      throw new AppError('stale_version', `The points catalogue changed since you opened version ${change.baseVersion}: version ${current.version} is current now; nothing was saved.`, { baseVersion: change.baseVersion, currentVersion: current.version });
    }
    next = { ...catalogue, version: current.version + 1 };
    return { _id: CATALOGUE_ID, type: 'catalogue', catalogue: next };
  });
  await couch.insertNew(DB.registry, [{ _id: versionId(next!.version), type: 'catalogue-history', catalogue: next, by: change.by, at: change.at.toISOString() }]);
  for (const db of storeDbs) await pushRulesTo(couch, db);
  return next!;
}

/** Every version of the catalogue, newest first, with who made it and when. */
export async function catalogueHistory(couch: Couch): Promise<{ version: number; by: unknown; at: unknown; rewards: number }[]> {
  const docs = await couch.range<Doc>(DB.registry, VERSIONS);
  return docs
    .flatMap((d) => {
      const c = PointsCatalogueSchema.safeParse(d.catalogue);
      return c.success ? [{ version: c.data.version, by: d.by ?? null, at: d.at ?? null, rewards: c.data.rewards.length }] : [];
    })
    .sort((a, b) => b.version - a.version);
}

/**
 * What the ingest needs to judge exchanges: every catalogue version, and every version of every
 * coupon template (an exchange's coupon carries the terms its store had). Read per batch that
 * holds an exchange; exchanges are a few a day per store, not thousands a second.
 */
export async function exchangeEvidence(couch: Couch): Promise<{ catalogues: PointsCatalogue[]; templates: Map<string, CouponTemplate[]> }> {
  const [versions, current, tplNow, tplPast] = await Promise.all([
    couch.range<Doc>(DB.registry, VERSIONS),
    couch.get<Doc>(DB.registry, CATALOGUE_ID),
    couch.range<Doc>(DB.registry, { startkey: 'tpl:', endkey: 'tpl:\ufff0' }),
    couch.range<Doc>(DB.registry, { startkey: 'tpl-history:', endkey: 'tpl-history:\ufff0' }, 100_000),
  ]);
  const catalogues = [...versions, ...(current ? [current] : [])].flatMap((d) => {
    const c = PointsCatalogueSchema.safeParse(d.catalogue);
    return c.success ? [c.data] : [];
  });
  const templates = new Map<string, CouponTemplate[]>();
  for (const d of [...tplNow, ...tplPast]) {
    const t = CouponTemplateSchema.safeParse(d.template);
    if (t.success) templates.set(t.data.id, [...(templates.get(t.data.id) ?? []), t.data]);
  }
  return { catalogues, templates };
}

import { AppError } from '../../shared/errors.ts';
import { DEFAULT_TAG_RULES } from '../../shared/profile/tag-catalogue.ts';
import { TagRuleSchema, type TagRule } from '../../shared/profile/tag-rules.ts';
import type { Couch, Doc } from '../couch/couch.ts';
import { DB } from '../couch/databases.ts';
import { history, type Change, type VersionEntry } from '../rules.ts';

/*
 * Tag rules at the hub (issue 12, decision 022), kept as the loyalty rules and coupon templates
 * are (decision 015): the current version `tagrule:<code>` in the registry, every version
 * `tagrule-history:<code>@<n>` with who made it and when, a change naming the version it was
 * made from (else 409 `stale_version`, nothing written). Rules are never deleted: retiring one
 * is a new version with status `retired`, which tags no one and can be made active again.
 */

const ruleId = (code: string) => `tagrule:${code}`;
const versionPrefix = (code: string) => `tagrule-history:${code}@`;
const RANGE = { startkey: 'tagrule:', endkey: 'tagrule:\ufff0' };
/** Written once the default catalogue is in: a later start leaves the rules as operators made them. */
const SEEDED_ID = 'tagrules:seeded';

interface TagRuleDoc extends Doc {
  type: 'tagrule' | 'tagrule-history';
  rule: unknown;
  by?: Change['by'];
  at?: string;
}

const stale = (code: string, base: number, current: number) =>
  new AppError('stale_version', `Tag rule ${code} changed since you opened version ${base}: version ${current} is current now; nothing was saved. Open it again and redo your change.`, { baseVersion: base, currentVersion: current });

/** On the first start, the default catalogue (shared/profile/tag-catalogue.ts) as version 1 of each rule. */
export async function ensureDefaultTagRules(couch: Couch, at: Date): Promise<number> {
  if (await couch.get(DB.registry, SEEDED_ID)) return 0;
  const by = { kind: 'token' as const, name: 'hub' };
  const docs: TagRuleDoc[] = DEFAULT_TAG_RULES.flatMap((r) => {
    const rule = { ...r, version: 1 };
    return [
      { _id: ruleId(r.code), type: 'tagrule', rule },
      { _id: `${versionPrefix(r.code)}1`, type: 'tagrule-history', rule, by, at: at.toISOString() },
    ];
  });
  const created = await couch.insertNew(DB.registry, docs);
  await couch.insertNew(DB.registry, [{ _id: SEEDED_ID, type: 'marker', at: at.toISOString(), rules: DEFAULT_TAG_RULES.length }]);
  return created.filter((c, i) => c === 'created' && docs[i]!.type === 'tagrule').length;
}

/** Every tag rule, active and retired, in code order; a stored document that no longer parses is left out (and logged by the caller if it cares). */
export async function listTagRules(couch: Couch): Promise<TagRule[]> {
  const docs = await couch.range<TagRuleDoc>(DB.registry, RANGE, 100_000);
  return docs.flatMap((d) => {
    const r = TagRuleSchema.safeParse(d.rule);
    return r.success ? [r.data] : [];
  });
}

/** One rule as it is now, or undefined. */
export async function tagRuleByCode(couch: Couch, code: string): Promise<TagRule | undefined> {
  const doc = await couch.get<TagRuleDoc>(DB.registry, ruleId(code));
  const r = TagRuleSchema.safeParse(doc?.rule);
  return r.success ? r.data : undefined;
}

/** Every version of a rule, newest first, with who made it, when, and what changed. */
export async function tagRuleHistory(couch: Couch, code: string): Promise<VersionEntry[]> {
  const docs = await couch.range<TagRuleDoc>(DB.registry, { startkey: versionPrefix(code), endkey: `${versionPrefix(code)}\ufff0` });
  return history(docs.map((d) => ({ value: TagRuleSchema.safeParse(d.rule).data, by: d.by, at: d.at })));
}

/**
 * Stores a new version of a rule (its number one past the current one), made from
 * `change.baseVersion` when given (0: a new rule): else 409 `stale_version`. `mode: 'create'`
 * refuses a code the hub has (409 `tag_rule_exists`) instead.
 */
export async function putTagRule(couch: Couch, rule: TagRule, change: Change, mode: 'create' | 'put' = 'put'): Promise<TagRule> {
  let next: TagRule | undefined;
  await couch.update<TagRuleDoc>(DB.registry, ruleId(rule.code), (doc) => {
    const current = doc ? TagRuleSchema.safeParse(doc.rule).data : undefined;
    const version = current?.version ?? 0;
    if (mode === 'create' && doc) throw new AppError('tag_rule_exists', `a tag rule '${rule.code}' exists (version ${version}): edit it with PUT /tags/rules/${rule.code} and its version`, { tag: rule.code, currentVersion: version });
    if (change.baseVersion !== undefined && change.baseVersion !== version) throw stale(rule.code, change.baseVersion, version);
    next = { ...rule, version: version + 1 };
    return { _id: ruleId(rule.code), type: 'tagrule', rule: next };
  });
  await couch.insertNew(DB.registry, [{ _id: `${versionPrefix(rule.code)}${next!.version}`, type: 'tagrule-history', rule: next, by: change.by, at: change.at.toISOString() } satisfies TagRuleDoc]);
  return next!;
}

/** Retires a rule (a new version with status `retired`): it tags no one from now on; its history stays. */
export async function retireTagRule(couch: Couch, code: string, change: Change): Promise<TagRule> {
  const current = await tagRuleByCode(couch, code);
  if (!current) throw new AppError('tag_rule_not_found', `no tag rule '${code}'`);
  // The version check happens inside putTagRule's update: a change in between is still refused.
  return putTagRule(couch, { ...current, status: 'retired' }, { ...change, baseVersion: change.baseVersion ?? current.version });
}

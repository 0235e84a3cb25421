import { AppError } from '../../shared/errors.ts';
import { maskKey } from '../../shared/one-id/mask-key.ts';
import { seesStore, type DataScope } from '../../shared/org-scope.ts';
import { PROFILE_FIELDS, type Profile } from '../../shared/profile/fields.ts';
import { timelinePage, type TimelineEntry } from '../../shared/profile/timeline.ts';
import { localDate } from '../../shared/local-time.ts';
import type { HubContext } from '../context.ts';
import { memberInScope } from '../org/scope-check.ts';

/** Profile fields that are personal data (derived from the birthday): shown only to a role that reveals it. */
const PERSONAL_FIELDS: ReadonlySet<string> = new Set(['birthMonth']);
/** Fields naming stores: a scoped operator sees only the stores of their scope in them. */
const STORE_FIELDS: ReadonlySet<string> = new Set(['homeStore', 'mostVisitedStore']);

type Ctx = Pick<HubContext, 'identity' | 'members' | 'profiles' | 'clock'>;

/**
 * The golden member an admin path names: a golden id, or a store member id (merged or not), and
 * whether the caller's scope (decision 010) sees them: an operator with a scope sees a golden
 * member through one of its store members in scope; one without store members (an online buyer)
 * only without a scope. Out of scope reads as not found.
 */
export async function goldenInScope(ctx: Ctx, id: string, scope: DataScope): Promise<string> {
  if (!ctx.identity.isLoaded || !ctx.profiles.isBuilt) throw new AppError('unavailable', 'member profiles are still loading; try again shortly');
  const golden = ctx.identity.goldenMember(id) ? id : (ctx.identity.goldenOf(`pos:${ctx.members.canonical(id)}`) ?? ctx.identity.goldenOf(`pos:${id}`));
  const member = golden === undefined ? undefined : ctx.identity.goldenMember(golden);
  if (!member) throw new AppError('member_not_found', `no member ${id}`);
  if (scope.stores === 'all') return member.id;
  for (const r of member.records) if (r.memberId && (await memberInScope(ctx.members, scope, r.memberId))) return member.id;
  throw new AppError('member_not_found', `no member ${id}`);
}

/** A profile as JSON: sets as sorted lists, scores as [key, score] pairs, best first (keys are outside text: never object keys). */
export function profileJson(p: Profile, opts: { reveal: boolean; scope: DataScope }) {
  const out = new Map<string, unknown>();
  for (const f of PROFILE_FIELDS) {
    const v = p.get(f.name);
    if (v === undefined || (!opts.reveal && PERSONAL_FIELDS.has(f.name))) continue;
    if (STORE_FIELDS.has(f.name) && typeof v === 'string' && !seesStore(opts.scope, v)) continue;
    if (v instanceof Set) out.set(f.name, [...(v as ReadonlySet<string>)].filter((s) => f.name !== 'storesVisited' || seesStore(opts.scope, s)).sort());
    else if (v instanceof Map) out.set(f.name, [...(v as ReadonlyMap<string, number>)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
    else out.set(f.name, v);
  }
  return Object.fromEntries(out);
}

/** GET /members/:id/profile: the metrics of the golden member, with who they are (masked unless revealed). */
export async function memberProfile(ctx: Ctx, id: string, scope: DataScope, reveal: boolean) {
  const goldenId = await goldenInScope(ctx, id, scope);
  const profile = ctx.profiles.profile(goldenId)!;
  const g = ctx.identity.goldenMember(goldenId)!;
  return {
    goldenId,
    day: localDate(ctx.clock(), 'Asia/Shanghai'),
    storeMembers: g.records.flatMap((r) => (r.memberId ? [r.memberId] : [])).sort(),
    sources: [...new Set(g.records.map((r) => r.source))].sort(),
    profile: profileJson(profile, { reveal, scope }),
  };
}

/** GET /members/:id/timeline: in order, paged; entries of stores outside the caller's scope are left out. */
export async function memberTimeline(ctx: Ctx, id: string, scope: DataScope, reveal: boolean, cursor: string | undefined, limit: number) {
  const goldenId = await goldenInScope(ctx, id, scope);
  const g = ctx.identity.goldenMember(goldenId)!;
  const entries: TimelineEntry[] = (await ctx.profiles.timelineEntries(goldenId)).filter((e) => e.store === undefined || seesStore(scope, e.store));
  const recordIds = g.records.map((r) => r.id);
  for (const r of g.records) {
    // Every record's registration (a store's, a CRM's): seeded and imported members have no registration event.
    if (typeof r.profile.registeredAt === 'string' && !Number.isNaN(Date.parse(r.profile.registeredAt))) {
      const store = r.source === 'pos' ? r.profile.homeStoreId : undefined;
      if (store === undefined || seesStore(scope, store)) entries.push({ day: localDate(r.profile.registeredAt, 'Asia/Shanghai'), kind: 'registration', ref: r.id, source: r.id, channel: r.source, ...(store ? { store } : {}) });
    }
  }
  for (const l of g.links) entries.push({ day: localDate(l.at, 'Asia/Shanghai'), kind: 'merge', ref: `${l.a}+${l.b}`, note: `${l.a} + ${l.b} (${reveal ? l.key : maskKey(l.key)})` });
  for (const s of ctx.identity.splitsOf(recordIds)) entries.push({ day: localDate(s.at, 'Asia/Shanghai'), kind: 'split', ref: `split:${s.at}`, note: s.groups.map((grp) => grp.join(' + ')).join(' | ') });
  const page = timelinePage(entries, cursor === undefined ? undefined : decodeCursor(cursor), limit);
  return { goldenId, entries: page.entries, next: page.next === null ? null : encodeCursor(page.next) };
}

const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{4}-\d{2}-\d{2}\|\d{2}\|/.test(key)) throw new AppError('validation_failed', 'cursor: not a cursor this API gave', { field: 'cursor' });
  return key;
}

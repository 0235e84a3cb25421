import { TierHistoryPanel } from '../tier-history.tsx';
import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { maskName } from '../../../shared/mask-name.ts';
import { can } from '../../../shared/permissions.ts';
import { maskPhone } from '../../../shared/phone.ts';
import { identityOfScan } from '../../../shared/scan-input.ts';
import { MemberId } from '../../../shared/schemas/common.ts';
import type { LedgerDoc, MemberDoc, OrderDoc } from '../../../shared/schemas/documents.ts';
import type { HubContext } from '../../context.ts';
import type { StoredGolden } from '../../../shared/one-id/stored-golden.ts';
import { clientAddress } from '../../operators/access.ts';
import { memberInScope, scopeCheck } from '../../org/scope-check.ts';
import { seesStore } from '../../../shared/org-scope.ts';
import { pathId } from '../../routes/path-param.ts';
import { Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { membersByName } from '../../member-search.ts';
import { currentRules, listTemplates } from '../../rules.ts';
import { IssuedNotice, IssueToMemberForm } from './coupon-issue.tsx';
import { goldenById, personalView, recordIdentities, SuggestionTable } from '../one-id-parts.tsx';
import { PrivacyPanel, privacyOf } from './member-privacy.tsx';
import { MetricsPanel, metricsOf } from './member-metrics.tsx';

/** The time zone the admin API's member summary uses (GET /admin/v1/members/:id). */
const SUMMARY_TIME_ZONE = 'Asia/Shanghai';
const SEARCH_BY = ['auto', 'phone', 'card', 'id', 'name'] as const;
type SearchBy = (typeof SEARCH_BY)[number];

const yuan = (cents: number) => (cents / 100).toFixed(2);
/** Source records listed on the 360 (a member linked from thousands of rows lists the first). */
const RECORDS_SHOWN = 200;

/**
 * A member from what an operator typed, pasted or scanned: a member id, or what the guide's
 * search box reads (`identityOfScan`: a phone in any format, a member code or a member QR link
 * holding one, a card number), through the hub's identity lookup (the keys the tills use).
 * "Card" means what is on the member's card: its card number or its member code. Text that is
 * none of these finds no one.
 */
export async function findMember(ctx: HubContext, q: string, by: SearchBy): Promise<string | undefined> {
  if ((by === 'auto' || by === 'id') && MemberId.safeParse(q).success) {
    const id = ctx.members.canonical(q);
    if (await ctx.members.memberDoc(id)) return id;
  }
  if (by === 'id' || by === 'name') return undefined;
  const input = by === 'phone' ? { phone: q } : identityOfScan(q);
  if (!input || (by === 'card' && 'phone' in input)) return undefined;
  try {
    return await ctx.members.findByIdentity(input);
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_failed') return undefined;
    throw err;
  }
}

function SearchForm({ t, q, by }: { t: Translator; q: string; by: SearchBy }) {
  return (
    <form method="get" action="/console/members" class="filters search">
      <label class="grow">
        {t('members.query')}
        <input name="q" value={q} required maxlength={80} placeholder={t('members.placeholder')} autofocus />
      </label>
      <label>
        {t('members.by')}
        <select name="by">
          {SEARCH_BY.map((b) => (
            <option value={b} selected={b === by}>
              {t.value('by', b)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">{t('members.search')}</button>
    </form>
  );
}

/** The One-ID golden member of a store member, when One-ID has them (and has loaded). */
async function goldenOf(ctx: HubContext, memberId: string): Promise<StoredGolden | undefined> {
  try {
    const golden = await ctx.identity.member(ctx.identity.memberOfRecord(`pos:${memberId}`));
    return 'mergedInto' in golden ? undefined : golden;
  } catch (err) {
    if (err instanceof AppError) return undefined;
    throw err;
  }
}

/**
 * One-ID's part of the 360: the member's identities and the source records they come from, and
 * the suggested matches that name them, answered from here (with identity:write).
 */
async function oneIdPanels(ctx: HubContext, c: ConsoleContext, golden: StoredGolden, memberId: string) {
  const { t, actor } = c.var;
  const view = personalView(actor);
  const records = ctx.identity.sourceRecords(golden.id);
  const ids = golden.identities;
  const identities: [string, string[]][] = [
    [t('oneId.phones'), ids.phones.map(view.phone)],
    [t('oneId.cards'), ids.cardNos.map((v) => view.key(`card:${v}`).slice('card:'.length))],
    [t('oneId.unionIds'), ids.unionIds.map((v) => view.key(`unionid:${v}`).slice('unionid:'.length))],
    [t('oneId.openIds'), ids.openIds.map((o) => view.key(`openid:${o.appId}:${o.openId}`).slice('openid:'.length))],
    [t('oneId.nicks'), ids.buyerNicks.map((v) => view.key(`tmall:${v}`).slice('tmall:'.length))],
    [t('oneId.pins'), ids.jdPins.map((v) => view.key(`jd:${v}`).slice('jd:'.length))],
    [t('oneId.storeMembers'), ids.memberIds],
  ];
  const mayList = mayCall(actor, 'GET /identity/suggestions');
  const suggestions = mayList ? ctx.identity.suggestionsOf(golden.id, 20) : [];
  const rows = await Promise.all(suggestions.map(async (s) => ({ s, a: await goldenById(ctx, s.a), b: await goldenById(ctx, s.b) })));
  return (
    <>
      <Panel title={t('oneId.identities')} id="identities">
        <dl class="fields">
          {identities
            .filter(([, v]) => v.length > 0)
            .map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>{v.join(', ')}</dd>
              </>
            ))}
          {golden.quarantinedKeys.length > 0 && (
            <>
              <dt>{t('oneId.heldKeys')}</dt>
              <dd>{golden.quarantinedKeys.map(view.key).join(', ')}</dd>
            </>
          )}
        </dl>
        <h3 class="sub">{t('oneId.sourceRecords', { n: records.length })}</h3>
        <Table
          label={t('oneId.sourceRecords', { n: records.length })}
          empty=""
          head={[t('oneId.record'), t('oneId.source'), t('oneId.observed'), t('members.name'), t('oneId.recordIds')]}
          rows={records.slice(0, RECORDS_SHOWN).map((r) => [<code data-record={r.id}>{r.id}</code>, r.source, t.time(r.observedAt), view.name(r.profile.name), recordIdentities(r, view)])}
        />
      </Panel>
      {mayList && (
        <Panel title={t('oneId.suggestionsFor', { n: suggestions.length })} id="suggestions">
          <SuggestionTable t={t} actor={actor} rows={rows} view={view} mayAnswer={mayCall(actor, 'POST /identity/suggestions/:answer{accept|reject}')} back={`member:${memberId}`} />
        </Panel>
      )}
    </>
  );
}

/** Members: search by phone, card or id, and the 360 view of one. */
export function memberPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  app.get(
    '/members',
    page(ctx, async (c) => {
      need(c, 'GET /members/:id');
      const { t, actor } = c.var;
      const q = (c.req.query('q') ?? '').trim().slice(0, 80);
      const asked = c.req.query('by');
      const by: SearchBy = SEARCH_BY.find((b) => b === asked) ?? 'auto';
      const { scope } = await scopeCheck(ctx, c);
      // A member outside the operator's scope is not found, whatever was typed (decision 010).
      const hit = q && by !== 'name' ? await findMember(ctx, q, by) : undefined;
      const found = hit !== undefined && (await memberInScope(ctx.members, scope, hit)) ? hit : undefined;
      if (found) return c.redirect(`/console/members/${encodeURIComponent(found)}`, 303);
      // No identity matched: the text as the start of a name (one found opens at once, several are listed).
      const named = q && (by === 'name' || (by === 'auto' && /\p{L}/u.test(q))) ? await membersByName(ctx.couch, ctx.members, q, scope) : undefined;
      if (named) await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: '/console/members?by=name', target: `${named.found.length}${named.more ? '+' : ''} found`, status: named.found.length > 0 ? 200 : 404, ...clientAddress(c) });
      if (named?.found.length === 1 && !named.more) return c.redirect(`/console/members/${encodeURIComponent(named.found[0]!.id)}`, 303);
      const listed = named?.found ?? [];
      const reveal = can(actor, 'members:reveal_pii');
      return c.html(
        <Layout t={t} title={t('members.title')} here="/console/members" actor={actor} screen="/console/members">
          <SearchForm t={t} q={q} by={by} />
          {q && listed.length === 0 && <Notice kind="info">{t('members.notFound')}</Notice>}
          {listed.length > 0 && (
            <Panel title={t('members.byName', { n: listed.length })} id="by-name">
              <Table
                label={t('members.byName', { n: listed.length })}
                empty=""
                head={[t('members.name'), t('members.phone'), t('members.home'), t('members.registered')]}
                rows={listed.map(({ id, doc }) => [
                  <a href={`/console/members/${encodeURIComponent(id)}`} data-found={id}>
                    {(reveal ? doc?.name : maskName(doc?.name)) ?? id}
                  </a>,
                  doc?.phone ? (reveal ? doc.phone : maskPhone(doc.phone)) : '—',
                  doc?.registeredStoreId ?? '—',
                  doc?.registeredAt ? t.time(doc.registeredAt) : '—',
                ])}
              />
              {named?.more && <p class="empty">{t('members.moreByName')}</p>}
            </Panel>
          )}
        </Layout>,
        q && listed.length === 0 ? 404 : 200,
      );
    }),
  );

  app.get(
    '/members/:id',
    page(ctx, async (c) => {
      need(c, 'GET /members/:id');
      const { t, actor } = c.var;
      const asked = pathId(c, 'id', MemberId, 'member_not_found', 'member');
      const now = ctx.clock();
      const { scope } = await scopeCheck(ctx, c);
      // A read of a person's data, audited as the admin API's GET /members/:id is; out of scope is not found.
      const member = (await memberInScope(ctx.members, scope, asked)) ? await ctx.members.summary(asked, SUMMARY_TIME_ZONE, now) : undefined;
      await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: c.req.routePath, target: asked, status: member ? 200 : 404, ...clientAddress(c) });
      if (!member) throw new AppError('member_not_found', `no member ${asked}`);
      const [profile, docs, stores, golden, privacy, metrics] = await Promise.all([
        ctx.members.memberDoc(member.id) as Promise<MemberDoc | undefined>,
        ctx.members.docsOf(member.id),
        ctx.members.relevantStores(member.id).then((ids) => ids.filter((id) => seesStore(scope, id))),
        // One-ID is HQ's: not shown to an operator with a scope.
        mayCall(actor, 'GET /identity/members/:id') && scope.node === null ? goldenOf(ctx, member.id) : undefined,
        privacyOf(ctx, member.id),
        metricsOf(ctx, member.id, scope, can(actor, 'members:reveal_pii')),
      ]);
      const templates = mayCall(actor, 'POST /coupons') ? await listTemplates(ctx.couch) : [];
      const reveal = can(actor, 'members:reveal_pii');
      // Only the sales and points of stores in scope; the balance and tier above are the member's.
      const inScope = (d: Record<string, unknown>) => typeof d.storeId !== 'string' || seesStore(scope, d.storeId);
      const ledger = (docs.filter((d) => d.type === 'pts' && inScope(d)) as unknown as LedgerDoc[]).sort((a, b) => b.at.localeCompare(a.at));
      const orders = (docs.filter((d) => d.type === 'order' && inScope(d)) as unknown as OrderDoc[]).sort((a, b) => b.at.localeCompare(a.at));
      const merged = docs.filter((d) => d.type === 'alias' && !d.undoneAt).map((d) => String(d.from));
      const mayWrite = mayCall(actor, 'POST /identity/members/:id/split');
      const phone = profile?.phone ? (reveal ? profile.phone : maskPhone(profile.phone)) : member.phoneMasked;
      const name = reveal ? (member.name ?? '—') : maskName(member.name);
      const keyShown = (key: string) => (reveal ? key : key.split(':')[0]!);
      return c.html(
        <Layout t={t} title={t('members.360', { id: member.id })} here={`/console/members/${member.id}`} actor={actor} screen="/console/members">
          {c.req.query('done') === 'split' && <Notice kind="ok">{t('members.didSplit')}</Notice>}
          <IssuedNotice t={t} query={(n) => c.req.query(n)} />
          {c.req.query('done') === 'accepted' && <Notice kind="ok">{t('oneId.didAccept')}</Notice>}
          {c.req.query('done') === 'rejected' && <Notice kind="ok">{t('oneId.didReject')}</Notice>}
          {c.req.query('done') === 'consent' && <Notice kind="ok">{t('privacy.didConsent')}</Notice>}
          {c.req.query('done') === 'erase' && <Notice kind="ok">{t('privacy.didErase')}</Notice>}
          {member.id !== asked && <Notice kind="info">{t('members.mergedInto', { asked, id: member.id })}</Notice>}
          <div class="cards">
            <Panel title={t('members.profile')} id="profile">
              <dl class="fields">
                <dt>{t('members.name')}</dt>
                <dd data-name>{name}</dd>
                <dt>{t('members.phone')}</dt>
                <dd data-phone>{phone}</dd>
                <dt>{t('members.tier')}</dt>
                <dd data-tier>{member.tier}</dd>
                <dt>{t('members.balance')}</dt>
                <dd data-balance class="big">
                  {t.num(member.points.balance)}
                </dd>
                {member.points.pending !== 0 && (
                  <>
                    <dt>{t('members.pending')}</dt>
                    <dd data-pending={member.points.pending}>
                      {t.num(member.points.pending)}
                      {member.points.nextVesting && <small> · {t('members.vests', { next: t.num(member.points.nextVesting.points), day: t.day(member.points.nextVesting.on) })}</small>}
                    </dd>
                  </>
                )}
                <dt>{t('members.home')}</dt>
                <dd>{profile?.homeStoreId ?? '—'}</dd>
                <dt>{t('members.stores')}</dt>
                <dd>{stores.join(', ')}</dd>
                <dt>{t('members.registered')}</dt>
                <dd>{t.time(profile?.registeredAt)}</dd>
                {reveal && profile?.birthday && (
                  <>
                    <dt>{t('members.birthday')}</dt>
                    <dd>{profile.birthday}</dd>
                  </>
                )}
              </dl>
              {!reveal && <p class="hint">{t('members.masked')}</p>}
            </Panel>
            <Panel title={t('members.coupons', { n: member.coupons.length })} id="coupons">
              <Table
                label={t('members.coupons', { n: member.coupons.length })}
                empty={t('members.noCoupons')}
                head={[t('members.code'), t('members.couponTitle'), t('members.validTo')]}
                rows={member.coupons.map((cp) => [<code>{cp.code}</code>, cp.title, cp.validTo ? t.time(cp.validTo) : '—'])}
              />
              {mayCall(actor, 'POST /coupons') && (
                <details>
                  <summary>{t('members.issueCoupon')}</summary>
                  <IssueToMemberForm t={t} actor={actor} memberId={member.id} templates={templates} />
                </details>
              )}
            </Panel>
          </div>
          <MetricsPanel t={t} metrics={metrics} />
          <Panel title={t('members.ledger', { n: ledger.length })} id="ledger">
            <Table
              label={t('members.ledger', { n: ledger.length })}
              empty={t('members.noLedger')}
              head={[t('members.when'), t('members.store'), t('members.reason'), t('members.delta'), t('members.expires')]}
              rows={ledger.slice(0, 100).map((e) => [t.time(e.at), e.storeId, t.value('reason', e.reason), <span class={e.delta < 0 ? 'neg' : 'pos'}>{e.delta > 0 ? `+${e.delta}` : String(e.delta)}</span>, e.expiresOn ?? '—'])}
            />
          </Panel>
          <TierHistoryPanel t={t} rules={await currentRules(ctx.couch)} docs={docs} now={now} timeZone={SUMMARY_TIME_ZONE} />
          <Panel title={t('members.orders', { n: orders.length })} id="orders">
            <Table
              label={t('members.orders', { n: orders.length })}
              empty={t('members.noOrders')}
              head={[t('members.when'), t('members.store'), t('members.receipt'), t('members.payable'), t('members.earned'), t('members.redeemed')]}
              rows={orders.slice(0, 100).map((o) => [t.time(o.at), o.storeId, o.receiptNo, `¥${yuan(o.payableCents)}`, t.num(o.pointsEarned), t.num(o.pointsRedeemed)])}
            />
          </Panel>
          <PrivacyPanel t={t} actor={actor} memberId={member.id} privacy={privacy} />
          {mayCall(actor, 'GET /identity/members/:id') && (
            <Panel title={t('members.merges')} id="merges">
              {merged.length > 0 && <p>{t('members.storeMerges', { ids: merged.join(', ') })}</p>}
              {!golden ? (
                <p class="empty">{t('members.noGolden')}</p>
              ) : (
                <>
                  <p>{t('members.golden', { id: golden.id, n: golden.records.length, sources: golden.sources.join(', ') })}</p>
                  <Table
                    label={t('members.merges')}
                    empty={t('members.noLinks')}
                    head={[t('members.when'), t('members.recordA'), t('members.recordB'), t('members.key')]}
                    rows={golden.links.map((l) => [t.time(l.at), l.a, l.b, keyShown(l.key)])}
                  />
                  {mayWrite && golden.records.length > 1 && (
                    <form method="post" action={`/console/members/${golden.id}/split`} class="split">
                      <Csrf actor={actor} />
                      <input type="hidden" name="back" value={member.id} />
                      <fieldset>
                        <legend>{t('members.splitWhich')}</legend>
                        {golden.records.map((r) => (
                          <label class="check">
                            <input type="checkbox" name="records" value={r} /> {r}
                          </label>
                        ))}
                      </fieldset>
                      <button type="submit" class="danger">
                        {t('members.split')}
                      </button>
                    </form>
                  )}
                </>
              )}
            </Panel>
          )}
          {golden && (await oneIdPanels(ctx, c, golden, member.id))}
          <p>
            <a href="/console/members">{t('members.another')}</a>
          </p>
        </Layout>,
      );
    }),
  );

  app.post(
    '/members/:id/split',
    formAction(ctx, 'POST /identity/members/:id/split', async (c) => {
      const goldenId = pathId(c, 'id', MemberId, 'member_not_found', 'golden member');
      (await scopeCheck(ctx, c)).everything('One-ID (splitting a golden member)');
      const form = await c.req.formData();
      const records = form.getAll('records').filter((r): r is string => typeof r === 'string').slice(0, 10_000);
      await ctx.identity.split(goldenId, records, c.var.actor.name);
      const back = MemberId.safeParse(form.get('back'));
      return c.redirect(`/console/members/${encodeURIComponent(back.success ? back.data : goldenId)}?done=split`, 303);
    }),
  );
  return app;
}

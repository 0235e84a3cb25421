import { AppError } from '../../shared/errors.ts';
import { maskName } from '../../shared/mask-name.ts';
import { maskKey } from '../../shared/one-id/mask-key.ts';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import type { Suggestion } from '../../shared/one-id/suggest.ts';
import { can } from '../../shared/permissions.ts';
import { maskPhone } from '../../shared/phone.ts';
import type { HubContext } from '../context.ts';
import type { StoredGolden } from '../../shared/one-id/stored-golden.ts';
import type { Actor } from '../operators/access.ts';
import { Csrf, Table } from './components.tsx';
import type { MessageKey, Translator } from './i18n.ts';

/** The parts One-ID's screens and the member 360 share: the tabs, a golden member in brief, a suggestion's forms. */

const TABS: readonly [string, MessageKey][] = [
  ['/console/one-id', 'oneId.metrics'],
  ['/console/one-id/imports', 'oneId.imports'],
  ['/console/one-id/suggestions', 'oneId.suggestions'],
  ['/console/one-id/quarantine', 'oneId.quarantine'],
];

export function OneIdTabs({ t, here }: { t: Translator; here: string }) {
  return (
    <nav class="tabs" aria-label={t('nav.oneId')}>
      {TABS.map(([href, label]) => (
        <a href={href} aria-current={href === here ? 'page' : undefined}>
          {t(label)}
        </a>
      ))}
    </nav>
  );
}

/** How an operator sees personal data: in full with `members:reveal_pii`, masked otherwise. */
export function personalView(actor: Actor) {
  const reveal = can(actor, 'members:reveal_pii');
  return {
    reveal,
    name: (name: string | undefined) => (reveal ? (name ?? '—') : maskName(name)),
    phone: (e164: string | undefined) => (e164 === undefined ? '—' : reveal ? e164 : maskPhone(e164)),
    key: (key: string) => (reveal ? key : maskKey(key)),
    birthday: (day: string | undefined) => (day === undefined ? '—' : reveal ? day : `${day.slice(0, 2)}**-**-**`),
  };
}
export type PersonalView = ReturnType<typeof personalView>;

/** A golden member by id, or undefined when it went (merged away since the list was made). */
export async function goldenById(ctx: HubContext, id: string): Promise<StoredGolden | undefined> {
  try {
    const g = await ctx.identity.member(id);
    return 'mergedInto' in g ? undefined : g;
  } catch (err) {
    if (err instanceof AppError && err.code === 'member_not_found') return undefined;
    throw err;
  }
}

/** One side of a suggestion: who it is (masked as the role requires), from which channels, and the store member to open. */
export function GoldenBrief({ t, golden, id, view }: { t: Translator; golden: StoredGolden | undefined; id: string; view: PersonalView }) {
  if (!golden) return <span class="empty">{id}</span>;
  const p = golden.profile;
  const storeMember = golden.identities.memberIds[0];
  return (
    <span class="person" data-golden={id}>
      <strong data-person-name>{view.name(p.name)}</strong> <small>{id}</small>
      <br />
      <span data-person-phone>{golden.identities.phones.map((ph) => view.phone(ph)).join(', ') || '—'}</span>
      {' · '}
      {view.birthday(p.birthday)}
      {p.region?.city ? ` · ${p.region.city}` : ''}
      <br />
      <small>{t('oneId.fromSources', { n: golden.records.length, sources: golden.sources.join(', ') })}</small>
      {storeMember && (
        <>
          {' · '}
          <a href={`/console/members/${encodeURIComponent(storeMember)}`}>{t('oneId.open360')}</a>
        </>
      )}
    </span>
  );
}

/** Accept and reject, each a form doing the work of POST /identity/suggestions/:answer; `back` is where to land. */
export function SuggestionForms({ t, actor, s, back }: { t: Translator; actor: Actor; s: Suggestion; back: string }) {
  return (
    <div class="actions">
      {(['accept', 'reject'] as const).map((answer) => (
        <form method="post" action={`/console/one-id/suggestions/${answer}`} class="inline">
          <Csrf actor={actor} />
          <input type="hidden" name="a" value={s.a} />
          <input type="hidden" name="b" value={s.b} />
          <input type="hidden" name="back" value={back} />
          <button type="submit" class={answer === 'accept' ? '' : 'secondary'} data-action={`${answer}-${s.a}-${s.b}`}>
            {t(answer === 'accept' ? 'oneId.accept' : 'oneId.reject')}
          </button>
        </form>
      ))}
    </div>
  );
}

/** Suggestions as a table: both members, why, how likely, and the forms for a role that may answer. */
export function SuggestionTable({ t, actor, rows, view, mayAnswer, back }: { t: Translator; actor: Actor; rows: { s: Suggestion; a?: StoredGolden; b?: StoredGolden }[]; view: PersonalView; mayAnswer: boolean; back: string }) {
  return (
    <Table
      label={t('oneId.suggestions')}
      empty={t('oneId.noSuggestions')}
      head={[t('oneId.memberA'), t('oneId.memberB'), t('oneId.why'), t('oneId.score'), ...(mayAnswer ? [t('oneId.answer')] : [])]}
      rows={rows.map(({ s, a, b }) => [
        <GoldenBrief t={t} golden={a} id={s.a} view={view} />,
        <GoldenBrief t={t} golden={b} id={s.b} view={view} />,
        s.reasons.map((r) => t.value('why', r)).join(', '),
        <span data-score>{`${Math.round(s.score * 100)}%`}</span>,
        ...(mayAnswer ? [<SuggestionForms t={t} actor={actor} s={s} back={back} />] : []),
      ])}
    />
  );
}

/** A source record's identities as one line, masked as the role requires. */
export function recordIdentities(r: SourceRecord, view: PersonalView): string {
  const ids = r.identities;
  const parts = [
    ...(ids.phone ? [view.phone(ids.phone)] : []),
    ...(ids.cardNo ? [view.key(`card:${ids.cardNo}`)] : []),
    ...(ids.unionId ? [view.key(`unionid:${ids.unionId}`)] : []),
    ...(ids.openIds ?? []).map((o) => view.key(`openid:${o.appId}:${o.openId}`)),
    ...(ids.buyerNick ? [view.key(`tmall:${ids.buyerNick}`)] : []),
    ...(ids.jdPin ? [view.key(`jd:${ids.jdPin}`)] : []),
  ];
  return parts.join(' · ') || '—';
}

import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { identityKey, type KeyType } from '../../../shared/identity-keys.ts';
import { MemberId } from '../../../shared/schemas/common.ts';
import type { HubContext } from '../../context.ts';
import { clientAddress } from '../../operators/access.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { ChartPanel, Csrf, Notice, Panel, Stat, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { textField } from '../form-fields.tsx';
import { Layout } from '../layout.tsx';
import { goldenById, OneIdTabs, personalView, SuggestionTable } from '../one-id-parts.tsx';

/** Keys an operator may hold by hand from the console: the ones a person types (an openId needs its app, so the API). */
const HOLDABLE: readonly KeyType[] = ['phone', 'card', 'unionid', 'tmall', 'jd'];
const SUGGESTIONS_SHOWN = 100;
const IMPORTS_SHOWN = 10;
const PairSchema = z.strictObject({ a: z.string().min(1).max(64), b: z.string().min(1).max(64) });

const DONE = new Map([
  ['accepted', 'oneId.didAccept'],
  ['rejected', 'oneId.didReject'],
  ['held', 'oneId.didHold'],
  ['released', 'oneId.didRelease'],
] as const);

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;


/**
 * One-ID's screens: its figures, the quarantined keys, the suggested matches with accept and
 * reject. HQ's work: refused to an operator with a scope as the admin API refuses them
 * (decision 010); each page needs the permission of the admin route it shows.
 */
export function oneIdPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  const hq = async (c: ConsoleContext) => (await scopeCheck(ctx, c)).everything('One-ID (imports, records, merges, quarantine, suggestions, figures)');
  const notice = (c: ConsoleContext) => {
    const done = DONE.get(c.req.query('done') as 'accepted');
    return done && <Notice kind="ok">{c.var.t(done)}</Notice>;
  };

  app.get(
    '/one-id',
    page(ctx, async (c) => {
      need(c, 'GET /identity/metrics');
      await hq(c);
      const { t, actor } = c.var;
      const { metrics: m, spread } = await ctx.identity.figures();
      const decisions = ctx.identity.decisionCounts();
      const channelLabels = spread.byChannels.map((_, i) => (i === spread.byChannels.length - 1 ? `${i + 1}+` : String(i + 1)));
      const imports = mayCall(actor, 'GET /imports') ? (await ctx.imports.list()).filter((i) => i.summary).slice(0, IMPORTS_SHOWN) : [];
      const n = (kind: 'link' | 'reject' | 'split' | 'quarantine' | 'release') => decisions.get(kind) ?? 0;
      return c.html(
        <Layout t={t} title={t('oneId.title')} here="/console/one-id" actor={actor} screen="/console/one-id" scripts={['/console/static/echarts.min.js', '/console/static/console.js']}>
          <OneIdTabs t={t} here="/console/one-id" />
          <Panel title={t('oneId.figures')} id="figures">
            <div class="stats">
              <Stat label={t('oneId.records')} value={t.num(m.records)} />
              <Stat label={t('oneId.members')} value={t.num(m.members)} />
              <Stat label={t('oneId.identificationRate')} value={percent(m.identificationRate)} />
              <Stat label={t('oneId.completeness')} value={percent(m.averageCompleteness)} />
              <Stat label={t('oneId.duplicatesRemoved')} value={t.num(m.duplicatesRemoved)} />
              <Stat label={t('oneId.quarantinedKeys')} value={t.num(m.quarantinedKeys)} tone={m.quarantinedKeys > 0 ? 'warn' : undefined} />
            </div>
            <p class="hint">{t('oneId.figuresHint')}</p>
          </Panel>
          <Panel title={t('oneId.decisions')} id="decisions">
            <div class="stats">
              <Stat label={t('oneId.accepted')} value={t.num(n('link'))} />
              <Stat label={t('oneId.rejected')} value={t.num(n('reject'))} />
              <Stat label={t('oneId.splits')} value={t.num(n('split'))} />
              <Stat label={t('oneId.held')} value={t.num(n('quarantine'))} />
              <Stat label={t('oneId.released')} value={t.num(n('release'))} />
            </div>
          </Panel>
          <div class="cards">
            <ChartPanel
              title={t('oneId.byChannels')}
              id="channels-chart"
              chart={{ days: channelLabels, series: [{ name: t('oneId.members'), data: spread.byChannels }] }}
              table={
                <Table
                  label={t('oneId.byChannels')}
                  empty=""
                  head={[t('oneId.channels'), t('oneId.members')]}
                  rows={spread.byChannels.map((n, i) => [channelLabels[i], <span data-channels={i + 1}>{t.num(n)}</span>])}
                />
              }
            />
            <ChartPanel
              title={t('oneId.byFields', { n: spread.byFieldsFilled.length - 1 })}
              id="fields-chart"
              chart={{ days: spread.byFieldsFilled.map((_, i) => String(i)), series: [{ name: t('oneId.members'), data: spread.byFieldsFilled }] }}
              table={
                <Table
                  label={t('oneId.byFields', { n: spread.byFieldsFilled.length - 1 })}
                  empty=""
                  head={[t('oneId.fieldsFilled'), t('oneId.members')]}
                  rows={spread.byFieldsFilled.map((n, i) => [String(i), <span data-fields={i}>{t.num(n)}</span>])}
                />
              }
            />
          </div>
          {imports.length > 0 && (
            <Panel title={t('oneId.recentImports', { n: imports.length })} id="recent-imports">
              <Table
                label={t('oneId.recentImports', { n: imports.length })}
                empty=""
                head={[t('oneId.import'), t('oneId.finished'), t('oneId.acceptedRows'), t('oneId.rejectedRows'), t('oneId.duplicates'), t('oneId.rowCompleteness')]}
                rows={imports.map((i) => [
                  <a href={`/console/one-id/imports/${i.id}`}>{i.id}</a>,
                  t.time(i.finishedAt),
                  t.num(i.summary!.accepted),
                  t.num(i.summary!.rejected),
                  t.num(i.summary!.duplicates),
                  percent(i.summary!.completenessAvg),
                ])}
              />
            </Panel>
          )}
        </Layout>,
      );
    }),
  );

  // ——— quarantine ———

  const quarantine = async (c: ConsoleContext, error?: string) => {
    need(c, 'GET /identity/quarantine');
    await hq(c);
    const { t, actor } = c.var;
    const view = personalView(actor);
    const keys = ctx.identity.quarantined();
    const mayWrite = mayCall(actor, 'POST /identity/quarantine');
    return c.html(
      <Layout t={t} title={t('oneId.quarantine')} here="/console/one-id/quarantine" actor={actor} screen="/console/one-id">
        <OneIdTabs t={t} here="/console/one-id/quarantine" />
        {error && <Notice kind="error">{error}</Notice>}
        {notice(c)}
        <p class="hint">{t('oneId.quarantineHint')}</p>
        <p class="count" data-count={keys.length}>
          {t('oneId.keysHeld', { n: keys.length })}
        </p>
        <Table
          label={t('oneId.quarantine')}
          empty={t('oneId.noKeys')}
          head={[t('oneId.key'), t('oneId.carriedBy'), t('oneId.qReason'), ...(mayWrite ? [''] : [])]}
          rows={keys.map((k) => [
            <code data-key={view.key(k.key)}>{view.key(k.key)}</code>,
            t.num(k.records),
            t.value('qreason', k.reason),
            ...(mayWrite
              ? [
                  <form method="post" action="/console/one-id/quarantine/release" class="inline">
                    <Csrf actor={actor} />
                    <input type="hidden" name="key" value={k.key} />
                    <button type="submit" class="secondary" data-action={`release-${view.key(k.key)}`}>
                      {t('oneId.release')}
                    </button>
                  </form>,
                ]
              : []),
          ])}
        />
        {mayWrite && (
          <Panel title={t('oneId.hold')} id="hold-key">
            <form method="post" action="/console/one-id/quarantine" class="grid-form">
              <Csrf actor={actor} />
              <label>
                {t('oneId.keyType')}
                <select name="type">
                  {HOLDABLE.map((k) => (
                    <option value={k}>{t.value('keytype', k)}</option>
                  ))}
                </select>
              </label>
              <label class="grow">
                {t('oneId.keyValue')}
                <input name="value" required maxlength={80} placeholder="400 820 8820" />
              </label>
              <button type="submit" data-action="hold">
                {t('oneId.holdSubmit')}
              </button>
            </form>
            <p class="hint">{t('oneId.holdHint')}</p>
          </Panel>
        )}
      </Layout>,
      error ? 400 : 200,
    );
  };

  app.get('/one-id/quarantine', page(ctx, (c) => quarantine(c)));

  // Holding a key does the work of POST /admin/v1/identity/quarantine, through the same service.
  app.post(
    '/one-id/quarantine',
    formAction(ctx, 'POST /identity/quarantine', async (c) => {
      await hq(c);
      const { t } = c.var;
      const form = await c.req.parseBody();
      const type = HOLDABLE.find((k) => k === textField(form, 'type'));
      const key = type ? identityKey(type, textField(form, 'value') ?? '') : undefined;
      if (!key?.ok) return quarantine(c, t('oneId.badKey'));
      c.set('auditTarget', key.key);
      const held = await hold(c, key.key, true);
      return held ?? c.redirect('/console/one-id/quarantine?done=held', 303);
    }),
  );
  app.post(
    '/one-id/quarantine/release',
    formAction(ctx, 'DELETE /identity/quarantine/:key', async (c) => {
      await hq(c);
      const key = textField(await c.req.parseBody(), 'key');
      if (!key || key.length > 200) return quarantine(c, c.var.t('oneId.badKey'));
      c.set('auditTarget', key);
      const released = await hold(c, key, false);
      return released ?? c.redirect('/console/one-id/quarantine?done=released', 303);
    }),
  );
  /** Holds or releases a key; a key no record carries is the form's error, not a fault. */
  const hold = async (c: ConsoleContext, key: string, held: boolean) => {
    try {
      await ctx.identity.setQuarantine(key, held, c.var.actor.name);
      return undefined;
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed') return quarantine(c, c.var.t('oneId.unknownKey'));
      throw err;
    }
  };

  // ——— suggestions ———

  app.get(
    '/one-id/suggestions',
    page(ctx, async (c) => {
      need(c, 'GET /identity/suggestions');
      await hq(c);
      const { t, actor } = c.var;
      const suggestions = ctx.identity.suggestions(SUGGESTIONS_SHOWN);
      // People's data side by side: audited as the admin API's GET /identity/suggestions is.
      await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: c.req.routePath, status: 200, ...clientAddress(c) });
      const rows = await Promise.all(suggestions.map(async (s) => ({ s, a: await goldenById(ctx, s.a), b: await goldenById(ctx, s.b) })));
      const mayAnswer = mayCall(actor, 'POST /identity/suggestions/:answer{accept|reject}');
      return c.html(
        <Layout t={t} title={t('oneId.suggestions')} here="/console/one-id/suggestions" actor={actor} screen="/console/one-id">
          <OneIdTabs t={t} here="/console/one-id/suggestions" />
          {notice(c)}
          <p class="hint">{t('oneId.suggestionsHint')}</p>
          <p class="count" data-count={suggestions.length}>
            {t('oneId.suggestionCount', { n: suggestions.length })}
          </p>
          <SuggestionTable t={t} actor={actor} rows={rows} view={personalView(actor)} mayAnswer={mayAnswer} back="list" />
          {!personalView(actor).reveal && <p class="hint">{t('members.masked')}</p>}
        </Layout>,
      );
    }),
  );

  // Accept and reject do the work of POST /admin/v1/identity/suggestions/:answer, through the same service.
  app.post(
    '/one-id/suggestions/:answer{accept|reject}',
    formAction(ctx, 'POST /identity/suggestions/:answer{accept|reject}', async (c) => {
      await hq(c);
      const form = await c.req.parseBody();
      const answer = c.req.param('answer') === 'accept' ? 'accept' : 'reject';
      const pair = PairSchema.safeParse({ a: textField(form, 'a'), b: textField(form, 'b') });
      if (!pair.success) throw new AppError('validation_failed', 'a and b: the two golden members of the suggestion');
      c.set('auditTarget', `${answer} ${pair.data.a} ${pair.data.b}`);
      await ctx.identity.answerSuggestion(pair.data.a, pair.data.b, answer === 'accept', c.var.actor.name);
      const done = answer === 'accept' ? 'accepted' : 'rejected';
      // Back to the member 360 it was answered from, or to the list.
      const back = textField(form, 'back') ?? '';
      const member = back.startsWith('member:') ? MemberId.safeParse(back.slice('member:'.length)) : undefined;
      return c.redirect(member?.success ? `/console/members/${encodeURIComponent(member.data)}?done=${done}#suggestions` : `/console/one-id/suggestions?done=${done}`, 303);
    }),
  );
  return app;
}

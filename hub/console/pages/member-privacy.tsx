import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { CONSENT_CHANNELS } from '../../../shared/schemas/documents.ts';
import { ConsentBodySchema } from '../../../shared/schemas/api.ts';
import { MemberId } from '../../../shared/schemas/common.ts';
import type { HubContext } from '../../context.ts';
import { clientAddress } from '../../operators/access.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { memberConsent, recordHubConsent } from '../../privacy/consent.ts';
import { EraseBodySchema, eraseMember, erasureOf } from '../../privacy/erasure.ts';
import { memberExport } from '../../privacy/export.ts';
import { pathId } from '../../routes/path-param.ts';
import { Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleEnv } from '../console-access.ts';
import type { Translator } from '../i18n.ts';
import type { Actor } from '../../operators/access.ts';

/** What the member page shows of a member's personal-data rights (read through the same services as the admin API). */
export async function privacyOf(ctx: HubContext, memberId: string) {
  const [consent, erasure] = await Promise.all([memberConsent(ctx, memberId), erasureOf(ctx, memberId)]);
  return { ...consent, erasure };
}

const stateOf = (granted: boolean | null) => (granted === null ? 'none' : granted ? 'yes' : 'no');

/**
 * The member page's panel: consent per channel with its history and a form to record what the
 * member said, the download of everything about them, and erasure (reason and confirmation),
 * each shown only to a role that may call the admin route behind it.
 */
export function PrivacyPanel({ t, actor, memberId, privacy }: { t: Translator; actor: Actor; memberId: string; privacy: Awaited<ReturnType<typeof privacyOf>> }) {
  const { channels, history, erasure } = privacy;
  const erased = erasure?.doneAt !== undefined;
  return (
    <Panel title={t('privacy.title')} id="privacy">
      {erased && <Notice kind="info">{t('privacy.erased', { at: t.time(erasure!.doneAt), by: erasure!.by, reason: erasure!.reason })}</Notice>}
      <Table
        label={t('privacy.consent')}
        empty={t('privacy.noHistory')}
        head={[t('privacy.channel'), t('privacy.consent'), t('privacy.source'), t('privacy.when')]}
        rows={channels.map((c) => [t.value('channel', c.channel), <span data-consent={c.channel}>{t.value('consent', stateOf(c.granted))}</span>, c.source ? `${t.value('consentSource', c.source)}${c.storeId && c.storeId !== 'HQ' ? ` ${c.storeId}` : ''}` : '—', c.at ? t.time(c.at) : '—'])}
      />
      <details>
        <summary>{t('privacy.history', { n: history.length })}</summary>
        <Table
          label={t('privacy.history', { n: history.length })}
          empty={t('privacy.noHistory')}
          head={[t('privacy.when'), t('privacy.channel'), t('privacy.consent'), t('privacy.source')]}
          rows={history.slice(0, 200).map((h) => [t.time(h.at), t.value('channel', h.channel), t.value('consent', stateOf(h.granted)), `${t.value('consentSource', h.source)} ${h.storeId}${h.by ? ` (${h.by})` : ''}`])}
        />
      </details>
      {!erased && mayCall(actor, 'POST /members/:id/consent') && (
        <form method="post" action={`/console/members/${memberId}/consent`} class="filters" id="consent-form">
          <Csrf actor={actor} />
          <label>
            {t('privacy.channel')}
            <select name="channel">
              {CONSENT_CHANNELS.map((ch) => (
                <option value={ch}>{t.value('channel', ch)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('privacy.setConsent')}
            <select name="granted">
              <option value="true">{t('privacy.agrees')}</option>
              <option value="false">{t('privacy.refuses')}</option>
            </select>
          </label>
          <button type="submit">{t('privacy.save')}</button>
        </form>
      )}
      {mayCall(actor, 'GET /members/:id/export') && (
        <p>
          <a href={`/console/members/${memberId}/export`} download={`member-${memberId}.json`} id="export-link">
            {t('privacy.export')}
          </a>
          <br />
          <span class="hint">{t('privacy.exportHint')}</span>
        </p>
      )}
      {!erased && mayCall(actor, 'POST /members/:id/erase') && (
        <form method="post" action={`/console/members/${memberId}/erase`} id="erase-form">
          <Csrf actor={actor} />
          <fieldset>
            <legend>{t('privacy.erase')}</legend>
            <p class="hint">{t('privacy.eraseHint')}</p>
            <label>
              {t('privacy.reason')}
              <input name="reason" required minlength={3} maxlength={500} />
            </label>
            <label class="check">
              <input type="checkbox" name="confirm" value="yes" required /> {t('privacy.confirm')}
            </label>
            <button type="submit" class="danger">
              {t('privacy.erase')}
            </button>
          </fieldset>
        </form>
      )}
    </Panel>
  );
}

/** The member page's export download and its consent and erasure forms, over the admin API's services. */
export function memberPrivacyPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  const memberIdOf = (c: Parameters<typeof pathId>[0]) => pathId(c, 'id', MemberId, 'member_not_found', 'member');

  app.get(
    '/members/:id/export',
    page(ctx, async (c) => {
      need(c, 'GET /members/:id/export');
      const id = memberIdOf(c);
      const actor = c.var.actor;
      let status = 500;
      try {
        const body = await memberExport(ctx, id, (await scopeCheck(ctx, c)).scope);
        status = 200;
        c.header('Content-Disposition', `attachment; filename="member-${body.memberId}.json"`);
        return c.json(body);
      } catch (err) {
        status = err instanceof AppError ? err.status : 500;
        throw err;
      } finally {
        // A read of everything about a person: audited as the admin API's export is.
        await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'GET', route: c.req.routePath, target: id, status, ...clientAddress(c) });
      }
    }),
  );

  app.post(
    '/members/:id/consent',
    formAction(ctx, 'POST /members/:id/consent', async (c) => {
      const id = memberIdOf(c);
      const form = await c.req.formData();
      const parsed = ConsentBodySchema.safeParse({ channel: form.get('channel'), granted: form.get('granted') === 'true' ? true : form.get('granted') === 'false' ? false : undefined });
      if (!parsed.success) throw new AppError('validation_failed', 'choose a channel and whether the member agrees');
      await recordHubConsent(ctx, id, parsed.data, 'console', c.var.actor.name, (await scopeCheck(ctx, c)).scope);
      return c.redirect(`/console/members/${encodeURIComponent(id)}?done=consent#privacy`, 303);
    }),
  );

  app.post(
    '/members/:id/erase',
    formAction(ctx, 'POST /members/:id/erase', async (c) => {
      const id = memberIdOf(c);
      const form = await c.req.formData();
      if (form.get('confirm') !== 'yes') throw new AppError('validation_failed', 'confirm that the erasure cannot be undone', { field: 'confirm' });
      const parsed = EraseBodySchema.safeParse({ reason: form.get('reason') });
      if (!parsed.success) throw new AppError('validation_failed', 'reason: 3 to 500 characters', { field: 'reason' });
      const { erasure } = await eraseMember(ctx, id, parsed.data.reason, c.var.actor.name, (await scopeCheck(ctx, c)).scope);
      return c.redirect(`/console/members/${encodeURIComponent(erasure.memberId)}?done=erase#privacy`, 303);
    }),
  );
  return app;
}

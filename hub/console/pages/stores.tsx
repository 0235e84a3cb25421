import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { own } from '../../../shared/own.ts';
import { StoreId } from '../../../shared/schemas/common.ts';
import type { HubContext } from '../../context.ts';
import { fleetStatus } from '../../fleet.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { pathId } from '../../routes/path-param.ts';
import { AddStoreSchema } from '../../stores.ts';
import { Badge, Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { Layout } from '../layout.tsx';

const DONE = new Map([
  ['disabled', 'stores.didDisable'],
  ['enabled', 'stores.didEnable'],
] as const);

/** The enrollment code, shown once: the page that answers the form that made it. */
function CodePage({ c, storeId, code, expiresAt, isNew }: { c: ConsoleContext; storeId: string; code: string; expiresAt: string; isNew: boolean }) {
  const t = c.var.t;
  return (
    <Layout t={t} title={t(isNew ? 'stores.added' : 'stores.newCodeTitle', { id: storeId })} here="/console/stores" actor={c.var.actor} screen="/console/stores">
      <Panel title={t('stores.codeTitle')}>
        <p class="code" data-enrollment-code>
          {code}
        </p>
        <p>{t('stores.codeOnce', { at: t.time(expiresAt) })}</p>
        <pre class="cmd">{`npm run edge -- enroll --hub <hub URL> --code ${code} --data /var/lib/memberedge`}</pre>
        <p>
          <a href="/console/stores">{t('stores.back')}</a>
        </p>
      </Panel>
    </Layout>
  );
}

/** Stores and fleet: what the fleet API answers, and the store actions of the admin API as forms. */
export function storePages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  const storeId = async (c: ConsoleContext) => (await scopeCheck(ctx, c)).store(pathId(c, 'id', StoreId, 'store_not_found', 'store'));

  const list = async (c: ConsoleContext, error?: string) => {
    need(c, 'GET /fleet');
    const { t, actor } = c.var;
    const fleet = await fleetStatus(ctx, ctx.clock(), (await scopeCheck(ctx, c)).scope);
    const canWrite = mayCall(actor, 'POST /stores/:id/disable');
    const done = DONE.get(c.req.query('done') as 'disabled');
    const doneStore = StoreId.safeParse(c.req.query('store'));
    return c.html(
      <Layout t={t} title={t('stores.title')} here="/console/stores" actor={actor} screen="/console/stores">
        {error && <Notice kind="error">{error}</Notice>}
        {done && doneStore.success && <Notice kind="ok">{t(done, { id: doneStore.data })}</Notice>}
        <Table
          label={t('stores.title')}
          empty={t('stores.none')}
          head={[t('stores.store'), t('stores.state'), t('stores.heartbeat'), t('stores.lag'), t('stores.version'), t('stores.incidents'), ...(canWrite ? [t('stores.actions')] : [])]}
          rows={fleet.map((s) => [
            <span data-store={s.storeId}>
              <strong>{s.storeId}</strong> {s.name}
              <br />
              <small>{s.region}</small>
            </span>,
            <span data-state={s.storeId}>
              <Badge t={t} prefix="state" value={s.state} />
              {s.stateReason && <small class="reason">{s.stateReason}</small>}
            </span>,
            s.lastHeartbeatAt ? (
              <span>
                {t.time(s.lastHeartbeatAt)}
                <br />
                <small>{t('stores.ago', { s: s.heartbeatAgeSeconds ?? 0 })}</small>
              </span>
            ) : (
              '—'
            ),
            <span class="nowrap" data-lag={s.storeId}>{t('stores.lagValue', { docs: s.lag.documents, s: s.lag.seconds })}</span>,
            s.version ?? '—',
            s.openIncidents > 0 ? <a href={`/console/incidents?status=open&store=${s.storeId}`}>{t.num(s.openIncidents)}</a> : '0',
            ...(canWrite
              ? [
                  <div class="actions">
                    <form method="post" action={`/console/stores/${s.storeId}/${s.disabled ? 'enable' : 'disable'}`} class="inline">
                      <Csrf actor={actor} />
                      <button type="submit" class={s.disabled ? '' : 'danger'} data-action={`${s.disabled ? 'enable' : 'disable'}-${s.storeId}`}>
                        {t(s.disabled ? 'stores.enable' : 'stores.disable')}
                      </button>
                    </form>
                    {!s.disabled && (
                      <form method="post" action={`/console/stores/${s.storeId}/codes`} class="inline">
                        <Csrf actor={actor} />
                        <button type="submit" class="secondary">
                          {t('stores.newCode')}
                        </button>
                      </form>
                    )}
                  </div>,
                ]
              : []),
          ])}
        />
        {mayCall(actor, 'POST /stores') && (
          <Panel title={t('stores.add')} id="add-store">
            <form method="post" action="/console/stores" class="grid-form">
              <Csrf actor={actor} />
              <label>
                {t('stores.id')}
                <input name="id" required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}" maxlength={32} />
              </label>
              <label>
                {t('stores.name')}
                <input name="name" required maxlength={80} />
              </label>
              <label>
                {t('stores.region')}
                <input name="region" maxlength={40} placeholder="default" />
              </label>
              <button type="submit">{t('stores.addSubmit')}</button>
            </form>
          </Panel>
        )}
      </Layout>,
      error ? 400 : 200,
    );
  };

  app.get('/stores', page(ctx, (c) => list(c)));

  app.post(
    '/stores',
    formAction(ctx, 'POST /stores', async (c) => {
      const form = await c.req.parseBody();
      const field = (n: string) => {
        const v = own(form, n);
        return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
      };
      const input = AddStoreSchema.safeParse({ id: field('id'), name: field('name'), ...(field('region') ? { region: field('region') } : {}) });
      if (!input.success) return list(c, c.var.t('stores.invalid', { field: String(input.error.issues[0]?.path[0] ?? '') }));
      let added;
      try {
        added = await ctx.org.addStore(input.data, undefined, (await scopeCheck(ctx, c)).scope);
      } catch (err) {
        if (err instanceof AppError && err.code === 'store_exists') return list(c, c.var.t('stores.exists', { id: input.data.id }));
        throw err;
      }
      ctx.log.info('store added', { storeId: added.store.id });
      return c.html(<CodePage c={c} storeId={added.store.id} code={added.code} expiresAt={added.expiresAt} isNew />, 201);
    }),
  );
  app.post(
    '/stores/:id/codes',
    formAction(ctx, 'POST /stores/:id/codes', async (c) => {
      const id = await storeId(c);
      const code = await ctx.stores.newCode(id);
      return c.html(<CodePage c={c} storeId={id} code={code.code} expiresAt={code.expiresAt} isNew={false} />, 201);
    }),
  );
  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/stores/:id/${action}`,
      formAction(ctx, `POST /stores/:id/${action}`, async (c) => {
        const id = await storeId(c);
        await ctx.stores.setDisabled(id, action === 'disable');
        return c.redirect(`/console/stores?done=${action}d&store=${id}`, 303);
      }),
    );
  }
  return app;
}

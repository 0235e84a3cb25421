import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { StoreId } from '../../../shared/schemas/common.ts';
import type { HubContext } from '../../context.ts';
import { fleetStatus } from '../../fleet.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { pathId } from '../../routes/path-param.ts';
import { AddCitySchema, MoveStoreSchema } from '../../../shared/schemas/org.ts';
import type { OrgTree } from '../../../shared/org-scope.ts';
import { AddStoreSchema } from '../../stores.ts';
import { Badge, Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, mayCall, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formFields } from '../form-fields.tsx';
import { Layout } from '../layout.tsx';

const DONE = new Map([
  ['disabled', 'stores.didDisable'],
  ['enabled', 'stores.didEnable'],
  ['moved', 'stores.didMove'],
  ['city', 'stores.didAddCity'],
] as const);

/** The org tree as nested lists: regions, their cities, the stores in each. */
function OrgTreeList({ tree }: { tree: OrgTree }) {
  const stores = (list: { storeId: string; name: string }[]) =>
    list.length > 0 && (
      <ul>
        {list.map((s) => (
          <li data-tree-store={s.storeId}>
            <strong>{s.storeId}</strong> {s.name}
          </li>
        ))}
      </ul>
    );
  return (
    <ul class="org-tree">
      {tree.regions.map((r) => (
        <li data-tree-region={r.name}>
          <strong>{r.name}</strong>
          <ul>
            {r.cities.map((city) => (
              <li data-tree-city={city.name}>
                {city.name}
                {stores(city.stores)}
              </li>
            ))}
          </ul>
          {stores(r.stores)}
        </li>
      ))}
    </ul>
  );
}

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

/** The city a store goes into (and so its region), from the cities the operator's tree holds. */
function CityField({ t, cities, required }: { t: ConsoleContext['var']['t']; cities: string[]; required?: boolean }) {
  return (
    <label>
      {t('stores.city')}
      <select name="city" required={required}>
        {!required && <option value="">{t('stores.noCity')}</option>}
        {cities.map((name) => (
          <option value={name}>{name}</option>
        ))}
      </select>
    </label>
  );
}

/** Stores and fleet: what the fleet API answers, and the store actions of the admin API as forms. */
export function storePages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  const storeId = async (c: ConsoleContext) => (await scopeCheck(ctx, c)).store(pathId(c, 'id', StoreId, 'store_not_found', 'store'));

  const list = async (c: ConsoleContext, error?: string) => {
    need(c, 'GET /fleet');
    const { t, actor } = c.var;
    const scope = (await scopeCheck(ctx, c)).scope;
    const [fleet, tree] = await Promise.all([fleetStatus(ctx, ctx.clock(), scope), ctx.org.tree(scope)]);
    const cities = tree.regions.flatMap((r) => r.cities.map((city) => city.name));
    const canWrite = mayCall(actor, 'POST /stores/:id/disable');
    const done = DONE.get(c.req.query('done') as 'disabled');
    const doneStore = StoreId.safeParse(c.req.query('store'));
    return c.html(
      <Layout t={t} title={t('stores.title')} here="/console/stores" actor={actor} screen="/console/stores">
        {error && <Notice kind="error">{error}</Notice>}
        {done && (doneStore.success || done === 'stores.didAddCity') && <Notice kind="ok">{t(done, { id: doneStore.data ?? '' })}</Notice>}
        <Table
          label={t('stores.title')}
          empty={t('stores.none')}
          head={[t('stores.store'), t('stores.state'), t('stores.heartbeat'), t('stores.lag'), t('stores.version'), t('stores.incidents'), ...(canWrite ? [t('stores.actions')] : [])]}
          rows={fleet.map((s) => [
            <span data-store={s.storeId}>
              <strong>{s.storeId}</strong> {s.name}
              <br />
              <small>{s.city ? `${s.region} · ${s.city}` : s.region}</small>
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
              <CityField t={t} cities={cities} />
              <label>
                {t('stores.region')}
                <input name="region" maxlength={40} placeholder="default" />
              </label>
              <button type="submit">{t('stores.addSubmit')}</button>
            </form>
          </Panel>
        )}
        {mayCall(actor, 'GET /org') && (
          <Panel title={t('stores.org')} id="org">
            <OrgTreeList tree={tree} />
            {mayCall(actor, 'POST /org/cities') && (
              <form method="post" action="/console/org/cities" class="grid-form" id="add-city">
                <Csrf actor={actor} />
                <label>
                  {t('stores.cityName')}
                  <input name="name" required maxlength={40} />
                </label>
                <label>
                  {t('stores.region')}
                  <input name="region" required maxlength={40} />
                </label>
                <button type="submit">{t('stores.addCity')}</button>
              </form>
            )}
            {mayCall(actor, 'POST /stores/:id/move') && fleet.length > 0 && cities.length > 0 && (
              <form method="post" action="/console/stores/move" class="grid-form" id="move-store">
                <Csrf actor={actor} />
                <label>
                  {t('stores.store')}
                  <select name="store" required>
                    {fleet.map((s) => (
                      <option value={s.storeId}>{`${s.storeId} ${s.name}`}</option>
                    ))}
                  </select>
                </label>
                <CityField t={t} cities={cities} required />
                <button type="submit">{t('stores.move')}</button>
              </form>
            )}
          </Panel>
        )}
      </Layout>,
      error ? 400 : 200,
    );
  };

  app.get('/stores', page(ctx, (c) => list(c)));

  /** A refusal the form can show (bad input, a name taken, a place outside the scope) goes back to the page. */
  const shownOnPage = async (c: ConsoleContext, work: () => Promise<Response>) => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof AppError && (err.status === 400 || err.status === 409 || err.code === 'forbidden')) return list(c, err.message);
      throw err;
    }
  };

  app.post(
    '/stores',
    formAction(ctx, 'POST /stores', async (c) => {
      const field = await formFields(c);
      const input = AddStoreSchema.safeParse({ id: field('id'), name: field('name'), ...(field('region') ? { region: field('region') } : {}), ...(field('city') ? { city: field('city') } : {}) });
      if (!input.success) return list(c, c.var.t('stores.invalid', { field: String(input.error.issues[0]?.path[0] ?? '') }));
      let added;
      try {
        added = await ctx.org.addStore(input.data, undefined, (await scopeCheck(ctx, c)).scope);
      } catch (err) {
        if (err instanceof AppError && err.code === 'store_exists') return list(c, c.var.t('stores.exists', { id: input.data.id }));
        if (err instanceof AppError && (err.status === 400 || err.code === 'forbidden')) return list(c, err.message);
        throw err;
      }
      ctx.log.info('store added', { storeId: added.store.id });
      return c.html(<CodePage c={c} storeId={added.store.id} code={added.code} expiresAt={added.expiresAt} isNew />, 201);
    }),
  );
  app.post(
    '/org/cities',
    formAction(ctx, 'POST /org/cities', async (c) => {
      const field = await formFields(c);
      const input = AddCitySchema.safeParse({ name: field('name'), region: field('region') });
      if (!input.success) return list(c, c.var.t('stores.invalid', { field: String(input.error.issues[0]?.path[0] ?? '') }));
      return shownOnPage(c, async () => {
        await ctx.org.addCity(input.data, (await scopeCheck(ctx, c)).scope);
        return c.redirect('/console/stores?done=city#org', 303);
      });
    }),
  );
  app.post(
    '/stores/move',
    formAction(ctx, 'POST /stores/:id/move', async (c) => {
      const field = await formFields(c);
      const store = StoreId.safeParse(field('store'));
      const to = MoveStoreSchema.safeParse({ city: field('city') });
      if (!store.success || !to.success) return list(c, c.var.t('stores.invalid', { field: store.success ? 'city' : 'store' }));
      return shownOnPage(c, async () => {
        const moved = await ctx.org.moveStore(store.data, to.data, (await scopeCheck(ctx, c)).scope);
        return c.redirect(`/console/stores?done=moved&store=${moved.id}#org`, 303);
      });
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

import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { OperatorName, RoleId } from '../../../shared/schemas/operator.ts';
import type { HubContext } from '../../context.ts';
import { operatorInPath, operatorsWithin } from '../../operators/operators-in-scope.ts';
import { operatorView } from '../../operators/operators.ts';
import { scopeCheck } from '../../org/scope-check.ts';
import { Badge, Csrf, Notice, Panel, Table } from '../components.tsx';
import { formAction, need, page, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formFields } from '../form-fields.tsx';
import { Layout } from '../layout.tsx';

const DONE = new Map([
  ['disabled', 'operators.didDisable'],
  ['enabled', 'operators.didEnable'],
] as const);

/** The one-time password, shown once: the page that answers the form that made it. */
function PasswordPage({ c, name, password, isNew }: { c: ConsoleContext; name: string; password: string; isNew: boolean }) {
  const t = c.var.t;
  return (
    <Layout t={t} title={t(isNew ? 'operators.added' : 'operators.resetTitle', { name })} here="/console/operators" actor={c.var.actor} screen="/console/operators">
      <Panel title={t('operators.passwordTitle')}>
        <p class="code" data-one-time-password>
          {password}
        </p>
        <p>{t('operators.passwordOnce', { name })}</p>
        <p>
          <a href="/console/operators">{t('operators.back')}</a>
        </p>
      </Panel>
    </Layout>
  );
}

/**
 * Operators and roles (`operators:manage`): the accounts an admin's scope covers, with the admin
 * API's actions as forms: add (one-time password shown once), disable, enable, reset. Roles are
 * listed with their permissions, as the hub holds them.
 */
export function operatorPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  const list = async (c: ConsoleContext, error?: string) => {
    need(c, 'GET /operators');
    const { t, actor } = c.var;
    const check = await scopeCheck(ctx, c);
    const [seen, roles, tree] = await Promise.all([operatorsWithin(ctx, check.scope), ctx.operators.roles(), ctx.org.tree(check.scope)]);
    const now = ctx.clock().toISOString();
    const done = DONE.get(c.req.query('done') as 'disabled');
    const doneName = OperatorName.safeParse(c.req.query('name'));
    // The nodes an admin may give: their own scope's subtree (HQ only for an unscoped admin).
    const nodes = [];
    for (const n of tree.regions.flatMap((r) => [r.id, ...r.cities.flatMap((city) => [city.id, ...city.stores.map((s) => s.id)]), ...r.stores.map((s) => s.id)])) if (await ctx.org.nodeWithin(n, check.scope)) nodes.push(n);
    return c.html(
      <Layout t={t} title={t('operators.title')} here="/console/operators" actor={actor} screen="/console/operators">
        {error && <Notice kind="error">{error}</Notice>}
        {done && doneName.success && <Notice kind="ok">{t(done, { name: doneName.data })}</Notice>}
        <Table
          label={t('operators.title')}
          empty={t('operators.none')}
          head={[t('operators.name'), t('operators.role'), t('operators.scope'), t('operators.state'), t('operators.lastLogin'), t('operators.actions')]}
          rows={seen.map(operatorView).map((o) => [
            <strong data-operator={o.name}>{o.name}</strong>,
            t.value('role', o.role),
            o.scope ?? <em>{t('operators.everything')}</em>,
            <span data-operator-state={o.name}>
              <Badge t={t} prefix="operatorState" value={o.disabled ? 'disabled' : o.lockedUntil && o.lockedUntil > now ? 'locked' : o.mustChangePassword ? 'pending' : 'active'} />
            </span>,
            o.lastLoginAt ? t.time(o.lastLoginAt) : '—',
            o.name === actor.name ? (
              <small>{t('operators.you')}</small>
            ) : (
              <div class="actions">
                <form method="post" action={`/console/operators/${o.name}/${o.disabled ? 'enable' : 'disable'}`} class="inline">
                  <Csrf actor={actor} />
                  <button type="submit" class={o.disabled ? '' : 'danger'} data-action={`${o.disabled ? 'enable' : 'disable'}-${o.name}`}>
                    {t(o.disabled ? 'operators.enable' : 'operators.disable')}
                  </button>
                </form>
                <form method="post" action={`/console/operators/${o.name}/reset`} class="inline">
                  <Csrf actor={actor} />
                  <button type="submit" class="secondary" data-action={`reset-${o.name}`}>
                    {t('operators.reset')}
                  </button>
                </form>
              </div>
            ),
          ])}
        />
        <Panel title={t('operators.add')} id="add-operator">
          <form method="post" action="/console/operators" class="grid-form">
            <Csrf actor={actor} />
            <label>
              {t('operators.name')}
              <input name="name" required pattern="[a-z][a-z0-9._\-]{1,31}" maxlength={32} autocomplete="off" />
            </label>
            <label>
              {t('operators.role')}
              <select name="role" required>
                {roles.map((r) => (
                  <option value={r.id}>{t.value('role', r.id)}</option>
                ))}
              </select>
            </label>
            <label>
              {t('operators.scope')}
              <select name="scope">
                {check.scope.node === null && <option value="">{t('operators.everything')}</option>}
                {nodes.map((n) => (
                  <option value={n}>{n}</option>
                ))}
              </select>
            </label>
            <button type="submit">{t('operators.addSubmit')}</button>
          </form>
        </Panel>
        <Panel title={t('operators.roles')} id="roles">
          <Table
            label={t('operators.roles')}
            empty=""
            head={[t('operators.role'), t('operators.permissions')]}
            rows={roles.map((r) => [
              <span data-role={r.id}>
                <strong>{t.value('role', r.id)}</strong>
                <br />
                <small>{r.title}</small>
              </span>,
              <span class="permissions">{r.permissions.map((p) => <code>{p}</code>)}</span>,
            ])}
          />
        </Panel>
      </Layout>,
      error ? 400 : 200,
    );
  };

  app.get('/operators', page(ctx, (c) => list(c)));

  app.post(
    '/operators',
    formAction(ctx, 'POST /operators', async (c) => {
      const t = c.var.t;
      const field = await formFields(c);
      const name = OperatorName.safeParse(field('name'));
      if (!name.success) return list(c, t('operators.badName'));
      const role = RoleId.safeParse(field('role'));
      if (!role.success) return list(c, t('operators.badRole'));
      const caller = (await scopeCheck(ctx, c)).scope;
      const given = field('scope');
      // An operator without a scope sees everything: only an admin without one may make such an operator.
      if (given === undefined && caller.node !== null) return list(c, t('operators.needScope', { scope: caller.node }));
      try {
        const scope = given === undefined ? undefined : await ctx.org.scopeNode(given, caller);
        const { password } = await ctx.operators.add({ name: name.data, role: role.data, scope });
        return c.html(<PasswordPage c={c} name={name.data} password={password} isNew />, 201);
      } catch (err) {
        if (err instanceof AppError && err.code === 'operator_exists') return list(c, t('operators.exists', { name: name.data }));
        if (err instanceof AppError && err.status === 400) return list(c, err.message);
        throw err;
      }
    }),
  );
  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/operators/:name/${action}`,
      formAction(ctx, `POST /operators/:name/${action}`, async (c) => {
        const name = await operatorInPath(ctx, c);
        if (name === c.var.actor.name) throw new AppError('forbidden', 'an operator cannot disable or enable themselves');
        await ctx.operators.setDisabled(name, action === 'disable');
        if (action === 'disable') await ctx.sessions.removeAllOf(name);
        return c.redirect(`/console/operators?done=${action}d&name=${name}`, 303);
      }),
    );
  }
  app.post(
    '/operators/:name/reset',
    formAction(ctx, 'POST /operators/:name/reset', async (c) => {
      const name = await operatorInPath(ctx, c);
      if (name === c.var.actor.name) throw new AppError('forbidden', 'an operator changes their own password on the password page');
      const { password } = await ctx.operators.reset(name);
      await ctx.sessions.removeAllOf(name);
      return c.html(<PasswordPage c={c} name={name} password={password} isNew={false} />, 200);
    }),
  );
  return app;
}

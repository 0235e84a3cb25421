import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { AppError } from '../../../shared/errors.ts';
import { own } from '../../../shared/own.ts';
import { LoginSchema } from '../../../shared/schemas/operator.ts';
import type { HubContext } from '../../context.ts';
import { requireCsrf, sessionActor } from '../../operators/access.ts';
import type { SessionFlows } from '../../operators/session-flows.ts';
import { Csrf, Notice } from '../components.tsx';
import { isLang, type Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { page, safeNext, sameOrigin, setLanguage, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';

const text = (form: Record<string, unknown>, name: string) => {
  const v = own(form, name);
  return typeof v === 'string' ? v : '';
};

function LoginPage({ t, next, error }: { t: Translator; next: string; error?: string | undefined }) {
  const here = `/console/login?next=${encodeURIComponent(next)}`;
  return (
    <Layout t={t} title={t('login.title')} here={here}>
      <form method="post" action="/console/login" class="card narrow">
        {error && <Notice kind="error">{error}</Notice>}
        <input type="hidden" name="next" value={next} />
        <label>
          {t('login.name')}
          <input name="name" autocomplete="username" required autofocus maxlength={64} />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">{t('login.submit')}</button>
      </form>
    </Layout>
  );
}

/** Logging in and out, the first password, and the language switch, as HTML forms over the session flows. */
export function sessionPages(ctx: HubContext, flows: SessionFlows) {
  const app = new Hono<ConsoleEnv>();

  app.get('/login', async (c) => {
    const t = setLanguage(c);
    const next = safeNext(c.req.query('next'));
    // Someone already logged in goes where they were going.
    if (await sessionActor(ctx, c)) return c.redirect(next, 303);
    return c.html(<LoginPage t={t} next={next} />);
  });

  app.post('/login', async (c) => {
    const t = setLanguage(c);
    if (!sameOrigin(c)) throw new AppError('forbidden', t('login.crossSite'));
    const form = await c.req.parseBody();
    const next = safeNext(text(form, 'next'));
    const body = LoginSchema.safeParse({ name: text(form, 'name'), password: text(form, 'password') });
    try {
      if (!body.success) throw new AppError('login_failed', 'no name or password');
      const { operator } = await flows.login(c, body.data.name, body.data.password);
      return c.redirect(operator.mustChangePassword ? '/console/password' : next, 303);
    } catch (err) {
      if (!(err instanceof AppError) || (err.code !== 'login_failed' && err.code !== 'rate_limited')) throw err;
      return c.html(<LoginPage t={t} next={next} error={t(err.code === 'rate_limited' ? 'login.rateLimited' : 'login.failed')} />, err.status as 401);
    }
  });

  const PasswordPage = ({ c, error }: { c: ConsoleContext; error?: string }) => {
    const t = c.var.t;
    return (
      <Layout t={t} title={t('password.title')} here="/console/password" actor={c.var.actor}>
        <form method="post" action="/console/password" class="card narrow">
          {c.var.actor.mustChangePassword && <Notice kind="info">{t('password.mustChange')}</Notice>}
          {error && <Notice kind="error">{error}</Notice>}
          <Csrf actor={c.var.actor} />
          <label>
            {t('password.current')}
            <input name="current" type="password" autocomplete="current-password" required />
          </label>
          <label>
            {t('password.next')}
            <input name="next" type="password" autocomplete="new-password" minlength={10} required />
          </label>
          <label>
            {t('password.confirm')}
            <input name="confirm" type="password" autocomplete="new-password" minlength={10} required />
          </label>
          <button type="submit">{t('password.submit')}</button>
        </form>
      </Layout>
    );
  };

  app.get('/password', page(ctx, (c) => c.html(<PasswordPage c={c} />), { passwordPage: true }));
  app.post(
    '/password',
    page(
      ctx,
      async (c) => {
        await requireCsrf(c, c.var.actor);
        const form = await c.req.parseBody();
        const t = c.var.t;
        if (text(form, 'next') !== text(form, 'confirm')) return c.html(<PasswordPage c={c} error={t('password.mismatch')} />, 400);
        try {
          await flows.changePassword(c, c.var.actor, text(form, 'current'), text(form, 'next'));
        } catch (err) {
          if (!(err instanceof AppError) || (err.code !== 'login_failed' && err.code !== 'validation_failed')) throw err;
          return c.html(<PasswordPage c={c} error={t(err.code === 'login_failed' ? 'password.wrongCurrent' : 'password.tooWeak')} />, err.status as 400);
        }
        return c.redirect('/console', 303);
      },
      { passwordPage: true },
    ),
  );

  app.post(
    '/logout',
    page(
      ctx,
      async (c) => {
        await requireCsrf(c, c.var.actor);
        await flows.logout(c, c.var.actor);
        return c.redirect('/console/login', 303);
      },
      { passwordPage: true },
    ),
  );

  // The language switch: a link, so it works without scripts; it changes nothing but the cookie.
  app.get('/lang', (c) => {
    const to = c.req.query('to');
    if (isLang(to)) setCookie(c, 'lang', to, { path: '/console', maxAge: 365 * 24 * 3600, sameSite: 'Lax', httpOnly: true });
    return c.redirect(safeNext(c.req.query('back')), 303);
  });
  return app;
}

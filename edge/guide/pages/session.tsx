import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { isLang } from '../../../shared/i18n.ts';
import { sentFrom } from '../../../shared/same-origin.ts';
import { clearSessionCookie, clientAddress, currentSession, formBody, guideForm, guidePage, safeNext, setLanguage, setSessionCookie, type GuideDeps, type GuideEnv } from '../guide-access.ts';
import type { GuideSession } from '../sessions.ts';
import type { GuideTranslator } from '../i18n.ts';
import { Layout, Notice } from '../layout.tsx';
import { own } from '../../../shared/own.ts';

function SignInPage({ t, storeId, next, error, name }: { t: GuideTranslator; storeId: string; next: string; error?: string | undefined; name?: string }) {
  return (
    <Layout t={t} title={t('login.title')} storeId={storeId} here={`/guide/login?next=${encodeURIComponent(next)}`}>
      <form method="post" action="/guide/login" class="card">
        <p class="hint">{t('login.store', { store: storeId })}</p>
        {error && <Notice kind="error">{error}</Notice>}
        <input type="hidden" name="next" value={next} />
        <label>
          {t('login.name')}
          <input name="name" autocomplete="username" autocapitalize="none" required autofocus maxlength={32} value={name ?? ''} />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete="current-password" required maxlength={256} />
        </label>
        <button type="submit">{t('login.submit')}</button>
      </form>
    </Layout>
  );
}

function PasswordPage({ t, storeId, session, error }: { t: GuideTranslator; storeId: string; session: GuideSession; error?: string | undefined }) {
  return (
    <Layout t={t} title={t('password.title')} storeId={storeId} here="/guide/password">
      <form method="post" action="/guide/password" class="card">
        {session.mustChangePassword && <p class="hint">{t('password.mustChange')}</p>}
        {error && <Notice kind="error">{error}</Notice>}
        <input type="hidden" name="_csrf" value={session.csrfToken} />
        <label>
          {t(session.mustChangePassword ? 'password.given' : 'password.current')}
          <input name="current" type="password" autocomplete="current-password" required maxlength={256} />
        </label>
        <label>
          {t('password.next')}
          <input name="next" type="password" autocomplete="new-password" required minlength={10} maxlength={256} />
        </label>
        <label>
          {t('password.confirm')}
          <input name="confirm" type="password" autocomplete="new-password" required minlength={10} maxlength={256} />
        </label>
        <button type="submit">{t('password.submit')}</button>
      </form>
    </Layout>
  );
}

/** Signing in and out, a guide's own password, and the language switch. */
export function sessionPages(deps: GuideDeps) {
  const { ctx } = deps;
  const app = new Hono<GuideEnv>();
  const text = (form: Record<string, unknown>, name: string) => {
    const v = own(form, name);
    return typeof v === 'string' ? v : '';
  };

  app.get('/login', async (c) => {
    const t = setLanguage(c, deps);
    const next = safeNext(c.req.query('next'));
    if (await currentSession(c, deps)) return c.redirect(next, 303);
    return c.html(<SignInPage t={t} storeId={ctx.storeId} next={next} />);
  });

  app.post('/login', async (c) => {
    const t = setLanguage(c, deps);
    const form = await formBody(c);
    const next = safeNext(text(form, 'next'));
    const name = text(form, 'name').trim().toLowerCase();
    const page = (error: string, status: 401 | 403 | 429) => c.html(<SignInPage t={t} storeId={ctx.storeId} next={next} error={error} name={name.slice(0, 32)} />, status);
    // No session yet to carry a CSRF token: the form must come from this node's own page.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!sentFrom(c.req.header('origin') ?? c.req.header('referer'), host)) return page(t('login.crossSite'), 403);
    const wait = deps.signInLimit.take(clientAddress(c));
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return page(t('login.rateLimited'), 429);
    }
    const who = await deps.accounts.signIn(name, text(form, 'password'));
    if (!who) {
      ctx.log.info('guide sign-in refused');
      return page(t('login.failed'), 401);
    }
    // A new session at every sign-in; the one the browser held (if any) ends.
    deps.sessions.remove((await currentSession(c, deps))?.id);
    const { id } = deps.sessions.create(who);
    setSessionCookie(c, id);
    return c.redirect(next, 303);
  });

  app.get('/password', guidePage(deps, (c) => c.html(<PasswordPage t={c.var.t} storeId={ctx.storeId} session={c.var.session} />), { passwordPage: true }));

  // The password `guide add` printed is known to whoever handed it over: the guide chooses their
  // own before any page. Every session of the old password ends; this browser gets a new one.
  app.post(
    '/password',
    guideForm(
      deps,
      async (c, form) => {
        const t = c.var.t;
        const page = (error: string, status: 400 | 401) => c.html(<PasswordPage t={t} storeId={ctx.storeId} session={c.var.session} error={error} />, status);
        if (form('next') !== form('confirm')) return page(t('password.mismatch'), 400);
        const changed = await deps.accounts.changePassword(c.var.session, form('current'), form('next'));
        if (!changed.ok) return changed.reason === 'wrong_current' ? page(t('password.wrongCurrent'), 401) : page(t(changed.reason === 'same' ? 'password.same' : 'password.tooWeak'), 400);
        deps.sessions.remove(c.var.sessionId);
        const { id } = deps.sessions.create(changed.who);
        setSessionCookie(c, id);
        ctx.log.info('guide chose a password', { guide: changed.who.name });
        return c.redirect('/guide', 303);
      },
      { passwordPage: true },
    ),
  );

  app.post(
    '/logout',
    guideForm(
      deps,
      (c) => {
        deps.sessions.remove(c.var.sessionId);
        clearSessionCookie(c);
        return c.redirect('/guide/login', 303);
      },
      { passwordPage: true },
    ),
  );

  // The language switch: a link, so it works without scripts; it changes nothing but the cookie.
  app.get('/lang', (c) => {
    const to = c.req.query('to');
    if (isLang(to)) setCookie(c, 'lang', to, { path: '/guide', maxAge: 365 * 24 * 3600, sameSite: 'Lax', httpOnly: true });
    const back = c.req.query('back') ?? '';
    return c.redirect(back.startsWith('/guide/login?') || back === '/guide/login' ? '/guide/login' : safeNext(back), 303);
  });
  return app;
}

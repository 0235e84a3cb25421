import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { GuideTranslator } from './i18n.ts';
import type { GuideSession } from './sessions.ts';

interface LayoutProps {
  t: GuideTranslator;
  title: string;
  storeId: string;
  /** This page's path, for the language switch to come back to. */
  here: string;
  session?: GuideSession | undefined;
  /** Which nav link is this page's. */
  screen?: 'find' | 'register';
  /** The hub cannot be reached: what the page shows is the store's replica alone. */
  offline?: boolean;
  children?: Child;
}

/** Every guide page: a compact header (store, nav, language, sign-out), the offline notice, the page. */
export function Layout({ t, title, storeId, here, session, screen, offline, children }: LayoutProps) {
  const other = t.lang === 'en' ? 'zh-CN' : 'en';
  return (
    <>
      {raw('<!doctype html>')}
      <html lang={t.lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <title>{`${title} · ${t('app.name')}`}</title>
          <link rel="stylesheet" href="/guide/static/guide.css" />
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/guide">
              {t('app.name')} <span class="store">{storeId}</span>
            </a>
            <a class="lang" href={`/guide/lang?to=${other}&back=${encodeURIComponent(here)}`} hreflang={other} lang={other}>
              {other === 'en' ? 'EN' : '中文'}
            </a>
            {session && (
              <nav aria-label={t('nav.label')}>
                <a href="/guide" aria-current={screen === 'find' ? 'page' : undefined}>
                  {t('nav.find')}
                </a>
                <a href="/guide/register" aria-current={screen === 'register' ? 'page' : undefined}>
                  {t('nav.register')}
                </a>
                <form method="post" action="/guide/logout" class="inline">
                  <input type="hidden" name="_csrf" value={session.csrfToken} />
                  <button type="submit" class="link" title={session.name}>
                    {t('nav.logout')}
                  </button>
                </form>
              </nav>
            )}
          </header>
          {offline && (
            <p class="offline" role="status">
              {t('offline')}
            </p>
          )}
          <main>
            <h1>{title}</h1>
            {children}
          </main>
        </body>
      </html>
    </>
  );
}

export function Notice({ kind, children }: { kind: 'ok' | 'error' | 'info'; children?: Child }) {
  return (
    <p class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/** The session's CSRF token in a form. */
export const Csrf = ({ session }: { session: GuideSession }) => <input type="hidden" name="_csrf" value={session.csrfToken} />;

/** Cents as the till prints them, in yuan. */
export const yuan = (cents: number) => (cents / 100).toFixed(2);

import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Actor } from '../operators/access.ts';
import { mayCall } from './console-access.ts';
import type { MessageKey, Translator } from './i18n.ts';

/**
 * The console's screens and the admin route whose data each shows: the navigation links a page
 * only when the operator's role may call that route, and the page itself refuses otherwise.
 */
export const SCREENS: readonly { href: string; label: MessageKey; route?: string; hq?: true }[] = [
  { href: '/console', label: 'nav.dashboard' },
  { href: '/console/stores', label: 'nav.stores', route: 'GET /fleet' },
  { href: '/console/incidents', label: 'nav.incidents', route: 'GET /incidents' },
  { href: '/console/members', label: 'nav.members', route: 'GET /members/:id' },
  // One-ID is HQ's work: refused to an operator with a scope (decision 010), so not linked for them.
  { href: '/console/one-id', label: 'nav.oneId', route: 'GET /identity/metrics', hq: true },
  { href: '/console/loyalty', label: 'nav.loyalty', route: 'GET /rules' },
  { href: '/console/tags', label: 'nav.tags', route: 'GET /tags/rules' },
  { href: '/console/operators', label: 'nav.operators', route: 'GET /operators' },
  { href: '/console/segments', label: 'nav.segments', route: 'GET /segments' },
  { href: '/console/audit', label: 'nav.audit', route: 'GET /audit' },
];

interface LayoutProps {
  t: Translator;
  title: string;
  /** The page's path and query, for the language switch to come back to. */
  here: string;
  actor?: Actor | undefined;
  /** The screen this page belongs to (its nav link is marked). */
  screen?: string;
  children?: Child;
  scripts?: string[];
  /** Extra elements for the head (a refresh for pages without scripts). */
  head?: Child;
}

/** Every console page: header with the navigation the role allows, the language switch, logout. */
export function Layout({ t, title, here, actor, screen, children, scripts = [], head }: LayoutProps) {
  const other = t.lang === 'en' ? 'zh-CN' : 'en';
  return (
    <>
      {raw('<!doctype html>')}
      <html lang={t.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${t('app.name')}`}</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        {head}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/console">
            {t('app.name')}
          </a>
          {actor && !actor.mustChangePassword && (
            <nav aria-label={t('nav.label')}>
              {SCREENS.filter((s) => (s.route === undefined || mayCall(actor, s.route)) && (!s.hq || actor.scope === null)).map((s) => (
                <a href={s.href} aria-current={s.href === screen ? 'page' : undefined}>
                  {t(s.label)}
                </a>
              ))}
            </nav>
          )}
          <div class="who">
            <a class="lang" href={`/console/lang?to=${other}&back=${encodeURIComponent(here)}`} hreflang={other} lang={other}>
              {other === 'en' ? 'English' : '中文'}
            </a>
            {actor && (
              <form method="post" action="/console/logout" class="inline">
                <input type="hidden" name="_csrf" value={actor.session?.csrfToken ?? ''} />
                <span class="me">{`${actor.name} · ${t.value('role', actor.role)}`}</span>
                <button type="submit" class="link">
                  {t('nav.logout')}
                </button>
              </form>
            )}
          </div>
        </header>
        <main>
          <h1>{title}</h1>
          {children}
        </main>
        {scripts.map((src) => (
          <script src={src} defer></script>
        ))}
      </body>
      </html>
    </>
  );
}

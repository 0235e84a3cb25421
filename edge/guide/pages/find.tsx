import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { identityOfScan } from '../../../shared/scan-input.ts';
import { identify } from '../../services/members.ts';
import { guideForm, guidePage, type GuideContext, type GuideDeps, type GuideEnv } from '../guide-access.ts';
import { Csrf, Layout, Notice } from '../layout.tsx';

/** Finding a member: one box for a phone, a member code, or what a scanner types into it. */
export function findPages(deps: GuideDeps) {
  const { ctx } = deps;
  const app = new Hono<GuideEnv>();
  const offline = () => ctx.hub !== undefined && !ctx.hub.reachable();

  const FindPage = ({ c, q, error }: { c: GuideContext; q?: string; error?: string }) => {
    const t = c.var.t;
    return (
      <Layout t={t} title={t('find.title')} storeId={ctx.storeId} here="/guide" session={c.var.session} screen="find" offline={offline()}>
        <form method="post" action="/guide/find" class="card" autocomplete="off">
          {error && <Notice kind="error">{error}</Notice>}
          <Csrf session={c.var.session} />
          <label>
            {t('find.label')}
            <input name="q" type="search" inputmode="text" enterkeyhint="search" required autofocus maxlength={512} value={q ?? ''} />
          </label>
          <p class="hint">{t('find.hint')}</p>
          <button type="submit">{t('find.submit')}</button>
        </form>
        <p class="hint">
          {t('find.walkIn')} <a href="/guide/register">{t('find.registerLink')}</a>
        </p>
      </Layout>
    );
  };

  app.get('/', guidePage(deps, (c) => c.html(<FindPage c={c} />)));

  // A POST, not a GET: a phone number stays out of URLs, histories and access logs.
  app.post(
    '/find',
    guideForm(deps, async (c, form) => {
      const t = c.var.t;
      const q = form('q');
      const wait = deps.findLimit.take(c.var.session.name);
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        return c.html(<FindPage c={c} q={q} error={t('find.rateLimited', { s: wait })} />, 429);
      }
      const asked = identityOfScan(q);
      if (!asked) return c.html(<FindPage c={c} q={q} error={t('find.unreadable')} />, 400);
      try {
        // The till's identify: the replica first, the hub (1.5 s at most) only when it can be reached.
        const member = await identify(ctx, asked);
        return c.redirect(`/guide/m/${encodeURIComponent(member.id)}`, 303);
      } catch (err) {
        if (!(err instanceof AppError) || (err.code !== 'member_not_found' && err.code !== 'validation_failed')) throw err;
        const error = err.code === 'validation_failed' ? t('find.unreadable') : offline() || !ctx.hub ? t('find.notFoundHere') : t('find.notFound');
        return c.html(<FindPage c={c} q={q} error={error} />, err.status as 404);
      }
    }),
  );
  return app;
}

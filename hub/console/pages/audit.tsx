import { Hono } from 'hono';
import type { HubContext } from '../../context.ts';
import { AUDIT_ID } from '../../operators/audit.ts';
import { Table } from '../components.tsx';
import { need, page, type ConsoleEnv } from '../console-access.ts';
import { Layout } from '../layout.tsx';

const PAGE = 50;

/** The audit log, newest first, a page at a time (the admin API's GET /audit). */
export function auditPages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();
  app.get(
    '/audit',
    page(ctx, async (c) => {
      need(c, 'GET /audit');
      const { t, actor } = c.var;
      const asked = c.req.query('before');
      const before = asked !== undefined && AUDIT_ID.test(asked) ? asked : undefined;
      const { entries, next } = await ctx.audit.list({ limit: PAGE, before });
      return c.html(
        <Layout t={t} title={t('audit.title')} here="/console/audit" actor={actor} screen="/console/audit">
          <Table
            label={t('audit.title')}
            empty={t('audit.none')}
            head={[t('audit.at'), t('audit.who'), t('audit.what'), t('audit.target'), t('audit.outcome'), t('audit.from')]}
            rows={entries.map((e) => [
              t.time(e.at),
              e.actor.kind === 'token' ? <em>{t('audit.token')}</em> : e.actor.name,
              <span>
                {e.event ? <strong>{t.value('event', e.event)} </strong> : null}
                <code>{`${e.method} ${e.route}`}</code>
              </span>,
              e.target ?? '—',
              <span class={e.status >= 400 ? 'neg' : 'pos'}>{e.status}</span>,
              e.forwardedFor ? `${e.ip} (${e.forwardedFor})` : e.ip,
            ])}
          />
          <p class="pager">
            {before && <a href="/console/audit">{t('audit.newest')}</a>}
            {next && <a href={`/console/audit?before=${encodeURIComponent(next)}`}>{t('audit.older')}</a>}
          </p>
        </Layout>,
      );
    }),
  );
  return app;
}

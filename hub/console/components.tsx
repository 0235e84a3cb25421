import type { Child } from 'hono/jsx';
import type { Actor } from '../operators/access.ts';
import type { Translator } from './i18n.ts';

/** The repeated parts of console pages: tables, panels, badges, the CSRF field, notices. */

/** A table that scrolls inside its own box on a narrow screen, never the page. */
export function Table({ head, rows, empty, label }: { head: Child[]; rows: Child[][]; empty: string; label?: string }) {
  if (rows.length === 0) return <p class="empty">{empty}</p>;
  return (
    <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              {r.map((cell) => (
                <td>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Panel({ title, children, id }: { title: string; children?: Child; id?: string }) {
  return (
    <section class="panel" id={id}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A figure with its label, for the dashboard's tiles. */
export function Stat({ label, value, tone }: { label: string; value: string | number; tone?: 'good' | 'bad' | 'warn' }) {
  return (
    <div class={`stat ${tone ?? ''}`}>
      <span class="value" data-stat={label}>
        {value}
      </span>
      <span class="label">{label}</span>
    </div>
  );
}

const TONES: ReadonlyMap<string, string> = new Map([
  ['online', 'good'],
  ['catching_up', 'warn'],
  ['offline', 'bad'],
  ['disabled', 'muted'],
  ['not_enrolled', 'muted'],
  ['unknown', 'warn'],
  ['open', 'bad'],
  ['resolved', 'good'],
  ['active', 'good'],
  ['pending', 'warn'],
  ['locked', 'bad'],
  ['done', 'good'],
  ['failed', 'bad'],
  ['queued', 'muted'],
  ['reading', 'warn'],
  ['resolving', 'warn'],
  ['storing', 'warn'],
]);

/** A state as a coloured word (the word carries the meaning; the colour only helps). */
export function Badge({ t, prefix, value }: { t: Translator; prefix: string; value: string }) {
  return <span class={`badge ${TONES.get(value) ?? ''}`}>{t.value(prefix, value)}</span>;
}

/** The session's CSRF token in a form (the access layer reads `_csrf`). */
export function Csrf({ actor }: { actor: Actor }) {
  return <input type="hidden" name="_csrf" value={actor.session?.csrfToken ?? ''} />;
}

export function Notice({ kind, children }: { kind: 'ok' | 'error' | 'info'; children?: Child }) {
  return (
    <p class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/**
 * A chart that is a table first: the table is the page's answer without scripts, and
 * console.js draws it with ECharts when scripts run (the data rides along as JSON, not code).
 */
export function ChartPanel({ title, id, chart, table }: { title: string; id: string; chart: unknown; table: Child }) {
  return (
    <Panel title={title} id={id}>
      <div class="chart" data-chart={`${id}-data`} hidden></div>
      <script type="application/json" id={`${id}-data`} dangerouslySetInnerHTML={{ __html: JSON.stringify(chart).replace(/</g, '\\u003c') }}></script>
      <details class="chart-table" open>
        <summary>{title}</summary>
        {table}
      </details>
    </Panel>
  );
}

/**
 * The tag extension's passes over a synthetic base of N members (decision 025): the history pass
 * after a full compute (every member's tags read from the column and compared with the set last
 * recorded: first with every member changed, then a nightly run with nothing changed), the
 * re-evaluation of the 13 RFM rules after the RFM re-score, and one changed rule evaluated over
 * the columns. The metrics themselves are not computed here (the engine's bench measures them).
 *
 *   npx tsx test/bench/tags-history-pass.ts [members]
 */
import { ProfileColumns } from '../../hub/profile/columns.ts';
import { ProfileTags } from '../../hub/profile/profile-tags.ts';
import type { ProfileBase } from '../../hub/profile/base.ts';
import { MemberNumbers } from '../../hub/profile/member-numbers.ts';
import { DEFAULT_TAG_RULES } from '../../shared/profile/tag-catalogue.ts';
import { readFileSync, writeFileSync } from 'node:fs';

const N = Number(process.argv[2] ?? 1_000_000);
const DAY = '2026-11-30';
const columns = new ProfileColumns(undefined, N);
const ids = new MemberNumbers();
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const codes = DEFAULT_TAG_RULES.map((r) => r.code);
const segments = ['champions', 'loyal', 'potential', 'new', 'at_risk', 'cant_lose', 'hibernating', 'lost'];
for (let n = 0; n < N; n++) {
  const g = `G${String(n).padStart(8, '0')}`;
  ids.add(g);
  for (let k = 0; k < 8; k++) columns.setIn(n, 'tags', codes[Math.floor(rnd() * codes.length)]!, true);
  columns.set(n, 'rfmR', 1 + Math.floor(rnd() * 5));
  columns.set(n, 'rfmF', 1 + Math.floor(rnd() * 5));
  columns.set(n, 'rfmM', 1 + Math.floor(rnd() * 5));
  columns.set(n, 'rfmSegment', segments[Math.floor(rnd() * segments.length)]);
  columns.set(n, 'spend', Math.floor(rnd() * 1_000_000));
}
const base = { columns, day: DAY, members: () => ids, numberOfMember: (g: string) => ids.numberOf(g) } as unknown as ProfileBase;
let written = 0;
const tags = new ProfileTags({ record: async (c) => void (written += c.length), recordFirst: async (c) => void (written += c.length), async *pages() {} }, () => DAY);
tags.setRules(DEFAULT_TAG_RULES);
// The process's peak RSS (VmHWM) is reset before each pass (writing 5 to clear_refs), so each
// line's peak is that pass's own: the memory a pass over every member holds at once.
const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const resetPeak = () => writeFileSync('/proc/self/clear_refs', '5');
const time = async (what: string, run: () => unknown) => {
  resetPeak();
  const rss0 = status('VmRSS');
  const t0 = performance.now();
  const r = await run();
  const ms = Math.round(performance.now() - t0);
  console.log(`${what}: ${ms} ms`, typeof r === 'number' ? r : Array.isArray(r) ? `${r.length} members` : '', `(RSS ${rss0.toFixed(0)} MB before, peak ${status('VmHWM').toFixed(0)} MB)`);
};
await time('RFM rules again over the columns (computedAll)', () => tags.computedAll(base, DAY));
await time('history pass, every member new (first ever run)', () => tags.computed('all'));
console.log(`  members written: ${written}`);
written = 0;
await time('history pass, nothing changed (a quiet nightly run)', () => tags.computed('all'));
console.log(`  members written: ${written}`);
const edited = DEFAULT_TAG_RULES.map((r) => (r.code === 'high_spender' ? { ...r, version: r.version + 1, condition: { field: 'spend', op: 'ge' as const, value: 900_000 } } : r));
await time('one edited rule over the columns (reevaluate)', () => tags.reevaluate(tags.setRules(edited), DAY));
console.log(`heap used: ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB`);

import { addDays } from '../shared/local-time.ts';
import type { Couch } from './couch/couch.ts';
import { DB } from './couch/databases.ts';
import { POINTS_DDOC } from './ddocs/points.ts';

/** Ledger reasons that give points to members, and the one that spends them at the till. */
const ISSUED = new Set(['join', 'earn', 'interaction']);
const REDEEMED = 'redeem';

export interface PointsDay {
  /** The stores' business day. */
  day: string;
  /** Points given: joining, purchases, interactions. */
  issued: number;
  /** Points spent at the tills (a positive number). */
  redeemed: number;
}

let installed: Promise<void> | undefined;

/** Stores the design document when it is missing or older than this release's (once per process). */
function ensureDdoc(couch: Couch): Promise<void> {
  installed ??= couch
    .update(DB.facts, POINTS_DDOC._id, (cur) => (cur && cur.version === POINTS_DDOC.version ? undefined : { ...POINTS_DDOC }))
    .then(() => undefined)
    .catch((err) => {
      installed = undefined;
      throw err;
    });
  return installed;
}

/**
 * Points issued and redeemed per day over the `days` days up to `today` (oldest first, every
 * day present), from every store's ledger entries gathered at the hub. Refunds' claw-backs and
 * returns, and adjustments, count in neither.
 *
 * One reduce query over a view: the index grows with each change, so a dashboard reads a few
 * dozen rows whatever the number of facts.
 */
export async function pointsByDay(couch: Couch, today: string, days: number): Promise<PointsDay[]> {
  await ensureDdoc(couch);
  const from = addDays(today, -(days - 1));
  const res = await couch.db(DB.facts).view<number>('points', 'by_day', { group_level: 2, startkey: [from], endkey: [today, {}] });
  const byDay = new Map<string, PointsDay>();
  for (let i = 0; i < days; i++) {
    const day = addDays(from, i);
    byDay.set(day, { day, issued: 0, redeemed: 0 });
  }
  for (const row of res.rows) {
    const [day, reason] = row.key as unknown as [string, string];
    const entry = byDay.get(day);
    if (!entry) continue;
    if (ISSUED.has(reason)) entry.issued += row.value;
    else if (reason === REDEEMED) entry.redeemed += -row.value;
  }
  return [...byDay.values()];
}

import { describe, expect, it } from 'vitest';
import { POINTS_DDOC } from '../../hub/ddocs/points.ts';
import { addDays } from '../../shared/local-time.ts';

/** Runs the view's map function as CouchDB would, collecting what it emits. */
function mapOf(source: string) {
  return (doc: unknown) => {
    const out: [unknown, unknown][] = [];
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const fn = new Function('emit', `return (${source});`)((k: unknown, v: unknown) => out.push([k, v])) as (d: unknown) => void;
    fn(doc);
    return out;
  };
}

describe('_design/points by_day', () => {
  const map = mapOf(POINTS_DDOC.views.by_day.map);
  it('emits [day, reason] → delta for ledger entries only', () => {
    expect(map({ _id: 'pts:m1:01', type: 'pts', memberId: 'm1', delta: 200, reason: 'join', day: '2026-11-29', at: 'x', storeId: 'S001', ref: 'm1' })).toEqual([[['2026-11-29', 'join'], 200]]);
    expect(map({ type: 'pts', delta: -100, reason: 'redeem', day: '2026-11-28' })).toEqual([[['2026-11-28', 'redeem'], -100]]);
    expect(map({ type: 'order', day: '2026-11-29', pointsEarned: 5 })).toEqual([]);
    expect(map({ type: 'pts', delta: '5', reason: 'earn', day: '2026-11-29' })).toEqual([]);
  });
});

describe('addDays', () => {
  it('crosses months, years and leap days', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-11-29', -13)).toBe('2026-11-16');
  });
});

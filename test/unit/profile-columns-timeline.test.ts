import { describe, expect, it } from 'vitest';
import { ABSENT, ProfileColumns } from '../../hub/profile/columns.ts';
import type { ProfileValue } from '../../shared/profile/fields.ts';
import { timelineKey, timelinePage, type TimelineEntry } from '../../shared/profile/timeline.ts';

const profile = (entries: [string, ProfileValue][]) => new Map(entries);

describe('profile columns', () => {
  it('ints, days, enums, sets and a scores key summed over its sub-categories, by member number', () => {
    const c = new ProfileColumns(undefined, 2);
    c.write(0, profile([['orders', 3], ['lastPurchaseDay', '2026-11-30'], ['gender', 'F'], ['channels', new Set(['store'])], ['categoryScore', new Map([['coffee/beans', 700], ['coffee', 100], ['tea', 5]])]]));
    c.write(3, profile([['orders', 1], ['gender', 'M'], ['channels', new Set(['store', 'marketplace'])], ['categoryScore', new Map([['coffeemaker', 9]])]]));
    const orders = c.column('orders')!;
    // Small counts: an 8-bit column, whose "unknown" is -128.
    expect(orders.kind === 'int' && [orders.absent, [...orders.values.slice(0, 4)]]).toEqual([-128, [3, -128, -128, 1]]);
    c.write(1, profile([['orders', 40_000]]));
    const wide = c.column('orders')!;
    expect(wide.kind === 'int' && [wide.absent, [...wide.values.slice(0, 4)]]).toEqual([ABSENT, [3, 40_000, ABSENT, 1]]);
    const coffee = c.column('categoryScore', 'coffee')!;
    // `coffeemaker` is no sub-category of `coffee`.
    expect(coffee.kind === 'scores' && [...coffee.values.slice(0, 4)]).toEqual([800, 0, 0, 0]);
    const channels = c.column('channels')!;
    expect(channels.kind === 'set' && [...channels.bits.keys()].sort()).toEqual(['marketplace', 'store']);
    // A row written again clears what it no longer has.
    c.write(3, profile([['orders', 2], ['channels', new Set(['marketplace'])]]));
    expect(c.row(3).get('channels')).toEqual(new Set(['marketplace']));
    expect(c.row(3).get('gender')).toBeUndefined();
    expect(c.row(0).get('lastPurchaseDay')).toBe('2026-11-30');
    c.clear(0);
    expect(c.row(0).get('orders')).toBeUndefined();
    expect(c.column('categoryScore')).toBeUndefined();
  });
});

describe('timeline pages', () => {
  const e = (day: string, kind: TimelineEntry['kind'], ref: string): TimelineEntry => ({ day, kind, ref });
  const entries = [e('2026-11-02', 'purchase', 'o2'), e('2026-11-01', 'points', 'p1'), e('2026-11-01', 'registration', 'pos:M1'), e('2026-11-02', 'refund', 'r1'), e('2026-11-01', 'purchase', 'o1')];

  it('in order: day, then kind (registration before purchase before points), then ref; pages of any size give the whole', () => {
    const all = timelinePage(entries, undefined, 100);
    expect(all.entries.map((x) => x.ref)).toEqual(['pos:M1', 'o1', 'p1', 'o2', 'r1']);
    expect(all.next).toBeNull();
    const paged: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const p = timelinePage(entries, cursor, 2);
      paged.push(...p.entries.map((x) => x.ref));
      if (p.next === null) break;
      cursor = p.next;
    }
    expect(paged).toEqual(['pos:M1', 'o1', 'p1', 'o2', 'r1']);
  });

  it('a cursor stays valid as entries are added: nothing repeated or skipped after it', () => {
    const first = timelinePage(entries, undefined, 2);
    expect(first.next).toBe(timelineKey(e('2026-11-01', 'purchase', 'o1')));
    const later = [...entries, e('2026-11-01', 'registration', 'crm:9'), e('2026-11-03', 'purchase', 'o3')];
    expect(timelinePage(later, first.next!, 10).entries.map((x) => x.ref)).toEqual(['p1', 'o2', 'r1', 'o3']);
  });
});

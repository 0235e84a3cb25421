import { describe, expect, it } from 'vitest';
import { ProfileBase, type MemberDirectory } from '../../hub/profile/base.ts';
import { composeExtensions } from '../../hub/profile/extensions.ts';
import { ProfileTags, type TagHistoryStore } from '../../hub/profile/profile-tags.ts';
import { firstTagsBucket } from '../../hub/tags/tag-history.ts';
import { RfmAndStages } from '../../hub/profile/rfm-stages.ts';
import { contentHash, storeProfileContent } from '../../hub/profile/store-profiles.ts';
import { StoreProfileDocSchema } from '../../shared/schemas/documents.ts';
import type { ProfileAttributes } from '../../shared/profile/metrics.ts';
import { StringPool } from '../../shared/one-id/string-pool.ts';
import { dayNumber, type SourceFact } from '../../shared/profile/source-facts.ts';
import { TagRuleSchema, type TagEvent, type TagRule, type TagRuleInput } from '../../shared/profile/tag-rules.ts';

/*
 * Decision 025: the engine's tags. A member enters and leaves a tag as facts arrive and as the
 * nightly run recomputes, each change recorded once; a run with nothing new records nothing,
 * neither does the first run after a restart (the history says what is held); a retired rule
 * takes its tag away with a `left` event; tags reading RFM follow the nightly re-score.
 */

const DAY = '2026-11-30';
const D = dayNumber(DAY);

class Directory implements MemberDirectory {
  constructor(readonly groups: Map<string, string[]>) {}
  goldenOf(source: string) {
    for (const [g, sources] of this.groups) if (sources.includes(source)) return g;
    return undefined;
  }
  member(id: string) {
    const sources = this.groups.get(id);
    const attributes: ProfileAttributes = { isMember: true, gender: 'F', birthday: '1990-12-01', homeStore: 'S1' };
    return sources ? { sources, attributes } : undefined;
  }
  goldenIds() {
    return [...this.groups.keys()];
  }
}

/**
 * An in-memory tag history as hub-tag-history keeps it: one list per member per month, events
 * appended; members' first events, when recorded as such, by bucket and day.
 */
class MemoryHistory implements TagHistoryStore {
  readonly docs = new Map<string, { member: string; month: string; events: TagEvent[] }>();
  readonly first = new Map<string, [string, TagEvent[]][]>();
  writes = 0;
  firstWrites = 0;
  failNext = false;
  async record(changes: readonly (readonly [string, readonly TagEvent[]])[]) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database down');
    }
    for (const [member, events] of changes)
      for (const e of events) {
        const id = `th:${member}:${e.day.slice(0, 7)}`;
        const doc = this.docs.get(id) ?? { member, month: e.day.slice(0, 7), events: [] };
        doc.events.push(e);
        this.docs.set(id, doc);
        this.writes++;
      }
  }
  async recordFirst(changes: readonly (readonly [string, readonly TagEvent[]])[]) {
    for (const [member, events] of changes) {
      const id = `tf:${firstTagsBucket(member)}:${events[0]!.day}`;
      this.first.set(id, [...(this.first.get(id) ?? []), [member, [...events]]]);
      this.firstWrites += events.length;
    }
  }
  async *pages() {
    yield [...this.first].sort((a, b) => (a[0] < b[0] ? -1 : 1)).flatMap(([, entries]) => entries.map(([member, events]) => ({ member, events })));
    yield [...this.docs].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, d]) => d);
  }
  /** Every event, as [member, tag, change, cause]: first events, then months. */
  all() {
    return [...[...this.first.values()].flat().map(([member, events]) => ({ member, events })), ...this.docs.values()].flatMap((d) => d.events.map((e) => [d.member, e.tag, e.change, e.cause.kind]));
  }
}

const rule = (input: Omit<TagRuleInput, 'class' | 'names'> & Partial<TagRuleInput>): TagRule =>
  TagRuleSchema.parse({ class: 'value', names: { 'zh-CN': `中${input.code}`, en: `EN ${input.code}` }, ...input });
const BIG = rule({ code: 'big_buyer', condition: { field: 'spend', op: 'ge', value: 10_000 }, version: 1 });
const REPEAT = rule({ code: 'repeat', condition: { field: 'orders', op: 'ge', value: 2 }, version: 1 });
const RECENT = rule({ code: 'rfm_recent', condition: { field: 'rfmR', op: 'eq', value: 5 }, version: 1 });
const ACTIVE = rule({ code: 'stage_active', condition: { field: 'stage', op: 'in', values: ['active', 'first_purchase'] }, version: 1 });

let n = 0;
const order = (source: string, cents: number, day = D - 1): SourceFact => {
  const id = `order:S1:T1:${++n}`;
  return { source, kind: 'order', fact: { id, day, channel: 0, market: '', store: 'S1', listCents: cents, discountCents: 0, paidCents: cents, items: 1, lines: [{ sku: 'A', category: 'coffee', brand: '', qty: 1, cents, promo: false }], refundedInFull: false } };
};
const refundOf = (f: SourceFact, cents: number): SourceFact => {
  const o = f.fact as { id: string; day: number };
  return { source: f.source, kind: 'refund', fact: { id: `refund:${o.id}:1`, orderId: o.id, day: D, orderDay: o.day, cents, lines: [{ index: 0, qty: 1, cents }] } };
};

/** A hub's parts over one history: the engine's extension, and a base rebuilt like the nightly run. */
function hub(dir: Directory, history: MemoryHistory, rules: readonly TagRule[], firstTagsMin?: number) {
  const tags = new ProfileTags(history, () => DAY, undefined, firstTagsMin);
  tags.setRules(rules);
  const ext = composeExtensions(new RfmAndStages(), tags);
  // One pool of golden id codes for every base, as the engine keeps (the tags record by code).
  const codes = new StringPool();
  let base = new ProfileBase(dir, ext, codes);
  let facts: SourceFact[] = [];
  const tagsOf = (g: string) => [...((base.columns.row(base.numberOfMember(g)!).get('tags') as Set<string>) ?? [])].sort();
  return {
    tags,
    tagsOf,
    get base() {
      return base;
    },
    async nightly() {
      base = new ProfileBase(dir, ext, codes);
      base.load(facts);
      base.computeAll(DAY);
      return tags.computed('all');
    },
    async add(...fs: SourceFact[]) {
      facts = [...facts, ...fs];
      return tags.computed(base.addFacts(fs, DAY), 'fact');
    },
    load(fs: SourceFact[]) {
      facts = fs;
    },
  };
}

describe('tags evaluated by the profile engine', () => {
  it('a member enters and leaves a tag across incremental updates and nightly runs, each change recorded once', async () => {
    const dir = new Directory(new Map([['G1', ['pos:A']], ['G2', ['pos:B']]]));
    const history = new MemoryHistory();
    const h = hub(dir, history, [BIG, REPEAT]);
    expect(await h.nightly()).toBe(0);
    expect(history.writes).toBe(0);

    const first = order('pos:A', 6_000);
    expect(await h.add(first)).toBe(0); // 60 yuan: no tag yet
    expect(h.tagsOf('G1')).toEqual([]);
    const second = order('pos:A', 6_000);
    expect(await h.add(second)).toBe(1);
    expect(h.tagsOf('G1')).toEqual(['big_buyer', 'repeat']);
    expect(history.all()).toEqual([
      ['G1', 'big_buyer', 'entered', 'fact'],
      ['G1', 'repeat', 'entered', 'fact'],
    ]);

    // The nightly run recomputes everyone: nothing changed, nothing written.
    expect(await h.nightly()).toBe(0);
    expect(h.tagsOf('G1')).toEqual(['big_buyer', 'repeat']);
    expect(history.writes).toBe(2);

    // A refund takes the spend under 100 yuan: big_buyer left, repeat kept.
    expect(await h.add(refundOf(second, 3_000))).toBe(1);
    expect(h.tagsOf('G1')).toEqual(['repeat']);
    expect(history.all().slice(2)).toEqual([['G1', 'big_buyer', 'left', 'fact']]);
    expect(await h.nightly()).toBe(0);
    expect(history.writes).toBe(3);
    expect(h.tagsOf('G2')).toEqual([]);
  });

  it('the first run after a restart compares with what the history holds: no tag entered again', async () => {
    const dir = new Directory(new Map([['G1', ['pos:A']], ['G2', ['pos:B']]]));
    const history = new MemoryHistory();
    const facts = [order('pos:A', 20_000), order('pos:A', 500), order('pos:B', 20_000)];
    const before = hub(dir, history, [BIG, REPEAT]);
    await before.nightly();
    await before.add(...facts);
    expect(history.writes).toBe(3);

    // A new hub process: the same history, the facts read back, one fact more for G2 while it was down.
    const after = hub(dir, history, [BIG, REPEAT]);
    const extra = order('pos:B', 100);
    after.load([...facts, extra]);
    expect(await after.nightly()).toBe(1);
    expect(history.all().slice(3)).toEqual([['G2', 'repeat', 'entered', 'nightly']]);
  });

  it('a hub that stops gives up a recording between batches; the next start records the rest, each member once', async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `G${i}`);
    const dir = new Directory(new Map(ids.map((g) => [g, [`pos:${g}`]])));
    const facts = ids.map((g) => order(`pos:${g}`, 20_000));
    const history = new MemoryHistory();
    const before = hub(dir, history, [BIG]);
    before.load(facts);
    // The stop comes while the first batch (1,000 members) is being written.
    const record = history.record.bind(history);
    history.record = async (changes) => {
      before.tags.stop();
      return record(changes);
    };
    await before.nightly();
    expect(history.writes).toBe(1000);

    history.record = record;
    const after = hub(dir, history, [BIG]);
    after.load(facts);
    expect(await after.nightly()).toBe(1500);
    const recorded = history.all().map(([g]) => g);
    expect(new Set(recorded).size).toBe(2500);
    expect(recorded).toHaveLength(2500);
  });

  it('many members\' first tags go into bucket documents; a restart replays them before the months; later changes go to months', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `G${i}`);
    const dir = new Directory(new Map(ids.map((g) => [g, [`pos:${g}`]])));
    const facts = ids.map((g, i) => order(`pos:${g}`, i < 5 ? 20_000 : 100));
    const history = new MemoryHistory();
    const h = hub(dir, history, [BIG, REPEAT], 5);
    h.load(facts);
    // Five members with a first tag (G5 spent 1 yuan: none): as many as the minimum, so in buckets.
    expect(await h.nightly()).toBe(5);
    expect([history.firstWrites, history.writes]).toEqual([5, 0]);
    expect(history.all().sort()).toEqual(ids.slice(0, 5).map((g) => [g, 'big_buyer', 'entered', 'nightly']));

    // Later changes of these members go to their months; G5's first tags alone (one member, under
    // the minimum) too.
    const more = [order('pos:G0', 100), order('pos:G5', 20_000)];
    expect(await h.add(...more)).toBe(2);
    const refund = refundOf(facts[1]!, 19_000);
    expect(await h.add(refund)).toBe(1);
    expect([history.firstWrites, history.writes]).toEqual([5, 4]);
    expect(history.all().slice(5).sort()).toEqual([
      ['G0', 'repeat', 'entered', 'fact'],
      ['G1', 'big_buyer', 'left', 'fact'],
      ['G5', 'big_buyer', 'entered', 'fact'],
      ['G5', 'repeat', 'entered', 'fact'],
    ]);

    // A new hub process: what the history says each member holds is what they hold (G1's month
    // read after its first events), so its first run records nothing.
    const after = hub(dir, history, [BIG, REPEAT], 1);
    after.load([...facts, ...more, refund]);
    expect(await after.nightly()).toBe(0);
    expect([history.firstWrites, history.writes]).toEqual([5, 4]);
    expect(after.tagsOf('G0')).toEqual(['big_buyer', 'repeat']);
    expect(after.tagsOf('G1')).toEqual([]);
  });

  it('a hub that stops while the history is read records nothing and reads no further', async () => {
    const dir = new Directory(new Map([['G1', ['pos:A']]]));
    const history = new MemoryHistory();
    const h = hub(dir, history, [BIG]);
    h.load([order('pos:A', 20_000)]);
    let pagesRead = 0;
    history.pages = async function* () {
      for (;;) {
        pagesRead++;
        if (pagesRead === 3) h.tags.stop();
        yield [];
      }
    };
    expect(await h.nightly()).toBe(0);
    expect(pagesRead).toBe(3);
    expect(history.writes).toBe(0);
  });

  it('a write that fails is tried again with the next run, and the events are recorded once', async () => {
    const dir = new Directory(new Map([['G1', ['pos:A']]]));
    const history = new MemoryHistory();
    const h = hub(dir, history, [BIG]);
    await h.nightly();
    history.failNext = true;
    expect(await h.add(order('pos:A', 20_000))).toBe(1);
    expect(history.writes).toBe(0);
    await h.add(order('pos:A', 100)); // the next run: G1 compared again
    expect(history.all()).toEqual([['G1', 'big_buyer', 'entered', 'fact']]);
    expect(await h.nightly()).toBe(0);
    expect(history.writes).toBe(1);
  });

  it('a retired rule takes its tag away with a left event; an edited one re-tags; rules are evaluated over the columns, not recomputed', async () => {
    const dir = new Directory(new Map([['G1', ['pos:A']], ['G2', ['pos:B']]]));
    const history = new MemoryHistory();
    const h = hub(dir, history, [BIG, REPEAT]);
    await h.nightly();
    await h.add(order('pos:A', 20_000), order('pos:A', 100), order('pos:B', 5_000));
    expect(h.tagsOf('G1')).toEqual(['big_buyer', 'repeat']);

    const retired = { ...BIG, status: 'retired' as const, version: 2 };
    const changed = h.tags.setRules([retired, REPEAT]);
    expect(changed).toEqual(['big_buyer']);
    const touched = h.tags.reevaluate(changed, DAY);
    expect(touched).toEqual(['G1']);
    expect(h.tagsOf('G1')).toEqual(['repeat']);
    expect(await h.tags.computed(touched, { kind: 'rule', ref: 'big_buyer' })).toBe(1);
    expect(history.all().slice(-1)).toEqual([['G1', 'big_buyer', 'left', 'rule']]);
    // The profile the API answers agrees with the column.
    expect([...(h.base.profileOn('G1', DAY)!.get('tags') as Set<string>)]).toEqual(['repeat']);

    // Edited: 40 yuan is enough now; G2 enters, G1 enters again (a new version of the same code).
    const edited = rule({ code: 'big_buyer', condition: { field: 'spend', op: 'ge', value: 4_000 }, version: 3 });
    expect(h.tags.setRules([edited, REPEAT])).toEqual(['big_buyer']);
    const again = h.tags.reevaluate(['big_buyer'], DAY);
    expect(again).toEqual(['G1', 'G2']);
    await h.tags.computed(again, { kind: 'rule', ref: 'big_buyer' });
    expect(h.tagsOf('G2')).toEqual(['big_buyer']);
    expect(history.all().slice(-2)).toEqual([
      ['G1', 'big_buyer', 'entered', 'rule'],
      ['G2', 'big_buyer', 'entered', 'rule'],
    ]);
    // Storing the same rules again changes nothing.
    expect(h.tags.setRules([edited, REPEAT])).toEqual([]);
    expect(await h.nightly()).toBe(0);
  });

  it('respects a rule\'s validity window', async () => {
    const dir = new Directory(new Map([['G1', ['pos:A']]]));
    const history = new MemoryHistory();
    const ended = rule({ code: 'ended', condition: { field: 'orders', op: 'ge', value: 1 }, valid: { to: '2026-11-29' }, version: 1 });
    const running = rule({ code: 'running', condition: { field: 'orders', op: 'ge', value: 1 }, valid: { from: DAY, to: DAY }, version: 1 });
    const h = hub(dir, history, [ended, running]);
    await h.nightly();
    await h.add(order('pos:A', 100));
    expect(h.tagsOf('G1')).toEqual(['running']);
  });

  it('tags that read RFM or the stage follow the nightly re-score: the column equals the profile the API computes', async () => {
    const dir = new Directory(new Map(Array.from({ length: 10 }, (_, i) => [`G${i}`, [`pos:${i}`]])));
    const history = new MemoryHistory();
    const h = hub(dir, history, [RECENT, ACTIVE, BIG]);
    // Recency 1..10 days: the most recent fifths score R = 5.
    h.load(Array.from({ length: 10 }, (_, i) => order(`pos:${i}`, 1_000 * (i + 1), D - 1 - i * 30)));
    await h.nightly();
    const recent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const g = `G${i}`;
      const fromProfile = [...(h.base.profileOn(g, DAY)!.get('tags') as Set<string>)].sort();
      expect(h.tagsOf(g), g).toEqual(fromProfile);
      if (fromProfile.includes('rfm_recent')) recent.push(g);
    }
    // Before the first re-score no one had R = 5: the column had to be corrected after the pass.
    expect(recent).toEqual(['G0', 'G1']);
    expect(h.tagsOf('G0')).toContain('stage_active');
    expect(history.all().filter(([, tag]) => tag === 'rfm_recent')).toEqual([
      ['G0', 'rfm_recent', 'entered', 'nightly'],
      ['G1', 'rfm_recent', 'entered', 'nightly'],
    ]);
    expect(h.tags.namesOf('rfm_recent')).toEqual({ 'zh-CN': '中rfm_recent', en: 'EN rfm_recent' });
  });
});

describe('tags in the profile document a store receives', () => {
  const names = (code: string) => (code === 'coffee_lover' ? { 'zh-CN': '咖啡爱好者', en: 'Coffee lover' } : undefined);
  const profile = (tags: string[]) => new Map<string, Set<string>>([['tags', new Set(tags)]]);

  it('carries codes and both names; a document without names (an older hub) still reads', () => {
    const c = storeProfileContent('M0001', profile(['coffee_lover', 'unnamed']), [], names);
    expect(c.tags).toEqual([{ code: 'coffee_lover', name: '咖啡爱好者', names: { 'zh-CN': '咖啡爱好者', en: 'Coffee lover' } }, { code: 'unnamed' }]);
    const doc = { _id: 'profile:M0001', type: 'profile', ...c, hash: contentHash(c), at: '2026-11-30T01:00:00.000Z' };
    expect(StoreProfileDocSchema.parse(doc).tags[0]!.names).toEqual({ 'zh-CN': '咖啡爱好者', en: 'Coffee lover' });
    expect(StoreProfileDocSchema.parse({ ...doc, tags: [{ code: 'coffee_lover', name: '咖啡爱好者' }] }).tags[0]).toEqual({ code: 'coffee_lover', name: '咖啡爱好者' });
  });

  it('changes its hash when a member\'s tags or a tag\'s name change, not otherwise', () => {
    const a = contentHash(storeProfileContent('M0001', profile(['coffee_lover']), [], names));
    expect(contentHash(storeProfileContent('M0001', profile(['coffee_lover']), [], names))).toBe(a);
    expect(contentHash(storeProfileContent('M0001', profile(['coffee_lover', 'x']), [], names))).not.toBe(a);
    expect(contentHash(storeProfileContent('M0001', profile(['coffee_lover']), [], () => ({ 'zh-CN': '咖啡控', en: 'Coffee lover' })))).not.toBe(a);
  });
});

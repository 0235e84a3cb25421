import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { SourceRecord } from '../../shared/one-id/record.ts';
import { Resolver } from '../../shared/one-id/resolver.ts';
import { heldBytes } from '../../shared/one-id/compact.ts';
import { MemberIndex } from '../../shared/one-id/member-index.ts';
import { StringPool } from '../../shared/one-id/string-pool.ts';
import { decodeSnapshotBytes, encodeSnapshot, SNAPSHOT_FORMAT, SnapshotRefused, type SnapshotArray } from '../../shared/one-id/snapshot-codec.ts';
import { day, phone, rec } from './one-id-fixtures.ts';

/*
 * Issue 14: One-ID's state in typed arrays (strings pooled, golden ids as record numbers) and
 * its snapshot. A pool answers as a Map would; a resolver read back from its snapshot answers,
 * links and decides exactly as the one that wrote it; a snapshot cut short, changed or of
 * another format is refused.
 */

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks);

describe('StringPool', () => {
  it('numbers strings as a Map would, and reads them back, across growth and a round trip', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', 'phone:+8613900000000', '王芳')), { maxLength: 300 }), (values) => {
        const pool = new StringPool();
        const map = new Map<string, number>();
        for (const v of values) {
          const expected = map.get(v) ?? map.size;
          if (!map.has(v)) map.set(v, expected);
          expect(pool.add(v)).toBe(expected);
        }
        expect(pool.length).toBe(map.size);
        const back = StringPool.fromParts(pool.parts());
        for (const [v, i] of map) {
          expect(pool.get(i)).toBe(v);
          expect(pool.indexOf(v)).toBe(i);
          expect(back.indexOf(v)).toBe(i);
          expect(back.get(i)).toBe(v);
        }
        expect(pool.indexOf('\u0000absent')).toBe(-1);
        // The read-back pool goes on numbering where the first one stopped.
        expect(back.add('\u0000new')).toBe(map.size);
      }),
    );
  });

  it('refuses parts that do not fit together', () => {
    const pool = new StringPool();
    pool.add('a');
    pool.add('bc');
    const p = pool.parts();
    expect(() => StringPool.fromParts({ ...p, bytes: p.bytes.subarray(0, 2) })).toThrow(/cover/);
    expect(() => StringPool.fromParts({ ...p, hashes: p.hashes.subarray(0, 1) })).toThrow(/length/);
  });
});

describe('heldBytes', () => {
  it("counts every typed array an object holds, through the objects it holds, each once", () => {
    const shared = new Int32Array(10);
    const inner = { a: new Uint8Array(3), f: new Float64Array(2), shared, note: 'x', list: [new Int32Array(1000)], byKey: new Map([['k', new Int32Array(1000)]]) };
    const outer = { inner, again: inner, shared, b: new Uint16Array(5), n: 7, nothing: null };
    inner.list.push(outer as never);
    // 3 + 16 + 40 (once) + 10: arrays held through Maps and lists are the owner's to count.
    expect(heldBytes(outer)).toBe(3 + 16 + 40 + 10);
    // Each array told once, by the path it was first met on.
    const told = new Map<string, number>();
    heldBytes(outer, (path, bytes) => told.set(path, bytes));
    expect(told).toEqual(new Map([['inner.a', 3], ['inner.f', 16], ['inner.shared', 40], ['b', 10]]));
  });

  it("grows with a resolver's records, room to grow included", () => {
    const r = new Resolver({ sourcePriority: ['crm'] });
    const empty = heldBytes(r);
    for (let i = 0; i < 2000; i++) r.add(rec(`crm:${i}`, { phone: phone(i) }));
    const full = heldBytes(r);
    // At least the columns' and keys' bytes of 2,000 records (~230 a record, decision 030).
    expect(full - empty).toBeGreaterThan(2000 * 150);
    expect(full).toBeLessThan(2000 * 230 * 3);
  });
});

describe("a record's times", () => {
  // Times as toISOString gives them are kept as milliseconds, others as text: both come back exactly.
  const time = fc.oneof(
    fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }).map((ms) => new Date(ms).toISOString()),
    fc.constantFrom('2026-03-01', '2026-03-01T08:00:00+08:00', '2026-03-01T00:00:00Z', '', ' ', 'not a time', '+010000-01-01T00:00:00.000Z'),
  );
  it('come back exactly as given, canonical or not, and after a snapshot', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ observedAt: time, registeredAt: fc.option(time, { nil: undefined }) }), { minLength: 1, maxLength: 30 }), (rows) => {
        const r = make();
        rows.forEach((row, n) => r.add(rec(`crm:${n}`, { phone: phone(n) }, { observedAt: row.observedAt, profile: row.registeredAt === undefined ? {} : { registeredAt: row.registeredAt } })));
        for (const resolver of [r, roundTrip(r)])
          rows.forEach((row, n) => {
            const got = resolver.member(resolver.memberOf(`crm:${n}`)!)!.records.find((x) => x.id === `crm:${n}`)!;
            expect(got.observedAt).toBe(row.observedAt);
            expect(got.profile.registeredAt).toBe(row.registeredAt);
          });
      }),
      { numRuns: 60 },
    );
  });
});

describe("a record's profile text", () => {
  it('comes back exactly as its column widens from 8 to 16 to 32 bits, and after a snapshot', () => {
    const r = make();
    const n = 100_000;
    const store = (i: number) => (i % 3 === 0 ? undefined : `S${i}`);
    for (let i = 0; i < n; i++) r.add(rec(`crm:${i}`, { phone: phone(i) }, { profile: { gender: i % 2 ? 'F' : 'M', ...(store(i) ? { homeStoreId: store(i) } : {}) } }));
    const widths = (x: Resolver) => {
      const text = (x as unknown as { store: { text: Record<string, { codes: ArrayBufferView }> } }).store.text;
      return { gender: text.gender!.codes.constructor.name, homeStore: text.homeStore!.codes.constructor.name };
    };
    expect(widths(r)).toEqual({ gender: 'Uint8Array', homeStore: 'Int32Array' });
    const back = roundTrip(r);
    for (const x of [r, back])
      for (const i of [0, 1, 2, 254, 255, 256, 65_535, 65_536, 65_537, n - 1]) {
        const got = x.member(x.memberOf(`crm:${i}`)!)!.records.find((y) => y.id === `crm:${i}`)!;
        expect(got.profile.homeStoreId).toBe(store(i));
        expect(got.profile.gender).toBe(i % 2 ? 'F' : 'M');
      }
  });
});

describe('MemberIndex', () => {
  it('answers get, set and delete as a Map, with stale entries taken over', () => {
    // Records 0..19 name the ids in `names`, which the test changes under the table.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('set', 'delete', 'rename'), fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 9 })), { maxLength: 200 }), (ops) => {
        const names = Array.from({ length: 20 }, (_, i) => `G${i % 10}`);
        const index = new MemberIndex((r) => names[r]!);
        const map = new Map<string, number>();
        for (const [op, r, n] of ops) {
          if (op === 'set') {
            index.set(names[r]!, r);
            map.set(names[r]!, r);
          } else if (op === 'delete') {
            index.delete(`G${n}`);
            map.delete(`G${n}`);
          } else names[r] = `G${n}`;
          // What the resolver asks: which record names this id now (rootOf checks the id).
          for (let k = 0; k < 10; k++) {
            const id = `G${k}`;
            const m = map.get(id);
            const expected = m !== undefined && names[m] === id ? m : undefined;
            expect(index.get(id)).toBe(expected);
          }
        }
        // Entries, stale ones too, one for one with the Map's.
        expect([...index.values()].sort()).toEqual([...map.values()].sort());
        expect(index.size).toBe(map.size);
      }),
    );
  });
});

const SOURCES = ['store', 'crm', 'wx', 'tmall'];
const make = () => new Resolver({ sourcePriority: SOURCES, keyLimits: { phone: 4, card: 3, tmall: 3 } });

const recordsArb = fc
  .array(
    fc.record({
      source: fc.constantFrom(...SOURCES),
      phone: fc.option(fc.oneof(fc.integer({ min: 0, max: 7 }).map(phone), fc.constant('+8613800000000')), { nil: undefined }),
      card: fc.option(fc.integer({ min: 0, max: 5 }).map((i) => `CARD${i}X`), { nil: undefined }),
      member: fc.option(fc.constantFrom('M1', 'M2', 'M3'), { freq: 6, nil: undefined }),
      name: fc.option(fc.constantFrom('王芳', 'Lily', ' '), { nil: undefined }),
    }),
    { minLength: 2, maxLength: 30 },
  )
  .map((rs) =>
    rs.map(
      (x, i): SourceRecord =>
        rec(`${x.source}:${i}`, { ...(x.phone ? { phone: x.phone } : {}), ...(x.card ? { cardNo: x.card } : {}) }, {
          observedAt: day(i),
          profile: { registeredAt: day(i % 4), ...(x.name ? { name: x.name } : {}) },
          ...(x.member ? { memberId: x.member } : {}),
        }),
    ),
  );

function roundTrip(r: Resolver, room = 3): Resolver {
  const { meta, arrays } = r.exportState();
  const bytes = concat(encodeSnapshot(meta, arrays));
  const back = decodeSnapshotBytes(bytes, (name) => (name.startsWith('pool.') || name.startsWith('resolver.members') ? 0 : room));
  return Resolver.fromState({ sourcePriority: SOURCES, keyLimits: { phone: 4, card: 3, tmall: 3 } }, back.meta as never, back.arrays);
}

function sameAnswers(a: Resolver, b: Resolver) {
  expect(b.partition()).toEqual(a.partition());
  expect(b.quarantined()).toEqual(a.quarantined());
  expect(b.figures()).toEqual(a.figures());
  expect(b.decisions()).toEqual(a.decisions());
  expect(new Set(b.memberIds())).toEqual(new Set(a.memberIds()));
  for (const id of a.memberIds()) expect(b.member(id)).toEqual(a.member(id));
  expect(b.suggestions()).toEqual(a.suggestions());
}

describe('the resolver from its snapshot', () => {
  it('answers as the one that wrote it, and links the records after it the same way', () => {
    fc.assert(
      fc.property(recordsArb, fc.integer({ min: 1, max: 29 }), fc.boolean(), (records, cut, split) => {
        const at = Math.min(cut, records.length - 1);
        const a = make();
        for (const x of records.slice(0, at)) a.add(x);
        a.resolveAll();
        // An operator's split, when there is a member of two records to split.
        const two = [...a.partition()].find(([, recs]) => recs.length >= 2);
        if (split && two) {
          try {
            a.split(two[0], [[two[1][0]!], two[1].slice(1)], 'op', day(40));
          } catch {
            // A split that would separate one store member's records is refused, nothing changed.
          }
        }
        const b = roundTrip(a);
        sameAnswers(a, b);
        for (const x of records.slice(at)) expect(b.add(x)).toEqual(a.add(x));
        sameAnswers(a, b);
        expect(b.resolveAll()).toEqual(a.resolveAll());
        sameAnswers(a, b);
      }),
      { numRuns: 150 },
    );
  });

  it('is refused cut short, changed in any byte, or of another format version', () => {
    const a = make();
    for (let i = 0; i < 20; i++) a.add(rec(`crm:${i}`, { phone: phone(i % 7) }, { observedAt: day(i), profile: {} }));
    const { meta, arrays } = a.exportState();
    const bytes = concat(encodeSnapshot(meta, arrays));
    expect(() => decodeSnapshotBytes(bytes)).not.toThrow();
    for (const n of [0, 10, 47, bytes.length >> 1, bytes.length - 1]) expect(() => decodeSnapshotBytes(bytes.subarray(0, n))).toThrow(SnapshotRefused);
    for (let i = 0; i < bytes.length; i += Math.max(1, bytes.length >> 6)) {
      const bad = Buffer.from(bytes);
      bad[i] = bad[i]! ^ 0x41;
      expect(() => decodeSnapshotBytes(bad), `byte ${i}`).toThrow(SnapshotRefused);
    }
    // An older format (format 1 pooled every profile text together) and a newer one alike.
    for (const version of [SNAPSHOT_FORMAT - 1, SNAPSHOT_FORMAT + 1]) {
      const other = Buffer.from(bytes);
      other.writeUInt32LE(version, 8);
      expect(() => decodeSnapshotBytes(other)).toThrow(`format version ${version}, this hub reads ${SNAPSHOT_FORMAT}`);
    }
    const foreign = Buffer.from(bytes);
    foreign.write('PROFILES', 0, 'latin1');
    expect(() => decodeSnapshotBytes(foreign)).toThrow(/not a One-ID snapshot/);
  });

  it('keeps every kind of array as it was', () => {
    const arrays = new Map<string, SnapshotArray>([
      ['a', new Uint8Array([1, 2, 3])],
      ['b', new Uint16Array([65535, 1])],
      ['c', new Int32Array([-1, 2 ** 31 - 1])],
      ['d', new Uint32Array([2 ** 32 - 1])],
      ['e', new Float64Array([Math.PI, -0.5])],
      ['f', new Int32Array(0)],
    ]);
    const back = decodeSnapshotBytes(concat(encodeSnapshot({ seq: '12-abc' }, arrays)));
    expect(back.meta).toEqual({ seq: '12-abc' });
    for (const [name, a] of arrays) expect([...back.arrays.get(name)!]).toEqual([...a]);
  });
});

/*
 * Golden member id → the record that names it, without keeping the ids (issue 14). A golden id
 * is a function of its naming record (`idOf`: the store member id, else a hash of the record
 * id), so the table holds record numbers and the ids' hashes only and asks `idOf` to confirm a
 * match. A Map of 10 million ids took ~60 bytes an entry plus the id strings; this takes 8–16.
 *
 * A record's id can change under an entry (a store member id given to an imported record): the
 * entry is then stale, as a Map's entry under the old id would be. Such an entry matches no
 * `get`; `set` and `delete` of an id with its hash take it over or drop it, as the Map's key
 * would have been.
 */

const EMPTY = 0;
const GONE = -1;

/** A string's 32-bit FNV-1a over its UTF-16 units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class MemberIndex {
  /** Naming record + 1, EMPTY, or GONE (a deleted entry: probing goes on past it). */
  private slots = new Int32Array(16);
  private hashes = new Uint32Array(16);
  private live = 0;
  /** Live and GONE slots: what makes probes long. */
  private taken = 0;

  constructor(private readonly idOf: (record: number) => string) {}

  get size(): number {
    return this.live;
  }

  get(id: string): number | undefined {
    const s = this.slotOf(id, hashString(id), false);
    return s < 0 ? undefined : this.slots[s]! - 1;
  }

  set(id: string, record: number): void {
    const h = hashString(id);
    const s = this.slotOf(id, h, true);
    if (s >= 0) {
      this.slots[s] = record + 1;
      return;
    }
    if ((this.taken + 1) * 2 > this.slots.length) this.resize(this.live * 4 > this.slots.length ? this.slots.length * 2 : this.slots.length);
    const mask = this.slots.length - 1;
    let t = h & mask;
    while (this.slots[t]! > 0) t = (t + 1) & mask;
    if (this.slots[t] === EMPTY) this.taken++;
    this.slots[t] = record + 1;
    this.hashes[t] = h;
    this.live++;
  }

  delete(id: string): void {
    const h = hashString(id);
    for (let s = this.slotOf(id, h, true); s >= 0; s = this.slotOf(id, h, true)) {
      this.slots[s] = GONE;
      this.live--;
    }
  }

  clear(): void {
    this.slots = new Int32Array(16);
    this.hashes = new Uint32Array(16);
    this.live = 0;
    this.taken = 0;
  }

  /** Naming records, in table order. Changes made while iterating are not seen. */
  *values(): Generator<number> {
    const slots = this.slots;
    for (let s = 0; s < slots.length; s++) if (slots[s]! > 0) yield slots[s]! - 1;
  }

  *keys(): Generator<string> {
    for (const r of this.values()) yield this.idOf(r);
  }

  /** The table as it is (views). */
  exportState(): { slots: Int32Array<ArrayBuffer>; hashes: Uint32Array<ArrayBuffer>; live: number; taken: number } {
    return { slots: this.slots, hashes: this.hashes, live: this.live, taken: this.taken };
  }

  /** Takes over a table from `exportState`. */
  importState(t: { slots: Int32Array<ArrayBuffer>; hashes: Uint32Array<ArrayBuffer>; live: number; taken: number }) {
    const cap = t.slots.length;
    if (cap < 16 || (cap & (cap - 1)) !== 0 || t.hashes.length !== cap || t.taken > cap / 2 || t.live > t.taken) throw new Error('snapshot: the member table does not fit together');
    this.slots = t.slots;
    this.hashes = t.hashes;
    this.live = t.live;
    this.taken = t.taken;
  }

  /** The slot holding `id`, or (with `stale`) an entry of the same hash whose record names another id now; -1 if none. */
  private slotOf(id: string, h: number, stale: boolean): number {
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s]!;
      if (v === EMPTY) return -1;
      if (v <= 0 || this.hashes[s] !== h) continue;
      const now = this.idOf(v - 1);
      if (now === id || (stale && hashString(now) !== h)) return s;
    }
  }

  /** Same or larger capacity, GONE slots dropped. */
  private resize(cap: number) {
    const old = this.slots;
    const oldHashes = this.hashes;
    this.slots = new Int32Array(cap);
    this.hashes = new Uint32Array(cap);
    const mask = cap - 1;
    for (let s = 0; s < old.length; s++) {
      if (old[s]! <= 0) continue;
      let t = oldHashes[s]! & mask;
      while (this.slots[t] !== EMPTY) t = (t + 1) & mask;
      this.slots[t] = old[s]!;
      this.hashes[t] = oldHashes[s]!;
    }
    this.taken = this.live;
  }
}

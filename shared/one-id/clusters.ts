import { grow } from './compact.ts';
import type { SnapshotArray } from './snapshot-codec.ts';

/*
 * Union-find over record indexes (path halving, union by size), with each cluster's records on
 * a circular list (to enumerate a cluster without scanning) and the spanning edges that built
 * it (a merge history: which two records, which key). Policy — which links are allowed, which
 * record names the cluster — is the caller's: `prefer(a, b)` says whether record a should name
 * a cluster rather than record b.
 */

const NONE = -1;

export class Clusters {
  private parent = new Int32Array(0);
  private size = new Int32Array(0);
  private next = new Int32Array(0);
  /** At a root: the record that names the cluster. */
  private best = new Int32Array(0);
  /** Per record: first spanning edge it is an end of. */
  private edgeHead = new Int32Array(0);
  edges = 0;
  edgeA = new Int32Array(0);
  edgeB = new Int32Array(0);
  edgeKey = new Int32Array(0);
  private nextA = new Int32Array(0);
  private nextB = new Int32Array(0);

  constructor(private readonly prefer: (a: number, b: number) => boolean) {}

  /** Makes record `i` a cluster of its own, forgetting its edges. */
  reset(i: number) {
    if (i >= this.parent.length) {
      const n = i + 1;
      this.parent = grow(this.parent, n);
      this.size = grow(this.size, n);
      this.next = grow(this.next, n);
      this.best = grow(this.best, n);
      this.edgeHead = grow(this.edgeHead, n);
    }
    this.parent[i] = i;
    this.size[i] = 1;
    this.next[i] = i;
    this.best[i] = i;
    this.edgeHead[i] = NONE;
  }

  /** Forgets every edge (before a full re-resolution). */
  clearEdges() {
    this.edges = 0;
  }

  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      const gp = p[p[i]!]!;
      p[i] = gp;
      i = gp;
    }
    return i;
  }

  bestOf(root: number): number {
    return this.best[root]!;
  }

  sizeOf(root: number): number {
    return this.size[root]!;
  }

  /**
   * Joins the clusters of `a` and `b`, recording the edge (a, b, key). Returns the new root, or
   * -1 when they were one cluster already.
   */
  union(a: number, b: number, key: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return NONE;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
    const t = this.next[ra]!;
    this.next[ra] = this.next[rb]!;
    this.next[rb] = t;
    const ba = this.best[ra]!;
    const bb = this.best[rb]!;
    this.best[ra] = this.prefer(bb, ba) ? bb : ba;
    this.addEdge(a, b, key);
    return ra;
  }

  isRoot(i: number): boolean {
    return this.parent[i] === i;
  }

  /** The record after `i` on its cluster's circular list: enumerates a cluster without an array. */
  nextOf(i: number): number {
    return this.next[i]!;
  }

  /** The records of the cluster `i` is in, starting with `i`. */
  members(i: number): number[] {
    const out = [i];
    for (let j = this.next[i]!; j !== i; j = this.next[j]!) out.push(j);
    return out;
  }

  /** Spanning edges with an end at record `i` (each edge is listed by both its ends). */
  edgesAt(i: number): number[] {
    const out: number[] = [];
    for (let e = this.edgeHead[i]!; e !== NONE; ) {
      out.push(e);
      e = this.edgeA[e] === i ? this.nextA[e]! : this.nextB[e]!;
    }
    return out;
  }

  /** The arrays for `n` records, trimmed (views: write them before the next change). */
  exportState(out: Map<string, SnapshotArray>, n: number): { edges: number } {
    const { parent, size, next, best, edgeHead, edgeA, edgeB, edgeKey, nextA, nextB } = this;
    for (const [name, a] of Object.entries({ parent, size, next, best, edgeHead })) out.set(`clusters.${name}`, a.subarray(0, n));
    for (const [name, a] of Object.entries({ edgeA, edgeB, edgeKey, nextA, nextB })) out.set(`clusters.${name}`, a.subarray(0, this.edges));
    return { edges: this.edges };
  }

  /** Takes over the arrays of `exportState`. */
  importState(arrays: ReadonlyMap<string, SnapshotArray>, n: number, edges: number) {
    const take = (name: string, length: number): Int32Array<ArrayBuffer> => {
      const a = arrays.get(`clusters.${name}`);
      if (!(a instanceof Int32Array) || a.length < length) throw new Error(`snapshot: clusters.${name} is missing or short`);
      return a as Int32Array<ArrayBuffer>;
    };
    this.parent = take('parent', n);
    this.size = take('size', n);
    this.next = take('next', n);
    this.best = take('best', n);
    this.edgeHead = take('edgeHead', n);
    this.edgeA = take('edgeA', edges);
    this.edgeB = take('edgeB', edges);
    this.edgeKey = take('edgeKey', edges);
    this.nextA = take('nextA', edges);
    this.nextB = take('nextB', edges);
    this.edges = edges;
  }

  private addEdge(a: number, b: number, key: number) {
    const e = this.edges++;
    if (e >= this.edgeA.length) {
      this.edgeA = grow(this.edgeA, e + 1);
      this.edgeB = grow(this.edgeB, e + 1);
      this.edgeKey = grow(this.edgeKey, e + 1);
      this.nextA = grow(this.nextA, e + 1);
      this.nextB = grow(this.nextB, e + 1);
    }
    this.edgeA[e] = a;
    this.edgeB[e] = b;
    this.edgeKey[e] = key;
    this.nextA[e] = this.edgeHead[a]!;
    this.edgeHead[a] = e;
    this.nextB[e] = this.edgeHead[b]!;
    this.edgeHead[b] = e;
  }
}

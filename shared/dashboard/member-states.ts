import type { MemberDoc } from './aggregates.ts';

/*
 * What the dashboard's counters know of each member (home store, receipts so far, last receipt
 * day: aggregates.ts MemberDoc), kept in memory by the hub and stored now and then as chunk
 * documents of many members each, `mbrs:<bucket>` (decision 013). Stored one document per
 * member, a catch-up with millions of receipts wrote one document per receipt; in chunks, a
 * snapshot writes each changed chunk once whatever the number of receipts folded since.
 *
 * Each member keeps the `seq` of the last change folded into it, as the counter documents do, so
 * a chunk is the same thing as the member documents it holds: the feed's checkpoint moves only
 * after a snapshot is stored, and a replay from it folds into each member only what it lacks.
 */

/** [member id, home store, receipts, last receipt day, seq]: arrays, so member ids are never keys. */
export type MemberEntry = [id: string, home: string, receipts: number, lastDay: string, seq: number];
export interface MemberChunk {
  _id: string;
  _rev?: string;
  members: MemberEntry[];
}

/** Buckets members hash into: a few hundred members per chunk at a million members. */
export const MEMBER_BUCKETS = 4096;
export const MEMBER_CHUNK_PREFIX = 'mbrs:';

/** FNV-1a, 32 bits: the same bucket for a member in every process and release. */
export function bucketOf(memberId: string, buckets = MEMBER_BUCKETS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < memberId.length; i++) {
    h ^= memberId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

export class MemberStates {
  private readonly buckets = new Map<number, Map<string, MemberDoc>>();
  private readonly revs = new Map<number, string>();
  private readonly dirty = new Set<number>();
  private count = 0;

  constructor(private readonly bucketCount = MEMBER_BUCKETS) {}

  get size(): number {
    return this.count;
  }

  static chunkId(bucket: number): string {
    return `${MEMBER_CHUNK_PREFIX}${bucket.toString(16).padStart(4, '0')}`;
  }

  /** A stored chunk, as read at start. */
  load(chunk: MemberChunk): void {
    const bucket = Number.parseInt(chunk._id.slice(MEMBER_CHUNK_PREFIX.length), 16);
    if (chunk._rev) this.revs.set(bucket, chunk._rev);
    for (const [id, home, receipts, lastDay, seq] of chunk.members) this.set(id, { home, receipts, lastDay, seq });
  }

  get(memberId: string): MemberDoc | undefined {
    return this.buckets.get(bucketOf(memberId, this.bucketCount))?.get(memberId);
  }

  /** A member's state after a batch folded into it: its chunk is written at the next snapshot. */
  put(memberId: string, doc: MemberDoc): void {
    this.set(memberId, { home: doc.home, receipts: doc.receipts, lastDay: doc.lastDay, seq: doc.seq });
    this.dirty.add(bucketOf(memberId, this.bucketCount));
  }

  /** The chunks changed since they were last stored, with the revisions to write them over. */
  changedChunks(): MemberChunk[] {
    return [...this.dirty].map((bucket) => {
      const rev = this.revs.get(bucket);
      const members = [...this.buckets.get(bucket)!].map(([id, m]) => [id, m.home, m.receipts, m.lastDay, m.seq] as MemberEntry);
      return { _id: MemberStates.chunkId(bucket), ...(rev ? { _rev: rev } : {}), members };
    });
  }

  /** A chunk was stored at `rev`; changes since it was taken (none while the feed waits for it) keep it dirty. */
  stored(chunkId: string, rev: string): void {
    const bucket = Number.parseInt(chunkId.slice(MEMBER_CHUNK_PREFIX.length), 16);
    this.revs.set(bucket, rev);
    this.dirty.delete(bucket);
  }

  private set(memberId: string, doc: MemberDoc): void {
    const bucket = bucketOf(memberId, this.bucketCount);
    let members = this.buckets.get(bucket);
    if (!members) this.buckets.set(bucket, (members = new Map()));
    if (!members.has(memberId)) this.count++;
    members.set(memberId, doc);
  }
}

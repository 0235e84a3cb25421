/*
 * Matches to suggest, never to apply: two golden members that share no key but look like one
 * person. Candidates come from blocking (records bucketed by name + birthday, name + city, name
 * + a part of the phone) so the work grows with the number of members, not its square; a bucket
 * bigger than `maxBucket` is skipped, since 300 people called 王伟 in Shanghai say nothing.
 */

export interface LookalikeMember {
  id: string;
  name?: string | undefined;
  birthday?: string | undefined;
  city?: string | undefined;
  phones: readonly string[];
}

export type SuggestReason = 'name+birthday' | 'name+phone-typo' | 'name+city';

export interface Suggestion {
  a: string;
  b: string;
  /** The strongest reason; `reasons` lists them all. */
  reason: SuggestReason;
  reasons: SuggestReason[];
  /** 0..1: how likely the two are one person, combining the reasons. */
  score: number;
}

const WEIGHT: Record<SuggestReason, number> = { 'name+birthday': 0.9, 'name+phone-typo': 0.8, 'name+city': 0.5 };
const ORDER: SuggestReason[] = ['name+birthday', 'name+phone-typo', 'name+city'];

export interface SuggestOptions {
  /** Buckets larger than this are ignored (default 20). */
  maxBucket?: number;
  /** Pairs an operator rejected or split apart. */
  excluded?: (a: string, b: string) => boolean;
}

/** A name as people type it: width and case folded, spaces and middle dots gone. */
export function normaliseName(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[\s·.・]/g, '');
}

/**
 * Whether two phone numbers differ by one wrong digit or two adjacent digits swapped.
 *
 * @example phoneTypo('+8613912345670', '+8613912345679') // true
 * @example phoneTypo('+8613912345670', '+8613912345607') // true (swap)
 */
export function phoneTypo(p: string, q: string): boolean {
  if (p.length !== q.length || p === q) return false;
  const diff: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== q[i]) {
      diff.push(i);
      if (diff.length > 2) return false;
    }
  }
  if (diff.length === 1) return true;
  const [i, j] = diff as [number, number];
  return j === i + 1 && p[i] === q[j] && p[j] === q[i];
}

/**
 * Suggested pairs, best first (score, then ids), each pair once with `a < b`.
 *
 * @example suggestMatches([{ id: 'G1', name: '王芳', birthday: '1990-01-02', phones: [] }, { id: 'G2', name: '王 芳', birthday: '1990-01-02', phones: [] }])
 * // [{ a: 'G1', b: 'G2', reason: 'name+birthday', reasons: ['name+birthday'], score: 0.9 }]
 */
export function suggestMatches(members: readonly LookalikeMember[], opts: SuggestOptions = {}): Suggestion[] {
  const maxBucket = opts.maxBucket ?? 20;
  const buckets = new Map<string, number[]>();
  const put = (key: string, i: number) => {
    const b = buckets.get(key);
    if (!b) buckets.set(key, [i]);
    else if (b.length <= maxBucket) b.push(i); // one past the cap marks it as too big
  };
  members.forEach((m, i) => {
    if (!m.name) return;
    const name = normaliseName(m.name);
    if (!name) return;
    if (m.birthday) put(`b|${name}|${m.birthday}`, i);
    if (m.city) put(`c|${name}|${m.city}`, i);
    // One wrong digit or one adjacent swap leaves at least one of these three parts intact.
    for (const p of new Set(m.phones)) {
      const h = p.length >> 1;
      put(`p1|${name}|${p.slice(0, h)}`, i);
      put(`p2|${name}|${p.slice(h + 1)}`, i);
      put(`p3|${name}|${p.slice(0, h - 1)}|${p.slice(h + 2)}`, i);
    }
  });

  const pairs = new Map<string, { a: string; b: string; reasons: Set<SuggestReason> }>();
  for (const [key, bucket] of buckets) {
    if (bucket.length < 2 || bucket.length > maxBucket) continue;
    const kind = key.slice(0, key.indexOf('|'));
    for (let x = 0; x < bucket.length; x++) {
      for (let y = x + 1; y < bucket.length; y++) {
        const m = members[bucket[x]!]!;
        const n = members[bucket[y]!]!;
        if (m.id === n.id) continue;
        let reason: SuggestReason;
        if (kind === 'b') reason = 'name+birthday';
        else if (kind === 'c') reason = 'name+city';
        else if (m.phones.some((p) => n.phones.some((q) => phoneTypo(p, q)))) reason = 'name+phone-typo';
        else continue;
        const [a, b] = m.id < n.id ? [m.id, n.id] : [n.id, m.id];
        if (opts.excluded?.(a, b)) continue;
        const k = `${a}\u0000${b}`;
        let pair = pairs.get(k);
        if (!pair) pairs.set(k, (pair = { a, b, reasons: new Set() }));
        pair.reasons.add(reason);
      }
    }
  }

  const out: Suggestion[] = [];
  for (const { a, b, reasons } of pairs.values()) {
    const list = ORDER.filter((r) => reasons.has(r));
    const score = 1 - list.reduce((miss, r) => miss * (1 - WEIGHT[r]), 1);
    out.push({ a, b, reason: list[0]!, reasons: list, score: Math.round(score * 1000) / 1000 });
  }
  return out.sort((x, y) => y.score - x.score || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : x.b > y.b ? 1 : 0));
}

import { grow } from '../../shared/one-id/compact.ts';
import { StringPool } from '../../shared/one-id/string-pool.ts';

/** Golden member ids by member number, as the passes over the whole base read them. */
export interface MemberList {
  /** Numbers are below this; some may be free. */
  readonly length: number;
  /** The id of member `n` (a new string each time); undefined for a free number. */
  at(n: number): string | undefined;
  /** Whether `n` is a member's number now (no string made). */
  has(n: number): boolean;
}

/**
 * Golden member ids and the dense numbers the profile columns are kept by, without a string per
 * member on the heap. At 1.3 million members the Map from id to number, the array back and the
 * ids themselves (each a concatenation and its flat copy) took ~180 bytes a member, most of the
 * hub's live heap; here an id is its UTF-8 bytes in a pool and two 4-byte slots, ~45 bytes.
 *
 * An id's code (its place in the pool, `codes`) is its own for the hub's life, whether it is a
 * member now or was merged away: what other parts keep per member (the tags last recorded) is kept
 * by code, which a number freed and given to another member cannot confuse. The pool is given by
 * the engine so that codes stay the same when a rebuild makes a new base.
 */
export class MemberNumbers implements MemberList {
  /** By code: the member's number + 1 (0: not a member now). */
  private numberOfCode = new Int32Array(0);
  /** By number: the member's code + 1 (0: a free number). */
  private codeOfNumber = new Int32Array(0);
  private readonly free: number[] = [];
  private high = 0;
  private live = 0;

  constructor(readonly codes: StringPool = new StringPool()) {}

  get length(): number {
    return this.high;
  }

  /** Members numbered now. */
  get size(): number {
    return this.live;
  }

  numberOf(id: string): number | undefined {
    return this.numberOfCodeOf(this.codes.indexOf(id));
  }

  /** The number of the member with this code, or undefined (no such code, or not a member now). */
  numberOfCodeOf(code: number): number | undefined {
    if (code < 0 || code >= this.numberOfCode.length) return undefined;
    const n = this.numberOfCode[code]!;
    return n === 0 ? undefined : n - 1;
  }

  /** The code of member `n`, or -1 for a free number. */
  codeAt(n: number): number {
    return n < this.high ? this.codeOfNumber[n]! - 1 : -1;
  }

  has(n: number): boolean {
    return n < this.high && this.codeOfNumber[n] !== 0;
  }

  at(n: number): string | undefined {
    const code = this.codeAt(n);
    return code < 0 ? undefined : this.codes.get(code);
  }

  /** Gives `id` a number (a free one first) unless it has one; answers it. */
  add(id: string): number {
    const code = this.codes.add(id);
    const had = this.numberOfCodeOf(code);
    if (had !== undefined) return had;
    const n = this.free.pop() ?? this.high++;
    this.numberOfCode = grow(this.numberOfCode, code + 1);
    this.codeOfNumber = grow(this.codeOfNumber, n + 1);
    this.numberOfCode[code] = n + 1;
    this.codeOfNumber[n] = code + 1;
    this.live++;
    return n;
  }

  /** Frees `id`'s number; answers it (undefined: it had none). */
  remove(id: string): number | undefined {
    const code = this.codes.indexOf(id);
    const n = this.numberOfCodeOf(code);
    if (n === undefined) return undefined;
    this.numberOfCode[code] = 0;
    this.codeOfNumber[n] = 0;
    this.free.push(n);
    this.live--;
    return n;
  }
}

import { PROFILE_FIELDS, type Profile, type ProfileValue } from '../../shared/profile/fields.ts';
import { dayString } from '../../shared/profile/source-facts.ts';
import type { ProfileColumns } from './columns.ts';

/**
 * One member's row of the columns read as a profile, without building it: `at(n)` points it at a
 * member, `get(field)` reads the columns (an int, a day, an enum or a set's bits straight from
 * their arrays, one Map lookup per read as on a profile; a scores field from the member's row).
 * Tag rules evaluated again over the whole base read members through it (decision 025). The
 * arrays are taken when it is made: make one per pass.
 */
export class ColumnRow {
  private n = 0;
  private readonly direct = new Map<string, (n: number) => ProfileValue | undefined>();

  constructor(private readonly columns: ProfileColumns) {
    for (const f of PROFILE_FIELDS) {
      const c = columns.column(f.name);
      if (c?.kind === 'int') {
        const { values: v, absent } = c;
        this.direct.set(f.name, (n) => (n < v.length && v[n] !== absent ? v[n] : undefined));
      } else if (c?.kind === 'day') {
        const { values: v, absent } = c;
        this.direct.set(f.name, (n) => (n < v.length && v[n] !== absent ? dayString(v[n]!) : undefined));
      } else if (c?.kind === 'enum') {
        const { codes, values } = c;
        this.direct.set(f.name, (n) => (n < codes.length && codes[n]! > 0 ? values[codes[n]! - 1] : undefined));
      } else if (c?.kind === 'set') {
        const bits = c.bits;
        this.direct.set(f.name, (n) => {
          const s = new Set<string>();
          for (const [value, b] of bits) if ((n >>> 5) < b.length && b[n >>> 5]! & (1 << (n & 31))) s.add(value);
          return s;
        });
      }
    }
  }

  at(n: number): this {
    this.n = n;
    return this;
  }

  get(field: string): ProfileValue | undefined {
    const read = this.direct.get(field);
    // Scores (rare in rules read again): the member's row, built.
    return read ? read(this.n) : this.columns.row(this.n).get(field);
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /** This reader as the profile a compiled rule reads (it calls `get` only). */
  asProfile(): Profile {
    return this as unknown as Profile;
  }
}

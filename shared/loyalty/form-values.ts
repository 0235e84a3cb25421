import type { FieldErrors } from '../form-errors.ts';

/**
 * A submitted form as the console's loyalty forms read it: fields in order, a name may repeat
 * (checkboxes). Text from a client: looked up by name, never used as an object key.
 */
export class FormValues {
  constructor(private readonly entries: readonly (readonly [string, string])[]) {}

  /** The trimmed text of a field, or '' when absent. */
  text(name: string): string {
    return (this.entries.find(([k]) => k === name)?.[1] ?? '').trim();
  }

  all(name: string): string[] {
    return this.entries.filter(([k]) => k === name).map(([, v]) => v.trim());
  }

  /** The row numbers of `prefix.<n>.*` fields, in order (the forms number their table rows). */
  rows(prefix: string): number[] {
    const found = new Set<number>();
    for (const [k] of this.entries) {
      const m = new RegExp(`^${prefix}\\.(\\d{1,3})\\.`).exec(k);
      if (m) found.add(Number(m[1]));
    }
    return [...found].sort((a, b) => a - b);
  }
}

/**
 * A whole number typed into a form: '' is left out (the schema says it is required), anything
 * else that is not digits is a field error.
 */
export function wholeNumber(form: FormValues, name: string, errors: FieldErrors): number | undefined {
  const v = form.text(name).replace(/[,\s]/g, '');
  if (v === '') return undefined;
  if (!/^-?\d{1,15}$/.test(v)) {
    errors.set(name, { code: 'whole' });
    return undefined;
  }
  return Number(v);
}

/**
 * An amount of money typed in RMB (`15`, `15.5`, `1,500.00`), as integer cents; more than two
 * decimals, or not a number, is a field error.
 *
 * @example yuanToCents('1,500.5') // 150050
 */
export function yuanToCents(text: string): number | undefined {
  const v = text.replace(/[,\s¥]/g, '');
  const m = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(v);
  if (!m) return undefined;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}

/** Cents as a form shows them in RMB: `150050` → `1500.50`, whole amounts without decimals. */
export const centsToYuan = (cents: number): string => (cents % 100 === 0 ? String(cents / 100) : (cents / 100).toFixed(2));

export function money(form: FormValues, name: string, errors: FieldErrors): number | undefined {
  const v = form.text(name);
  if (v === '') return undefined;
  const cents = yuanToCents(v);
  if (cents === undefined) errors.set(name, { code: 'money' });
  return cents;
}

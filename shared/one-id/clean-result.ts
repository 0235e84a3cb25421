/** What a field cleaner says about one value; see clean.ts. */
export type Cleaned<T = string> = { ok: true; value: T | undefined; changed: boolean } | { ok: false; reason: string };

export const kept = <T>(value: T, changed: boolean): Cleaned<T> => ({ ok: true, value, changed });
export const empty = (changed: boolean): Cleaned<never> => ({ ok: true, value: undefined, changed });
export const impossible = (reason: string): Cleaned<never> => ({ ok: false, reason });
/** Empty, and changed unless it already was (blank cells are not counted as cleaned). */
export const emptied = (input: string | undefined): Cleaned<never> => empty(input !== undefined && input !== '');

/** Characters NFKC may change (full-width forms, compatibility ideographs, combining marks, …); plain CJK text has none. */
const NEEDS_NFKC = /[\u00a0-\u036f\u2000-\u33ff\uf900-\ufaff\ufb00-\ufb4f\ufe10-\ufe6f\uff00-\uffef]/;
const LINE_BREAKS = /[\t\n\v\f\r]/g;
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f\u200b-\u200d\ufeff]/g;

/**
 * Folds full-width letters, digits and punctuation (and the ideographic space) to ASCII and drops
 * control and zero-width characters (tabs and line breaks become spaces). NFKC does the folding; text without such characters, which is most of it, skips it.
 *
 * @example fold('ＡＢＣ　１２３') // 'ABC 123'
 */
export function fold(s: string): string {
  const t = NEEDS_NFKC.test(s) ? s.normalize('NFKC') : s;
  return t.replace(LINE_BREAKS, ' ').replace(INVISIBLE, '');
}

/** What exports write for "nothing here". Compared after folding, trimming and lower-casing. */
const PLACEHOLDERS = new Set(['-', '--', '---', '_', '.', '?', '??', '0', 'null', 'nil', 'none', 'n/a', 'na', 'undefined', '#n/a', '无', '空', '未知', '不详', '暂无', '未填写', '匿名', '/']);

export function isPlaceholder(s: string): boolean {
  return s === '' || PLACEHOLDERS.has(s.toLowerCase());
}

/** Trimmed, folded text, or undefined for empty and placeholder values. */
export function prepare(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  const t = fold(input).trim();
  return isPlaceholder(t) ? undefined : t;
}

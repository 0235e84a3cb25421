/**
 * A person's name as an operator without `members:reveal_pii` sees it: the first character
 * (a Chinese surname, or an initial), the rest starred, whole characters (never half a
 * surrogate pair).
 *
 * @example maskName('张三丰') // '张**'
 * @example maskName('Ada Lovelace') // 'A***********'
 */
export function maskName(name: string | null | undefined): string {
  if (!name) return '—';
  const chars = [...name];
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}

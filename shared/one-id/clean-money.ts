import { type Cleaned, emptied, impossible, kept, prepare } from './clean-result.ts';

export type MoneyUnit = 'yuan' | 'cents';

const YUAN = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/**
 * An amount in integer cents, read digit by digit so that no float ever touches it: '88.50',
 * '88.5', '¥1,288.00' and '88元' are 8850, 8850, 128800 and 8800. With unit 'cents' the text is
 * already integer cents. Negative amounts and more than two decimals are impossible.
 *
 * @example cleanMoney('¥1,288.5') // { ok: true, value: 128850, changed: true }
 */
export function cleanMoney(input: string | undefined, unit: MoneyUnit = 'yuan'): Cleaned<number> {
  const t = prepare(input);
  if (t === undefined) return input === '0' ? kept(0, false) : emptied(input);
  const bare = t.replace(/^(?:¥|￥|RMB|CNY)\s*/i, '').replace(/\s*(?:元|RMB|CNY)$/i, '').replace(/,(?=\d{3}\b)/g, '');
  if (unit === 'cents') {
    if (!/^\d{1,14}$/.test(bare)) return impossible(`money: not integer cents '${t.slice(0, 20)}'`);
    const cents = Number(bare);
    return kept(cents, bare !== input);
  }
  const g = YUAN.exec(bare);
  if (!g) return impossible(`money: not an amount '${t.slice(0, 20)}'`);
  const cents = Number(g[1]) * 100 + Number((g[2] ?? '').padEnd(2, '0'));
  return kept(cents, bare !== input);
}

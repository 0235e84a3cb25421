import { EN, type MessageKey } from './messages-en.ts';
import { ZH_CN } from './messages-zh-cn.ts';

export type { MessageKey };
/** The console's languages: English and Simplified Chinese. */
export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

/** One catalogue per language, keyed by message; text from outside only ever reaches `get`. */
const CATALOGUES: ReadonlyMap<Lang, ReadonlyMap<MessageKey, string>> = new Map<Lang, ReadonlyMap<MessageKey, string>>([
  ['en', EN],
  ['zh-CN', ZH_CN],
]);

export const isLang = (v: unknown): v is Lang => typeof v === 'string' && (LANGS as readonly string[]).includes(v);

/**
 * The language of a page: the `lang` cookie when it names one, else the first of Accept-Language
 * (by weight) that is Chinese or English, else English.
 *
 * @example pickLang(undefined, 'zh-TW;q=0.8, en;q=0.9') // 'en'
 */
export function pickLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(cookie)) return cookie;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

export interface Translator {
  lang: Lang;
  /** A message with `{name}` placeholders filled in. */
  (key: MessageKey, params?: Readonly<Record<string, string | number>>): string;
  /** The message for a value from the data (a state, an incident kind), or the value itself when the catalogue has none. */
  value(prefix: string, value: string): string;
  /** Numbers and dates as the language writes them. */
  num(n: number): string;
  time(iso: string | null | undefined): string;
}

export function translator(lang: Lang): Translator {
  const catalogue = CATALOGUES.get(lang)!;
  const fill = (text: string, params?: Readonly<Record<string, string | number>>) =>
    params ? text.replace(/\{(\w+)\}/g, (all, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : all)) : text;
  const t = ((key: MessageKey, params?: Readonly<Record<string, string | number>>) => fill(catalogue.get(key) ?? EN.get(key) ?? key, params)) as Translator;
  t.lang = lang;
  t.value = (prefix, value) => catalogue.get(`${prefix}.${value}` as MessageKey) ?? value;
  const numbers = new Intl.NumberFormat(lang);
  const times = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Shanghai' });
  t.num = (n) => numbers.format(n);
  t.time = (iso) => {
    const at = iso ? Date.parse(iso) : NaN;
    return Number.isFinite(at) ? times.format(at) : '—';
  };
  return t;
}

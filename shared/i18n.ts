/*
 * The catalogue mechanism of the server-rendered pages (the hub's console, the edge's guide
 * pages): one `Map` per language keyed by message, a language picked from the `lang` cookie or
 * Accept-Language, and a translator that fills `{name}` placeholders. Each set of pages brings
 * its own catalogues; text from outside (a state, a kind from the data) only ever reaches
 * `Map.get`, never an object key.
 */

/** The pages' languages: English and Simplified Chinese. */
export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

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

export interface Translator<K extends string = string> {
  lang: Lang;
  /** A message with `{name}` placeholders filled in. */
  (key: K, params?: Readonly<Record<string, string | number>>): string;
  /** The message for a value from the data (a state, an incident kind), or the value itself when the catalogue has none. */
  value(prefix: string, value: string): string;
  /** Numbers and dates as the language writes them. */
  num(n: number): string;
  time(iso: string | null | undefined): string;
  /** A store-local day ('2026-03-01') as the language writes dates. */
  day(day: string | null | undefined): string;
}

/**
 * The translators of one set of catalogues (English is also the fallback for a key another
 * language lacks), one per language and time zone, made once.
 *
 * @example translators(CATALOGUES)('zh-CN')('nav.logout') // '退出'
 */
export function translators<K extends string>(catalogues: ReadonlyMap<Lang, ReadonlyMap<K, string>>, timeZone = 'Asia/Shanghai'): (lang: Lang) => Translator<K> {
  const made = new Map<Lang, Translator<K>>();
  const fallback = catalogues.get('en') ?? new Map<K, string>();
  return (lang) => {
    let t = made.get(lang);
    if (!t) made.set(lang, (t = translator(catalogues.get(lang) ?? fallback, fallback, lang, timeZone)));
    return t;
  };
}

function translator<K extends string>(catalogue: ReadonlyMap<K, string>, fallback: ReadonlyMap<K, string>, lang: Lang, timeZone: string): Translator<K> {
  const fill = (text: string, params?: Readonly<Record<string, string | number>>) =>
    params ? text.replace(/\{(\w+)\}/g, (all, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : all)) : text;
  const t = ((key: K, params?: Readonly<Record<string, string | number>>) => fill(catalogue.get(key) ?? fallback.get(key) ?? key, params)) as Translator<K>;
  t.lang = lang;
  t.value = (prefix, value) => catalogue.get(`${prefix}.${value}` as K) ?? value;
  const numbers = new Intl.NumberFormat(lang);
  const times = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone });
  const days = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' });
  t.num = (n) => numbers.format(n);
  t.time = (iso) => {
    const at = iso ? Date.parse(iso) : NaN;
    return Number.isFinite(at) ? times.format(at) : '—';
  };
  t.day = (day) => {
    const at = day && /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
    return Number.isFinite(at) ? days.format(at) : '—';
  };
  return t;
}

import { translators, type Lang, type Translator as Translate } from '../../shared/i18n.ts';
import { EN, type MessageKey } from './messages-en.ts';
import { ZH_CN } from './messages-zh-cn.ts';

export { isLang, LANGS, pickLang, type Lang } from '../../shared/i18n.ts';
export type { MessageKey };

/** The console's catalogues (shared/i18n.ts is the mechanism; the guide pages have their own). */
const CATALOGUES: ReadonlyMap<Lang, ReadonlyMap<MessageKey, string>> = new Map<Lang, ReadonlyMap<MessageKey, string>>([
  ['en', EN],
  ['zh-CN', ZH_CN],
]);

export type Translator = Translate<MessageKey>;

/** The console's translator for a language (dates in HQ's time zone). */
export const translator: (lang: Lang) => Translator = translators(CATALOGUES, 'Asia/Shanghai');

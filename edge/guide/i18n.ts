import { translators, type Lang, type Translator } from '../../shared/i18n.ts';
import { GUIDE_EN, type GuideMessageKey } from './messages-en.ts';
import { GUIDE_ZH_CN } from './messages-zh-cn.ts';

export type { GuideMessageKey };
export type GuideTranslator = Translator<GuideMessageKey>;

/** The guide pages' catalogues (the mechanism is shared/i18n.ts, as the console's). */
export const GUIDE_CATALOGUES: ReadonlyMap<Lang, ReadonlyMap<GuideMessageKey, string>> = new Map<Lang, ReadonlyMap<GuideMessageKey, string>>([
  ['en', GUIDE_EN],
  ['zh-CN', GUIDE_ZH_CN],
]);

/** The guide's translators for a store: dates in the store's time zone. */
export const guideTranslators = (timeZone: string): ((lang: Lang) => GuideTranslator) => translators(GUIDE_CATALOGUES, timeZone);

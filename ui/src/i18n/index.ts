// i18next with Simplified Chinese and English. Chinese is the default when the system locale is
// Chinese; the user's choice is remembered.

import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { zh } from './zh';

export type Lang = 'zh' | 'en';
const KEY = 'trellis.lang';

export function detectLang(navLang: string | undefined, stored: string | null | undefined): Lang {
  if (stored === 'zh' || stored === 'en') return stored;
  return navLang?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

function storedLang(): string | null {
  try {
    return globalThis.localStorage?.getItem(KEY) ?? null;
  } catch {
    return null;
  }
}

export function initI18n(): typeof i18n {
  if (!i18n.isInitialized) {
    void i18n.use(initReactI18next).init({
      resources: { en: { translation: en }, zh: { translation: zh } },
      lng: detectLang(globalThis.navigator?.language, storedLang()),
      fallbackLng: 'en',
      interpolation: { escapeValue: false },
      returnNull: false,
      showSupportNotice: false,
    });
  }
  return i18n;
}

export function setLang(lang: Lang) {
  try {
    globalThis.localStorage?.setItem(KEY, lang);
  } catch {
    // storage unavailable
  }
  void i18n.changeLanguage(lang);
  if (typeof document !== 'undefined') document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export { i18n };

import { browser } from '$app/environment';
import { getLocale, isLocale, locales, overwriteGetLocale, setLocale, type Locale } from '$lib/paraglide/runtime';

export { locales, type Locale };

/** The tags `Intl` and `<html lang>` get for each of the app's locales. */
const TAGS: Record<Locale, string> = { en: 'en', zh: 'zh-CN' };

/** Each language named in itself, as a language switch shows it. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', zh: '中文' };

// The server answers each request in the locale its middleware picked (cookie, else
// Accept-Language). In the browser the locale lives in a rune, so every message function, which
// reads getLocale(), re-renders when the user switches: no reload, nothing typed is lost. It starts
// from what the server rendered, so hydration agrees with the page.
const current = $state({ locale: browser ? initialLocale() : 'en' });
if (browser) overwriteGetLocale(() => current.locale);

function initialLocale(): Locale {
  const rendered = document.documentElement.dataset.locale;
  return rendered && isLocale(rendered) ? rendered : getLocale();
}

/** The locale the page is shown in now. */
export function locale(): Locale {
  return browser ? current.locale : getLocale();
}

/** The BCP 47 tag for `Intl` formatting and `lang` attributes. */
export function localeTag(l: Locale = locale()): string {
  return TAGS[l];
}

/** Switches the page to `next` in place and remembers the choice (Paraglide's cookie). */
export function switchLocale(next: Locale): void {
  void setLocale(next, { reload: false });
  current.locale = next;
  document.documentElement.lang = TAGS[next];
  document.documentElement.dataset.locale = next;
}

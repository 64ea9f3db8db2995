// The interface language and the one translation function. Every string
// on screen comes from fr.ts / en.ts through t().
import { fr, type MessageKey } from './fr';
import { en } from './en';

export type Lang = 'fr' | 'en';
export const catalogs: Record<Lang, Record<MessageKey, string>> = { fr, en };

export const i18n = $state<{ lang: Lang }>({ lang: 'fr' });

export function setLang(lang: string): void {
  i18n.lang = lang === 'en' ? 'en' : 'fr';
  document.documentElement.lang = i18n.lang;
}

/** Fills {placeholders}; a missing value leaves the placeholder visible. */
export function format(text: string, params: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return format(catalogs[i18n.lang][key] ?? fr[key] ?? key, params);
}

/** A key built at run time (deadline ids, statuses): falls back to the raw id. */
export function tk(key: string, params: Record<string, string | number> = {}): string {
  const text = (catalogs[i18n.lang] as Record<string, string>)[key];
  return text === undefined ? key.slice(key.indexOf('.') + 1) : format(text, params);
}

/** 2026-11-28 → 28/11/2026 (fr) or 28 Nov 2026 (en), without time-zone shifts. */
export function formatDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(i18n.lang === 'en' ? 'en-GB' : 'fr-FR', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(d);
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(i18n.lang === 'en' ? 'en-GB' : 'fr-FR', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'Europe/Paris',
  }).format(d);
}

export function languageName(code: string): string {
  try {
    const names = new Intl.DisplayNames([i18n.lang], { type: 'language' });
    const n = names.of(code);
    return n && n !== code ? `${n.charAt(0).toLocaleUpperCase(i18n.lang)}${n.slice(1)} (${code})` : code;
  } catch {
    return code;
  }
}

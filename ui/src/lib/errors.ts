import type { BackendError, FieldError } from '../backend';
import { i18n, catalogs } from '../i18n/index.svelte';

/** The sentence shown next to a refused field, in the interface language. */
export function fieldMessage(e: FieldError | undefined): string {
  if (!e) return '';
  const own = (catalogs[i18n.lang] as Record<string, string>)[`fieldError.${e.code}`];
  if (own) return own;
  // Core's sentence: "Le champ « x » …" — the field is already named by its label.
  return i18n.lang === 'en' ? e.en : e.fr;
}

export function errorText(e: BackendError | null): string {
  return e ? e.text(i18n.lang) : '';
}

// Small helpers of the preview and attachment screens, kept out of the
// components so that Vitest checks them.
import { SVG_PAGE_PREFIX, type Attachment, type Preview } from '../backend';
import type { Lang } from '../i18n/index.svelte';

/** The pages an <img> may show: SVG data URLs only, whatever else arrives. */
export function previewPages(p: Preview): string[] {
  return p.pages.filter((u) => typeof u === 'string' && u.startsWith(SVG_PAGE_PREFIX));
}

/** 2_400_000 → "2,3 Mo" (fr) or "2.3 MB" (en); under a megabyte, in kilobytes. */
export function fileSize(bytes: number, lang: Lang): string {
  const nf = (n: number, digits: number) =>
    new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'fr-FR', { maximumFractionDigits: digits }).format(n);
  const mib = 1024 * 1024;
  if (bytes >= mib) return `${nf(bytes / mib, 1)} ${lang === 'en' ? 'MB' : 'Mo'}`;
  return `${nf(Math.max(1, Math.round(bytes / 1024)), 0)} ${lang === 'en' ? 'KB' : 'Ko'}`;
}

/** The attachments of one document item, in page order. */
export function itemAttachments(all: Attachment[], docType: string): Attachment[] {
  return all.filter((a) => a.doc_type === docType).sort((a, b) => a.position - b.position);
}

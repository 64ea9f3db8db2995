// Dates as volunteers type them (day first, the French way) and as the
// backend stores them (ISO). No locale is consulted: the order is fixed.

const pad = (n: string) => n.padStart(2, '0');

/**
 * The ISO date (YYYY-MM-DD) for what was typed: `31/03/2026`, `31.3.2026`,
 * `31-03-2026`, `31 03 2026`, `31032026`, or already `2026-03-31`. Empty
 * stays empty. Anything else comes back as typed (trimmed), so that the
 * backend refuses it next to the field and the text is not lost. The
 * calendar (30 February) is the backend's to check.
 */
export function isoFromTyped(typed: string): string {
  const s = typed.trim();
  if (s === '') return '';
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) return `${m[1]}-${pad(m[2])}-${pad(m[3])}`;
  m = /^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})$/.exec(s);
  if (m) return `${m[3]}-${pad(m[2])}-${pad(m[1])}`;
  m = /^(\d{2})(\d{2})(\d{4})$/.exec(s);
  if (m) return `${m[3]}-${m[2]}-${m[1]}`;
  return s;
}

/** `2026-03-31` → `31/03/2026`; anything else unchanged. */
export function typedFromIso(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** `9:05`, `09h05`, `0905` → `09:05`; anything else as typed. */
export function timeFromTyped(typed: string): string {
  const s = typed.trim();
  const m = /^(\d{1,2})\s*[:hH.]?\s*(\d{2})$/.exec(s);
  return m ? `${pad(m[1])}:${m[2]}` : s;
}

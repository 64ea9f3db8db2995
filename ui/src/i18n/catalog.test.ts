// The message catalog: every key in both languages, same placeholders,
// no empty string, and every id the shell sends has a translation.
import { describe, it, expect } from 'vitest';
import { fr } from './fr';
import { en } from './en';
import { format } from './index.svelte';
import { DOC_STATUSES, CASE_STATUSES, LETTER_KINDS } from '../backend';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalog', () => {
  it('has the same keys in French and English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
  });

  it('has the same placeholders in both languages', () => {
    for (const key of Object.keys(fr) as (keyof typeof fr)[]) {
      expect(placeholders(en[key]), key).toEqual(placeholders(fr[key]));
    }
  });

  it('has no empty message', () => {
    for (const [k, v] of [...Object.entries(fr), ...Object.entries(en)]) {
      expect(v.trim(), k).not.toBe('');
    }
  });

  it('translates every id the shell sends', () => {
    const ids = [
      ...DOC_STATUSES.map((s) => `doc.${s}`),
      ...CASE_STATUSES.map((s) => `status.${s}`),
      ...LETTER_KINDS.map((k) => `letter.${k}`),
      // DeadlineId (crates/core/src/rules/deadline.rs), snake_case.
      ...[
        'first_request', 'vlsts_validation', 'young_adult_request', 'renewal_window_opens',
        'renewal_window_closes', 'implicit_rejection', 'appeal_implicit_rejection', 'appeal_refusal',
        'oqtf_appeal', 'api_expires', 'proof_of_stay_gap', 'late_renewal_fee', 'stale_document',
        'renewal_window_open', 'api_expiring_soon', 'duplicate_renew_instead',
      ].map((d) => `deadline.${d}`),
      // Counting (same file).
      ...[
        'months_quantieme', 'delai_franc', 'days', 'hours', 'implicit_decision', 'days_before_expiry',
        'months_before_expiry', 'day_before_birthday', 'document_age', 'stated_date', 'coverage_gap',
      ].map((c) => `counting.${c}`),
    ];
    for (const id of ids) {
      expect(fr, id).toHaveProperty([id]);
      expect(en, id).toHaveProperty([id]);
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format(fr['today.more'], { shown: 3, total: 9 })).toBe('3 lignes affichées sur 9, les plus urgentes d’abord.');
    expect(format('{a} {b}', { a: 1 })).toBe('1 {b}');
  });
});

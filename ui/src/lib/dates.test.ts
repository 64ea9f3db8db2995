import { describe, expect, it } from 'vitest';
import { isoFromTyped, timeFromTyped, typedFromIso } from './dates';

describe('dates typed day first', () => {
  it('reads day/month/year in every usual spelling', () => {
    for (const typed of ['03/04/2026', '3/4/2026', '03.04.2026', '03-04-2026', '03 04 2026', ' 03/04/2026 ', '03042026', '2026-04-03']) {
      expect(isoFromTyped(typed), typed).toBe('2026-04-03');
    }
  });

  it('never reads the month first, whatever the locale', () => {
    expect(isoFromTyped('12/01/2026')).toBe('2026-01-12');
  });

  it('keeps what is not a date as typed, for the backend to refuse', () => {
    expect(isoFromTyped('')).toBe('');
    expect(isoFromTyped('demain')).toBe('demain');
    expect(isoFromTyped('31/02')).toBe('31/02');
    // A well-formed impossible date goes through: the backend knows the calendar.
    expect(isoFromTyped('31/02/2026')).toBe('2026-02-31');
  });

  it('shows ISO dates day first and leaves the rest alone', () => {
    expect(typedFromIso('2026-04-03')).toBe('03/04/2026');
    expect(typedFromIso('')).toBe('');
    expect(typedFromIso('demain')).toBe('demain');
  });

  it('reads times on a 24-hour clock', () => {
    expect(timeFromTyped('9:05')).toBe('09:05');
    expect(timeFromTyped('14h30')).toBe('14:30');
    expect(timeFromTyped('1430')).toBe('14:30');
    expect(timeFromTyped('midi')).toBe('midi');
  });
});

// The backend interface, with Tauri's invoke mocked at the boundary only.
import { describe, it, expect, vi, beforeEach } from 'vitest';

// A hand-written stand-in for Tauri's invoke: records calls, answers or
// rejects as each test says.
type Answer = { ok: unknown } | { err: unknown };
let answer: Answer = { ok: undefined };
const calls: [string, Record<string, unknown>][] = [];
const invoke = {
  mockResolvedValue: (v: unknown) => (answer = { ok: v }),
  mockRejectedWith: (e: unknown) => (answer = { err: e }),
  mockReset: () => {
    calls.length = 0;
    answer = { ok: undefined };
  },
};
vi.mock('@tauri-apps/api/core', () => ({
  invoke: (cmd: string, args: Record<string, unknown>) => {
    calls.push([cmd, args]);
    const a = answer;
    return new Promise((resolve, reject) => ('err' in a ? reject(a.err) : resolve(a.ok)));
  },
}));
const lastCall = () => calls[calls.length - 1];

const { backend, BackendError, toBackendError, onLocked } = await import('./backend');

beforeEach(() => invoke.mockReset());

describe('backend commands', () => {
  it('sends snake_case arguments under the command names the shell registers', async () => {
    invoke.mockResolvedValue({ id: 'c1' });
    await backend.saveCase(null, 'a1', {
      procedure: 'renouvellement_vpf',
      status: '',
      department: '93',
      opened_on: '',
      permit_expires_on: '2026-12-31',
      permit_on_anef: true,
      filed_on: '',
      api_valid_until: '',
    });
    expect(lastCall()).toEqual(['case_save', {
      id: null,
      applicant_id: 'a1',
      form: expect.objectContaining({ procedure: 'renouvellement_vpf', permit_expires_on: '2026-12-31' }),
    }]);
  });

  it('passes the passphrase change as old/new/confirm', async () => {
    invoke.mockResolvedValue(undefined);
    await backend.changePassphrase('a', 'b', 'c');
    expect(lastCall()).toEqual(['vault_change_passphrase', { old: 'a', new: 'b', confirm: 'c' }]);
  });

  it('returns what the shell answers', async () => {
    invoke.mockResolvedValue({ items: [], total: 0, today: '2026-11-28', horizon_days: 30 });
    const today = await backend.today();
    expect(today.total).toBe(0);
    expect(lastCall()).toEqual(['today', {}]);
  });

  it('marks a cancelled save dialog as null, not as an error', async () => {
    invoke.mockResolvedValue(null);
    await expect(backend.printCaseChecklist('c1', 'ar')).resolves.toBeNull();
    expect(lastCall()).toEqual(['print_case_checklist', { case_id: 'c1', lang: 'ar' }]);
  });
});

describe('backend errors', () => {
  it('turns the shell error into a BackendError with both languages and fields', async () => {
    invoke.mockRejectedWith({
      code: 'invalid',
      fr: 'Certains champs…',
      en: 'Some fields…',
      fields: [{ field: 'birth_date', code: 'future_date', fr: 'futur', en: 'future' }],
    });
    const err = await backend.saveApplicant(null, { family_name: 'X' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const b = err as InstanceType<typeof BackendError>;
    expect(b.code).toBe('invalid');
    expect(b.text('en')).toBe('Some fields…');
    expect(b.field('birth_date')?.code).toBe('future_date');
    expect(b.field('family_name')).toBeUndefined();
  });

  it('never shows a raw string or stack trace: unknown errors get a sentence', () => {
    const b = toBackendError(new TypeError('x is undefined at foo.js:12'));
    expect(b.code).toBe('unexpected');
    expect(b.fr).toMatch(/Réessayez/);
    expect(b.en).toMatch(/Try again/);
    expect(b.fr).not.toMatch(/foo\.js/);
    expect(toBackendError('panicked at src/main.rs').code).toBe('unexpected');
  });

  it('tells listeners when the shell says the vault is locked', async () => {
    const seen = vi.fn();
    const off = onLocked(seen);
    invoke.mockRejectedWith({ code: 'locked', fr: 'verrouillé', en: 'locked', fields: [] });
    await expect(backend.today()).rejects.toBeInstanceOf(BackendError);
    expect(seen).toHaveBeenCalledTimes(1);
    off();
    invoke.mockRejectedWith({ code: 'wrong_passphrase', fr: 'x', en: 'y', fields: [] });
    await expect(backend.unlock('nope')).rejects.toBeInstanceOf(BackendError);
    expect(seen).toHaveBeenCalledTimes(1);
  });
});

describe('sync calls', () => {
  it('settles a conflict with a chosen value or with typed text, never both', async () => {
    invoke.mockResolvedValue(undefined);
    await backend.syncResolve('a1', 'phone', { value: '06 00 00 00 00' });
    expect(lastCall()).toEqual(['sync_resolve', { entity_id: 'a1', field: 'phone', value: '06 00 00 00 00', text: null }]);
    await backend.syncResolve('a1', 'notes', { text: 'les deux' });
    expect(lastCall()).toEqual(['sync_resolve', { entity_id: 'a1', field: 'notes', value: null, text: 'les deux' }]);
    // A stored value that is not a string (a date list, a number) travels as is.
    await backend.syncResolve('c1', 'facts', { value: { filed_on: '2026-01-02' } });
    expect(lastCall()).toEqual(['sync_resolve', { entity_id: 'c1', field: 'facts', value: { filed_on: '2026-01-02' }, text: null }]);
  });

  it('lists conflicts and readers under the commands the shell registers', async () => {
    invoke.mockResolvedValue([]);
    await expect(backend.syncConflicts()).resolves.toEqual([]);
    expect(lastCall()).toEqual(['sync_conflicts', {}]);
    invoke.mockResolvedValue({ team: false, shared: false, devices: [{ fingerprint: 'ab', role: 'admin', this_device: true, removed: false }] });
    const r = await backend.caseReaders('c1');
    expect(r.devices[0].this_device).toBe(true);
    expect(lastCall()).toEqual(['case_readers', { id: 'c1' }]);
  });
});

// Preview and attachment calls: command names and snake_case arguments as
// the shell registers them, a cancelled dialog as null, and the helpers
// that decide what an <img> may show. Tauri's invoke is replaced at the
// boundary only.
import { describe, it, expect, vi, beforeEach } from 'vitest';

type Answer = { ok: unknown } | { err: unknown };
let answer: Answer = { ok: undefined };
const calls: [string, Record<string, unknown>][] = [];
vi.mock('@tauri-apps/api/core', () => ({
  invoke: (cmd: string, args: Record<string, unknown>) => {
    calls.push([cmd, args]);
    const a = answer;
    return new Promise((resolve, reject) => ('err' in a ? reject(a.err) : resolve(a.ok)));
  },
}));
const lastCall = () => calls[calls.length - 1];

const { backend, BackendError } = await import('./backend');
const { previewPages, fileSize, itemAttachments } = await import('./lib/print');

beforeEach(() => {
  calls.length = 0;
  answer = { ok: undefined };
});

const page = 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=';

describe('preview calls', () => {
  it('asks for the case checklist, the blank one and the letter under their command names', async () => {
    answer = { ok: { pages: [page], missing_glyphs: [], deadlines_unavailable: false, untranslated: [] } };
    const p = await backend.previewCaseChecklist('c1', 'ar');
    expect(p.pages).toEqual([page]);
    expect(lastCall()).toEqual(['preview_case_checklist', { case_id: 'c1', lang: 'ar' }]);
    await backend.previewBlankChecklist('etudiant_renewal', 'fa-AF');
    expect(lastCall()).toEqual(['preview_blank_checklist', { procedure: 'etudiant_renewal', lang: 'fa-AF' }]);
    await backend.letterPreview('c1', 'api_request', 'Texte revu');
    expect(lastCall()).toEqual(['letter_preview', { case_id: 'c1', kind: 'api_request', text: 'Texte revu' }]);
  });

  it('gives an <img> SVG data URLs only', () => {
    const pages = previewPages({
      pages: [page, 'javascript:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'https://example.org/x.svg', page],
      missing_glyphs: [],
      deadlines_unavailable: false,
      untranslated: [],
    });
    expect(pages).toEqual([page, page]);
  });
});

describe('attachment calls', () => {
  const a = (id: string, doc_type: string, position: number) => ({
    id, doc_type, position, file_name: `${id}.jpg`, media_type: 'image/jpeg', pages: 1, byte_len: 1000, added_at: '2026-11-28T09:00:00Z',
  });

  it('lists, attaches, deletes and exports under their command names', async () => {
    answer = { ok: [a('x', 'passport', 1)] };
    expect((await backend.attachments('c1')).length).toBe(1);
    expect(lastCall()).toEqual(['attachments_list', { case_id: 'c1' }]);
    await backend.attach('c1', 'passport');
    expect(lastCall()).toEqual(['attachments_add', { case_id: 'c1', doc_type: 'passport' }]);
    await backend.deleteAttachment('c1', 'x');
    expect(lastCall()).toEqual(['attachment_delete', { case_id: 'c1', id: 'x' }]);
    answer = { ok: { path: '/tmp/Passeport.pdf', file_name: 'Passeport.pdf', missing_glyphs: [], deadlines_unavailable: false } };
    expect((await backend.exportForAnef('c1', 'passport'))?.file_name).toBe('Passeport.pdf');
    expect(lastCall()).toEqual(['attachment_export', { case_id: 'c1', doc_type: 'passport' }]);
  });

  it('treats a cancelled open or save dialog as null, not as an error', async () => {
    answer = { ok: null };
    await expect(backend.attach('c1', 'passport')).resolves.toBeNull();
    await expect(backend.exportForAnef('c1', 'passport')).resolves.toBeNull();
  });

  it('hands a refused file over as a BackendError naming it in both languages', async () => {
    answer = {
      err: {
        code: 'heic',
        fr: 'Le fichier « IMG_1.HEIC » est une photo HEIC…',
        en: 'The file "IMG_1.HEIC" is a HEIC photo…',
        fields: [],
      },
    };
    const e = await backend.attach('c1', 'passport').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendError);
    const b = e as InstanceType<typeof BackendError>;
    expect(b.code).toBe('heic');
    expect(b.text('fr')).toContain('« IMG_1.HEIC »');
    expect(b.text('en')).toContain('"IMG_1.HEIC"');
  });

  it('keeps one item’s attachments in page order', () => {
    const all = [a('p2', 'passport', 2), a('r1', 'proof_of_address', 1), a('p1', 'passport', 1)];
    expect(itemAttachments(all, 'passport').map((x) => x.id)).toEqual(['p1', 'p2']);
    expect(itemAttachments(all, 'birth_certificate')).toEqual([]);
  });

  it('says sizes the way each language writes them', () => {
    expect(fileSize(2_400_000, 'fr')).toBe('2,3 Mo');
    expect(fileSize(2_400_000, 'en')).toBe('2.3 MB');
    expect(fileSize(340 * 1024, 'fr')).toBe('340 Ko');
    expect(fileSize(10, 'en')).toBe('1 KB');
  });
});

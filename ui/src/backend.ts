// The one interface between the page and the shell: every Tauri call goes
// through here, typed. Errors arrive as {code, fr, en, fields} and are
// thrown as BackendError; anything else (a bug, a crashed command) becomes
// a BackendError with a generic sentence, never a raw message on screen.
import { invoke } from '@tauri-apps/api/core';

export interface FieldError {
  field: string;
  code: string;
  fr: string;
  en: string;
}

export class BackendError extends Error {
  constructor(
    readonly code: string,
    readonly fr: string,
    readonly en: string,
    readonly fields: FieldError[] = [],
  ) {
    super(code);
    this.name = 'BackendError';
  }
  /** The sentence for the interface language. */
  text(lang: 'fr' | 'en'): string {
    return lang === 'en' ? this.en : this.fr;
  }
  /** The problem with one field, if the shell refused it. */
  field(name: string): FieldError | undefined {
    return this.fields.find((f) => f.field === name);
  }
}

const UNKNOWN_FR =
  'Une erreur inattendue s’est produite : rien n’a été perdu de ce qui était déjà enregistré. Réessayez ; si cela se reproduit, redémarrez Sésame.';
const UNKNOWN_EN = 'Something unexpected happened: nothing already saved was lost. Try again; if it happens again, restart Sésame.';

export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'fr' in e && 'en' in e) {
    const o = e as { code: unknown; fr: unknown; en: unknown; fields?: unknown };
    const fields = Array.isArray(o.fields) ? (o.fields as FieldError[]) : [];
    return new BackendError(String(o.code), String(o.fr), String(o.en), fields);
  }
  return new BackendError('unexpected', UNKNOWN_FR, UNKNOWN_EN);
}

/** Listeners told when the shell answers "locked" (auto-lock in the shell). */
const lockedListeners = new Set<() => void>();
export function onLocked(f: () => void): () => void {
  lockedListeners.add(f);
  return () => lockedListeners.delete(f);
}

async function call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = toBackendError(e);
    if (err.code === 'locked') lockedListeners.forEach((f) => f());
    throw err;
  }
}

export type Fields = Record<string, string>;

export interface AppStatus {
  vault_exists: boolean;
  unlocked: boolean;
  version: string;
  language: string | null;
  auto_lock_minutes: number | null;
}
export interface ApplicantSummary {
  id: string;
  family_name: string;
  given_name: string;
  latin_family_name: string | null;
  latin_given_name: string | null;
  birth_date: string | null;
  nationality: string | null;
}
export interface ApplicantList {
  items: ApplicantSummary[];
  total: number;
}
export interface CaseSummary {
  id: string;
  procedure: string;
  procedure_name: string;
  status: string;
  opened_on: string;
}
export interface ApplicantView {
  id: string;
  fields: Fields;
  languages: string[];
  cases: CaseSummary[];
}
export interface Procedure {
  id: string;
  name: string;
  request: string;
}
export interface CaseForm {
  procedure: string;
  status: string;
  department: string;
  opened_on: string;
  permit_expires_on: string;
  permit_on_anef: boolean;
  filed_on: string;
  api_valid_until: string;
}
export interface ChecklistLine {
  doc_type: string;
  name: string;
  explain: string;
  category: string;
  status: string;
  issued_on: string | null;
  verified: boolean;
  alternative: string | null;
  max_age_months: number | null;
}
export interface Deadline {
  id: string;
  kind: 'deadline' | 'alert';
  due: string;
  due_date: string;
  moved_from: string | null;
  rule: string;
  legal_basis: string;
  counting: string;
  verified: boolean;
  subject: string | null;
  notes: string[];
}
export interface ManualDeadline {
  id: string;
  due: string;
  title: string;
  done: boolean;
}
export interface JournalLine {
  id: string;
  at: string;
  text: string;
}
export interface IncidentLine {
  id: string;
  occurred_at: string;
  step: string;
  error_message: string | null;
  ticket: string | null;
  note: string | null;
}
export interface ErrorDto {
  code: string;
  fr: string;
  en: string;
  fields: FieldError[];
}
export interface CaseView {
  id: string;
  applicant_id: string;
  applicant_name: string;
  print_languages: string[];
  procedure_name: string;
  form: CaseForm;
  checklist: ChecklistLine[];
  deadlines: Deadline[];
  deadlines_error: ErrorDto | null;
  manual_deadlines: ManualDeadline[];
  journal: JournalLine[];
  incidents: IncidentLine[];
}
export interface AgendaLine {
  urgency: 'now' | 'soon';
  due: string;
  case_id: string;
  applicant_id: string;
  initials: string;
  procedure_name: string;
  what: 'rule' | 'manual' | 'documents';
  deadline: Deadline | null;
  title: string | null;
  missing: number;
  stale: number;
}
export interface Today {
  today: string;
  horizon_days: number;
  items: AgendaLine[];
  total: number;
}
export interface Settings {
  language: string;
  auto_lock_minutes: string;
  notify_days: string;
  association_name: string;
  association_contact: string;
}
export interface SavedFile {
  path: string;
  file_name: string;
  missing_glyphs: string[];
  deadlines_unavailable: boolean;
}
export interface LetterDraft {
  kind: string;
  title: string;
  text: string;
  to_check: string[];
  appendices: number;
  attempts: number | null;
  more_than_one_week: boolean | null;
}
export interface SyncIndicator {
  team: boolean;
  last_sync_ms: number | null;
  pending_ops: number;
  conflicts: number;
  last_error: string | null;
  /** A round is under way in the background. */
  syncing: boolean;
  /** The background worker runs (an unlocked vault of a team). */
  background: boolean;
  /** The last background round's failure, in both languages. */
  failure: { code: string; fr: string; en: string } | null;
}
export interface ConflictValue {
  text: string;
  /** The stored value, sent back as is to choose it. */
  value: unknown;
  at: string | null;
  this_device: boolean;
  /** The first characters of the writing device's id (devices have no names). */
  device: string;
}
export interface Conflict {
  entity: string;
  entity_id: string;
  field: string;
  applicant: string;
  applicant_id: string | null;
  current: string;
  candidates: ConflictValue[];
}
export interface Reader {
  fingerprint: string;
  role: string;
  this_device: boolean;
  removed: boolean;
}
export interface Readers {
  team: boolean;
  shared: boolean;
  devices: Reader[];
}
/** A printout's pages, one `data:image/svg+xml;base64,…` URL per page. */
export interface Preview {
  pages: string[];
  missing_glyphs: string[];
  deadlines_unavailable: boolean;
  untranslated: string[];
}
/** A scan or photo attached to a document item (its bytes stay in the vault). */
export interface Attachment {
  id: string;
  doc_type: string;
  position: number;
  file_name: string;
  media_type: string;
  pages: number;
  byte_len: number;
  added_at: string;
}
/** What a preview page must be before it is given to an <img>. */
export const SVG_PAGE_PREFIX = 'data:image/svg+xml;base64,';
export const LETTER_KINDS = ['in_person_alternative', 'api_request', 'defenseur_des_droits', 'refere_bundle'] as const;
export const DOC_STATUSES = ['missing', 'requested', 'received', 'verified', 'stale'] as const;
export const CASE_STATUSES = [
  'preparing',
  'filed',
  'incomplete',
  'under_review',
  'granted',
  'refused',
  'appeal',
  'closed',
] as const;

export const backend = {
  status: () => call<AppStatus>('app_status'),
  strength: (passphrase: string) => call<number>('passphrase_strength', { passphrase }),
  createVault: (passphrase: string, confirm: string, recovery: string | null) =>
    call<void>('vault_create', { passphrase, confirm, recovery }),
  unlock: (passphrase: string) => call<void>('vault_unlock', { passphrase }),
  lock: () => call<void>('vault_lock'),
  changePassphrase: (old: string, next: string, confirm: string) =>
    call<void>('vault_change_passphrase', { old, new: next, confirm }),
  activity: () => call<boolean>('activity'),
  settings: () => call<Settings>('settings_get'),
  saveSettings: (settings: Settings) => call<void>('settings_save', { settings }),
  procedures: (lang: string) => call<Procedure[]>('catalog_procedures', { lang }),
  languages: () => call<string[]>('catalog_languages'),
  searchApplicants: (query: string) => call<ApplicantList>('applicants_search', { query }),
  applicant: (id: string) => call<ApplicantView>('applicant_get', { id }),
  saveApplicant: (id: string | null, fields: Fields) => call<{ id: string }>('applicant_save', { id, fields }),
  saveCase: (id: string | null, applicant_id: string, form: CaseForm) =>
    call<{ id: string }>('case_save', { id, applicant_id, form }),
  caseFile: (id: string, lang: string) => call<CaseView>('case_get', { id, lang }),
  setDocument: (case_id: string, doc_type: string, status: string, issued_on: string) =>
    call<void>('document_set', { case_id, doc_type, status, issued_on }),
  addJournal: (case_id: string, text: string) => call<{ id: string }>('journal_add', { case_id, text }),
  addIncident: (case_id: string, fields: Fields) => call<{ id: string }>('incident_add', { case_id, fields }),
  addDeadline: (case_id: string, due: string, title: string) =>
    call<{ id: string }>('deadline_add', { case_id, due, title }),
  deadlineDone: (id: string, done: boolean) => call<void>('deadline_done', { id, done }),
  today: () => call<Today>('today'),
  notifyCheck: () => call<number>('notify_check'),
  printCaseChecklist: (case_id: string, lang: string) =>
    call<SavedFile | null>('print_case_checklist', { case_id, lang }),
  printBlankChecklist: (procedure: string, lang: string) =>
    call<SavedFile | null>('print_blank_checklist', { procedure, lang }),
  letterDraft: (case_id: string, kind: string) => call<LetterDraft>('letter_draft', { case_id, kind }),
  letterExport: (case_id: string, kind: string, text: string) =>
    call<SavedFile | null>('letter_export', { case_id, kind, text }),
  openSaved: (path: string) => call<void>('open_saved', { path }),
  syncStatus: () => call<SyncIndicator>('sync_status'),
  syncNow: () => call<SyncIndicator>('sync_now'),
  syncConflicts: () => call<Conflict[]>('sync_conflicts'),
  /** Settles a conflict with a candidate's value, or with text the volunteer typed. */
  syncResolve: (entity_id: string, field: string, choice: { value: unknown } | { text: string }) =>
    call<void>('sync_resolve', {
      entity_id,
      field,
      value: 'value' in choice ? choice.value : null,
      text: 'text' in choice ? choice.text : null,
    }),
  caseReaders: (id: string) => call<Readers>('case_readers', { id }),
  benchMark: (screen: string) => call<{ exit: boolean; open: string[] }>('bench_mark', { screen }),
  previewCaseChecklist: (case_id: string, lang: string) => call<Preview>('preview_case_checklist', { case_id, lang }),
  previewBlankChecklist: (procedure: string, lang: string) =>
    call<Preview>('preview_blank_checklist', { procedure, lang }),
  letterPreview: (case_id: string, kind: string, text: string) =>
    call<Preview>('letter_preview', { case_id, kind, text }),
  attachments: (case_id: string) => call<Attachment[]>('attachments_list', { case_id }),
  /** Opens the native open dialog; null when the volunteer cancelled. */
  attach: (case_id: string, doc_type: string) => call<Attachment[] | null>('attachments_add', { case_id, doc_type }),
  deleteAttachment: (case_id: string, id: string) => call<Attachment[]>('attachment_delete', { case_id, id }),
  /** Prepares the ANEF-ready file, then the save dialog; null when cancelled. */
  exportForAnef: (case_id: string, doc_type: string) =>
    call<SavedFile | null>('attachment_export', { case_id, doc_type }),
};
export type Backend = typeof backend;

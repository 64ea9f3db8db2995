//! What each command does, as plain functions over [`AppState`], so that
//! the shell's tests run them without a window. `commands.rs` only wraps
//! them for Tauri.

use crate::dto::*;
use crate::error::AppError;
use crate::state::AppState;
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use sesame_core::domain::{Applicant, Case, DocStatus, Entity, Id, validate_date};
use sesame_core::followup::{self, AgendaWhat, Urgency};
use chrono::NaiveDate;
use sesame_core::rules::{Deadline, DeadlineId, Kind};
use sesame_core::vault::{Settings, Vault, passphrase_strength};
use std::str::FromStr;

/// How far ahead Today looks.
pub const TODAY_HORIZON_DAYS: u32 = 30;
/// Today shows this many lines at most (the most urgent), and says how many there are.
pub const TODAY_MAX_LINES: usize = 200;
/// The applicant list shows this many rows when nothing is typed.
pub const LIST_MAX_ROWS: usize = 100;

/// A serde enum's snake_case name (`DeadlineId::RenewalWindowOpen` → "renewal_window_open").
pub fn tag<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub fn parse_id(s: &str) -> Result<Id, AppError> {
    s.parse().map_err(|_| AppError::bad_id())
}

// ---- vault -------------------------------------------------------------

pub fn status(state: &AppState) -> AppStatus {
    let settings = if state.is_unlocked() { state.with_vault(|v| Ok(v.settings()?)).ok() } else { None };
    AppStatus {
        vault_exists: Vault::exists(&state.dir),
        unlocked: state.is_unlocked(),
        version: env!("CARGO_PKG_VERSION"),
        language: settings.as_ref().map(|s| s.language.clone()),
        auto_lock_minutes: settings.map(|s| s.auto_lock_minutes),
    }
}

pub fn strength(passphrase: &SecretString) -> u8 {
    use secrecy::ExposeSecret;
    passphrase_strength(passphrase.expose_secret())
}

pub fn create_vault(
    state: &AppState,
    passphrase: &SecretString,
    confirm: &SecretString,
    recovery: Option<&str>,
) -> Result<(), AppError> {
    use secrecy::ExposeSecret;
    if passphrase.expose_secret() != confirm.expose_secret() {
        return Err(AppError::field(
            "confirm",
            "mismatch",
            "Les deux phrases de passe ne sont pas identiques : retapez la seconde.",
            "The two passphrases differ: type the second one again.",
        ));
    }
    let recovery = recovery.map(str::trim).filter(|r| !r.is_empty());
    let vault = Vault::init(&state.dir, passphrase, recovery, state.options()).map_err(|e| {
        let mut e = AppError::from(e);
        // The form calls the fields by its own names.
        for f in &mut e.fields {
            if f.field == "recovery_recipient" {
                f.field = "recovery".into();
            }
        }
        if e.code == "weak_passphrase" {
            let (fr, en) = (e.fr.clone(), e.en.clone());
            e = AppError::field("passphrase", "weak", &fr, &en);
        }
        e
    })?;
    state.set_vault(vault);
    Ok(())
}

pub fn unlock(state: &AppState, passphrase: &SecretString) -> Result<(), AppError> {
    if state.is_unlocked() {
        return Ok(());
    }
    let vault = Vault::unlock(&state.dir, passphrase, state.options())?;
    state.set_vault(vault);
    Ok(())
}

pub fn change_passphrase(
    state: &AppState,
    old: &SecretString,
    new: &SecretString,
    confirm: &SecretString,
) -> Result<(), AppError> {
    use secrecy::ExposeSecret;
    if !state.is_unlocked() {
        return Err(AppError::locked());
    }
    if new.expose_secret() != confirm.expose_secret() {
        return Err(AppError::field(
            "confirm",
            "mismatch",
            "Les deux nouvelles phrases de passe ne sont pas identiques : retapez la seconde.",
            "The two new passphrases differ: type the second one again.",
        ));
    }
    Vault::change_passphrase(&state.dir, old, new, state.kdf_log_n).map_err(|e| {
        let code = e.code();
        let e = AppError::from(e);
        match code {
            "wrong_passphrase" => AppError::field("old", "wrong", &e.fr, &e.en),
            "weak_passphrase" => AppError::field("new", "weak", &e.fr, &e.en),
            _ => e,
        }
    })
}

// ---- settings ----------------------------------------------------------

pub fn settings(state: &AppState) -> Result<SettingsDto, AppError> {
    let s = state.with_vault(|v| Ok(v.settings()?))?;
    Ok(SettingsDto {
        language: s.language,
        auto_lock_minutes: s.auto_lock_minutes.to_string(),
        notify_days: s.notify_days.to_string(),
        association_name: s.association_name,
        association_contact: s.association_contact,
    })
}

pub fn save_settings(state: &AppState, dto: &SettingsDto) -> Result<(), AppError> {
    let number = |field: &str, text: &str, fr: &str, en: &str| -> Result<u32, AppError> {
        text.trim().parse::<u32>().map_err(|_| AppError::field(field, "not_a_number", fr, en))
    };
    let auto_lock_minutes = number(
        "auto_lock_minutes",
        &dto.auto_lock_minutes,
        "Indiquez un nombre de minutes entre 1 et 240.",
        "Enter a number of minutes between 1 and 240.",
    )?;
    let notify_days = number(
        "notify_days",
        &dto.notify_days,
        "Indiquez un nombre de jours entre 0 (aucune notification) et 90.",
        "Enter a number of days between 0 (no notifications) and 90.",
    )?;
    let s = Settings {
        language: dto.language.clone(),
        auto_lock_minutes,
        notify_days,
        association_name: dto.association_name.clone(),
        association_contact: dto.association_contact.clone(),
    };
    state.with_vault_agenda_unchanged(|v| Ok(v.set_settings(&s)?))?;
    state.set_auto_lock_minutes(auto_lock_minutes);
    Ok(())
}

// ---- catalog -----------------------------------------------------------

pub fn procedures(state: &AppState, lang: &str) -> Vec<Procedure> {
    let none = Default::default();
    let today = state.clock.today();
    state
        .catalog
        .procedures()
        .values()
        .map(|p| {
            let name = state
                .catalog
                .checklist(&p.id, if lang == "en" { "en" } else { "fr" }, &none, today)
                .map(|c| c.name)
                .unwrap_or_else(|_| p.id.clone());
            Procedure { id: p.id.clone(), name, request: tag(&p.request) }
        })
        .collect()
}

/// The languages a checklist can be printed in (French first).
pub fn print_languages(state: &AppState) -> Vec<String> {
    let mut out = vec!["fr".to_owned()];
    for l in state.catalog.translations().keys() {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

fn procedure_name(state: &AppState, id: &str) -> String {
    state
        .catalog
        .checklist(id, "fr", &Default::default(), state.clock.today())
        .map(|c| c.name_fr)
        .unwrap_or_else(|_| id.to_owned())
}

// ---- applicants --------------------------------------------------------

fn summary(a: Applicant) -> ApplicantSummary {
    ApplicantSummary {
        id: a.id.to_string(),
        family_name: a.family_name,
        given_name: a.given_name,
        latin_family_name: a.latin_family_name,
        latin_given_name: a.latin_given_name,
        birth_date: a.birth_date.map(|d| d.to_string()),
        nationality: a.nationality,
    }
}

pub fn search_applicants(state: &AppState, query: &str) -> Result<ApplicantList, AppError> {
    state.with_vault(|v| {
        let query = query.trim();
        if query.is_empty() {
            let mut all = v.applicants()?;
            let total = all.len();
            all.sort_by(|a, b| (&a.family_name, &a.given_name).cmp(&(&b.family_name, &b.given_name)));
            all.truncate(LIST_MAX_ROWS);
            return Ok(ApplicantList { items: all.into_iter().map(summary).collect(), total });
        }
        let hits = v.search(query, LIST_MAX_ROWS)?;
        let total = hits.len();
        Ok(ApplicantList { items: hits.into_iter().map(summary).collect(), total })
    })
}

/// The text a form shows for each field: what core's parser accepts back.
fn applicant_fields(a: &Applicant) -> FormFields {
    let mut f = FormFields::new();
    let mut put = |k: &str, v: Option<String>| {
        f.insert(k.to_owned(), v.unwrap_or_default());
    };
    put("family_name", Some(a.family_name.clone()));
    put("given_name", Some(a.given_name.clone()));
    put("latin_family_name", a.latin_family_name.clone());
    put("latin_given_name", a.latin_given_name.clone());
    put("birth_date", a.birth_date.map(|d| d.to_string()));
    put("nationality", a.nationality.clone());
    put("languages", Some(a.languages.join(", ")));
    put("phone", a.phone.clone());
    put("email", a.email.clone());
    put("address", a.address.clone());
    put("agdref", a.agdref.clone());
    put("anef_number", a.anef_number.clone());
    put("consent", a.consent.as_ref().map(|c| format!("{};{};{}", c.given_on, tag(&c.method), c.scope)));
    put("notes", a.notes.clone());
    f
}

pub fn applicant(state: &AppState, id: &str) -> Result<ApplicantView, AppError> {
    let id = parse_id(id)?;
    state.with_vault(|v| {
        let a = v.applicant(id)?;
        let cases = v
            .cases(Some(id))?
            .into_iter()
            .map(|c| CaseSummary {
                id: c.id.to_string(),
                procedure_name: procedure_name(state, &c.procedure),
                procedure: c.procedure,
                status: c.status.as_str().to_owned(),
                opened_on: c.opened_on.to_string(),
            })
            .collect();
        Ok(ApplicantView { id: a.id.to_string(), fields: applicant_fields(&a), languages: a.languages.clone(), cases })
    })
}

const APPLICANT_FORM: [&str; 14] = [
    "family_name",
    "given_name",
    "latin_family_name",
    "latin_given_name",
    "birth_date",
    "nationality",
    "languages",
    "phone",
    "email",
    "address",
    "agdref",
    "anef_number",
    "consent",
    "notes",
];

pub fn save_applicant(state: &AppState, id: Option<&str>, fields: &FormFields) -> Result<Created, AppError> {
    let pairs: Vec<(&str, &str)> = APPLICANT_FORM
        .iter()
        .filter_map(|k| fields.get(*k).map(|v| (*k, v.as_str())))
        .collect();
    state.with_vault(|v| match id {
        Some(id) => {
            let id = parse_id(id)?;
            v.update(Entity::Applicant, id, &pairs)?;
            Ok(Created { id: id.to_string() })
        }
        None => {
            let pairs: Vec<_> = pairs.into_iter().filter(|(_, t)| !t.trim().is_empty()).collect();
            Ok(Created { id: v.create(Entity::Applicant, &pairs)?.to_string() })
        }
    })
}

// ---- cases -------------------------------------------------------------

fn fact_str(facts: &Value, pointer: &str) -> String {
    facts.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn case_form(case: &Case) -> CaseForm {
    let api_valid_until = case
        .facts
        .get("api")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().filter_map(|x| x.get("valid_until").and_then(Value::as_str)).max())
        .unwrap_or_default()
        .to_owned();
    CaseForm {
        procedure: case.procedure.clone(),
        status: case.status.as_str().to_owned(),
        department: case.department.clone().unwrap_or_default(),
        opened_on: case.opened_on.to_string(),
        permit_expires_on: fact_str(&case.facts, "/current_permit/expires_on"),
        permit_on_anef: case.facts.pointer("/current_permit/on_anef").and_then(Value::as_bool).unwrap_or(false),
        filed_on: fact_str(&case.facts, "/filing/filed_on"),
        api_valid_until,
    }
}

/// Writes the form's situation into the case's facts, keeping every other
/// fact recorded (by the command line or a newer version) as it was.
fn merge_facts(mut facts: Map<String, Value>, form: &CaseForm) -> Result<Map<String, Value>, AppError> {
    let date = |field: &str, text: &str| -> Result<Option<String>, AppError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        validate_date(field, t).map(|d| Some(d.to_string())).map_err(|e| {
            let mut out = AppError::field("", "", "", "");
            out.fields = vec![(&e).into()];
            out
        })
    };
    let expires = date("permit_expires_on", &form.permit_expires_on)?;
    let filed = date("filed_on", &form.filed_on)?;
    let api = date("api_valid_until", &form.api_valid_until)?;

    let permit = facts.entry("current_permit").or_insert_with(|| json!({}));
    if let Value::Object(p) = permit {
        match expires {
            Some(d) => {
                p.insert("expires_on".into(), json!(d));
            }
            None => {
                p.remove("expires_on");
            }
        }
        p.insert("on_anef".into(), json!(form.permit_on_anef));
    }
    match filed {
        Some(d) => {
            let filing = facts.entry("filing").or_insert_with(|| json!({}));
            if let Value::Object(f) = filing {
                f.insert("filed_on".into(), json!(d));
            }
        }
        None => {
            if let Some(Value::Object(f)) = facts.get_mut("filing") {
                f.remove("filed_on");
            }
        }
    }
    let previous = case_form_api(&facts);
    if api != previous {
        let mut list: Vec<Value> = facts.get("api").and_then(Value::as_array).cloned().unwrap_or_default();
        // The form edits the latest attestation: replace it, or add the first one.
        if let Some(prev) = previous {
            list.retain(|a| a.get("valid_until").and_then(Value::as_str) != Some(prev.as_str()));
        }
        if let Some(d) = api {
            list.push(json!({ "valid_until": d }));
        }
        facts.insert("api".into(), Value::Array(list));
    }
    Ok(facts)
}

fn case_form_api(facts: &Map<String, Value>) -> Option<String> {
    facts
        .get("api")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().filter_map(|x| x.get("valid_until").and_then(Value::as_str)).max())
        .map(str::to_owned)
}

pub fn save_case(state: &AppState, id: Option<&str>, applicant_id: &str, form: &CaseForm) -> Result<Created, AppError> {
    let applicant_id = parse_id(applicant_id)?;
    state.with_vault(|v| {
        let existing = match id {
            Some(id) => Some(v.case(parse_id(id)?)?),
            None => None,
        };
        let facts = match existing.as_ref().map(|c| &c.facts) {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let facts = Value::Object(merge_facts(facts, form)?).to_string();
        let applicant = applicant_id.to_string();
        let mut pairs: Vec<(&str, &str)> = vec![
            ("procedure", form.procedure.as_str()),
            ("department", form.department.as_str()),
            ("facts", facts.as_str()),
        ];
        if !form.status.trim().is_empty() {
            pairs.push(("status", form.status.as_str()));
        }
        if !form.opened_on.trim().is_empty() || existing.is_some() {
            pairs.push(("opened_on", form.opened_on.as_str()));
        }
        match existing {
            Some(c) => {
                v.update(Entity::Case, c.id, &pairs)?;
                Ok(Created { id: c.id.to_string() })
            }
            None => {
                pairs.push(("applicant_id", applicant.as_str()));
                Ok(Created { id: v.create(Entity::Case, &pairs)?.to_string() })
            }
        }
    })
}

pub fn deadline_dto(d: &Deadline) -> DeadlineDto {
    DeadlineDto {
        id: tag(&d.id),
        kind: tag(&d.kind),
        due: d.due.to_text(),
        due_date: d.due.date().to_string(),
        moved_from: d.moved_from.map(|m| m.to_string()),
        rule: d.rule.to_owned(),
        legal_basis: d.legal_basis.to_owned(),
        counting: tag(&d.counting),
        verified: d.verified,
        subject: d.subject.clone(),
        notes: d.notes.iter().map(|n| (*n).to_owned()).collect(),
    }
}

pub fn case_view(state: &AppState, id: &str, lang: &str) -> Result<CaseView, AppError> {
    let id = parse_id(id)?;
    let today = state.clock.today();
    let catalog = state.catalog.clone();
    state.with_vault(|v| {
        let case = v.case(id)?;
        let a = v.applicant(case.applicant_id)?;
        let ui_lang = if lang == "en" { "en" } else { "fr" };
        let (list, lines, extra) = followup::case_checklist(v, &catalog, &case, ui_lang, today)?;
        let mut checklist: Vec<ChecklistLine> = lines
            .into_iter()
            .map(|l| ChecklistLine {
                max_age_months: l.item.freshness.as_ref().and_then(|f| f.max_age_months),
                doc_type: l.item.id,
                name: l.item.name,
                explain: l.item.explain,
                category: tag(&l.item.category),
                status: l.status.as_str().to_owned(),
                issued_on: l.record.as_ref().and_then(|r| r.issued_on).map(|d| d.to_string()),
                verified: l.item.verified,
                alternative: l.item.alternative,
            })
            .collect();
        for d in extra {
            checklist.push(ChecklistLine {
                name: catalog
                    .translations()
                    .get(ui_lang)
                    .and_then(|t| t.documents.get(&d.doc_type))
                    .and_then(|t| t.name.clone())
                    .unwrap_or_else(|| d.doc_type.clone()),
                doc_type: d.doc_type,
                explain: String::new(),
                category: String::new(),
                status: d.status.as_str().to_owned(),
                issued_on: d.issued_on.map(|d| d.to_string()),
                verified: true,
                alternative: None,
                max_age_months: None,
            });
        }
        let (deadlines, deadlines_error) = match followup::case_deadlines(v, &catalog, &case, today) {
            Ok(ds) => (ds.iter().map(deadline_dto).collect(), None),
            Err(e) => (Vec::new(), Some(AppError::from(e))),
        };
        let known = print_languages(state);
        let mut print_languages: Vec<String> =
            a.languages.iter().filter_map(|l| catalog.language(l).ok()).filter(|l| known.contains(l)).collect();
        print_languages.dedup();
        Ok(CaseView {
            id: case.id.to_string(),
            applicant_id: a.id.to_string(),
            applicant_name: format!("{} {}", a.given_name, a.family_name),
            print_languages,
            procedure_name: list.name,
            form: case_form(&case),
            checklist,
            deadlines,
            deadlines_error,
            manual_deadlines: v
                .deadlines(case.id)?
                .into_iter()
                .map(|d| ManualDeadline { id: d.id.to_string(), due: d.due.to_string(), title: d.title, done: d.done })
                .collect(),
            journal: v
                .journal(case.id)?
                .into_iter()
                .map(|j| JournalLine { id: j.id.to_string(), at: j.at.to_rfc3339(), text: j.text })
                .collect(),
            incidents: v
                .incidents(case.id)?
                .into_iter()
                .map(|i| IncidentLine {
                    id: i.id.to_string(),
                    occurred_at: i.occurred_at.to_rfc3339(),
                    step: i.step,
                    error_message: i.error_message,
                    ticket: i.ticket,
                    note: i.note,
                })
                .collect(),
        })
    })
}

pub fn set_document(
    state: &AppState,
    case_id: &str,
    doc_type: &str,
    status: &str,
    issued_on: &str,
) -> Result<(), AppError> {
    let case_id = parse_id(case_id)?;
    let status = DocStatus::from_str(status).map_err(|e| {
        let mut out = AppError::field("", "", "", "");
        out.fields = vec![(&e).into()];
        out
    })?;
    let issued = issued_on.trim();
    state.with_vault(|v| {
        // An emptied date is cleared; a typed one is checked by core.
        v.set_document(case_id, doc_type, status, Some(issued))?;
        Ok(())
    })
}

/// Now, as a date-time with the Paris offset (how journal and incidents are stored).
pub fn now_paris(state: &AppState) -> String {
    state.clock.now().with_timezone(&chrono_tz::Europe::Paris).fixed_offset().to_rfc3339()
}

/// A date-time typed without an offset (`2026-11-28T10:30`, a date-time
/// input's value) read as Paris time; anything else is passed as typed,
/// for core to accept or refuse next to the field.
pub fn paris_local(typed: &str) -> String {
    use chrono::TimeZone;
    let t = typed.trim();
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|n| chrono_tz::Europe::Paris.from_local_datetime(&n).earliest())
        .map(|d| d.fixed_offset().to_rfc3339())
        .unwrap_or_else(|| t.to_owned())
}

pub fn add_journal(state: &AppState, case_id: &str, text: &str) -> Result<Created, AppError> {
    let case_id = parse_id(case_id)?.to_string();
    let at = now_paris(state);
    state.with_vault(|v| {
        let id = v.create(Entity::JournalEntry, &[("case_id", &case_id), ("at", &at), ("text", text)])?;
        Ok(Created { id: id.to_string() })
    })
}

pub fn add_incident(state: &AppState, case_id: &str, fields: &FormFields) -> Result<Created, AppError> {
    let case_id = parse_id(case_id)?.to_string();
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    // The form has a date-time input (no offset): the offset of Paris is added.
    let occurred = paris_local(get("occurred_at"));
    state.with_vault(|v| {
        let id = v.create(
            Entity::Incident,
            &[
                ("case_id", &case_id),
                ("occurred_at", &occurred),
                ("step", get("step")),
                ("error_message", get("error_message")),
                ("ticket", get("ticket")),
                ("note", get("note")),
            ],
        )?;
        Ok(Created { id: id.to_string() })
    })
}

pub fn add_deadline(state: &AppState, case_id: &str, due: &str, title: &str) -> Result<Created, AppError> {
    let case_id = parse_id(case_id)?.to_string();
    state.with_vault(|v| {
        let id = v.create(Entity::Deadline, &[("case_id", &case_id), ("due", due), ("title", title)])?;
        Ok(Created { id: id.to_string() })
    })
}

pub fn set_deadline_done(state: &AppState, id: &str, done: bool) -> Result<(), AppError> {
    let id = parse_id(id)?;
    state.with_vault(|v| {
        v.update(Entity::Deadline, id, &[("done", if done { "true" } else { "false" })])?;
        Ok(())
    })
}

// ---- today -------------------------------------------------------------

/// What the shell keeps of an agenda (see [`AppState::digest`]).
#[derive(Debug)]
pub struct Digest {
    pub today: Today,
    /// Deadlines within Today's horizon (computed ones of kind "deadline",
    /// and those entered by hand), for the reminders to narrow.
    pub due: Vec<DueDeadline>,
}

/// A deadline a reminder may name: initials, what, when, never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDeadline {
    /// Stable across days: a deadline is reminded once a day at most.
    pub key: String,
    pub initials: String,
    /// `None`: entered by hand (its title may carry a name: not shown).
    pub rule: Option<DeadlineId>,
    pub due: NaiveDate,
}

pub fn digest(state: &AppState, today: NaiveDate, agenda: Vec<followup::AgendaItem>) -> Digest {
    let mut names = std::collections::BTreeMap::new();
    let items = agenda
        .iter()
        .take(TODAY_MAX_LINES)
        .map(|i| {
            let procedure_name =
                names.entry(i.procedure.clone()).or_insert_with(|| procedure_name(state, &i.procedure)).clone();
            let (what, deadline, title, missing, stale) = match &i.what {
                AgendaWhat::Rule { deadline } => ("rule", Some(deadline_dto(deadline)), None, 0, 0),
                AgendaWhat::Manual { title, .. } => ("manual", None, Some(title.clone()), 0, 0),
                AgendaWhat::Documents { missing, stale } => ("documents", None, None, *missing, *stale),
            };
            AgendaLine {
                urgency: match i.urgency {
                    Urgency::Now => "now".into(),
                    Urgency::Soon => "soon".into(),
                },
                due: i.due.to_string(),
                case_id: i.case_id.to_string(),
                applicant_id: i.applicant_id.to_string(),
                initials: i.initials.clone(),
                procedure_name,
                what: what.into(),
                deadline,
                title,
                missing,
                stale,
            }
        })
        .collect();
    let due = agenda
        .iter()
        .filter_map(|i| match &i.what {
            AgendaWhat::Rule { deadline } if deadline.kind == Kind::Deadline => Some(DueDeadline {
                key: format!("{}:{}:{}", i.case_id, tag(&deadline.id), deadline.due.to_text()),
                initials: i.initials.clone(),
                rule: Some(deadline.id),
                due: i.due,
            }),
            AgendaWhat::Manual { id, .. } => {
                Some(DueDeadline { key: format!("{id}:{}", i.due), initials: i.initials.clone(), rule: None, due: i.due })
            }
            _ => None,
        })
        .collect();
    let today = Today { today: today.to_string(), horizon_days: TODAY_HORIZON_DAYS, items, total: agenda.len() };
    Digest { today, due }
}

pub fn today(state: &AppState) -> Result<Today, AppError> {
    Ok(state.digest()?.today.clone())
}

// ---- sync --------------------------------------------------------------
// The worker, the conflicts and the readers live in `crate::sync`.

pub fn sync_indicator(state: &AppState) -> Result<SyncIndicator, AppError> {
    crate::sync::indicator(state)
}

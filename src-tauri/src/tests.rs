//! The shell's behaviour, without a window: each test gets its own vault
//! in a temp dir (low KDF cost) and drives the same functions the Tauri
//! commands call.

use crate::app;
use crate::dto::{CaseForm, FormFields, SettingsDto};
use crate::notify;
use crate::state::AppState;
use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::{Clock, SystemClock};
use std::sync::{Arc, OnceLock};

const PASS: &str = "une phrase de passe de test";

fn catalog() -> Arc<Catalog> {
    static C: OnceLock<Arc<Catalog>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Catalog::shipped().expect("shipped catalog"))).clone()
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// A new, unlocked vault in its own temp dir (kept alive by the returned guard).
fn unlocked() -> (AppState, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let state = AppState::new(tmp.path().join("vault"), catalog(), Arc::new(SystemClock), Some(10));
    app::create_vault(&state, &secret(PASS), &secret(PASS), None).expect("create");
    (state, tmp)
}

fn fields(pairs: &[(&str, &str)]) -> FormFields {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn days_from_today(state: &AppState, n: u64) -> String {
    (state.clock.today() + chrono::Days::new(n)).to_string()
}

fn renewal_case(state: &AppState, expires_in_days: u64) -> (String, String) {
    let a = app::save_applicant(state, None, &fields(&[("family_name", "Benali"), ("given_name", "Amina"), ("languages", "ar, fr")]))
        .expect("applicant");
    let form = CaseForm {
        procedure: "vpf_conjoint_francais_renewal".into(),
        department: "93".into(),
        permit_expires_on: days_from_today(state, expires_in_days),
        permit_on_anef: true,
        ..Default::default()
    };
    let c = app::save_case(state, None, &a.id, &form).expect("case");
    (a.id, c.id)
}

#[test]
fn create_refuses_mismatch_and_weak_passphrases_next_to_the_field() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let state = AppState::new(tmp.path().join("vault"), catalog(), Arc::new(SystemClock), Some(10));
    let e = app::create_vault(&state, &secret(PASS), &secret("autre chose encore"), None).unwrap_err();
    assert_eq!(e.fields[0].field, "confirm");
    let e = app::create_vault(&state, &secret("court"), &secret("court"), None).unwrap_err();
    assert_eq!(e.fields[0].field, "passphrase");
    assert!(!e.fields[0].fr.is_empty() && !e.fields[0].en.is_empty());
    let e = app::create_vault(&state, &secret(PASS), &secret(PASS), Some("pas une clé")).unwrap_err();
    assert_eq!(e.fields[0].field, "recovery");
    assert!(!state.is_unlocked());
    assert!(!app::status(&state).vault_exists, "a refused creation leaves no vault");
}

#[test]
fn lock_drops_the_vault_and_a_wrong_passphrase_is_refused() {
    let (state, _tmp) = unlocked();
    assert!(app::status(&state).unlocked);
    state.lock();
    assert!(!state.is_unlocked());
    assert_eq!(app::today(&state).unwrap_err().code, "locked");
    assert_eq!(app::search_applicants(&state, "").unwrap_err().code, "locked");
    let e = app::unlock(&state, &secret("ce n'est pas la bonne")).unwrap_err();
    assert_eq!(e.code, "wrong_passphrase");
    assert!(e.fr.contains("incorrecte") && e.en.contains("Wrong passphrase"));
    app::unlock(&state, &secret(PASS)).expect("unlock");
    assert!(app::today(&state).is_ok());
}

#[test]
fn idle_lock_follows_the_configured_delay() {
    let (state, _tmp) = unlocked();
    state.set_auto_lock_minutes(0);
    assert!(state.lock_if_idle(), "a zero delay locks at once");
    assert!(!state.is_unlocked());
    app::unlock(&state, &secret(PASS)).expect("unlock");
    // Unlocking re-reads the stored delay (10 minutes by default).
    assert!(!state.lock_if_idle());
}

#[test]
fn refused_applicant_names_each_field_and_writes_nothing() {
    let (state, _tmp) = unlocked();
    let e = app::save_applicant(
        &state,
        None,
        &fields(&[("family_name", ""), ("given_name", "Amina"), ("birth_date", "2999-01-01"), ("email", "pas-un-email")]),
    )
    .unwrap_err();
    let mut refused: Vec<(&str, &str)> = e.fields.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
    refused.sort();
    assert_eq!(refused, [("birth_date", "future_date"), ("email", "bad_email"), ("family_name", "empty")]);
    assert_eq!(app::search_applicants(&state, "").expect("list").total, 0);
}

#[test]
fn applicant_round_trips_through_the_form_text() {
    let (state, _tmp) = unlocked();
    let typed = fields(&[
        ("family_name", "بن علي"),
        ("given_name", "Amina"),
        ("latin_family_name", "Benali"),
        ("birth_date", "1990-04-02"),
        ("languages", "ar, fr"),
        ("consent", "2026-01-05;oral;suivi du dossier"),
    ]);
    let id = app::save_applicant(&state, None, &typed).expect("save").id;
    let view = app::applicant(&state, &id).expect("view");
    for (k, v) in &typed {
        assert_eq!(view.fields.get(k), Some(v), "{k}");
    }
    // Saving the form back unchanged is accepted as is.
    app::save_applicant(&state, Some(&id), &view.fields).expect("save again");
    let hits = app::search_applicants(&state, "benali").expect("search");
    assert_eq!(hits.items.len(), 1);
}

#[test]
fn renewal_case_shows_its_window_on_today_with_initials_only() {
    let (state, _tmp) = unlocked();
    let (_, case_id) = renewal_case(&state, 100);
    let view = app::case_view(&state, &case_id, "fr").expect("case");
    assert!(view.deadlines.iter().any(|d| d.id == "renewal_window_open"), "{:?}", view.deadlines.iter().map(|d| &d.id).collect::<Vec<_>>());
    assert!(!view.checklist.is_empty());
    assert_eq!(view.print_languages, ["ar", "fr"]);

    let today = app::today(&state).expect("today");
    let line = today
        .items
        .iter()
        .find(|i| i.deadline.as_ref().is_some_and(|d| d.id == "renewal_window_open"))
        .expect("window on Today");
    assert_eq!(line.case_id, case_id);
    assert_eq!(line.initials, "A. B.");
    let json = serde_json::to_string(&today).expect("json");
    assert!(!json.contains("Amina") && !json.contains("Benali"), "Today carries initials only");
}

#[test]
fn marking_documents_is_saved_and_a_bad_date_is_refused() {
    let (state, _tmp) = unlocked();
    let (_, case_id) = renewal_case(&state, 100);
    let docs: Vec<String> = app::case_view(&state, &case_id, "fr").expect("case").checklist.iter().map(|l| l.doc_type.clone()).collect();
    app::set_document(&state, &case_id, &docs[0], "received", "2026-01-10").expect("mark");
    app::set_document(&state, &case_id, &docs[1], "verified", "").expect("mark");
    let e = app::set_document(&state, &case_id, &docs[1], "verified", "2026-13-40").unwrap_err();
    assert_eq!(e.fields[0].field, "issued_on");
    let view = app::case_view(&state, &case_id, "fr").expect("case");
    let line = |d: &str| view.checklist.iter().find(|l| l.doc_type == d).expect("line");
    assert_eq!((line(&docs[0]).status.as_str(), line(&docs[0]).issued_on.as_deref()), ("received", Some("2026-01-10")));
    assert_eq!((line(&docs[1]).status.as_str(), line(&docs[1]).issued_on.as_deref()), ("verified", None));
}

#[test]
fn saving_the_case_form_keeps_facts_it_does_not_show() {
    let (state, _tmp) = unlocked();
    let (applicant, case_id) = renewal_case(&state, 100);
    state
        .with_vault(|v| {
            let id = case_id.parse().expect("id");
            let facts = serde_json::json!({"entry_date": "2019-03-01", "current_permit": {"expires_on": "2027-01-01", "long_term_eu": false}});
            v.update(sesame_core::domain::Entity::Case, id, &[("facts", &facts.to_string())])?;
            Ok(())
        })
        .expect("facts");
    let mut form = app::case_view(&state, &case_id, "fr").expect("case").form;
    assert_eq!(form.permit_expires_on, "2027-01-01");
    form.permit_expires_on = "2027-02-01".into();
    form.filed_on = "2026-10-01".into();
    app::save_case(&state, Some(&case_id), &applicant, &form).expect("save");
    let facts = state.with_vault(|v| Ok(v.case(case_id.parse().expect("id"))?.facts)).expect("facts");
    assert_eq!(facts["entry_date"], "2019-03-01");
    assert_eq!(facts["current_permit"]["long_term_eu"], false);
    assert_eq!(facts["current_permit"]["expires_on"], "2027-02-01");
    assert_eq!(facts["filing"]["filed_on"], "2026-10-01");

    form.permit_expires_on = "31/12/2026".into();
    let e = app::save_case(&state, Some(&case_id), &applicant, &form).unwrap_err();
    assert_eq!(e.fields[0].field, "permit_expires_on");
}

#[test]
fn incidents_typed_in_paris_time_keep_their_hour() {
    let (state, _tmp) = unlocked();
    let (_, case_id) = renewal_case(&state, 100);
    app::add_incident(&state, &case_id, &fields(&[("occurred_at", "2026-07-01T09:30"), ("step", "dépôt"), ("ticket", "CCC-1")])).expect("incident");
    let e = app::add_incident(&state, &case_id, &fields(&[("occurred_at", ""), ("step", "")])).unwrap_err();
    let mut refused: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
    refused.sort();
    assert_eq!(refused, ["occurred_at", "step"]);
    let view = app::case_view(&state, &case_id, "fr").expect("case");
    assert_eq!(view.incidents.len(), 1);
    assert_eq!(view.incidents[0].occurred_at, "2026-07-01T09:30:00+02:00");
}

#[test]
fn reminders_come_once_a_day_and_never_carry_names() {
    let (state, _tmp) = unlocked();
    let (_, case_id) = renewal_case(&state, 300);
    app::add_deadline(&state, &case_id, &days_from_today(&state, 2), "Rendez-vous préfecture avec Amina Benali").expect("deadline");
    let r = notify::due_reminders(&state).expect("reminders").expect("one reminder");
    assert_eq!(r.count, 1);
    assert!(r.body.starts_with("A. B."), "{}", r.body);
    for name in ["Amina", "Benali"] {
        assert!(!r.body.contains(name) && !r.title.contains(name), "{r:?}");
    }
    assert_eq!(notify::due_reminders(&state).expect("again"), None, "at most once a day");
}

#[test]
fn settings_round_trip_and_refuse_bad_numbers_next_to_the_field() {
    let (state, _tmp) = unlocked();
    let mut s = app::settings(&state).expect("settings");
    assert_eq!((s.language.as_str(), s.auto_lock_minutes.as_str()), ("fr", "10"));
    s.language = "en".into();
    s.auto_lock_minutes = "1".into();
    s.association_name = "Permanence du mardi".into();
    app::save_settings(&state, &s).expect("save");
    assert_eq!(app::status(&state).language.as_deref(), Some("en"));
    let bad = SettingsDto { auto_lock_minutes: "dix".into(), ..app::settings(&state).expect("settings") };
    assert_eq!(app::save_settings(&state, &bad).unwrap_err().fields[0].field, "auto_lock_minutes");
    let bad = SettingsDto { auto_lock_minutes: "1000".into(), ..app::settings(&state).expect("settings") };
    assert_eq!(app::save_settings(&state, &bad).unwrap_err().fields[0].field, "auto_lock_minutes");
}

#[test]
fn passphrase_change_names_the_wrong_field() {
    let (state, _tmp) = unlocked();
    let new = "une toute nouvelle phrase";
    let e = app::change_passphrase(&state, &secret("fausse ancienne"), &secret(new), &secret(new)).unwrap_err();
    assert_eq!(e.fields[0].field, "old");
    app::change_passphrase(&state, &secret(PASS), &secret(new), &secret(new)).expect("change");
    state.lock();
    assert_eq!(app::unlock(&state, &secret(PASS)).unwrap_err().code, "wrong_passphrase");
    app::unlock(&state, &secret(new)).expect("new passphrase");
}

#[test]
fn printouts_are_pdfs_named_without_personal_data() {
    let (state, _tmp) = unlocked();
    let (_, case_id) = renewal_case(&state, 100);
    let (pdf, name) = crate::print::case_checklist(&state, &case_id, "ar").expect("checklist");
    assert!(pdf.bytes.starts_with(b"%PDF"));
    assert_eq!(name, "liste-pieces-vpf_conjoint_francais_renewal-ar.pdf");
    let (pdf, name) = crate::print::blank_checklist(&state, "vpf_conjoint_francais_renewal", "fr").expect("blank");
    assert!(pdf.bytes.starts_with(b"%PDF") && !name.contains("Benali"));
    let draft = crate::print::draft_letter(&state, &case_id, "in_person_alternative").expect("draft");
    assert!(draft.text.contains("Benali"), "the letter names the applicant");
    let (pdf, _) = crate::print::letter(&state, &case_id, "in_person_alternative", "Texte modifié par le bénévole.").expect("letter");
    assert!(pdf.bytes.starts_with(b"%PDF"));
    let e = crate::print::draft_letter(&state, &case_id, "nope").unwrap_err();
    assert!(!e.fr.is_empty() && !e.en.is_empty());
}

#[test]
fn today_is_empty_and_calm_for_a_new_vault() {
    let (state, _tmp) = unlocked();
    let t = app::today(&state).expect("today");
    assert_eq!((t.items.len(), t.total), (0, 0));
    assert_eq!(t.today, state.clock.today().to_string());
}

#[test]
fn today_is_computed_once_per_vault_change_and_forgotten_at_lock() {
    let (state, _tmp) = unlocked();
    let (_, case_id) = renewal_case(&state, 100);
    let first = state.digest().expect("digest");
    assert!(Arc::ptr_eq(&first, &state.digest().expect("again")), "nothing changed: the same digest");

    // A write shows at once: a deadline entered by hand is on Today.
    app::add_deadline(&state, &case_id, &days_from_today(&state, 2), "Rendez-vous préfecture").expect("deadline");
    let after_write = state.digest().expect("digest");
    assert!(!Arc::ptr_eq(&first, &after_write), "a write must recompute Today");
    assert!(app::today(&state).expect("today").items.iter().any(|i| i.what == "manual"));

    // Reminder marks and settings do not change what Today shows: no new agenda.
    assert!(notify::due_reminders(&state).expect("reminders").is_some());
    let mut s = app::settings(&state).expect("settings");
    s.association_name = "Permanence du mardi".into();
    app::save_settings(&state, &s).expect("save settings");
    assert!(Arc::ptr_eq(&after_write, &state.digest().expect("digest")), "marks and settings keep the digest");

    // Locking forgets it (it holds initials); unlocking computes it again.
    state.lock();
    assert!(state.digest().is_err(), "locked: nothing to read");
    app::unlock(&state, &secret(PASS)).expect("unlock");
    let unlocked_again = state.digest().expect("digest");
    assert!(!Arc::ptr_eq(&after_write, &unlocked_again));
    assert_eq!(unlocked_again.today.total, after_write.today.total);
}

//! Following cases: the vault, the catalog and the rules engine together.

use secrecy::SecretString;
use sesame_core::catalog::Catalog;
use sesame_core::clock::FixedClock;
use sesame_core::domain::{DocStatus, Entity};
use sesame_core::followup::{self, AgendaWhat, Urgency};
use sesame_core::vault::{Options, Vault};
use std::sync::Arc;

fn setup() -> (tempfile::TempDir, Vault, Arc<Catalog>) {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Arc::new(Catalog::shipped().unwrap());
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap()));
    let opts = Options { kdf_log_n: Some(10), ..Options::new(clock, catalog.clone()) };
    let v = Vault::init(&tmp.path().join("v"), &SecretString::from("phrase de test assez longue".to_owned()), None, opts).unwrap();
    (tmp, v, catalog)
}

#[test]
fn today_lists_a_gap_first_and_initials_only() {
    let (_tmp, mut v, catalog) = setup();
    let today = v.today();
    let a = v.create(Entity::Applicant, &[("family_name", "Quatrebarbes"), ("given_name", "Zéphyrine")]).unwrap().to_string();
    // A card that expired a month ago, nothing filed: a proof-of-stay gap.
    let gap = v
        .create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal"), ("facts", r#"{"current_permit":{"expires_on":"2026-10-28","on_anef":true}}"#)])
        .unwrap();
    // A card expiring in four months: the renewal window opens soon.
    let b = v.create(Entity::Applicant, &[("family_name", "Tesfay"), ("given_name", "Selam")]).unwrap().to_string();
    let window = v
        .create(Entity::Case, &[("applicant_id", &b), ("procedure", "salarie_renewal"), ("facts", r#"{"current_permit":{"expires_on":"2027-04-05","on_anef":true}}"#)])
        .unwrap();
    let agenda = followup::agenda(&v, &catalog, today, 30).unwrap();
    let first = &agenda[0];
    assert_eq!((first.urgency, first.case_id), (Urgency::Now, gap));
    assert!(matches!(&first.what, AgendaWhat::Rule { deadline } if serde_json::to_value(deadline.id).unwrap() == "proof_of_stay_gap"), "{first:?}");
    assert_eq!(first.initials, "Z. Q.");
    let json = serde_json::to_string(&agenda).unwrap();
    assert!(!json.contains("Quatrebarbes") && !json.contains("Zéphyrine"), "the agenda carries initials only");
    assert!(agenda.iter().any(|i| i.case_id == window
        && matches!(&i.what, AgendaWhat::Rule { deadline } if serde_json::to_value(deadline.id).unwrap() == "renewal_window_opens")));
    assert!(agenda.iter().any(|i| matches!(i.what, AgendaWhat::Documents { missing, .. } if missing > 0)));
    assert!(agenda.windows(2).all(|w| w[0].urgency <= w[1].urgency));
    assert!(!agenda.iter().any(|i| matches!(&i.what, AgendaWhat::Rule { deadline } if deadline.due.date() < today && serde_json::to_value(deadline.id).unwrap() == "renewal_window_opens")), "a window that opened is no action");
}

#[test]
fn received_documents_feed_the_freshness_alert() {
    let (_tmp, mut v, catalog) = setup();
    let today = v.today();
    let a = v.create(Entity::Applicant, &[("family_name", "Koné"), ("given_name", "Aïcha")]).unwrap().to_string();
    let c = v.create(Entity::Case, &[("applicant_id", &a), ("procedure", "etudiant_renewal")]).unwrap();
    v.set_document(c, "proof_of_address", DocStatus::Received, Some("2026-01-10")).unwrap();
    let case = v.case(c).unwrap();
    let deadlines = followup::case_deadlines(&v, &catalog, &case, today).unwrap();
    let stale = deadlines.iter().find(|d| serde_json::to_value(d.id).unwrap() == "stale_document").expect("stale_document alert");
    assert_eq!(stale.subject.as_deref(), Some("proof_of_address"));
    let (_, lines, extra) = followup::case_checklist(&v, &catalog, &case, "ar", today).unwrap();
    assert!(extra.is_empty());
    let line = lines.iter().find(|l| l.item.id == "proof_of_address").unwrap();
    assert_eq!(line.status, DocStatus::Received);
    assert_ne!(line.item.name, line.item.name_fr, "the Arabic name is shown beside the French");
}

/// The agenda reads everything in a few queries; the case screen reads one
/// case at a time. Over a demo vault, both must say the same thing.
#[test]
fn the_agenda_agrees_with_each_case_screen() {
    use sesame_core::domain::CaseStatus;
    use std::collections::BTreeMap;
    let (_tmp, mut v, catalog) = setup();
    let today = v.today();
    let procs = sesame_core::demo::procedures(&catalog, today);
    sesame_core::demo::fill(&mut v, 150, 11, &procs).unwrap();
    let open = v.cases(None).unwrap().iter().filter(|c| c.status != CaseStatus::Closed).count();
    assert!(open >= 200, "enough open cases ({open}) for the agenda to split them over two threads");
    let horizon = 30;
    let agenda = followup::agenda(&v, &catalog, today, horizon).unwrap();
    assert!(agenda.len() > 100, "a demo vault has work to do: {}", agenda.len());
    let mut by_case: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for line in &agenda {
        by_case.entry(line.case_id).or_default().push(line);
    }
    let mut rules_seen = 0;
    for case in v.cases(None).unwrap() {
        let lines = by_case.remove(&case.id).unwrap_or_default();
        if case.status == CaseStatus::Closed {
            assert!(lines.is_empty());
            continue;
        }
        let computed = followup::case_deadlines(&v, &catalog, &case, today).unwrap();
        for line in &lines {
            assert_eq!(line.initials, followup::initials(&v.applicant(case.applicant_id).unwrap()));
            match &line.what {
                AgendaWhat::Rule { deadline } => {
                    rules_seen += 1;
                    assert!(computed.iter().any(|d| d.id == deadline.id && d.due == deadline.due), "{deadline:?} not on the case screen");
                }
                AgendaWhat::Manual { id, .. } => {
                    let d = v.deadlines(case.id).unwrap().into_iter().find(|d| d.id == *id).expect("manual deadline");
                    assert!(!d.done);
                }
                AgendaWhat::Documents { missing, stale } => {
                    let (_, cl, _) = followup::case_checklist(&v, &catalog, &case, "fr", today).unwrap();
                    let m = cl.iter().filter(|l| matches!(l.status, DocStatus::Missing | DocStatus::Requested)).count();
                    let s = cl.iter().filter(|l| l.status == DocStatus::Stale).count();
                    assert_eq!((*missing, *stale), (m, s));
                }
            }
        }
        // Every computed alert of an open case is on Today.
        for d in computed.iter().filter(|d| d.kind == sesame_core::rules::Kind::Alert) {
            assert!(
                lines.iter().any(|l| matches!(&l.what, AgendaWhat::Rule { deadline } if deadline.id == d.id)),
                "alert {:?} of case {} missing from Today",
                d.id,
                case.id
            );
        }
    }
    assert!(rules_seen > 0);
    assert!(by_case.is_empty(), "agenda lines for unknown cases");
}

/// A case's facts for the engine are the facts stored with it, with what the
/// vault and the catalog know written into that object (procedure, request
/// kind, regime, département, birth date, received documents with their
/// freshness) unless the facts already say it. The code no longer builds
/// that object; the reference below still does, and both must give the
/// same facts, or the same error, on ordinary and odd cases alike.
#[test]
fn case_facts_are_the_stored_facts_completed() {
    use chrono::NaiveDate;
    use serde_json::{Map, Value, json};
    use sesame_core::domain::Case;
    use sesame_core::rules::{self, Facts, RulesError};
    use std::collections::BTreeMap;

    fn reference(v: &Vault, catalog: &Catalog, case: &Case, today: NaiveDate) -> Result<Facts, RulesError> {
        let mut facts = match &case.facts {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        facts.insert("today".into(), json!(today.to_string()));
        facts.insert("procedure".into(), json!(case.procedure));
        if let Some(p) = catalog.procedure(&case.procedure) {
            let request = serde_json::to_value(p.request).unwrap();
            if request.as_str().is_some_and(|r| r != "naturalisation") {
                facts.entry("request").or_insert(request);
            }
            facts.entry("regime").or_insert(serde_json::to_value(p.regime).unwrap());
        }
        if let Some(d) = &case.department {
            facts.entry("department").or_insert(json!(d));
        }
        if let Some(b) = v.applicant(case.applicant_id).unwrap().birth_date {
            facts.entry("birth_date").or_insert(json!(b.to_string()));
        }
        if !facts.contains_key("documents") {
            let flags = followup::case_flags(case);
            let checklist = catalog.checklist_for(&case.procedure, "fr", &flags, today, case.department.as_deref()).ok();
            let freshness: BTreeMap<String, u32> = checklist
                .iter()
                .flat_map(|c| &c.items)
                .filter_map(|i| Some((i.id.clone(), i.freshness.as_ref()?.max_age_months?)))
                .collect();
            let docs: Vec<Value> = v
                .documents(case.id)
                .unwrap()
                .iter()
                .filter(|d| matches!(d.status, DocStatus::Received | DocStatus::Verified))
                .filter_map(|d| {
                    let months = freshness.get(&d.doc_type)?;
                    Some(json!({ "id": d.doc_type, "issued_on": d.issued_on?.to_string(), "max_age_months": months }))
                })
                .collect();
            if !docs.is_empty() {
                facts.insert("documents".into(), Value::Array(docs));
            }
        }
        rules::facts_from_value(&Value::Object(facts))
    }

    let (_tmp, mut v, catalog) = setup();
    let today = v.today();
    let born = v
        .create(Entity::Applicant, &[("family_name", "Diallo"), ("given_name", "Mariam"), ("birth_date", "2006-03-14")])
        .unwrap();
    let unborn = v.create(Entity::Applicant, &[("family_name", "Okafor"), ("given_name", "Chidi")]).unwrap();
    let stored = v.create(Entity::Case, &[("applicant_id", &born.to_string()), ("procedure", "etudiant_renewal")]).unwrap();
    v.set_document(stored, "proof_of_address", DocStatus::Received, Some("2026-01-10")).unwrap();
    v.set_document(stored, "passport", DocStatus::Verified, None).unwrap();
    v.set_document(stored, "photos", DocStatus::Requested, Some("2026-11-01")).unwrap();
    let template = v.case(stored).unwrap();
    let naturalisation = catalog
        .procedures()
        .iter()
        .find(|(_, p)| serde_json::to_value(p.request).unwrap() == "naturalisation")
        .map(|(id, _)| id.clone());
    let procedures = ["etudiant_renewal".to_owned(), "no_such_procedure".to_owned()].into_iter().chain(naturalisation);
    let facts = [
        json!({}),
        json!([1, 2]),
        json!({ "request": null, "regime": null, "birth_date": null }),
        json!({ "regime": "algerian_agreement", "request": "first" }),
        json!({ "today": "not a date", "procedure": 5 }),
        json!({ "department": "57" }),
        json!({ "documents": [] }),
        json!({ "documents": [{ "id": "x", "issued_on": "2026-01-01", "max_age_months": 3 }] }),
        json!({ "flags": { "married_abroad": true }, "current_permit": { "expires_on": "2027-01-31", "on_anef": true } }),
        json!({ "birth_date": "2001-02-03" }),
        json!({ "request": "naturalisation" }),
        json!({ "unknown": 1 }),
        json!({ "current_permit": { "expires_on": "2026-02-30" } }),
    ];
    let mut compared = (0, 0);
    for procedure in procedures {
        for department in [None, Some("75"), Some("67"), Some("20"), Some("2A")] {
            for applicant in [born, unborn] {
                for f in &facts {
                    let case = Case {
                        procedure: procedure.clone(),
                        department: department.map(str::to_owned),
                        applicant_id: applicant,
                        facts: f.clone(),
                        ..template.clone()
                    };
                    let ours = followup::case_facts(&v, &catalog, &case, today).map_err(|e| match e {
                        followup::FollowupError::Facts(e) => e.to_string(),
                        other => panic!("{other}"),
                    });
                    let theirs = reference(&v, &catalog, &case, today).map_err(|e| e.to_string());
                    assert_eq!(ours, theirs, "{procedure} {department:?} {f}");
                    if ours.is_ok() { compared.0 += 1 } else { compared.1 += 1 }
                }
            }
        }
    }
    assert!(compared.0 > 50 && compared.1 > 20, "both facts and errors compared: {compared:?}");
}

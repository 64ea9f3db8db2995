//! The shipped catalog: it loads, passes `check`, and gives a checklist for
//! every procedure in every required language.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use sesame_core::catalog::{
    Catalog, Channel, ItemOrigin, Problem, ProblemKind, REQUIRED_LANGUAGES, Regime, Request,
    Severity, Sources,
};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

fn shipped() -> Catalog {
    match Catalog::shipped() {
        Ok(catalog) => catalog,
        Err(e) => panic!("the shipped catalog does not load:\n{e}"),
    }
}

fn show(problems: &[&Problem]) -> String {
    problems.iter().map(|p| format!("- {p}\n")).collect()
}

fn flags(set: &[&str]) -> BTreeMap<String, bool> {
    set.iter().map(|f| ((*f).to_owned(), true)).collect()
}

#[test]
fn shipped_catalog_passes_check_apart_from_translations() {
    let problems = shipped().check();
    let wrong: Vec<&Problem> = problems
        .iter()
        .filter(|p| {
            !matches!(
                p.kind,
                ProblemKind::MissingLanguage { .. } | ProblemKind::MissingTranslation { .. }
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "the shipped catalog has problems:\n{}",
        show(&wrong)
    );
}

#[test]
fn shipped_catalog_is_complete_in_french_and_english() {
    let problems = shipped().check();
    let missing: Vec<&Problem> = problems
        .iter()
        .filter(|p| match &p.kind {
            ProblemKind::MissingLanguage { lang }
            | ProblemKind::MissingTranslation { lang, .. } => lang == "fr" || lang == "en",
            _ => false,
        })
        .collect();
    assert!(
        missing.is_empty(),
        "missing French or English texts:\n{}",
        show(&missing)
    );
}

/// Fails until the translators' files for all of REQUIRED_LANGUAGES land.
#[test]
fn shipped_catalog_is_complete_in_every_required_language() {
    let problems = shipped().check();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for problem in &problems {
        if let ProblemKind::MissingLanguage { lang }
        | ProblemKind::MissingTranslation { lang, .. } = &problem.kind
        {
            *missing.entry(lang.clone()).or_default() += 1;
        }
    }
    assert!(
        missing.is_empty(),
        "texts missing per language (of {REQUIRED_LANGUAGES:?}): {missing:?}"
    );
}

#[test]
fn shipped_sources_match_the_asset_directory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalog");
    let on_disk = Sources::read_dir(&dir).expect("the asset directory reads");
    let mut disk: Vec<(&str, &str)> = on_disk.files().collect();
    let shipped = Sources::shipped();
    let mut embedded: Vec<(&str, &str)> = shipped.files().collect();
    disk.sort();
    embedded.sort();
    let names =
        |files: &[(&str, &str)]| files.iter().map(|(p, _)| p.to_string()).collect::<Vec<_>>();
    assert_eq!(
        names(&embedded),
        names(&disk),
        "add new asset files to SHIPPED in catalog/sources.rs"
    );
    assert_eq!(embedded, disk);
}

#[test]
fn load_dir_reads_the_asset_directory_like_the_shipped_catalog() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalog");
    let from_dir = Catalog::load_dir(&dir).expect("the asset directory loads");
    let shipped = shipped();
    assert_eq!(from_dir.edition().version, shipped.edition().version);
    assert_eq!(
        from_dir.procedures().keys().collect::<Vec<_>>(),
        shipped.procedures().keys().collect::<Vec<_>>()
    );
}

#[test]
fn every_procedure_gives_a_checklist_in_every_required_language() {
    let catalog = shipped();
    let on = day("2026-11-28");
    for id in catalog.procedures().keys() {
        for lang in REQUIRED_LANGUAGES {
            let checklist = catalog
                .checklist(id, lang, &BTreeMap::new(), on)
                .unwrap_or_else(|e| panic!("{id} in {lang}: {e}"));
            assert!(!checklist.items.is_empty(), "{id} in {lang}: no document");
            assert!(!checklist.legal_bases.is_empty(), "{id}: no legal basis");
            assert!(checklist.channel.is_some(), "{id}: no channel on {on}");
            for item in &checklist.items {
                assert!(
                    !item.name.is_empty() && !item.explain.is_empty(),
                    "{id}/{} in {lang}: empty text",
                    item.id
                );
                assert!(!item.name_fr.is_empty() && !item.explain_fr.is_empty());
                assert!(!item.source.is_empty());
            }
            serde_json::to_string(&checklist).expect("a checklist serialises");
        }
    }
}

#[test]
fn catalog_covers_the_required_procedures_and_documents() {
    let catalog = shipped();
    assert!(catalog.procedures().len() >= 15);
    assert!(catalog.documents().len() >= 40);
    let algerian: Vec<&str> = catalog
        .procedures()
        .values()
        .filter(|p| p.regime == Regime::AlgerianAgreement)
        .map(|p| p.id.as_str())
        .collect();
    assert!(algerian.contains(&"algerian_certificat_residence_first"));
    assert!(algerian.contains(&"algerian_certificat_residence_renewal"));
    for request in [
        Request::First,
        Request::Renewal,
        Request::Duplicate,
        Request::ChangeOfStatus,
        Request::VlstsValidation,
        Request::Naturalisation,
    ] {
        assert!(
            catalog.procedures().values().any(|p| p.request == request),
            "no {request:?} procedure"
        );
    }
}

#[test]
fn hosted_applicant_brings_the_hosts_papers_instead_of_a_bill() {
    let catalog = shipped();
    let on = day("2026-03-02");
    let alone = catalog
        .checklist("etudiant_renewal", "fr", &BTreeMap::new(), on)
        .expect("checklist");
    let ids = |c: &sesame_core::catalog::Checklist| {
        c.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
    };
    assert!(ids(&alone).contains(&"proof_of_address".to_owned()));
    assert!(!ids(&alone).contains(&"host_attestation".to_owned()));
    let hosted = catalog
        .checklist("etudiant_renewal", "fr", &flags(&["hosted"]), on)
        .expect("checklist");
    assert!(!ids(&hosted).contains(&"proof_of_address".to_owned()));
    for id in ["host_attestation", "host_id", "host_proof_of_address"] {
        assert!(ids(&hosted).contains(&id.to_owned()), "{id} missing");
    }
    let address = alone
        .items
        .iter()
        .find(|i| i.id == "proof_of_address")
        .expect("proof of address");
    assert_eq!(
        address.freshness.as_ref().and_then(|f| f.max_age_months),
        Some(6)
    );
    assert!(matches!(address.origin, ItemOrigin::List { .. }));
}

#[test]
fn anef_procedures_ask_for_the_ephoto_code_and_prefecture_ones_for_photos() {
    let catalog = shipped();
    let on = day("2026-03-02");
    let online = catalog
        .checklist("etudiant_renewal", "fr", &BTreeMap::new(), on)
        .expect("checklist");
    assert_eq!(
        online.channel.as_ref().map(|c| c.channel),
        Some(Channel::Anef)
    );
    assert!(online.items.iter().any(|i| i.id == "ephoto_code"));
    assert!(!online.items.iter().any(|i| i.id == "photos"));
    let paper = catalog
        .checklist("salarie_renewal", "fr", &BTreeMap::new(), on)
        .expect("checklist");
    assert_eq!(
        paper.channel.as_ref().map(|c| c.channel),
        Some(Channel::Prefecture)
    );
    assert!(paper.items.iter().any(|i| i.id == "photos"));
    assert!(!paper.items.iter().any(|i| i.id == "ephoto_code"));
}

#[test]
fn family_permits_moved_to_anef_on_5_april_2023() {
    let catalog = shipped();
    let channel = |d: &str| {
        catalog
            .checklist(
                "vpf_conjoint_francais_renewal",
                "fr",
                &BTreeMap::new(),
                day(d),
            )
            .expect("checklist")
            .channel
            .map(|c| c.channel)
    };
    assert_eq!(channel("2023-04-04"), Some(Channel::Prefecture));
    assert_eq!(channel("2023-04-05"), Some(Channel::Anef));
}

#[test]
fn language_levels_of_decret_2025_647_start_on_1_january_2026() {
    let catalog = shipped();
    let level = |procedure: &str, d: &str| {
        catalog
            .checklist(procedure, "fr", &BTreeMap::new(), day(d))
            .expect("checklist")
            .items
            .iter()
            .find(|i| i.id == "language_certificate")
            .map(|i| (i.level, i.verified))
    };
    use sesame_core::catalog::LanguageLevel::*;
    assert_eq!(
        level("naturalisation", "2025-12-31"),
        Some((Some(B1), false))
    );
    assert_eq!(
        level("naturalisation", "2026-01-01"),
        Some((Some(B2), false))
    );
    assert_eq!(
        level("carte_resident_first", "2026-01-01"),
        Some((Some(B1), false))
    );
    assert_eq!(level("passeport_talent_first", "2025-12-31"), None);
    assert_eq!(
        level("passeport_talent_first", "2026-01-01"),
        Some((Some(A2), false))
    );
    // A renewal asks for A2 only when it leads to a first multi-year card.
    assert_eq!(level("salarie_renewal", "2026-06-01"), None);
    let multiyear = catalog
        .checklist(
            "salarie_renewal",
            "fr",
            &flags(&["first_multiyear_card"]),
            day("2026-06-01"),
        )
        .expect("checklist");
    assert!(
        multiyear
            .items
            .iter()
            .any(|i| i.id == "civic_exam_certificate")
    );
}

#[test]
fn fees_of_the_2026_budget_law_are_stored_unverified() {
    let catalog = shipped();
    let fee = |d: &str| {
        let checklist = catalog
            .checklist("salarie_first", "fr", &BTreeMap::new(), day(d))
            .expect("checklist");
        let line = checklist
            .fees
            .iter()
            .find(|f| f.fee == "taxe_l436_1_first")
            .cloned()
            .expect("first-permit tax");
        (line.amount_cents, line.verified)
    };
    assert_eq!(fee("2025-06-01"), (20000, false));
    assert_eq!(fee("2026-06-01"), (30000, false));
    let student = catalog
        .checklist(
            "etudiant_renewal",
            "fr",
            &BTreeMap::new(),
            day("2025-06-01"),
        )
        .expect("checklist");
    let tax = student
        .fees
        .iter()
        .find(|f| f.fee == "taxe_l436_1_renewal")
        .expect("renewal tax");
    assert_eq!(tax.amount_cents, 5000, "students pay the reduced rate");
}

#[test]
fn dcem_is_free_for_children_of_eu_citizens() {
    let catalog = shipped();
    let on = day("2026-03-02");
    let paying = catalog
        .checklist("dcem_first", "fr", &BTreeMap::new(), on)
        .expect("checklist");
    assert_eq!(
        paying.fees.iter().map(|f| f.amount_cents).sum::<u32>(),
        5000
    );
    let free = catalog
        .checklist("dcem_first", "fr", &flags(&["eu_parent"]), on)
        .expect("checklist");
    assert!(free.fees.is_empty());
}

#[test]
fn algerian_checklist_follows_the_ground_of_the_request() {
    let catalog = shipped();
    let on = day("2026-03-02");
    let spouse = catalog
        .checklist(
            "algerian_certificat_residence_first",
            "fr",
            &flags(&["ground_spouse_of_french", "married_abroad"]),
            on,
        )
        .expect("checklist");
    let ids: Vec<&str> = spouse.items.iter().map(|i| i.id.as_str()).collect();
    assert!(ids.contains(&"marriage_transcription"));
    assert!(!ids.contains(&"enrolment_certificate"));
    assert!(!ids.contains(&"language_certificate"));
    assert!(
        spouse.items.iter().all(|i| !i.verified),
        "nothing of the Algerian regime is verified yet"
    );
}

#[test]
fn a_language_without_translation_falls_back_to_french_with_a_marker() {
    let catalog = shipped();
    let on = day("2026-03-02");
    let english = catalog
        .checklist("duplicata", "en", &BTreeMap::new(), on)
        .expect("checklist");
    assert!(english.items.iter().all(|i| !i.fallback));
    assert!(!english.reviewed);
    let police = english
        .items
        .iter()
        .find(|i| i.id == "passport")
        .expect("passport");
    assert_eq!(police.name, "Passport");
    assert_eq!(police.name_fr, "Passeport");
    let french = catalog
        .checklist("duplicata", "fr", &BTreeMap::new(), on)
        .expect("checklist");
    assert!(french.reviewed);
    assert!(french.items.iter().all(|i| !i.fallback));
}

#[test]
fn unknown_procedure_and_language_are_named_in_the_error() {
    let catalog = shipped();
    let on = day("2026-03-02");
    let error = catalog
        .checklist("carte_bleue", "fr", &BTreeMap::new(), on)
        .expect_err("unknown procedure");
    assert!(error.to_string().contains("carte_bleue"));
    assert_eq!(error.code(), "catalog.unknown_procedure");
    let error = catalog
        .checklist("duplicata", "de", &BTreeMap::new(), on)
        .expect_err("unknown language");
    assert!(error.to_string().contains("\"de\""));
    assert_eq!(error.code(), "catalog.unknown_language");
    // Case does not matter, the canonical tag is returned.
    let dari = catalog
        .checklist("duplicata", "fa-af", &BTreeMap::new(), on)
        .expect("checklist");
    assert_eq!(dari.lang, "fa-AF");
}

#[test]
fn unknown_input_flags_are_reported_not_fatal() {
    let catalog = shipped();
    let checklist = catalog
        .checklist(
            "duplicata",
            "fr",
            &flags(&["card_stolen", "force_majeure"]),
            day("2026-03-02"),
        )
        .expect("checklist");
    assert_eq!(checklist.unknown_flags, vec!["force_majeure".to_owned()]);
    assert!(checklist.items.iter().any(|i| i.id == "police_report"));
}

#[test]
fn every_severity_error_refuses_the_catalog() {
    // The shipped catalog only has translation gaps, which never refuse it.
    let problems = shipped().check();
    assert!(problems.iter().all(|p| p.severity != Severity::Error));
}

//! `check` on small inline catalogs: each kind of mistake is found, named
//! with its file and id, and refuses the catalog when it is an error.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sesame_core::catalog::{Catalog, CatalogError, Problem, ProblemKind, Severity, Sources};

const CATALOG: &str = r#"
format = 1
version = "test.1"
published = 2026-01-01

[flags.hosted]
fr = "Hébergé"
en = "Hosted"
"#;

const DOCUMENTS: &str = r#"
[documents.passport]
category = "identity"

[documents.proof_of_address]
category = "address"
freshness = { max_age_months = 6, at = "filing", source = "R431-10", verified = true }
"#;

const LISTS: &str = r#"
[lists.base]
source = "annexe 10"
verified = true
items = [{ document = "passport" }]
"#;

const FEES: &str = r#"
[fees.tax]
legal_basis = "L436-1"
payable = "at_delivery"
label_fr = "Taxe"
label_en = "Tax"
periods = [
  { amount_cents = 20000, reduced_cents = 5000, from = 2021-05-01, until = 2025-12-31, source = "s", verified = false },
  { amount_cents = 30000, reduced_cents = 10000, from = 2026-01-01, source = "s", verified = false },
]
"#;

const PROCEDURE: &str = r#"
[procedures.demo]
regime = "ceseda"
request = "renewal"
source = "s"
verified = true
include = ["base"]
legal_bases = [{ article = "CESEDA L422-1", verified = false }]
channels = [
  { channel = "prefecture", from = 2021-05-01, until = 2023-04-04, source = "s", verified = false },
  { channel = "anef", from = 2023-04-05, source = "s", verified = false },
]
fees = [{ fee = "tax", rate = "reduced", source = "s", verified = true }]
documents = [{ document = "proof_of_address", when = "not:hosted" }]
"#;

const FR: &str = r#"
lang = "fr"
reviewed = true
[documents.passport]
name = "Passeport"
explain = "Votre passeport."
[documents.proof_of_address]
name = "Justificatif de domicile"
explain = "Une facture récente."
[procedures.demo]
name = "Démonstration"
"#;

const EN: &str = r#"
lang = "en"
reviewed = false
[documents.passport]
name = "Passport"
explain = "Your passport."
[documents.proof_of_address]
name = "Proof of address"
explain = "A recent bill."
[procedures.demo]
name = "Demo"
"#;

/// A small valid catalog in French and English.
fn sources() -> Sources {
    Sources::new()
        .with("catalog.toml", CATALOG)
        .with("documents.toml", DOCUMENTS)
        .with("lists.toml", LISTS)
        .with("fees.toml", FEES)
        .with("procedures/demo.toml", PROCEDURE)
        .with("i18n/fr.toml", FR)
        .with("i18n/en.toml", EN)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

/// The errors that refuse `sources`; panics if the catalog loads.
fn refused(sources: &Sources) -> Vec<Problem> {
    match Catalog::from_sources(sources) {
        Err(CatalogError::Invalid { problems }) => problems,
        Err(other) => panic!("expected an invalid catalog, got: {other}"),
        Ok(_) => panic!("expected the catalog to be refused"),
    }
}

/// Asserts that exactly one problem of `problems` is `kind`, in `file`, for
/// `id`, and returns it.
fn find<'a>(problems: &'a [Problem], file: &str, id: &str, kind: &ProblemKind) -> &'a Problem {
    let found: Vec<&Problem> = problems
        .iter()
        .filter(|p| &p.kind == kind && p.file == file && p.id == id)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind:?} in {file} for {id}, got {problems:#?}"
    );
    found[0]
}

fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test fixture lacks {from:?}");
    text.replace(from, to)
}

#[test]
fn the_small_catalog_is_valid_apart_from_the_eleven_other_languages() {
    let catalog = Catalog::from_sources(&sources()).expect("valid");
    let problems = catalog.check();
    assert!(
        problems
            .iter()
            .all(|p| matches!(p.kind, ProblemKind::MissingLanguage { .. })),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 11);
    assert!(problems.iter().all(|p| p.severity == Severity::Incomplete));
}

#[test]
fn dangling_document_id_is_refused() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "\"proof_of_address\"", "\"proof_of_adress\""),
    );
    let problems = refused(&bad);
    let kind = ProblemKind::DanglingDocument {
        document: "proof_of_adress".into(),
    };
    let problem = find(&problems, "procedures/demo.toml", "demo", &kind);
    let message = problem.to_string();
    assert!(
        message.starts_with("procedures/demo.toml, « demo » : le document « proof_of_adress »"),
        "{message}"
    );
    assert!(
        message.contains(" / procedures/demo.toml, \"demo\": document \"proof_of_adress\""),
        "{message}"
    );
}

#[test]
fn dangling_document_in_a_shared_list_is_refused() {
    let bad = sources().with(
        "lists.toml",
        replace(LISTS, "\"passport\"", "\"passeport\""),
    );
    let kind = ProblemKind::DanglingDocument {
        document: "passeport".into(),
    };
    find(&refused(&bad), "lists.toml", "base", &kind);
}

#[test]
fn dangling_list_and_fee_are_refused() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(
            &replace(PROCEDURE, "include = [\"base\"]", "include = [\"bases\"]"),
            "fee = \"tax\"",
            "fee = \"taxe\"",
        ),
    );
    let problems = refused(&bad);
    find(
        &problems,
        "procedures/demo.toml",
        "demo",
        &ProblemKind::DanglingList {
            list: "bases".into(),
        },
    );
    find(
        &problems,
        "procedures/demo.toml",
        "demo",
        &ProblemKind::DanglingFee { fee: "taxe".into() },
    );
}

#[test]
fn missing_translation_loads_but_is_reported_and_falls_back_to_french() {
    let partial = sources().with(
        "i18n/en.toml",
        replace(EN, "explain = \"Your passport.\"\n", ""),
    );
    let catalog =
        Catalog::from_sources(&partial).expect("a missing translation does not refuse the catalog");
    let problems = catalog.check();
    let kind = ProblemKind::MissingTranslation {
        lang: "en".into(),
        field: "explain".into(),
    };
    let problem = find(&problems, "i18n/en.toml", "documents.passport", &kind);
    assert_eq!(problem.severity, Severity::Incomplete);

    let checklist = catalog
        .checklist("demo", "en", &BTreeMap::new(), day("2026-02-01"))
        .expect("checklist");
    let passport = checklist
        .items
        .iter()
        .find(|i| i.id == "passport")
        .expect("passport");
    assert!(passport.fallback);
    assert_eq!(passport.name, "Passport");
    assert_eq!(passport.explain, "Votre passeport.");
    let address = checklist
        .items
        .iter()
        .find(|i| i.id == "proof_of_address")
        .expect("proof of address");
    assert!(!address.fallback);
}

#[test]
fn missing_procedure_name_in_a_language_is_reported() {
    let partial = sources().with(
        "i18n/en.toml",
        replace(EN, "name = \"Demo\"", "name = \"\""),
    );
    let catalog = Catalog::from_sources(&partial).expect("loads");
    let kind = ProblemKind::MissingTranslation {
        lang: "en".into(),
        field: "name".into(),
    };
    find(&catalog.check(), "i18n/en.toml", "procedures.demo", &kind);
}

#[test]
fn missing_french_text_is_an_error() {
    let bad = sources().with("i18n/fr.toml", replace(FR, "name = \"Passeport\"\n", ""));
    let kind = ProblemKind::MissingTranslation {
        lang: "fr".into(),
        field: "name".into(),
    };
    find(&refused(&bad), "i18n/fr.toml", "documents.passport", &kind);
}

#[test]
fn missing_language_file_is_reported() {
    let catalog = Catalog::from_sources(&sources().without("i18n/en.toml")).expect("loads");
    let kind = ProblemKind::MissingLanguage { lang: "en".into() };
    find(&catalog.check(), "i18n/en.toml", "en", &kind);
}

#[test]
fn translation_of_an_unknown_id_is_a_warning() {
    let extra = sources().with(
        "i18n/en.toml",
        format!("{EN}\n[documents.visa]\nname = \"Visa\"\nexplain = \"A visa.\"\n"),
    );
    let catalog = Catalog::from_sources(&extra).expect("loads");
    let kind = ProblemKind::UnknownTranslationKey { lang: "en".into() };
    let problems = catalog.check();
    let problem = find(&problems, "i18n/en.toml", "documents.visa", &kind);
    assert_eq!(problem.severity, Severity::Warning);
}

#[test]
fn translation_file_named_after_another_language_is_refused() {
    let bad = sources().with("i18n/es.toml", EN);
    let kind = ProblemKind::LanguageMismatch {
        declared: "en".into(),
    };
    find(&refused(&bad), "i18n/es.toml", "es", &kind);
}

#[test]
fn procedure_without_legal_basis_is_refused() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(
            PROCEDURE,
            "legal_bases = [{ article = \"CESEDA L422-1\", verified = false }]",
            "legal_bases = []",
        ),
    );
    find(
        &refused(&bad),
        "procedures/demo.toml",
        "demo",
        &ProblemKind::MissingLegalBasis,
    );
}

#[test]
fn overlapping_channels_are_refused() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "until = 2023-04-04", "until = 2023-04-05"),
    );
    let kind = ProblemKind::OverlappingDates {
        what: "channels".into(),
        first: "2021-05-01..2023-04-05".into(),
        second: "2023-04-05..".into(),
    };
    find(&refused(&bad), "procedures/demo.toml", "demo", &kind);
}

#[test]
fn open_ended_period_followed_by_another_overlaps() {
    let bad = sources().with("fees.toml", replace(FEES, ", until = 2025-12-31", ""));
    let kind = ProblemKind::OverlappingDates {
        what: "fees".into(),
        first: "2021-05-01..".into(),
        second: "2026-01-01..".into(),
    };
    find(&refused(&bad), "fees.toml", "tax", &kind);
}

#[test]
fn period_ending_before_it_starts_is_refused() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "until = 2023-04-04", "until = 2020-04-04"),
    );
    let kind = ProblemKind::InvalidDateRange {
        what: "channels".into(),
    };
    find(&refused(&bad), "procedures/demo.toml", "demo", &kind);
}

#[test]
fn unknown_condition_flag_is_refused() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "\"not:hosted\"", "\"not:housed\""),
    );
    find(
        &refused(&bad),
        "procedures/demo.toml",
        "demo",
        &ProblemKind::UnknownFlag {
            flag: "housed".into(),
        },
    );
}

#[test]
fn same_procedure_in_two_files_is_refused() {
    let bad = sources().with("procedures/again.toml", PROCEDURE);
    let kind = ProblemKind::DuplicateId {
        detail: "procedures/demo.toml + procedures/again.toml".into(),
    };
    find(&refused(&bad), "procedures/again.toml", "demo", &kind);
}

#[test]
fn same_document_twice_in_a_list_is_refused() {
    let bad = sources().with(
        "lists.toml",
        replace(
            LISTS,
            "items = [{ document = \"passport\" }]",
            "items = [{ document = \"passport\" }, { document = \"passport\" }]",
        ),
    );
    let kind = ProblemKind::DuplicateId {
        detail: "documents: passport".into(),
    };
    find(&refused(&bad), "lists.toml", "base", &kind);
}

#[test]
fn empty_source_is_refused() {
    let bad = sources().with(
        "lists.toml",
        replace(LISTS, "source = \"annexe 10\"", "source = \"  \""),
    );
    find(
        &refused(&bad),
        "lists.toml",
        "base",
        &ProblemKind::EmptyString {
            field: "source".into(),
        },
    );
}

#[test]
fn reduced_rate_without_reduced_amount_is_refused() {
    let bad = sources().with("fees.toml", replace(FEES, "reduced_cents = 10000, ", ""));
    let kind = ProblemKind::MissingReducedRate {
        fee: "tax".into(),
        from: "2026-01-01".into(),
    };
    find(&refused(&bad), "procedures/demo.toml", "demo", &kind);
}

#[test]
fn include_cycle_is_refused() {
    let cyclic =
        format!("{LISTS}\n[lists.other]\nsource = \"s\"\nverified = true\ninclude = [\"base\"]\n");
    let cyclic = replace(
        &cyclic,
        "verified = true\nitems",
        "verified = true\ninclude = [\"other\"]\nitems",
    );
    let problems = refused(&sources().with("lists.toml", cyclic));
    find(&problems, "lists.toml", "base", &ProblemKind::IncludeCycle);
    find(&problems, "lists.toml", "other", &ProblemKind::IncludeCycle);
}

#[test]
fn freshness_with_two_rules_is_refused() {
    let bad = sources().with(
        "documents.toml",
        replace(
            DOCUMENTS,
            "max_age_months = 6,",
            "max_age_months = 6, last_months = 3,",
        ),
    );
    find(
        &refused(&bad),
        "documents.toml",
        "proof_of_address",
        &ProblemKind::InvalidFreshness,
    );
}

#[test]
fn unknown_field_is_a_parse_error_naming_the_file() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(
            PROCEDURE,
            "verified = true\ninclude",
            "verifed = true\ninclude",
        ),
    );
    match Catalog::from_sources(&bad) {
        Err(error @ CatalogError::Parse { .. }) => {
            let message = error.to_string();
            assert!(message.contains("procedures/demo.toml"), "{message}");
            assert!(message.contains("verifed"), "{message}");
            assert_eq!(error.code(), "catalog.parse");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn missing_top_level_file_is_named() {
    match Catalog::from_sources(&sources().without("fees.toml")) {
        Err(error @ CatalogError::MissingFile { .. }) => {
            assert!(error.to_string().contains("fees.toml"))
        }
        other => panic!("expected a missing file, got {other:?}"),
    }
}

#[test]
fn refusal_message_is_french_then_english_and_lists_the_problems() {
    let bad = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "\"not:hosted\"", "\"not:housed\""),
    );
    let error = Catalog::from_sources(&bad).expect_err("refused");
    let message = error.to_string();
    let french = message
        .find("Le catalogue est refusé")
        .expect("French first");
    let english = message
        .find("The catalog is refused")
        .expect("then English");
    assert!(french < english);
    assert!(message.contains("housed"));
}

#[test]
fn dates_may_be_toml_dates_or_strings() {
    let quoted = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "from = 2023-04-05", "from = \"2023-04-05\""),
    );
    let catalog = Catalog::from_sources(&quoted).expect("loads");
    let checklist = catalog
        .checklist("demo", "fr", &BTreeMap::new(), day("2023-04-05"))
        .expect("checklist");
    assert_eq!(checklist.channel.map(|c| c.from), Some(day("2023-04-05")));
    let bad = sources().with(
        "procedures/demo.toml",
        replace(PROCEDURE, "from = 2023-04-05", "from = 2023-04-05T10:00:00"),
    );
    assert!(matches!(
        Catalog::from_sources(&bad),
        Err(CatalogError::Parse { .. })
    ));
}

#[test]
fn checklist_follows_dates_flags_and_rates() {
    let catalog = Catalog::from_sources(&sources()).expect("valid");
    let before = catalog
        .checklist("demo", "fr", &BTreeMap::new(), day("2023-04-04"))
        .expect("checklist");
    assert_eq!(
        before.channel.as_ref().map(|c| c.from),
        Some(day("2021-05-01"))
    );
    assert_eq!(before.fees[0].amount_cents, 5000);
    let after = catalog
        .checklist("demo", "fr", &BTreeMap::new(), day("2026-01-01"))
        .expect("checklist");
    assert_eq!(after.fees[0].amount_cents, 10000);
    assert_eq!(
        after
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        ["passport", "proof_of_address"]
    );
    let hosted: BTreeMap<String, bool> = [("hosted".to_owned(), true)].into();
    let hosted = catalog
        .checklist("demo", "fr", &hosted, day("2026-01-01"))
        .expect("checklist");
    assert_eq!(
        hosted
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        ["passport"]
    );
    let before_any_channel = catalog
        .checklist("demo", "fr", &BTreeMap::new(), day("2020-01-01"))
        .expect("checklist");
    assert!(before_any_channel.channel.is_none());
    assert!(before_any_channel.fees.is_empty());
}

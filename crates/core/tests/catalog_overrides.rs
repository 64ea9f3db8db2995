//! Per-préfecture overrides change a channel, add documents, replace a
//! freshness rule and give the R431-2 contact, without touching the shipped
//! catalog.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use sesame_core::catalog::{Catalog, CatalogError, Channel, ItemOrigin, Overrides, ProblemKind};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
}

fn example_text() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalog/overrides.example.toml");
    std::fs::read_to_string(path).expect("the example file reads")
}

fn with_example() -> Catalog {
    let overrides =
        Overrides::from_toml(&example_text(), "overrides.toml").expect("the example parses");
    Catalog::shipped()
        .expect("shipped")
        .with_overrides(overrides)
        .expect("the example applies")
}

#[test]
fn override_changes_the_channel_from_its_date() {
    let catalog = with_example();
    let none = BTreeMap::new();
    let before = catalog
        .checklist("salarie_renewal", "fr", &none, day("2025-02-28"))
        .expect("checklist");
    assert_eq!(
        before.channel.as_ref().map(|c| c.channel),
        Some(Channel::Prefecture)
    );
    assert!(!before.channel_overridden);
    let after = catalog
        .checklist("salarie_renewal", "fr", &none, day("2025-03-01"))
        .expect("checklist");
    assert_eq!(
        after.channel.as_ref().map(|c| c.channel),
        Some(Channel::Anef)
    );
    assert!(after.channel_overridden);
    assert_eq!(after.departement.as_deref(), Some("93"));
    // The channel decides the photo item.
    assert!(after.items.iter().any(|i| i.id == "ephoto_code"));
    assert!(!after.items.iter().any(|i| i.id == "photos"));
}

#[test]
fn override_adds_a_document_marked_as_local_and_unverified() {
    let catalog = with_example();
    let checklist = catalog
        .checklist("salarie_renewal", "fr", &BTreeMap::new(), day("2026-03-02"))
        .expect("checklist");
    let extra = checklist
        .items
        .iter()
        .find(|i| i.id == "bank_statements")
        .expect("the added document");
    assert_eq!(
        extra.origin,
        ItemOrigin::Override {
            departement: "93".into()
        }
    );
    assert!(!extra.verified);
    let shipped = Catalog::shipped().expect("shipped");
    let plain = shipped
        .checklist("salarie_renewal", "fr", &BTreeMap::new(), day("2026-03-02"))
        .expect("checklist");
    assert!(
        !plain.items.iter().any(|i| i.id == "bank_statements"),
        "the shipped catalog is unchanged"
    );
}

#[test]
fn override_replaces_a_freshness_rule_and_gives_the_contact() {
    let catalog = with_example();
    let checklist = catalog
        .checklist("dcem_first", "fr", &BTreeMap::new(), day("2026-03-02"))
        .expect("checklist");
    let address = checklist
        .items
        .iter()
        .find(|i| i.id == "proof_of_address")
        .expect("proof of address");
    assert_eq!(
        address.freshness.as_ref().and_then(|f| f.max_age_months),
        Some(3)
    );
    let contact = checklist.contact.expect("a contact");
    assert!(
        contact.service.starts_with("Pôle mineurs"),
        "the procedure's own contact wins"
    );
    let other = catalog
        .checklist(
            "etudiant_renewal",
            "fr",
            &BTreeMap::new(),
            day("2026-03-02"),
        )
        .expect("checklist");
    assert!(
        other
            .contact
            .expect("the département's contact")
            .service
            .starts_with("Bureau du séjour")
    );
}

#[test]
fn another_departement_keeps_its_own_overrides() {
    let catalog = with_example();
    let none = BTreeMap::new();
    let paris = catalog
        .checklist_for(
            "carte_resident_first",
            "fr",
            &none,
            day("2025-06-01"),
            Some("75"),
        )
        .expect("checklist");
    assert_eq!(paris.channel.map(|c| c.channel), Some(Channel::Anef));
    let default = catalog
        .checklist("carte_resident_first", "fr", &none, day("2025-06-01"))
        .expect("checklist");
    assert_eq!(
        default.channel.map(|c| c.channel),
        Some(Channel::Prefecture)
    );
    let elsewhere = catalog
        .checklist_for(
            "salarie_renewal",
            "fr",
            &none,
            day("2026-03-02"),
            Some("69"),
        )
        .expect("checklist");
    assert_eq!(elsewhere.departement, None);
    assert_eq!(
        elsewhere.channel.map(|c| c.channel),
        Some(Channel::Prefecture)
    );
}

#[test]
fn load_with_overrides_reads_the_associations_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("overrides.toml"), example_text()).expect("write");
    let catalog = Catalog::load_with_overrides(dir.path()).expect("loads");
    assert!(catalog.overrides().is_some());
    let checklist = catalog
        .checklist("salarie_renewal", "en", &BTreeMap::new(), day("2026-03-02"))
        .expect("checklist");
    assert!(checklist.channel_overridden);
}

#[test]
fn load_with_overrides_without_the_file_says_which_file_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = Catalog::load_with_overrides(dir.path()).expect_err("no overrides.toml");
    assert!(error.to_string().contains("overrides.toml"), "{error}");
}

#[test]
fn overrides_naming_unknown_ids_are_refused() {
    let text = r#"
[departements."93".procedures.carte_bleue]
channels = [{ channel = "anef", from = 2025-01-01, source = "s", verified = false }]

[departements."93".procedures.salarie_renewal]
documents = [{ document = "pay_slips" }]

[departements."9Z"]
name = "Nowhere"
"#;
    let overrides = Overrides::from_toml(text, "overrides.toml").expect("parses");
    let error = Catalog::shipped()
        .expect("shipped")
        .with_overrides(overrides)
        .expect_err("refused");
    let CatalogError::Invalid { problems } = error else {
        panic!("expected invalid overrides")
    };
    let kinds: Vec<(&str, &ProblemKind)> =
        problems.iter().map(|p| (p.id.as_str(), &p.kind)).collect();
    assert!(kinds.contains(&(
        "93.carte_bleue",
        &ProblemKind::DanglingProcedure {
            procedure: "carte_bleue".into()
        }
    )));
    assert!(kinds.contains(&(
        "93.salarie_renewal",
        &ProblemKind::DanglingDocument {
            document: "pay_slips".into()
        }
    )));
    assert!(kinds.contains(&("9Z", &ProblemKind::InvalidDepartement { code: "9Z".into() })));
    assert!(problems.iter().all(|p| p.file == "overrides.toml"));
}

#[test]
fn overlapping_override_channels_are_refused() {
    let text = r#"
[departements."13".procedures.salarie_renewal]
channels = [
  { channel = "anef", from = 2025-01-01, source = "s", verified = false },
  { channel = "prefecture", from = 2025-06-01, source = "s", verified = false },
]
"#;
    let overrides = Overrides::from_toml(text, "overrides.toml").expect("parses");
    let error = Catalog::shipped()
        .expect("shipped")
        .with_overrides(overrides)
        .expect_err("refused");
    assert!(error.to_string().contains("13.salarie_renewal"), "{error}");
}

#[test]
fn load_with_overrides_accepts_a_directory_holding_only_a_catalog() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/catalog");
    let catalog = Catalog::load_with_overrides(&dir).expect("the asset directory is a catalog");
    assert!(
        catalog.overrides().is_none(),
        "the example file is not read as overrides"
    );
}

//! The words printed around the catalog's text (headings, statuses, notes,
//! deadline names), from `assets/templates/labels.toml`.
//!
//! French is complete by construction (a test checks it). Another language
//! may lack a label: it is then printed in English, next to the French
//! column, so the page still reads "French + English" for that word.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

const LABELS: &str = include_str!("../../../../assets/templates/labels.toml");

#[derive(Debug, Deserialize)]
pub(crate) struct LangLabels {
    pub(crate) reviewed: bool,
    #[serde(default)]
    pub(crate) deadlines: BTreeMap<String, String>,
    #[serde(flatten)]
    pub(crate) text: BTreeMap<String, String>,
}

static ALL: LazyLock<BTreeMap<String, LangLabels>> =
    LazyLock::new(|| toml::from_str(LABELS).unwrap_or_default());

/// Every label key the templates use.
pub(crate) const KEYS: [&str; 17] = [
    "checklist_title",
    "procedure",
    "applicant",
    "printed_on",
    "status",
    "status_missing",
    "status_requested",
    "status_received",
    "status_verified",
    "status_stale",
    "next_deadlines",
    "to_be_checked",
    "not_reviewed",
    "fallback",
    "one_of",
    "tick_hint",
    "fees",
];

/// The languages the labels file covers.
#[cfg(test)]
pub(crate) fn languages() -> Vec<String> {
    ALL.keys().cloned().collect()
}

/// Whether the labels of `lang` were reviewed (French always is).
pub(crate) fn reviewed(lang: &str) -> bool {
    lang == "fr" || ALL.get(lang).is_some_and(|l| l.reviewed)
}

/// A label in `lang`, else in English, else in French, else the key.
pub(crate) fn get(lang: &str, key: &str) -> String {
    [lang, "en", "fr"]
        .iter()
        .find_map(|l| ALL.get(*l).and_then(|t| t.text.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// Whether `lang` has its own text for `key` (no fallback).
#[cfg(test)]
pub(crate) fn has(lang: &str, key: &str) -> bool {
    ALL.get(lang).is_some_and(|t| t.text.contains_key(key))
}

/// The name of a computed deadline in `lang`, else English, else French;
/// `None` for an id no language names (the caller then uses the rule).
pub(crate) fn deadline(lang: &str, id: &str) -> Option<String> {
    [lang, "en", "fr"].iter().find_map(|l| ALL.get(*l).and_then(|t| t.deadlines.get(id))).cloned()
}

/// Every label of `lang` (with fallbacks), as a JSON object for templates.
pub(crate) fn json(lang: &str) -> serde_json::Value {
    KEYS.iter().map(|k| ((*k).to_owned(), serde_json::Value::String(get(lang, k)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::REQUIRED_LANGUAGES;

    #[test]
    fn every_catalog_language_has_every_label_and_deadline_name() {
        assert!(languages().len() >= REQUIRED_LANGUAGES.len(), "labels.toml parses");
        for lang in REQUIRED_LANGUAGES {
            for key in KEYS {
                assert!(has(lang, key), "{lang}: label {key} missing");
            }
            let fr = &ALL["fr"].deadlines;
            for id in fr.keys() {
                assert!(ALL[lang].deadlines.contains_key(id), "{lang}: deadline {id} missing");
            }
        }
        assert!(reviewed("fr") && !reviewed("ar"));
        assert_eq!(get("xx", "status"), "Status", "an unknown language falls back to English");
    }
}

//! The procedure catalog on the command line: `sesame checklist`,
//! `sesame catalog list` and `sesame catalog check`.
//!
//! These functions only parse input, call `sesame_core::catalog` and render
//! the result; `main.rs` owns the argument parsing and the exit code. The
//! clock is read here, at the boundary, and only when the facts give no
//! `today`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde_json::{Value, json};
use sesame_core::catalog::{Catalog, CatalogError, Problem, ProblemKind, Severity};

/// The catalog to use: the shipped one, or the association's directory
/// (a full catalog, an `overrides.toml`, or both; see
/// [`Catalog::load_with_overrides`]).
pub fn load_catalog(dir: Option<&Path>) -> anyhow::Result<Catalog> {
    Ok(match dir {
        Some(dir) => Catalog::load_with_overrides(dir)?,
        None => Catalog::shipped()?,
    })
}

/// What the checklist needs from the case facts (the deadline engine's
/// facts object): `today`, `flags` and `department`. Other fields are
/// ignored here; the deadline engine validates them.
#[derive(Debug)]
pub(crate) struct CaseFacts {
    pub(crate) today: Option<NaiveDate>,
    pub(crate) flags: BTreeMap<String, bool>,
    pub(crate) department: Option<String>,
}

pub(crate) fn read_facts(facts_json: &str) -> anyhow::Result<CaseFacts> {
    let value: Value = serde_json::from_str(facts_json)
        .context("Les faits ne sont pas du JSON valide. / The facts are not valid JSON.")?;
    let Value::Object(map) = value else {
        bail!(
            "Les faits doivent être un objet JSON {{…}}. / The facts must be a JSON object {{…}}."
        );
    };
    let today = match map.get("today") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(parse_day(text).with_context(|| {
            format!("« today » = « {text} » n'est pas une date AAAA-MM-JJ. / \"today\" = \"{text}\" is not a YYYY-MM-DD date.")
        })?),
        Some(other) => bail!("« today » doit être une date AAAA-MM-JJ, pas {other}. / \"today\" must be a YYYY-MM-DD date, not {other}."),
    };
    let mut flags = BTreeMap::new();
    match map.get("flags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (name, value) in entries {
                let Value::Bool(set) = value else {
                    bail!(
                        "Le drapeau « {name} » doit valoir true ou false, pas {value}. / \
                         Flag \"{name}\" must be true or false, not {value}."
                    );
                };
                flags.insert(name.clone(), *set);
            }
        }
        Some(other) => bail!(
            "« flags » doit être un objet {{\"married_abroad\": true}}, pas {other}. / \
             \"flags\" must be an object {{\"married_abroad\": true}}, not {other}."
        ),
    }
    let department = match map.get("department") {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) => Some(code.clone()),
        Some(other) => bail!(
            "« department » doit être un code de département entre guillemets (\"93\"), pas {other}. / \
             \"department\" must be a quoted département code (\"93\"), not {other}."
        ),
    };
    Ok(CaseFacts {
        today,
        flags,
        department,
    })
}

/// Reads `YYYY-MM-DD`, or the date part of an RFC 3339 date-time.
fn parse_day(text: &str) -> Option<NaiveDate> {
    let (date, rest) = text.split_at_checked(10).unwrap_or((text, ""));
    if !(rest.is_empty() || rest.starts_with('T')) {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

pub(crate) fn local_today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `sesame checklist --procedure ID --lang LANG [--facts FILE] [--catalog DIR]`
/// as JSON: the documents, channel, fees and legal bases on the facts'
/// `today` (else the local date), under the facts' `flags`, with the
/// overrides of the facts' `department` (else the association's default).
pub fn checklist_json(
    procedure: &str,
    lang: &str,
    facts_json: Option<&str>,
    catalog_dir: Option<&Path>,
) -> anyhow::Result<String> {
    let facts = match facts_json {
        Some(text) => read_facts(text)?,
        None => CaseFacts {
            today: None,
            flags: BTreeMap::new(),
            department: None,
        },
    };
    let catalog = load_catalog(catalog_dir)?;
    let on = facts.today.unwrap_or_else(local_today);
    let checklist = match &facts.department {
        Some(code) => catalog.checklist_for(procedure, lang, &facts.flags, on, Some(code))?,
        None => catalog.checklist(procedure, lang, &facts.flags, on)?,
    };
    Ok(serde_json::to_string_pretty(&checklist)?)
}

/// `sesame catalog list [--lang LANG] [--on DATE] [--catalog DIR]` as JSON:
/// the catalog's edition and every procedure with its name and its channel
/// on `on` (else the local date).
pub fn list_json(
    lang: &str,
    on: Option<NaiveDate>,
    catalog_dir: Option<&Path>,
) -> anyhow::Result<String> {
    let catalog = load_catalog(catalog_dir)?;
    let on = on.unwrap_or_else(local_today);
    let procedures = catalog.summaries(lang, on)?;
    let edition = catalog.edition();
    let listing = json!({
        "catalog_version": edition.version,
        "published": edition.published,
        "on": on,
        "lang": catalog.language(lang)?,
        "procedures": procedures,
    });
    Ok(serde_json::to_string_pretty(&listing)?)
}

/// `sesame catalog check [--catalog DIR] [--json]`: every problem of the
/// catalog, and whether it is fit to ship (no error, no missing
/// translation; warnings are allowed).
pub fn check_report(catalog_dir: Option<&Path>, json: bool) -> (String, bool) {
    let catalog = match load_catalog(catalog_dir) {
        Ok(catalog) => catalog,
        Err(error) => {
            // A refused catalog: its problems are in the error.
            let problems = match error.downcast_ref::<CatalogError>() {
                Some(CatalogError::Invalid { problems }) => problems.clone(),
                _ => Vec::new(),
            };
            let report = if json {
                let body = json!({ "ok": false, "error": error.to_string(), "problems": problems });
                serde_json::to_string_pretty(&body).unwrap_or_else(|_| error.to_string())
            } else {
                format!("{error:#}\n")
            };
            return (report, false);
        }
    };
    let problems = catalog.check();
    let ok = problems.iter().all(|p| p.severity == Severity::Warning);
    if json {
        let body = json!({
            "ok": ok,
            "catalog_version": catalog.edition().version,
            "published": catalog.edition().published,
            "problems": problems,
        });
        let text = serde_json::to_string_pretty(&body).unwrap_or_else(|e| e.to_string());
        return (text, ok);
    }
    (render_text(&catalog, &problems, ok), ok)
}

/// The human report: a summary line, then every error and warning, and the
/// missing translations counted per language (the full list is in `--json`).
fn render_text(catalog: &Catalog, problems: &[Problem], ok: bool) -> String {
    let count = |severity: Severity| problems.iter().filter(|p| p.severity == severity).count();
    let (errors, incomplete, warnings) = (
        count(Severity::Error),
        count(Severity::Incomplete),
        count(Severity::Warning),
    );
    let edition = catalog.edition();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Catalogue {} du {} : {errors} erreur(s), {incomplete} texte(s) manquant(s), {warnings} avertissement(s). / \
         Catalog {} of {}: {errors} error(s), {incomplete} missing text(s), {warnings} warning(s).",
        edition.version, edition.published, edition.version, edition.published
    );
    for problem in problems
        .iter()
        .filter(|p| p.severity != Severity::Incomplete)
    {
        let tag = if problem.severity == Severity::Error {
            "erreur/error"
        } else {
            "avertissement/warning"
        };
        let _ = writeln!(out, "[{tag}] {problem}");
    }
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for problem in problems {
        match &problem.kind {
            ProblemKind::MissingLanguage { lang }
            | ProblemKind::MissingTranslation { lang, .. }
                if problem.severity == Severity::Incomplete =>
            {
                *missing.entry(lang.as_str()).or_default() += 1;
            }
            _ => {}
        }
    }
    for (lang, n) in missing {
        let _ = writeln!(
            out,
            "[incomplet/incomplete] i18n/{lang}.toml : {n} texte(s) manquant(s), le français s'affiche à la place. / \
             i18n/{lang}.toml: {n} missing text(s), French is shown instead."
        );
    }
    let verdict = if ok {
        "Le catalogue est prêt. / The catalog is ready."
    } else {
        "Le catalogue n'est pas prêt : corrigez les lignes ci-dessus. / The catalog is not ready: fix the lines above."
    };
    let _ = writeln!(out, "{verdict}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a valid test date")
    }

    #[test]
    fn facts_give_the_date_the_flags_and_the_department() {
        let facts = read_facts(
            r#"{"today":"2026-03-02","department":"93","flags":{"hosted":true,"married_abroad":false},"procedure":"x","api":[]}"#,
        )
        .expect("valid facts");
        assert_eq!(facts.today, Some(day("2026-03-02")));
        assert_eq!(facts.flags.get("hosted"), Some(&true));
        assert_eq!(facts.flags.get("married_abroad"), Some(&false));
        assert_eq!(facts.department.as_deref(), Some("93"));
    }

    #[test]
    fn a_non_boolean_flag_is_named() {
        let error = read_facts(r#"{"flags":{"hosted":"yes"}}"#).expect_err("refused");
        assert!(error.to_string().contains("hosted"));
    }

    #[test]
    fn today_may_be_a_date_time() {
        assert_eq!(
            parse_day("2026-03-10T10:00:00+01:00"),
            Some(day("2026-03-10"))
        );
        assert_eq!(parse_day("2026-03-10"), Some(day("2026-03-10")));
        assert_eq!(parse_day("2026-03-10x"), None);
        assert_eq!(parse_day("10/03/2026"), None);
    }

    #[test]
    fn checklist_json_uses_the_facts() {
        let text = checklist_json(
            "vpf_conjoint_francais_renewal",
            "en",
            Some(r#"{"today":"2026-03-02","flags":{"married_abroad":true}}"#),
            None,
        )
        .expect("checklist");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(value["on"], "2026-03-02");
        assert_eq!(value["lang"], "en");
        let ids: Vec<&str> = value["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        assert!(ids.contains(&"marriage_transcription"));
    }

    #[test]
    fn unknown_procedure_is_an_error_naming_it() {
        let error = checklist_json("nope", "fr", None, None).expect_err("unknown");
        assert!(error.to_string().contains("nope"));
    }

    #[test]
    fn list_json_lists_every_procedure() {
        let text = list_json("fr", Some(day("2026-03-02")), None).expect("list");
        let value: Value = serde_json::from_str(&text).expect("JSON");
        assert!(value["procedures"].as_array().expect("procedures").len() >= 15);
    }

    #[test]
    fn check_report_of_the_shipped_catalog() {
        let (text, ok) = check_report(None, false);
        assert!(text.starts_with("Catalogue "), "{text}");
        let (json_text, json_ok) = check_report(None, true);
        assert_eq!(ok, json_ok);
        let value: Value = serde_json::from_str(&json_text).expect("JSON");
        assert_eq!(value["ok"], ok);
    }

    #[test]
    fn a_folder_without_catalog_or_overrides_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (text, ok) = check_report(Some(dir.path()), false);
        assert!(!ok);
        assert!(text.contains("overrides.toml"), "{text}");
    }
}

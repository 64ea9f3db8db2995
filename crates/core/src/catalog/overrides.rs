//! Per-préfecture overrides: what an association knows about its own
//! préfecture and the shipped catalog cannot (which channel really applies,
//! which extra document the counter asks for, where to go for the in-person
//! alternative of R431-2), kept in a file the association controls so that
//! the shipped catalog is never edited.
//!
//! The file is `overrides.toml` in a directory of the association's choice;
//! `assets/catalog/overrides.example.toml` shows every field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{ChannelPeriod, DocumentItem, Freshness, date};

/// The name of the overrides file inside the association's directory.
pub const OVERRIDES_FILE: &str = "overrides.toml";

/// Everything an association overrides, keyed by département code.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// The département used when a checklist names none; when absent and
    /// the file holds a single département, that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub departements: BTreeMap<String, DepartementOverride>,
    /// The file the overrides were read from, for problem reports.
    #[serde(skip_deserializing)]
    pub file: String,
}

impl Overrides {
    /// Reads overrides from TOML text; `file` names it in error messages.
    pub fn from_toml(text: &str, file: &str) -> Result<Overrides, super::CatalogError> {
        let mut overrides: Overrides =
            toml::from_str(text).map_err(|e| super::CatalogError::Parse {
                file: file.to_owned(),
                message: e.to_string(),
            })?;
        overrides.file = file.to_owned();
        Ok(overrides)
    }

    /// The département a checklist uses when the caller names none.
    pub fn default_departement(&self) -> Option<&str> {
        match &self.default {
            Some(code) => Some(code),
            None if self.departements.len() == 1 => {
                self.departements.keys().next().map(String::as_str)
            }
            None => None,
        }
    }
}

/// What changes in one département.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartementOverride {
    /// The préfecture's name, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where to ask for the in-person alternative (R431-2) for every
    /// procedure, unless the procedure names its own contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Freshness rules that replace the catalog's, by document id (some
    /// préfectures want a proof of address of less than 3 months).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub freshness: BTreeMap<String, Freshness>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub procedures: BTreeMap<String, ProcedureOverride>,
}

/// What changes for one procedure in one département.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureOverride {
    /// Channel periods that replace the catalog's on the days they cover.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<ChannelPeriod>,
    /// Documents the préfecture asks for on top of the catalog's list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DocumentItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// A service of the préfecture, for the in-person alternative of R431-2
/// ("solution de substitution") when ANEF makes filing impossible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub service: String,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the association learnt it (letter, notice, counter).
    pub source: String,
    /// When the association last checked it.
    #[serde(
        default,
        with = "date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub checked: Option<NaiveDate>,
}

/// Whether `code` is a French département code: 01–95 except 20, 2A, 2B,
/// 971–976.
pub fn is_departement_code(code: &str) -> bool {
    match code {
        "2A" | "2B" => true,
        _ if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) => {
            matches!(code.parse::<u8>(), Ok(n) if (1..=95).contains(&n) && n != 20)
        }
        _ if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            matches!(code.parse::<u16>(), Ok(n) if (971..=976).contains(&n))
        }
        _ => false,
    }
}

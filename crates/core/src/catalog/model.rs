//! Data types of the catalog, as read from its TOML files and as served to
//! callers (every type here serialises to JSON for `--json` output).
//!
//! The TOML shapes are documented in the headers of the asset files
//! (`assets/catalog/*.toml`); this module mirrors them field for field and
//! refuses unknown fields, so that a typo in a data file is an error rather
//! than a silently ignored rule.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The legal regime a procedure belongs to.
///
/// Algerian nationals fall under the Franco-Algerian agreement of
/// 27 December 1968 (certificats de résidence), not under most of the
/// CESEDA's rules on conditions of stay: a distinct regime, not a footnote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Code de l'entrée et du séjour des étrangers et du droit d'asile.
    Ceseda,
    /// Accord franco-algérien du 27 décembre 1968.
    AlgerianAgreement,
}

/// What kind of request a procedure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    First,
    Renewal,
    Duplicate,
    ChangeOfStatus,
    VlstsValidation,
    Naturalisation,
}

/// Where a request is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Online, on the Administration numérique des étrangers en France.
    Anef,
    /// At the préfecture: paper file, counter or appointment.
    Prefecture,
}

/// Which amount of a fee schedule a procedure owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    Full,
    Reduced,
}

/// When a fee is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payable {
    AtFiling,
    AtDelivery,
}

/// The date a freshness rule is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreshnessAt {
    Filing,
    Appointment,
}

/// A coarse grouping of documents, for printing a checklist in sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    CivilStatus,
    Identity,
    Address,
    Photo,
    Payment,
    Translation,
    Residence,
    Studies,
    Work,
    Resources,
    Family,
    Integration,
    Other,
}

/// A level of the Common European Framework of Reference for languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LanguageLevel {
    A1,
    A2,
    B1,
    B2,
    C1,
    C2,
}

/// One condition on a situation flag: `flag` or `not:flag`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Condition {
    pub flag: String,
    pub negated: bool,
}

impl Condition {
    /// Reads `flag` or `not:flag`; the flag name itself is checked against
    /// the declared flags by [`super::Catalog::check`].
    pub fn parse(text: &str) -> Result<Condition, String> {
        let (negated, flag) = match text.strip_prefix("not:") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if flag.is_empty() || flag.contains(':') || flag.contains(char::is_whitespace) {
            return Err(format!(
                "condition « {text} » : écrivez un nom de drapeau ou « not:drapeau » / \
                 condition \"{text}\": write a flag name or \"not:flag\""
            ));
        }
        Ok(Condition {
            flag: flag.to_owned(),
            negated,
        })
    }

    /// Whether the condition holds; a flag that was not given counts as false.
    pub fn holds(&self, flags: &BTreeMap<String, bool>) -> bool {
        let value = flags.get(&self.flag).copied().unwrap_or(false);
        value != self.negated
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.negated {
            write!(f, "not:{}", self.flag)
        } else {
            f.write_str(&self.flag)
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// All the conditions of an item; they must all hold. Written in TOML as one
/// string (`when = "hosted"`) or a list (`when = ["hosted", "not:in_hotel"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Conditions(pub Vec<Condition>);

impl Conditions {
    pub fn hold(&self, flags: &BTreeMap<String, bool>) -> bool {
        self.0.iter().all(|c| c.holds(flags))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The conditions of `self` and of `other` together.
    pub fn and(&self, other: &Conditions) -> Conditions {
        let mut all = self.0.clone();
        all.extend(other.0.iter().cloned());
        Conditions(all)
    }
}

impl<'de> Deserialize<'de> for Conditions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let texts = match OneOrMany::deserialize(deserializer)? {
            OneOrMany::One(text) => vec![text],
            OneOrMany::Many(texts) => texts,
        };
        texts
            .iter()
            .map(|t| Condition::parse(t))
            .collect::<Result<Vec<_>, _>>()
            .map(Conditions)
            .map_err(serde::de::Error::custom)
    }
}

/// When a document stops being acceptable. Exactly one of the four rules is
/// set (checked by [`super::Catalog::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    /// Issued less than this many months before the reference date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_months: Option<u32>,
    /// Covers the last this many months before the reference date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_months: Option<u32>,
    /// Still valid on the reference date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_at: Option<bool>,
    /// For the academic year under way on the reference date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_academic_year: Option<bool>,
    pub at: FreshnessAt,
    pub source: String,
    pub verified: bool,
}

impl Freshness {
    /// How many rules are set: a valid rule has exactly one.
    pub(crate) fn rule_count(&self) -> usize {
        usize::from(self.max_age_months.is_some())
            + usize::from(self.last_months.is_some())
            + usize::from(self.valid_at == Some(true))
            + usize::from(self.current_academic_year == Some(true))
    }
}

/// A document type from `documents.toml`. Its name and explanation live in
/// the translation files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentType {
    pub category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Freshness>,
}

/// One line of a document list: a document, and when it is required.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentItem {
    pub document: String,
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub when: Conditions,
    /// Only on this filing channel (e-photo code online, paper photos at
    /// the préfecture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(
        default,
        with = "date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<NaiveDate>,
    #[serde(
        default,
        with = "date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<NaiveDate>,
    /// Replaces the document's default freshness rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Freshness>,
    /// Items of the same group are alternatives: one of them is enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// The language level required, for a language certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LanguageLevel>,
    /// Replaces the source of the list the item belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Replaces the `verified` flag of the list the item belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

impl DocumentItem {
    /// Whether the item is in force on `day`.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        covers(self.from, self.until, day)
    }
}

/// A shared list's name in a procedure's `include`, with an optional extra
/// condition on all of its items. Written `"common"` or
/// `{ list = "integration_first_multiyear", when = "first_multiyear_card" }`.
#[derive(Debug, Clone, Serialize)]
pub struct Include {
    pub list: String,
    #[serde(skip_serializing_if = "Conditions::is_empty")]
    pub when: Conditions,
}

impl<'de> Deserialize<'de> for Include {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            list: String,
            #[serde(default)]
            when: Conditions,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Table(Table),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Name(list)) => Ok(Include {
                list,
                when: Conditions::default(),
            }),
            Ok(Raw::Table(t)) => Ok(Include {
                list: t.list,
                when: t.when,
            }),
            Err(_) => Err(serde::de::Error::custom(
                "include : écrivez \"nom\" ou { list = \"nom\", when = \"drapeau\" } / \
                 include: write \"name\" or { list = \"name\", when = \"flag\" }",
            )),
        }
    }
}

/// A shared document list from `lists.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentList {
    pub source: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<Include>,
    #[serde(default)]
    pub items: Vec<DocumentItem>,
}

/// A legal basis of a procedure: an article, a decree, an agreement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub article: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The filing channel of a procedure during a period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelPeriod {
    pub channel: Channel,
    #[serde(with = "date::required")]
    pub from: NaiveDate,
    #[serde(
        default,
        with = "date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<NaiveDate>,
    pub source: String,
    pub verified: bool,
}

/// A fee a procedure owes, pointing to a schedule of `fees.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRef {
    pub fee: String,
    pub rate: Rate,
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub when: Conditions,
    pub source: String,
    pub verified: bool,
}

/// Advice for the volunteer, in French and English.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub fr: String,
    pub en: String,
    pub source: String,
    pub verified: bool,
}

/// A procedure: what to file, where, for how much, on which legal basis.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Filled from the table key when the file is read.
    #[serde(skip_deserializing)]
    pub id: String,
    /// The catalog file the procedure was read from.
    #[serde(skip_deserializing)]
    pub file: String,
    pub regime: Regime,
    pub request: Request,
    /// Where the procedure's own document list comes from.
    pub source: String,
    /// Whether the procedure's own document list was read in a primary text.
    pub verified: bool,
    #[serde(default)]
    pub include: Vec<Include>,
    #[serde(default)]
    pub legal_bases: Vec<LegalBasis>,
    #[serde(default)]
    pub channels: Vec<ChannelPeriod>,
    #[serde(default)]
    pub fees: Vec<FeeRef>,
    #[serde(default)]
    pub documents: Vec<DocumentItem>,
    #[serde(default)]
    pub notes: Vec<Note>,
}

/// One period of a fee schedule; amounts in euro cents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeePeriod {
    pub amount_cents: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduced_cents: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_filing_cents: Option<u32>,
    #[serde(with = "date::required")]
    pub from: NaiveDate,
    #[serde(
        default,
        with = "date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<NaiveDate>,
    pub source: String,
    pub verified: bool,
}

/// A fee schedule from `fees.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    pub legal_basis: String,
    pub payable: Payable,
    pub label_fr: String,
    pub label_en: String,
    #[serde(default)]
    pub periods: Vec<FeePeriod>,
}

/// A situation flag that conditions may test, with its meaning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    pub fr: String,
    pub en: String,
}

/// The name and explanation of a document in one language. Both are
/// optional when read, so that a partial translation loads and the gap is
/// reported by `check` instead of refusing the whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
}

/// The name of a procedure in one language.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One translation file, `i18n/<lang>.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    pub lang: String,
    /// True only once an association has reviewed the translation.
    pub reviewed: bool,
    #[serde(default)]
    pub documents: BTreeMap<String, DocumentText>,
    #[serde(default)]
    pub procedures: BTreeMap<String, ProcedureText>,
    /// The file the translation was read from.
    #[serde(skip_deserializing)]
    pub file: String,
}

/// Whether the period `from..=until` (an open `until` runs forever, an open
/// `from` since always) contains `day`.
pub(crate) fn covers(from: Option<NaiveDate>, until: Option<NaiveDate>, day: NaiveDate) -> bool {
    from.is_none_or(|f| f <= day) && until.is_none_or(|u| day <= u)
}

/// Reading dates written either as TOML dates (`2026-01-01`) or as strings
/// (`"2026-01-01"`); chrono alone only accepts the second form.
pub(crate) mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Toml(toml::value::Datetime),
        Text(String),
    }

    fn convert<E: serde::de::Error>(raw: Raw) -> Result<NaiveDate, E> {
        let bad = |shown: String| {
            E::custom(format!(
                "date « {shown} » invalide : écrivez AAAA-MM-JJ, sans heure / \
                 invalid date \"{shown}\": write YYYY-MM-DD, without a time"
            ))
        };
        match raw {
            Raw::Toml(datetime) => match (datetime.date, datetime.time) {
                (Some(d), None) => {
                    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                        .ok_or_else(|| bad(datetime.to_string()))
                }
                _ => Err(bad(datetime.to_string())),
            },
            Raw::Text(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| bad(text)),
        }
    }

    pub mod required {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
            convert(Raw::deserialize(d)?)
        }

        pub fn serialize<S: Serializer>(day: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
            day.serialize(s)
        }
    }

    pub mod optional {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            Option::<Raw>::deserialize(d)?.map(convert).transpose()
        }

        pub fn serialize<S: Serializer>(day: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
            day.serialize(s)
        }
    }
}

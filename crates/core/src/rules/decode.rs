//! Reading case facts from JSON, with errors that name the field.
//!
//! Why a hand-written decoder rather than `#[derive(Deserialize)]`? serde's
//! derived errors say "unknown field `x`" or "input is out of range" without
//! saying where, and a volunteer facing a 60-line facts file needs the path
//! (`decisions[1].notified_at`) and the expected format in French. Walking a
//! `serde_json::Value` by hand gives both without adding a dependency; the
//! schema below is short, and a round-trip property test keeps it in step
//! with the `Serialize` side in `facts.rs`.
//!
//! The decoder is strict: an unknown field anywhere is an error (what
//! `#[serde(deny_unknown_fields)]` would do), dates must exist
//! (2026-02-30 is refused), date-times must carry an offset, enumerations
//! accept only their documented snake_case values. `null` is read as absent.

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};

use super::calendar::Department;
use super::error::{Expected, RulesError};
use super::facts::{
    Api, CurrentPermit, Decision, DecisionKind, Document, Facts, Filing, Moment, Recepisse, Regime,
    Request, Restriction, Visa, VisaKind, YoungAdult,
};

/// Parses case facts from JSON text. See [`Facts`] for the contract.
pub fn parse_facts(json: &str) -> Result<Facts, RulesError> {
    let value: Value = serde_json::from_str(json).map_err(|e| RulesError::Json {
        line: e.line(),
        column: e.column(),
        detail: e.to_string(),
    })?;
    facts_from_value(&value)
}

/// Reads case facts from an already parsed JSON value.
pub fn facts_from_value(value: &Value) -> Result<Facts, RulesError> {
    let Value::Object(map) = value else {
        return Err(RulesError::NotAnObject {
            found: render(value),
        });
    };
    read_facts(map, None)
}

/// What the vault and the catalog know of a case, completing the facts the
/// volunteer recorded (see `followup::case_facts`). `today` and `procedure`
/// are always these; every other field recorded in the facts, even as
/// `null`, wins over the one known here.
#[derive(Debug, Clone)]
pub struct Known<'a> {
    pub today: NaiveDate,
    pub procedure: &'a str,
    /// The procedure's request kind, as the catalog names it.
    pub request: Option<&'a str>,
    /// The procedure's regime, as the catalog names it.
    pub regime: Option<&'a str>,
    pub department: Option<&'a str>,
    pub birth_date: Option<NaiveDate>,
    /// The documents received, with their freshness rule.
    pub documents: Vec<Document>,
}

/// A case's facts: those `stored` with the case (an object; anything else
/// counts as none) completed by what is `known`. The result is the one
/// [`facts_from_value`] gives for the stored object with the known fields
/// written in, without building that object: the Today screen does this
/// for every open case.
pub fn facts_for_case(stored: &Value, known: Known<'_>) -> Result<Facts, RulesError> {
    let empty = Map::new();
    let map = match stored {
        Value::Object(map) => map,
        _ => &empty,
    };
    read_facts(map, Some(known))
}

/// The top-level fields of [`Facts`].
const FACT_FIELDS: &[&str] = &[
    "today",
    "department",
    "regime",
    "procedure",
    "request",
    "birth_date",
    "young_adult",
    "entry_date",
    "visa",
    "current_permit",
    "filing",
    "api",
    "recepisse",
    "decisions",
    "documents",
    "planned_filing_on",
    "flags",
];

fn read_facts(map: &Map<String, Value>, mut known: Option<Known<'_>>) -> Result<Facts, RulesError> {
    let o = Obj::new(map, String::new(), FACT_FIELDS)?;
    let known_documents = known.as_mut().map(|k| std::mem::take(&mut k.documents));
    let known = known.as_ref();
    // A field is read from the facts when recorded there (or when nothing
    // else is known), otherwise from what is known.
    let known_for = |key: &str| known.filter(|_| !map.contains_key(key));
    let today = match known {
        Some(k) => k.today,
        None => o.date("today")?.ok_or_else(|| RulesError::MissingField {
            field: "today".into(),
            expected: Expected::Date,
        })?,
    };
    let regime = |i| [Regime::Ceseda, Regime::AlgerianAgreement][i];
    let request = |i| {
        [
            Request::First,
            Request::Renewal,
            Request::Duplicate,
            Request::ChangeOfStatus,
            Request::VlstsValidation,
        ][i]
    };
    let facts = Facts {
        today,
        department: match known_for("department") {
            Some(k) => o.department_in("department", k.department)?,
            None => o.department("department")?,
        },
        regime: match known_for("regime") {
            Some(k) => o.one_of_in("regime", k.regime, Regime::VALUES, regime)?,
            None => o.one_of("regime", Regime::VALUES, regime)?,
        },
        procedure: match known {
            Some(k) => Some(k.procedure.to_owned()),
            None => o.text("procedure")?,
        },
        request: match known_for("request") {
            Some(k) => o.one_of_in("request", k.request, Request::VALUES, request)?,
            None => o.one_of("request", Request::VALUES, request)?,
        },
        birth_date: match known_for("birth_date") {
            Some(k) => k.birth_date,
            None => o.date("birth_date")?,
        },
        young_adult: o.one_of("young_adult", YoungAdult::VALUES, |i| {
            [YoungAdult::R431_5_2, YoungAdult::R431_5_3][i]
        })?,
        entry_date: o.date("entry_date")?,
        visa: o.object("visa", &["kind", "valid_until", "validated_on"], |v| {
            Ok(Visa {
                kind: v.one_of("kind", VisaKind::VALUES, |i| [VisaKind::VlsTs, VisaKind::Other][i])?,
                valid_until: v.date("valid_until")?,
                validated_on: v.date("validated_on")?,
            })
        })?,
        current_permit: o.object("current_permit", &["expires_on", "on_anef", "long_term_eu"], |p| {
            Ok(CurrentPermit {
                expires_on: p.date("expires_on")?,
                on_anef: p.bool("on_anef")?,
                long_term_eu: p.bool("long_term_eu")?,
            })
        })?,
        filing: o.object(
            "filing",
            &["filed_on", "complete", "ack_mentions_appeal_routes"],
            |f| {
                Ok(Filing {
                    filed_on: f.date("filed_on")?,
                    complete: f.bool("complete")?,
                    ack_mentions_appeal_routes: f.bool("ack_mentions_appeal_routes")?,
                })
            },
        )?,
        api: o.array("api", &["issued_on", "valid_until"], |a| {
            Ok(Api {
                issued_on: a.date("issued_on")?,
                valid_until: a.date("valid_until")?,
            })
        })?,
        recepisse: o.array("recepisse", &["valid_from", "valid_until"], |r| {
            Ok(Recepisse {
                valid_from: r.date("valid_from")?,
                valid_until: r.date("valid_until")?,
            })
        })?,
        decisions: o.array(
            "decisions",
            &["kind", "notified_at", "decided_on", "restriction"],
            decision,
        )?,
        documents: match (known_for("documents"), known_documents) {
            (Some(_), Some(documents)) => checked_documents(documents)?,
            _ => o.array("documents", &["id", "issued_on", "max_age_months"], |d| {
                Ok(Document {
                    id: d.text("id")?,
                    issued_on: d.date("issued_on")?,
                    max_age_months: d.months("max_age_months")?,
                })
            })?,
        },
        planned_filing_on: o.date("planned_filing_on")?,
        flags: o.flags("flags")?,
    };
    Ok(facts)
}

/// Known documents pass the check that recorded ones do (a freshness of 1
/// to 120 months).
fn checked_documents(documents: Vec<Document>) -> Result<Vec<Document>, RulesError> {
    for (i, d) in documents.iter().enumerate() {
        if let Some(m) = d.max_age_months.filter(|m| !(1..=120).contains(m)) {
            return Err(RulesError::InvalidField {
                field: format!("documents[{i}].max_age_months"),
                expected: Expected::Months,
                found: m.to_string(),
            });
        }
    }
    Ok(documents)
}

fn decision(d: &Obj<'_>) -> Result<Decision, RulesError> {
    let decision = Decision {
        kind: d.one_of("kind", DecisionKind::VALUES, |i| {
            [DecisionKind::Refusal, DecisionKind::Oqtf, DecisionKind::Favourable][i]
        })?,
        notified_at: d.moment("notified_at")?,
        decided_on: d.date("decided_on")?,
        restriction: d.one_of("restriction", Restriction::VALUES, |i| {
            [
                Restriction::None,
                Restriction::Assigned,
                Restriction::Detained,
                Restriction::Retention,
            ][i]
        })?,
    };
    // An OQTF notified to someone assigned, detained or in rétention has a
    // deadline counted in hours from the time of notification: a bare date
    // cannot place it, so it is refused here rather than guessed.
    let counts_hours = decision.kind == Some(DecisionKind::Oqtf)
        && decision.restriction.is_some_and(Restriction::counts_hours);
    if let (true, Some(Moment::Date(date))) = (counts_hours, decision.notified_at) {
        return Err(RulesError::InvalidField {
            field: d.path("notified_at"),
            expected: Expected::DateTimeForHours,
            found: format!("\"{date}\""),
        });
    }
    Ok(decision)
}

/// One JSON object being read, with its path for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// Wraps `map`, refusing any key outside `accepted`.
    fn new(map: &'a Map<String, Value>, path: String, accepted: &[&str]) -> Result<Self, RulesError> {
        let obj = Self { map, path };
        if let Some(key) = map.keys().find(|k| !accepted.contains(&k.as_str())) {
            return Err(RulesError::UnknownField {
                field: obj.path(key),
                accepted: accepted.join(", "),
            });
        }
        Ok(obj)
    }

    /// The path of `key` inside this object.
    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key`, `None` when absent or `null`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// An object of booleans (`{"married_abroad": true}`): the catalog's
    /// checklist conditions. The engine does not read them; it carries them
    /// so that one facts file serves both `deadlines` and `checklist`.
    fn flags(&self, key: &str) -> Result<std::collections::BTreeMap<String, bool>, RulesError> {
        let mut out = std::collections::BTreeMap::new();
        match self.get(key) {
            None => {}
            Some(Value::Object(map)) => {
                for (name, v) in map {
                    match v {
                        Value::Bool(b) => {
                            out.insert(name.clone(), *b);
                        }
                        other => {
                            return Err(RulesError::InvalidField {
                                field: format!("{}.{name}", self.path(key)),
                                expected: Expected::Bool,
                                found: render(other),
                            });
                        }
                    }
                }
            }
            Some(other) => return Err(self.invalid(key, Expected::Object, other)),
        }
        Ok(out)
    }

    fn invalid(&self, key: &str, expected: Expected, found: &Value) -> RulesError {
        RulesError::InvalidField {
            field: self.path(key),
            expected,
            found: render(found),
        }
    }

    fn str(&self, key: &str, expected: Expected) -> Result<Option<&'a str>, RulesError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.invalid(key, expected, other)),
        }
    }

    fn text(&self, key: &str) -> Result<Option<String>, RulesError> {
        Ok(self.str(key, Expected::Text)?.map(str::to_owned))
    }

    fn date(&self, key: &str) -> Result<Option<NaiveDate>, RulesError> {
        let Some(s) = self.str(key, Expected::Date)? else {
            return Ok(None);
        };
        parse_date(s)
            .map(Some)
            .ok_or_else(|| self.invalid(key, Expected::Date, &Value::String(s.to_owned())))
    }

    fn moment(&self, key: &str) -> Result<Option<Moment>, RulesError> {
        let Some(s) = self.str(key, Expected::DateOrDateTime)? else {
            return Ok(None);
        };
        if let Some(date) = parse_date(s) {
            return Ok(Some(Moment::Date(date)));
        }
        // RFC 3339 requires the offset ("Z" or "+01:00"); a date-time
        // without one fails here, as it should.
        DateTime::parse_from_rfc3339(s)
            .map(|at| Some(Moment::DateTime(at)))
            .map_err(|_| self.invalid(key, Expected::DateOrDateTime, &Value::String(s.to_owned())))
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, RulesError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.invalid(key, Expected::Bool, other)),
        }
    }

    fn months(&self, key: &str) -> Result<Option<u32>, RulesError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n @ 1..=120) => Ok(Some(n)),
                _ => Err(self.invalid(key, Expected::Months, v)),
            },
        }
    }

    fn department(&self, key: &str) -> Result<Option<Department>, RulesError> {
        self.department_in(key, self.str(key, Expected::Department)?)
    }

    /// A département code `found` for `key`, checked as if read there.
    fn department_in(&self, key: &str, found: Option<&str>) -> Result<Option<Department>, RulesError> {
        let Some(s) = found else {
            return Ok(None);
        };
        Department::new(s)
            .map(Some)
            .ok_or_else(|| self.invalid(key, Expected::Department, &Value::String(s.to_owned())))
    }

    fn one_of<T>(
        &self,
        key: &str,
        values: &'static [&'static str],
        pick: impl Fn(usize) -> T,
    ) -> Result<Option<T>, RulesError> {
        self.one_of_in(key, self.str(key, Expected::OneOf(values))?, values, pick)
    }

    /// A value `found` for `key`, checked as if read there.
    fn one_of_in<T>(
        &self,
        key: &str,
        found: Option<&str>,
        values: &'static [&'static str],
        pick: impl Fn(usize) -> T,
    ) -> Result<Option<T>, RulesError> {
        let Some(s) = found else {
            return Ok(None);
        };
        match values.iter().position(|v| *v == s) {
            Some(i) => Ok(Some(pick(i))),
            None => Err(self.invalid(key, Expected::OneOf(values), &Value::String(s.to_owned()))),
        }
    }

    fn object<T>(
        &self,
        key: &str,
        accepted: &[&str],
        read: impl Fn(&Obj<'a>) -> Result<T, RulesError>,
    ) -> Result<Option<T>, RulesError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => read(&Obj::new(map, self.path(key), accepted)?).map(Some),
            Some(other) => Err(self.invalid(key, Expected::Object, other)),
        }
    }

    fn array<T>(
        &self,
        key: &str,
        accepted: &[&str],
        read: impl Fn(&Obj<'a>) -> Result<T, RulesError>,
    ) -> Result<Vec<T>, RulesError> {
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => return Err(self.invalid(key, Expected::Array, other)),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.path(key));
            let Value::Object(map) = item else {
                return Err(RulesError::InvalidField {
                    field: path,
                    expected: Expected::Object,
                    found: render(item),
                });
            };
            out.push(read(&Obj::new(map, path, accepted)?)?);
        }
        Ok(out)
    }
}

/// Facts read through serde (for callers that embed them in a larger
/// document) go through the same strict decoder as [`parse_facts`].
impl<'de> serde::Deserialize<'de> for Facts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
        facts_from_value(&value).map_err(serde::de::Error::custom)
    }
}

/// A date written exactly `YYYY-MM-DD` that exists in the calendar.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    // The shape is checked: the digits are read directly (chrono's
    // format-driven parser costs more than the rest of a case's facts).
    let number = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)).ok()?, number(5..7), number(8..10))
}

/// A short rendering of a JSON value for error messages (at most 60
/// characters, so a pasted document does not flood the message).
fn render(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        text
    } else {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> RulesError {
        match parse_facts(json) {
            Ok(facts) => panic!("expected an error, got {facts:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn minimal_facts() {
        let facts = parse_facts(r#"{"today":"2026-11-28"}"#).expect("valid");
        assert_eq!(facts, Facts::new(NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")));
    }

    #[test]
    fn null_is_absent() {
        let facts = parse_facts(r#"{"today":"2026-11-28","filing":null,"api":null}"#).expect("valid");
        assert!(facts.filing.is_none() && facts.api.is_empty());
    }

    #[test]
    fn impossible_date_names_the_field() {
        let e = err(r#"{"today":"2026-11-28","filing":{"filed_on":"2026-02-30"}}"#);
        assert_eq!(e.field(), Some("filing.filed_on"));
        let text = e.to_string();
        assert!(text.starts_with("Le champ `filing.filed_on` doit être une date"), "{text}");
        assert!(text.contains("The field `filing.filed_on` must be an existing date"), "{text}");
        assert!(text.contains("AAAA-MM-JJ") && text.contains("YYYY-MM-DD"), "{text}");
    }

    #[test]
    fn unknown_field_in_an_array_item() {
        let e = err(r#"{"today":"2026-11-28","api":[{"valid_until":"2027-01-31","valid_untill":"x"}]}"#);
        assert_eq!(e.field(), Some("api[0].valid_untill"));
        assert!(e.to_string().contains("issued_on, valid_until"), "{e}");
    }

    #[test]
    fn missing_today() {
        let e = err(r#"{"department":"75"}"#);
        assert_eq!(e.field(), Some("today"));
        assert!(e.to_string().contains("obligatoire"), "{e}");
    }

    #[test]
    fn date_time_without_offset_is_refused() {
        let e = err(
            r#"{"today":"2026-11-28","decisions":[{"kind":"refusal","notified_at":"2026-01-02"},
                {"kind":"oqtf","notified_at":"2026-03-10T10:00:00"}]}"#,
        );
        assert_eq!(e.field(), Some("decisions[1].notified_at"));
    }

    #[test]
    fn hour_based_oqtf_needs_a_time() {
        let e = err(
            r#"{"today":"2026-11-28","decisions":[{"kind":"oqtf","notified_at":"2026-03-10","restriction":"retention"}]}"#,
        );
        assert_eq!(e.field(), Some("decisions[0].notified_at"));
        assert!(e.to_string().contains("en heures"), "{e}");
        assert!(e.to_string().contains("counted in hours"), "{e}");
    }

    #[test]
    fn unknown_enum_value() {
        let e = err(r#"{"today":"2026-11-28","regime":"algerian"}"#);
        assert_eq!(e.field(), Some("regime"));
        assert!(e.to_string().contains("\"ceseda\", \"algerian_agreement\""), "{e}");
    }

    #[test]
    fn other_shapes() {
        assert!(matches!(err("[1,2]"), RulesError::NotAnObject { .. }));
        assert!(matches!(err("{"), RulesError::Json { .. }));
        assert_eq!(err(r#"{"today":"2026-1-28"}"#).field(), Some("today"));
        assert_eq!(err(r#"{"today":20261128}"#).field(), Some("today"));
        assert_eq!(err(r#"{"today":"2026-11-28","department":"20"}"#).field(), Some("department"));
        assert_eq!(err(r#"{"today":"2026-11-28","department":75}"#).field(), Some("department"));
        assert_eq!(
            err(r#"{"today":"2026-11-28","documents":[{"max_age_months":0}]}"#).field(),
            Some("documents[0].max_age_months")
        );
        assert_eq!(err(r#"{"today":"2026-11-28","decisions":[3]}"#).field(), Some("decisions[0]"));
        assert_eq!(
            err(r#"{"today":"2026-11-28","current_permit":{"on_anef":"yes"}}"#).field(),
            Some("current_permit.on_anef")
        );
    }
}

//! Validation of a catalog: every problem, with the file and the id to fix.
//!
//! The checks are deliberately exhaustive rather than fail-fast, so that a
//! maintainer fixes a catalog in one pass.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::model::{Conditions, DocumentItem, Freshness, Rate};
use super::overrides::{Contact, is_departement_code};
use super::problem::{MAX_EXPLAIN_CHARS, Problem, ProblemKind};
use super::{Catalog, REQUIRED_LANGUAGES};

pub(super) fn check(catalog: &Catalog) -> Vec<Problem> {
    let mut checker = Checker {
        catalog,
        out: catalog.load_problems.clone(),
    };
    checker.edition();
    checker.flags();
    checker.documents();
    checker.lists();
    checker.fees();
    checker.procedures();
    checker.translations();
    checker.overrides();
    let mut out = checker.out;
    // A stable sort: errors first, in file order within each severity.
    out.sort_by_key(|p| p.severity);
    out
}

struct Checker<'a> {
    catalog: &'a Catalog,
    out: Vec<Problem>,
}

/// Whether `id` is lowercase ASCII letters, digits and underscores,
/// starting with a letter.
fn is_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn show_period(from: Option<NaiveDate>, until: Option<NaiveDate>) -> String {
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    format!("{}..{}", show(from), show(until))
}

impl Checker<'_> {
    fn push(&mut self, file: &str, id: &str, kind: ProblemKind) {
        self.out.push(Problem::new(file, id, kind));
    }

    fn text(&mut self, file: &str, id: &str, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(
                file,
                id,
                ProblemKind::EmptyString {
                    field: field.to_owned(),
                },
            );
        }
    }

    fn optional_text(&mut self, file: &str, id: &str, field: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.text(file, id, field, value);
        }
    }

    fn id(&mut self, file: &str, what: &str, id: &str) {
        if !is_id(id) {
            self.push(
                file,
                id,
                ProblemKind::InvalidId {
                    what: what.to_owned(),
                },
            );
        }
    }

    fn conditions(&mut self, file: &str, id: &str, conditions: &Conditions) {
        for condition in &conditions.0 {
            if !self.catalog.flags.contains_key(&condition.flag) {
                self.push(
                    file,
                    id,
                    ProblemKind::UnknownFlag {
                        flag: condition.flag.clone(),
                    },
                );
            }
        }
    }

    fn freshness(&mut self, file: &str, id: &str, freshness: &Freshness) {
        let zero_months = freshness.max_age_months == Some(0) || freshness.last_months == Some(0);
        if freshness.rule_count() != 1 || zero_months {
            self.push(file, id, ProblemKind::InvalidFreshness);
        }
        self.text(file, id, "freshness.source", &freshness.source);
    }

    /// Checks each period's bounds, then that no two periods share a day.
    fn periods(
        &mut self,
        file: &str,
        id: &str,
        what: &str,
        periods: &[(NaiveDate, Option<NaiveDate>)],
    ) {
        for (from, until) in periods {
            if until.is_some_and(|u| u < *from) {
                self.push(
                    file,
                    id,
                    ProblemKind::InvalidDateRange {
                        what: what.to_owned(),
                    },
                );
            }
        }
        let mut sorted = periods.to_vec();
        sorted.sort();
        for pair in sorted.windows(2) {
            let (first, second) = (pair[0], pair[1]);
            if first.1.is_none_or(|until| until >= second.0) {
                self.push(
                    file,
                    id,
                    ProblemKind::OverlappingDates {
                        what: what.to_owned(),
                        first: show_period(Some(first.0), first.1),
                        second: show_period(Some(second.0), second.1),
                    },
                );
            }
        }
    }

    /// Checks the items of one list (a shared list, a procedure's own
    /// documents, or an override's extra documents).
    fn items(&mut self, file: &str, owner: &str, items: &[DocumentItem]) {
        let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, item) in items.iter().enumerate() {
            if !self.catalog.documents.contains_key(&item.document) {
                self.push(
                    file,
                    owner,
                    ProblemKind::DanglingDocument {
                        document: item.document.clone(),
                    },
                );
            }
            self.conditions(file, owner, &item.when);
            if item
                .from
                .zip(item.until)
                .is_some_and(|(from, until)| until < from)
            {
                self.push(
                    file,
                    owner,
                    ProblemKind::InvalidDateRange {
                        what: format!("documents ({})", item.document),
                    },
                );
            }
            if let Some(freshness) = &item.freshness {
                self.freshness(file, owner, freshness);
            }
            self.optional_text(file, owner, "source", item.source.as_ref());
            self.optional_text(file, owner, "alternative", item.alternative.as_ref());
            if let Some(group) = &item.alternative {
                *groups.entry(group.as_str()).or_default() += 1;
            }
            for earlier in &items[..index] {
                let same = earlier.document == item.document
                    && earlier.when == item.when
                    && earlier.channel == item.channel
                    && ranges_meet(earlier.from, earlier.until, item.from, item.until);
                if same {
                    self.push(
                        file,
                        owner,
                        ProblemKind::DuplicateId {
                            detail: format!("documents: {}", item.document),
                        },
                    );
                }
            }
        }
        for (group, count) in groups {
            if count == 1 {
                self.push(
                    file,
                    owner,
                    ProblemKind::LonelyAlternative {
                        group: group.to_owned(),
                    },
                );
            }
        }
    }

    fn contact(&mut self, file: &str, id: &str, contact: &Contact) {
        self.text(file, id, "contact.service", &contact.service);
        self.text(file, id, "contact.address", &contact.address);
        self.text(file, id, "contact.source", &contact.source);
        for (field, value) in [
            ("contact.email", &contact.email),
            ("contact.phone", &contact.phone),
            ("contact.hours", &contact.hours),
            ("contact.url", &contact.url),
        ] {
            self.optional_text(file, id, field, value.as_ref());
        }
    }

    fn edition(&mut self) {
        let version = self.catalog.edition.version.clone();
        self.text("catalog.toml", "version", "version", &version);
    }

    fn flags(&mut self) {
        for (id, flag) in &self.catalog.flags {
            self.id("catalog.toml", "flags", id);
            self.text("catalog.toml", id, "fr", &flag.fr);
            self.text("catalog.toml", id, "en", &flag.en);
        }
    }

    fn documents(&mut self) {
        for (id, document) in &self.catalog.documents {
            self.id("documents.toml", "documents", id);
            if let Some(freshness) = &document.freshness {
                self.freshness("documents.toml", id, freshness);
            }
        }
    }

    fn lists(&mut self) {
        let file = "lists.toml";
        for (id, list) in &self.catalog.lists {
            self.id(file, "lists", id);
            self.text(file, id, "source", &list.source);
            for include in &list.include {
                if !self.catalog.lists.contains_key(&include.list) {
                    self.push(
                        file,
                        id,
                        ProblemKind::DanglingList {
                            list: include.list.clone(),
                        },
                    );
                }
                self.conditions(file, id, &include.when);
            }
            if self.includes_itself(id) {
                self.push(file, id, ProblemKind::IncludeCycle);
            }
            self.items(file, id, &list.items);
        }
    }

    /// Whether list `start` includes itself, directly or through others.
    fn includes_itself(&self, start: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = vec![start];
        while let Some(name) = stack.pop() {
            let Some(list) = self.catalog.lists.get(name) else {
                continue;
            };
            for include in &list.include {
                if include.list == start {
                    return true;
                }
                if seen.insert(include.list.as_str()) {
                    stack.push(&include.list);
                }
            }
        }
        false
    }

    fn fees(&mut self) {
        let file = "fees.toml";
        for (id, fee) in &self.catalog.fees {
            self.id(file, "fees", id);
            self.text(file, id, "legal_basis", &fee.legal_basis);
            self.text(file, id, "label_fr", &fee.label_fr);
            self.text(file, id, "label_en", &fee.label_en);
            if fee.periods.is_empty() {
                self.push(file, id, ProblemKind::MissingPeriod);
            }
            for period in &fee.periods {
                self.text(file, id, "source", &period.source);
                let above = |part: Option<u32>| part.is_some_and(|p| p > period.amount_cents);
                if above(period.reduced_cents) || above(period.at_filing_cents) {
                    self.push(file, id, ProblemKind::InvalidAmount);
                }
            }
            let spans: Vec<_> = fee.periods.iter().map(|p| (p.from, p.until)).collect();
            self.periods(file, id, "fees", &spans);
        }
    }

    fn procedures(&mut self) {
        for (id, procedure) in &self.catalog.procedures {
            let file = procedure.file.as_str();
            self.id(file, "procedures", id);
            self.text(file, id, "source", &procedure.source);
            for include in &procedure.include {
                if !self.catalog.lists.contains_key(&include.list) {
                    self.push(
                        file,
                        id,
                        ProblemKind::DanglingList {
                            list: include.list.clone(),
                        },
                    );
                }
                self.conditions(file, id, &include.when);
            }
            if procedure.legal_bases.is_empty() {
                self.push(file, id, ProblemKind::MissingLegalBasis);
            }
            let mut articles = BTreeSet::new();
            for basis in &procedure.legal_bases {
                self.text(file, id, "legal_bases.article", &basis.article);
                self.optional_text(file, id, "legal_bases.source", basis.source.as_ref());
                if !articles.insert(basis.article.as_str()) {
                    self.push(
                        file,
                        id,
                        ProblemKind::DuplicateId {
                            detail: format!("legal_bases: {}", basis.article),
                        },
                    );
                }
            }
            if procedure.channels.is_empty() {
                self.push(file, id, ProblemKind::MissingChannel);
            }
            for channel in &procedure.channels {
                self.text(file, id, "channels.source", &channel.source);
            }
            let spans: Vec<_> = procedure
                .channels
                .iter()
                .map(|c| (c.from, c.until))
                .collect();
            self.periods(file, id, "channels", &spans);
            for (index, fee_ref) in procedure.fees.iter().enumerate() {
                self.conditions(file, id, &fee_ref.when);
                self.text(file, id, "fees.source", &fee_ref.source);
                match self.catalog.fees.get(&fee_ref.fee) {
                    None => self.push(
                        file,
                        id,
                        ProblemKind::DanglingFee {
                            fee: fee_ref.fee.clone(),
                        },
                    ),
                    Some(schedule) if fee_ref.rate == Rate::Reduced => {
                        for period in schedule
                            .periods
                            .iter()
                            .filter(|p| p.reduced_cents.is_none())
                        {
                            self.push(
                                file,
                                id,
                                ProblemKind::MissingReducedRate {
                                    fee: fee_ref.fee.clone(),
                                    from: period.from.to_string(),
                                },
                            );
                        }
                    }
                    Some(_) => {}
                }
                let twice = procedure.fees[..index]
                    .iter()
                    .any(|earlier| earlier.fee == fee_ref.fee && earlier.when == fee_ref.when);
                if twice {
                    self.push(
                        file,
                        id,
                        ProblemKind::DuplicateId {
                            detail: format!("fees: {}", fee_ref.fee),
                        },
                    );
                }
            }
            self.items(file, id, &procedure.documents);
            for note in &procedure.notes {
                self.text(file, id, "notes.fr", &note.fr);
                self.text(file, id, "notes.en", &note.en);
                self.text(file, id, "notes.source", &note.source);
            }
        }
    }

    fn translations(&mut self) {
        for lang in REQUIRED_LANGUAGES {
            let file = format!("i18n/{lang}.toml");
            let Some(translation) = self.catalog.translations.get(lang) else {
                self.push(
                    &file,
                    lang,
                    ProblemKind::MissingLanguage {
                        lang: lang.to_owned(),
                    },
                );
                continue;
            };
            for id in self.catalog.documents.keys() {
                let key = format!("documents.{id}");
                let text = translation.documents.get(id);
                let name = text.and_then(|t| t.name.as_deref()).unwrap_or("");
                let explain = text.and_then(|t| t.explain.as_deref()).unwrap_or("");
                for (field, value) in [("name", name), ("explain", explain)] {
                    if value.trim().is_empty() {
                        self.push(
                            &file,
                            &key,
                            ProblemKind::MissingTranslation {
                                lang: lang.to_owned(),
                                field: field.to_owned(),
                            },
                        );
                    }
                }
                let chars = explain.chars().count();
                if chars > MAX_EXPLAIN_CHARS {
                    self.push(
                        &file,
                        &key,
                        ProblemKind::ExplanationTooLong {
                            lang: lang.to_owned(),
                            chars,
                        },
                    );
                }
            }
            for id in self.catalog.procedures.keys() {
                let key = format!("procedures.{id}");
                let name = translation
                    .procedures
                    .get(id)
                    .and_then(|t| t.name.as_deref())
                    .unwrap_or("");
                if name.trim().is_empty() {
                    self.push(
                        &file,
                        &key,
                        ProblemKind::MissingTranslation {
                            lang: lang.to_owned(),
                            field: "name".to_owned(),
                        },
                    );
                }
            }
        }
        for (lang, translation) in &self.catalog.translations {
            let file = translation.file.as_str();
            if !REQUIRED_LANGUAGES.contains(&lang.as_str()) {
                self.push(
                    file,
                    lang,
                    ProblemKind::UnexpectedLanguage { lang: lang.clone() },
                );
            }
            let unknown_documents = translation
                .documents
                .keys()
                .filter(|id| !self.catalog.documents.contains_key(*id))
                .map(|id| format!("documents.{id}"));
            let unknown_procedures = translation
                .procedures
                .keys()
                .filter(|id| !self.catalog.procedures.contains_key(*id))
                .map(|id| format!("procedures.{id}"));
            let unknown: Vec<String> = unknown_documents.chain(unknown_procedures).collect();
            for key in unknown {
                self.push(
                    file,
                    &key,
                    ProblemKind::UnknownTranslationKey { lang: lang.clone() },
                );
            }
        }
    }

    fn overrides(&mut self) {
        let Some(overrides) = &self.catalog.overrides else {
            return;
        };
        let file = overrides.file.as_str();
        if let Some(code) = overrides
            .default
            .as_ref()
            .filter(|code| !is_departement_code(code))
        {
            self.push(
                file,
                "default",
                ProblemKind::InvalidDepartement { code: code.clone() },
            );
        }
        for (code, departement) in &overrides.departements {
            if !is_departement_code(code) {
                self.push(
                    file,
                    code,
                    ProblemKind::InvalidDepartement { code: code.clone() },
                );
            }
            self.optional_text(file, code, "name", departement.name.as_ref());
            if let Some(contact) = &departement.contact {
                self.contact(file, code, contact);
            }
            for (document, freshness) in &departement.freshness {
                let id = format!("{code}.freshness.{document}");
                if !self.catalog.documents.contains_key(document) {
                    self.push(
                        file,
                        &id,
                        ProblemKind::DanglingDocument {
                            document: document.clone(),
                        },
                    );
                }
                self.freshness(file, &id, freshness);
            }
            for (procedure, change) in &departement.procedures {
                let id = format!("{code}.{procedure}");
                if !self.catalog.procedures.contains_key(procedure) {
                    self.push(
                        file,
                        &id,
                        ProblemKind::DanglingProcedure {
                            procedure: procedure.clone(),
                        },
                    );
                }
                for channel in &change.channels {
                    self.text(file, &id, "channels.source", &channel.source);
                }
                let spans: Vec<_> = change.channels.iter().map(|c| (c.from, c.until)).collect();
                self.periods(file, &id, "channels", &spans);
                self.items(file, &id, &change.documents);
                if let Some(contact) = &change.contact {
                    self.contact(file, &id, contact);
                }
            }
        }
    }
}

/// Whether two optional periods share at least one day.
fn ranges_meet(
    from_a: Option<NaiveDate>,
    until_a: Option<NaiveDate>,
    from_b: Option<NaiveDate>,
    until_b: Option<NaiveDate>,
) -> bool {
    let starts_before_b_ends = match (from_a, until_b) {
        (Some(f), Some(u)) => f <= u,
        _ => true,
    };
    let b_starts_before_a_ends = match (from_b, until_a) {
        (Some(f), Some(u)) => f <= u,
        _ => true,
    };
    starts_before_b_ends && b_starts_before_a_ends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_snake_case() {
        assert!(is_id("proof_of_address"));
        assert!(is_id("l436_1"));
        assert!(!is_id("Proof"));
        assert!(!is_id("1st"));
        assert!(!is_id("a-b"));
        assert!(!is_id(""));
    }

    #[test]
    fn open_ranges_meet_everything() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert!(ranges_meet(None, None, d("2020-01-01"), None));
        assert!(ranges_meet(
            d("2020-01-01"),
            d("2020-12-31"),
            d("2020-12-31"),
            None
        ));
        assert!(!ranges_meet(
            d("2020-01-01"),
            d("2020-12-30"),
            d("2020-12-31"),
            None
        ));
    }
}

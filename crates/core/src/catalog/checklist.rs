//! The checklist of a procedure: the documents to bring on a given date,
//! under the applicant's situation flags, named and explained in French and
//! in the applicant's language, with the channel, fees, legal bases and
//! préfecture contact in force that day.
//!
//! A checklist is a pure function of the catalog, the procedure, the
//! language, the flags, the date and the département: no clock is read here.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::model::{
    Category, Channel, ChannelPeriod, Conditions, DocumentItem, Freshness, LanguageLevel,
    LegalBasis, Note, Payable, Procedure, Rate, Regime, Request, covers,
};
use super::overrides::{Contact, DepartementOverride, ProcedureOverride};
use super::{Catalog, CatalogError, SOURCE_LANGUAGE};

/// What to bring for one procedure, on one date.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub catalog_version: String,
    pub procedure: String,
    pub regime: Regime,
    pub request: Request,
    pub name_fr: String,
    /// The procedure's name in `lang`, or in French when missing.
    pub name: String,
    pub name_fallback: bool,
    pub lang: String,
    /// Whether an association has reviewed the translation in `lang`.
    pub reviewed: bool,
    /// The date the checklist applies on (filing date, usually today).
    pub on: NaiveDate,
    /// The département whose overrides were applied, if any.
    pub departement: Option<String>,
    /// The filing channel on that date; `None` if the catalog has none.
    pub channel: Option<ChannelPeriod>,
    /// Whether the channel comes from the association's overrides.
    pub channel_overridden: bool,
    /// Where to ask for the in-person alternative (R431-2), if known.
    pub contact: Option<Contact>,
    pub legal_bases: Vec<LegalBasis>,
    pub fees: Vec<FeeLine>,
    pub items: Vec<ChecklistItem>,
    pub notes: Vec<Note>,
    /// The flags the checklist was computed with.
    pub flags: BTreeMap<String, bool>,
    /// Flags given by the caller that the catalog does not declare; they
    /// changed nothing.
    pub unknown_flags: Vec<String>,
    /// Whether every rule used (channel, legal bases, fees, items) is
    /// verified in a primary text.
    pub all_verified: bool,
}

/// One document of a checklist.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    /// The document id.
    pub id: String,
    pub category: Category,
    pub name_fr: String,
    pub explain_fr: String,
    /// The name in the checklist's language, or in French when missing.
    pub name: String,
    /// The explanation in the checklist's language, or in French when missing.
    pub explain: String,
    /// Whether `name` or `explain` fell back to French.
    pub fallback: bool,
    /// When the document becomes stale, if it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Freshness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LanguageLevel>,
    /// Items sharing a group are alternatives: one of them is enough.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// The conditions that made the item apply.
    #[serde(skip_serializing_if = "Conditions::is_empty")]
    pub when: Conditions,
    pub source: String,
    pub verified: bool,
    pub origin: ItemOrigin,
}

/// Where a checklist item comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemOrigin {
    /// A shared list of `lists.toml`.
    List { list: String },
    /// The procedure's own documents.
    Procedure,
    /// The association's overrides for a département.
    Override { departement: String },
}

/// One fee owed on the checklist's date.
#[derive(Debug, Clone, Serialize)]
pub struct FeeLine {
    pub fee: String,
    pub label_fr: String,
    pub label_en: String,
    pub legal_basis: String,
    pub payable: Payable,
    pub rate: Rate,
    pub amount_cents: u32,
    /// The part paid at filing, the rest at delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_filing_cents: Option<u32>,
    /// The period of the schedule in force on the checklist's date.
    pub from: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// Where the amount comes from.
    pub source: String,
    /// Why the procedure owes this fee.
    pub reason: String,
    /// Whether both the amount and the reason are verified.
    pub verified: bool,
}

/// One line of the procedure list.
#[derive(Debug, Clone, Serialize)]
pub struct ProcedureSummary {
    pub id: String,
    pub regime: Regime,
    pub request: Request,
    pub name_fr: String,
    pub name: String,
    pub fallback: bool,
    pub channel: Option<Channel>,
}

/// A candidate item with the source and verification it inherits.
struct Candidate<'a> {
    item: &'a DocumentItem,
    when: Conditions,
    source: &'a str,
    verified: bool,
    origin: ItemOrigin,
}

impl Catalog {
    /// The checklist of `procedure` on `on`, under `flags`, in `lang`, with
    /// the overrides of the default département (see
    /// [`super::Overrides::default_departement`]) if overrides are loaded.
    pub fn checklist(
        &self,
        procedure: &str,
        lang: &str,
        flags: &BTreeMap<String, bool>,
        on: NaiveDate,
    ) -> Result<Checklist, CatalogError> {
        let departement = self
            .overrides
            .as_ref()
            .and_then(|o| o.default_departement())
            .map(str::to_owned);
        self.checklist_for(procedure, lang, flags, on, departement.as_deref())
    }

    /// The checklist with the overrides of `departement` (none if `None` or
    /// if the association has no overrides for it).
    pub fn checklist_for(
        &self,
        procedure_id: &str,
        lang: &str,
        flags: &BTreeMap<String, bool>,
        on: NaiveDate,
        departement: Option<&str>,
    ) -> Result<Checklist, CatalogError> {
        let procedure =
            self.procedures
                .get(procedure_id)
                .ok_or_else(|| CatalogError::UnknownProcedure {
                    id: procedure_id.to_owned(),
                })?;
        let lang = self.language(lang)?;
        let local = departement.and_then(|code| {
            let overrides = self.overrides.as_ref()?;
            overrides.departements.get(code).map(|d| (code, d))
        });
        let local_procedure = local.and_then(|(_, d)| d.procedures.get(procedure_id));

        let (channel, channel_overridden) = channel_on(procedure, local_procedure, on);
        let contact = local_procedure
            .and_then(|p| p.contact.clone())
            .or_else(|| local.and_then(|(_, d)| d.contact.clone()));

        let items = self.items(
            procedure,
            local,
            flags,
            on,
            channel.as_ref().map(|c| c.channel),
            &lang,
        );
        let fees = self.fee_lines(procedure, flags, on);
        let (name_fr, name, name_fallback) = self.procedure_name(procedure_id, &lang);
        let legal_bases = procedure.legal_bases.clone();
        let all_verified = channel.as_ref().is_some_and(|c| c.verified)
            && legal_bases.iter().all(|b| b.verified)
            && fees.iter().all(|f| f.verified)
            && items.iter().all(|i| i.verified);

        Ok(Checklist {
            catalog_version: self.edition.version.clone(),
            procedure: procedure_id.to_owned(),
            regime: procedure.regime,
            request: procedure.request,
            name_fr,
            name,
            name_fallback,
            reviewed: self.translations.get(&lang).is_some_and(|t| t.reviewed),
            lang,
            on,
            departement: local.map(|(code, _)| code.to_owned()),
            channel,
            channel_overridden,
            contact,
            legal_bases,
            fees,
            items,
            notes: procedure.notes.clone(),
            flags: flags.clone(),
            unknown_flags: flags
                .keys()
                .filter(|f| !self.flags.contains_key(*f))
                .cloned()
                .collect(),
            all_verified,
        })
    }

    /// Every procedure, with its name in `lang` and its channel on `on`
    /// (the default département's overrides included).
    pub fn summaries(
        &self,
        lang: &str,
        on: NaiveDate,
    ) -> Result<Vec<ProcedureSummary>, CatalogError> {
        let lang = self.language(lang)?;
        let local = self.overrides.as_ref().and_then(|o| {
            let code = o.default_departement()?;
            o.departements.get(code)
        });
        Ok(self
            .procedures
            .values()
            .map(|procedure| {
                let local_procedure = local.and_then(|d| d.procedures.get(&procedure.id));
                let (name_fr, name, fallback) = self.procedure_name(&procedure.id, &lang);
                ProcedureSummary {
                    id: procedure.id.clone(),
                    regime: procedure.regime,
                    request: procedure.request,
                    name_fr,
                    name,
                    fallback,
                    channel: channel_on(procedure, local_procedure, on)
                        .0
                        .map(|c| c.channel),
                }
            })
            .collect())
    }

    fn procedure_name(&self, id: &str, lang: &str) -> (String, String, bool) {
        let name_in = |l: &str| {
            self.translations
                .get(l)
                .and_then(|t| t.procedures.get(id))
                .and_then(|t| t.name.clone())
                .filter(|n| !n.trim().is_empty())
        };
        let name_fr = name_in(SOURCE_LANGUAGE).unwrap_or_else(|| id.to_owned());
        match name_in(lang) {
            Some(name) => (name_fr, name, false),
            None => (name_fr.clone(), name_fr, lang != SOURCE_LANGUAGE),
        }
    }

    /// The name and explanation of a document in French and in `lang`, and
    /// whether `lang` fell back to French.
    fn document_text(&self, id: &str, lang: &str) -> (String, String, String, String, bool) {
        let text_in = |l: &str| self.translations.get(l).and_then(|t| t.documents.get(id));
        let pick = |value: Option<&String>| value.filter(|v| !v.trim().is_empty()).cloned();
        let fr = text_in(SOURCE_LANGUAGE);
        let name_fr = pick(fr.and_then(|t| t.name.as_ref())).unwrap_or_else(|| id.to_owned());
        let explain_fr = pick(fr.and_then(|t| t.explain.as_ref())).unwrap_or_default();
        let local = text_in(lang);
        let name = pick(local.and_then(|t| t.name.as_ref()));
        let explain = pick(local.and_then(|t| t.explain.as_ref()));
        let fallback = lang != SOURCE_LANGUAGE && (name.is_none() || explain.is_none());
        (
            name_fr.clone(),
            explain_fr.clone(),
            name.unwrap_or(name_fr),
            explain.unwrap_or(explain_fr),
            fallback,
        )
    }

    /// Flattens a shared list and the lists it includes, adding `when` to
    /// every item.
    ///
    /// `trusted` is false when an unverified list includes this one: the
    /// included items may be verified on their own, but their use in the
    /// including list's context is not, so they are shown unverified.
    /// `depth` guards against include loops, which `check` refuses anyway.
    fn collect_list<'a>(
        &'a self,
        name: &str,
        when: &Conditions,
        trusted: bool,
        out: &mut Vec<Candidate<'a>>,
        depth: usize,
    ) {
        let Some(list) = self.lists.get(name) else {
            return;
        };
        if depth > self.lists.len() {
            return;
        }
        for include in &list.include {
            let nested_trust = trusted && list.verified;
            self.collect_list(
                &include.list,
                &when.and(&include.when),
                nested_trust,
                out,
                depth + 1,
            );
        }
        for item in &list.items {
            out.push(Candidate {
                item,
                when: when.and(&item.when),
                source: item.source.as_deref().unwrap_or(&list.source),
                verified: trusted && item.verified.unwrap_or(list.verified),
                origin: ItemOrigin::List {
                    list: name.to_owned(),
                },
            });
        }
    }

    fn items(
        &self,
        procedure: &Procedure,
        local: Option<(&str, &DepartementOverride)>,
        flags: &BTreeMap<String, bool>,
        on: NaiveDate,
        channel: Option<Channel>,
        lang: &str,
    ) -> Vec<ChecklistItem> {
        let mut candidates = Vec::new();
        for include in &procedure.include {
            self.collect_list(&include.list, &include.when, true, &mut candidates, 0);
        }
        for item in &procedure.documents {
            candidates.push(Candidate {
                item,
                when: item.when.clone(),
                source: item.source.as_deref().unwrap_or(&procedure.source),
                verified: item.verified.unwrap_or(procedure.verified),
                origin: ItemOrigin::Procedure,
            });
        }
        let local_source;
        if let Some((code, departement)) = local {
            local_source =
                format!("Consigne locale de la préfecture (overrides, département {code})");
            if let Some(change) = departement.procedures.get(&procedure.id) {
                for item in &change.documents {
                    candidates.push(Candidate {
                        item,
                        when: item.when.clone(),
                        source: item.source.as_deref().unwrap_or(&local_source),
                        verified: item.verified.unwrap_or(false),
                        origin: ItemOrigin::Override {
                            departement: code.to_owned(),
                        },
                    });
                }
            }
        }

        // A later candidate for the same document is more specific (a
        // procedure's own line after a shared list, an override last): it
        // replaces the earlier one in place, keeping the list's order.
        let mut items: Vec<ChecklistItem> = Vec::new();
        for candidate in candidates {
            let item = candidate.item;
            let on_channel = match (item.channel, channel) {
                (Some(wanted), Some(actual)) => wanted == actual,
                _ => true,
            };
            if !item.in_force(on) || !candidate.when.hold(flags) || !on_channel {
                continue;
            }
            let Some(document) = self.documents.get(&item.document) else {
                continue;
            };
            let local_freshness = local.and_then(|(_, d)| d.freshness.get(&item.document));
            let (name_fr, explain_fr, name, explain, fallback) =
                self.document_text(&item.document, lang);
            let line = ChecklistItem {
                id: item.document.clone(),
                category: document.category,
                name_fr,
                explain_fr,
                name,
                explain,
                fallback,
                freshness: local_freshness
                    .or(item.freshness.as_ref())
                    .or(document.freshness.as_ref())
                    .cloned(),
                level: item.level,
                alternative: item.alternative.clone(),
                when: candidate.when,
                source: candidate.source.to_owned(),
                verified: candidate.verified,
                origin: candidate.origin,
            };
            match items.iter_mut().find(|existing| existing.id == line.id) {
                Some(existing) => *existing = line,
                None => items.push(line),
            }
        }
        items
    }

    fn fee_lines(
        &self,
        procedure: &Procedure,
        flags: &BTreeMap<String, bool>,
        on: NaiveDate,
    ) -> Vec<FeeLine> {
        let mut lines = Vec::new();
        for fee_ref in procedure.fees.iter().filter(|f| f.when.hold(flags)) {
            let Some(schedule) = self.fees.get(&fee_ref.fee) else {
                continue;
            };
            let Some(period) = schedule
                .periods
                .iter()
                .find(|p| covers(Some(p.from), p.until, on))
            else {
                continue;
            };
            let amount_cents = match fee_ref.rate {
                Rate::Full => period.amount_cents,
                Rate::Reduced => period.reduced_cents.unwrap_or(period.amount_cents),
            };
            lines.push(FeeLine {
                fee: fee_ref.fee.clone(),
                label_fr: schedule.label_fr.clone(),
                label_en: schedule.label_en.clone(),
                legal_basis: schedule.legal_basis.clone(),
                payable: schedule.payable,
                rate: fee_ref.rate,
                amount_cents,
                at_filing_cents: period.at_filing_cents,
                from: period.from,
                until: period.until,
                source: period.source.clone(),
                reason: fee_ref.source.clone(),
                verified: period.verified && fee_ref.verified,
            });
        }
        lines
    }
}

/// The channel in force on `on`: the association's override if one covers
/// that day, else the catalog's. The flag says which.
fn channel_on(
    procedure: &Procedure,
    local: Option<&ProcedureOverride>,
    on: NaiveDate,
) -> (Option<ChannelPeriod>, bool) {
    let find = |periods: &[ChannelPeriod]| {
        periods
            .iter()
            .find(|c| covers(Some(c.from), c.until, on))
            .cloned()
    };
    if let Some(period) = local.and_then(|l| find(&l.channels)) {
        return (Some(period), true);
    }
    (find(&procedure.channels), false)
}

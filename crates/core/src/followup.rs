//! Following cases: what is due, what is missing.
//!
//! This module joins the three sources of truth: the vault (what the
//! volunteer recorded), the catalog (what each procedure requires) and the
//! rules engine (what the law makes due when). The desktop's Today screen,
//! a case's checklist and `sesame case deadlines` all come from here.

use crate::catalog::{Catalog, CatalogError, Checklist, ChecklistItem};
use crate::domain::{Applicant, Case, CaseStatus, DocStatus, DocumentItem, Id, IdMap};
use crate::rules::{self, Deadline, DeadlineId, Facts, Kind, RulesError};
use crate::vault::{DocumentBrief, KnownIds, Vault, VaultError};
use chrono::NaiveDate;
use serde::Serialize;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::collections::BTreeMap;

/// Following a case failed.
#[derive(Debug, thiserror::Error)]
pub enum FollowupError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Facts stored before validation existed, or by a newer Sésame.
    #[error("{0} (dossier / case: `sesame case facts`)")]
    Facts(RulesError),
}

impl KnownIds for Catalog {
    fn has_procedure(&self, id: &str) -> bool {
        self.procedure(id).is_some()
    }
    fn has_document(&self, id: &str) -> bool {
        self.documents().contains_key(id)
    }
}

/// The flags (checklist conditions) stored in a case's facts.
pub fn case_flags(case: &Case) -> BTreeMap<String, bool> {
    case.facts
        .get("flags")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_bool().map(|b| (k.clone(), b))).collect())
        .unwrap_or_default()
}

/// The rules engine's facts for a case on `today`: the facts the volunteer
/// recorded, completed with what the vault and the catalog know (procedure,
/// request kind, département, birth date, the issue dates and freshness
/// rules of the documents received).
pub fn case_facts(vault: &Vault, catalog: &Catalog, case: &Case, today: NaiveDate) -> Result<Facts, FollowupError> {
    let needs = |k: &str| case.facts.get(k).is_none();
    let birth = if needs("birth_date") { vault.applicant(case.applicant_id)?.birth_date } else { None };
    let docs: Vec<DocumentBrief> =
        if needs("documents") { vault.documents(case.id)?.iter().map(DocumentBrief::from).collect() } else { Vec::new() };
    let checklist = if needs("documents") { checklist_of(catalog, case, "fr", today).ok() } else { None };
    let kinds = ProcedureKinds::of(catalog, &case.procedure);
    facts_from_parts(case, today, birth, &docs, checklist.as_ref(), &kinds)
}

/// The checklist the catalog gives for a case on `today`, in `lang`.
fn checklist_of(catalog: &Catalog, case: &Case, lang: &str, today: NaiveDate) -> Result<Checklist, CatalogError> {
    catalog.checklist_for(&case.procedure, lang, &case_flags(case), today, case.department.as_deref())
}

/// What the catalog says a procedure is, in the rules engine's words.
#[derive(Debug, Default)]
struct ProcedureKinds {
    /// The request kind; none for naturalisation, which has no deadline rule.
    request: Option<String>,
    regime: Option<String>,
}

impl ProcedureKinds {
    fn of(catalog: &Catalog, procedure: &str) -> Self {
        let Some(p) = catalog.procedure(procedure) else { return Self::default() };
        let name = |v: serde_json::Result<Value>| v.ok().and_then(|v| v.as_str().map(str::to_owned));
        Self {
            request: name(serde_json::to_value(p.request)).filter(|r| r != "naturalisation"),
            regime: name(serde_json::to_value(p.regime)),
        }
    }
}

/// [`case_facts`] from parts already read: the agenda reads them once for
/// every case instead of once per case.
fn facts_from_parts(
    case: &Case,
    today: NaiveDate,
    birth_date: Option<NaiveDate>,
    docs: &[DocumentBrief],
    checklist: Option<&Checklist>,
    kinds: &ProcedureKinds,
) -> Result<Facts, FollowupError> {
    // The documents received, with the freshness their checklist line sets
    // (only needed when the facts do not list documents themselves).
    let documents = match (case.facts.get("documents"), checklist) {
        (None, Some(checklist)) => docs
            .iter()
            .filter(|d| matches!(d.status, DocStatus::Received | DocStatus::Verified))
            .filter_map(|d| {
                let months = checklist
                    .items
                    .iter()
                    .filter(|i| i.id == d.doc_type)
                    .filter_map(|i| i.freshness.as_ref()?.max_age_months)
                    .last()?;
                Some(rules::Document { id: Some(d.doc_type.clone()), issued_on: Some(d.issued_on?), max_age_months: Some(months) })
            })
            .collect(),
        _ => Vec::new(),
    };
    let known = rules::Known {
        today,
        procedure: &case.procedure,
        request: kinds.request.as_deref(),
        regime: kinds.regime.as_deref(),
        department: case.department.as_deref(),
        birth_date,
        documents,
    };
    rules::facts_for_case(&case.facts, known).map_err(FollowupError::Facts)
}

/// Every computed deadline and alert of a case on `today`.
pub fn case_deadlines(vault: &Vault, catalog: &Catalog, case: &Case, today: NaiveDate) -> Result<Vec<Deadline>, FollowupError> {
    Ok(rules::compute(&case_facts(vault, catalog, case, today)?))
}

/// One line of a case's checklist: what the catalog requires, and where the
/// volunteer has got to with it.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistLine {
    pub item: ChecklistItem,
    /// The recorded status; `missing` when nothing was recorded yet.
    pub status: DocStatus,
    pub record: Option<DocumentItem>,
}

/// A case's checklist in `lang` on `today`, merged with recorded statuses.
/// Documents recorded but no longer required (the flags changed) are kept
/// at the end, so nothing the volunteer entered disappears.
pub fn case_checklist(
    vault: &Vault,
    catalog: &Catalog,
    case: &Case,
    lang: &str,
    today: NaiveDate,
) -> Result<(crate::catalog::Checklist, Vec<ChecklistLine>, Vec<DocumentItem>), FollowupError> {
    let checklist = checklist_of(catalog, case, lang, today)?;
    let (lines, extra) = merge_checklist(&checklist, vault.documents(case.id)?);
    Ok((checklist, lines, extra))
}

/// The catalog's checklist lines with the recorded statuses; the records
/// that match no line come back apart.
fn merge_checklist(checklist: &Checklist, records: Vec<DocumentItem>) -> (Vec<ChecklistLine>, Vec<DocumentItem>) {
    let mut records: BTreeMap<String, DocumentItem> = records.into_iter().map(|d| (d.doc_type.clone(), d)).collect();
    let lines = checklist
        .items
        .iter()
        .map(|item| {
            let record = records.remove(&item.id);
            ChecklistLine { item: item.clone(), status: record.as_ref().map_or(DocStatus::Missing, |r| r.status), record }
        })
        .collect();
    (lines, records.into_values().collect())
}

/// How soon something needs action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// The date has passed, or the alert holds today (a proof-of-stay gap).
    Now,
    /// Within the horizon.
    Soon,
}

/// One line of the Today screen.
#[derive(Debug, Clone, Serialize)]
pub struct AgendaItem {
    pub urgency: Urgency,
    pub due: NaiveDate,
    pub case_id: Id,
    pub applicant_id: Id,
    /// Initials only: the line may be seen by others over a shoulder or in a notification.
    pub initials: String,
    pub procedure: String,
    pub what: AgendaWhat,
}

/// What the agenda line is about.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgendaWhat {
    /// A deadline or alert computed by the rules engine.
    Rule { deadline: Deadline },
    /// A deadline entered by hand.
    Manual { id: Id, title: String },
    /// Documents still missing, requested or stale.
    Documents { missing: usize, stale: usize },
}

/// Initials of an applicant, in their own script (never the full name).
pub fn initials(a: &Applicant) -> String {
    crate::domain::initials(&a.given_name, &a.family_name)
}

/// Everything that needs action across open cases, most urgent first:
/// overdue and coming deadlines within `horizon_days`, alerts that hold
/// today (proof-of-stay gap, renewal window open, API expiring, stale
/// documents…), manual deadlines, and cases with missing documents.
pub fn agenda(vault: &Vault, catalog: &Catalog, today: NaiveDate, horizon_days: u32) -> Result<Vec<AgendaItem>, FollowupError> {
    let horizon = today + chrono::Days::new(u64::from(horizon_days));
    // Everything is read once, up front: a vault of 10,000 applicants has
    // some 15,000 cases and 150,000 document records, and a query per case
    // would dominate start-up. Reading is most of the work, so a second
    // connection reads the later two thirds of the documents meanwhile
    // (this one reads applicants, cases and deadlines too). The two read
    // apart: a write committed in between shows at the next agenda, which
    // a write always brings (see `Vault::generation`).
    let end = vault.document_rows_end()?;
    let split = end / 3;
    let other = (end > 3_000).then(|| vault.reopen()).transpose()?;
    let (people, mut documents, manual, cases, rest) = std::thread::scope(|s| {
        // The ranges are open at both ends: a row written since `end` was
        // read is still read.
        let rest = other.map(|other| s.spawn(move || other.document_briefs_by_case(split + 1..=i64::MAX)));
        let mine = (|| {
            let documents = vault.document_briefs_by_case(i64::MIN..=if rest.is_some() { split } else { i64::MAX })?;
            let people = vault.applicant_briefs()?;
            let manual = vault.pending_deadlines_by_case(horizon)?;
            let cases: Vec<Case> = vault.cases(None)?.into_iter().filter(|c| !matches!(c.status, CaseStatus::Closed)).collect();
            Ok::<_, VaultError>((people, documents, manual, cases))
        })();
        let rest = rest.map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        mine.map(|(people, documents, manual, cases)| (people, documents, manual, cases, rest))
    })?;
    for (case, docs) in rest.transpose()?.into_iter().flatten() {
        documents.entry(case).or_default().extend(docs);
    }
    for docs in documents.values_mut() {
        docs.sort_unstable_by_key(|d| d.id);
    }
    let parts = AgendaParts {
        catalog,
        today,
        horizon,
        past_limit: today - chrono::Days::new(u64::from(horizon_days)),
        people,
        documents,
        manual,
    };
    // The rules run per case, with nothing shared but what was read: on
    // two cores, each takes half of the cases (in order, so the result is
    // the same as one pass). A small vault is not worth a thread.
    let out = if cases.len() >= 200 {
        let (first, second) = cases.split_at(cases.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| parts.lines(second));
            let mut out = parts.lines(first);
            // A panic in the other half is a bug: propagate it as one.
            out.extend(other.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            out
        })
    } else {
        parts.lines(&cases)
    };
    // Everything read is freed on another thread: some 200,000 small
    // allocations take a few tens of milliseconds to free, which Today
    // need not wait for.
    let AgendaParts { people, documents, manual, .. } = parts;
    std::thread::spawn(move || drop((people, documents, manual, cases)));
    Ok(most_urgent_first(out))
}

/// The lines sorted by urgency, rank and due date, lines that tie keeping
/// their order. The lines are large: their keys are sorted, then each line
/// moves once.
fn most_urgent_first(lines: Vec<AgendaItem>) -> Vec<AgendaItem> {
    let mut keys: Vec<_> = lines.iter().enumerate().map(|(n, i)| (i.urgency, i.rank(), i.due, n)).collect();
    keys.sort_unstable();
    let mut lines: Vec<Option<AgendaItem>> = lines.into_iter().map(Some).collect();
    keys.into_iter().filter_map(|(.., n)| lines[n].take()).collect()
}

/// What [`agenda`] read from the vault, shared by the threads that turn
/// cases into lines.
struct AgendaParts<'a> {
    catalog: &'a Catalog,
    today: NaiveDate,
    horizon: NaiveDate,
    past_limit: NaiveDate,
    people: IdMap<crate::vault::ApplicantBrief>,
    documents: IdMap<Vec<DocumentBrief>>,
    manual: IdMap<Vec<crate::domain::Deadline>>,
}

impl AgendaParts<'_> {
    /// The agenda lines of `cases`, in their order (unsorted).
    fn lines(&self, cases: &[Case]) -> Vec<AgendaItem> {
        let (catalog, today, horizon, past_limit) = (self.catalog, self.today, self.horizon, self.past_limit);
        // Checklists depend on the procedure, flags and département only (all
        // computed on `today`): a few dozen distinct ones for thousands of cases.
        type Flags<'c> = Vec<(&'c str, bool)>;
        let mut checklists: FxHashMap<(&str, Flags<'_>, Option<&str>), Option<Checklist>> = FxHashMap::default();
        let mut kinds: FxHashMap<&str, ProcedureKinds> = FxHashMap::default();
        let mut out = Vec::new();
        for case in cases {
            let Some(person) = self.people.get(&case.applicant_id) else { continue };
            let docs: &[DocumentBrief] = self.documents.get(&case.id).map_or(&[], Vec::as_slice);
            // The flags as `case_flags` reads them, borrowed (most cases have none).
            let flags: Flags<'_> = case
                .facts
                .get("flags")
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_bool()?))).collect())
                .unwrap_or_default();
            let key = (case.procedure.as_str(), flags, case.department.as_deref());
            let checklist = checklists.entry(key).or_insert_with(|| checklist_of(catalog, case, "fr", today).ok()).as_ref();
            let kinds = kinds.entry(case.procedure.as_str()).or_insert_with(|| ProcedureKinds::of(catalog, &case.procedure));
            let line = |urgency, due, what| AgendaItem {
                urgency,
                due,
                case_id: case.id,
                applicant_id: case.applicant_id,
                initials: person.initials.clone(),
                procedure: case.procedure.clone(),
                what,
            };
            // A case whose stored facts are broken still shows its documents and
            // manual deadlines; its computed deadlines are skipped, and the case
            // screen says why.
            if let Ok(facts) = facts_from_parts(case, today, person.birth_date, docs, checklist, kinds) {
                for d in rules::compute(&facts) {
                    let due = d.due.date();
                    let urgency = if d.kind == Kind::Alert {
                        Urgency::Now
                    } else if due < today {
                        // A past deadline is overdue for `horizon_days`, then it is
                        // history (shown on the case, not on Today). A window that
                        // opened in the past is no action at all.
                        if d.id == DeadlineId::RenewalWindowOpens || due < past_limit {
                            continue;
                        }
                        Urgency::Now
                    } else if due <= horizon {
                        Urgency::Soon
                    } else {
                        continue;
                    };
                    out.push(line(urgency, due, AgendaWhat::Rule { deadline: d }));
                }
            }
            for d in self.manual.get(&case.id).map_or(&[][..], Vec::as_slice) {
                let urgency = if d.due < today { Urgency::Now } else { Urgency::Soon };
                out.push(line(urgency, d.due, AgendaWhat::Manual { id: d.id, title: d.title.clone() }));
            }
            if matches!(case.status, CaseStatus::Preparing | CaseStatus::Incomplete)
                && let Some(checklist) = checklist
            {
                // Counted in place: cloning every checklist line of thousands of
                // cases costs more than the rest of the agenda.
                // A case has a handful of records: a scan beats a map. The
                // last record of a type counts, as on the case screen.
                let status = |id: &str| docs.iter().rev().find(|d| d.doc_type == id).map_or(DocStatus::Missing, |d| d.status);
                let missing = checklist.items.iter().filter(|i| matches!(status(&i.id), DocStatus::Missing | DocStatus::Requested)).count();
                let stale = checklist.items.iter().filter(|i| status(&i.id) == DocStatus::Stale).count();
                if missing + stale > 0 {
                    out.push(line(Urgency::Soon, today, AgendaWhat::Documents { missing, stale }));
                }
            }
        }
        out
    }
}

impl AgendaItem {
    /// Within the same urgency, a person without proof of lawful stay comes
    /// first: that is the *rupture de droits* that costs a job and housing.
    fn rank(&self) -> u8 {
        match &self.what {
            AgendaWhat::Rule { deadline } if deadline.id == DeadlineId::ProofOfStayGap => 0,
            AgendaWhat::Rule { deadline } if deadline.id == DeadlineId::OqtfAppeal => 0,
            _ => 1,
        }
    }
}

//! Letters in French, drafted from the case, its incidents and the
//! association's settings, edited by the volunteer, then typeset.
//!
//! A letter is first plain text ([`draft_letter`]): the desktop shows it in
//! an editor and the CLI prints it (`--text`), because every situation has
//! details no template knows. The PDF is made from the text as edited
//! ([`letter_pdf`]), with the evidence the draft lists appended as pages
//! (screenshots of ANEF failures; for the référé bundle, the documents too).
//!
//! The four letters (DOMAIN.md §6):
//! - [`LetterKind::InPersonAlternative`]: to the préfecture, asking for the
//!   in-person alternative of CESEDA R431-2 (décret n° 2023-191), citing
//!   CE, Section, 3 juin 2022, n° 452798, the dated incidents annexed;
//! - [`LetterKind::ApiRequest`]: asking for the issue or renewal of an
//!   attestation de prolongation d'instruction (R431-15-1);
//! - [`LetterKind::DefenseurDesDroits`]: a complaint (saisine) to the
//!   Défenseur des droits;
//! - [`LetterKind::RefereBundle`]: the evidence bundle for a référé
//!   « mesures utiles » (CJA L521-3): chronology of attempts, flagging
//!   whether they span more than one week (CE, 10 juin 2020, n° 435594),
//!   and every piece listed and attached. The request to the judge itself
//!   is written by the lawyer or the association; this is its annex.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use chrono_tz::Europe::Paris;
use serde::Serialize;
use serde_json::{Value, json};
use std::str::FromStr;

use super::checklist::display_name;
use super::engine::{FAMILIES, Job, LETTER_TEMPLATE, Rendered};
use super::{PrintContext, PrintError, date_fr, date_long_fr};
use crate::catalog::Catalog;
use crate::domain::{Applicant, Case, Id, Incident, JournalEntry};
use crate::vault::Vault;
use crate::vault::attachments::Attachment;

/// Which letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    InPersonAlternative,
    ApiRequest,
    DefenseurDesDroits,
    RefereBundle,
}

impl LetterKind {
    pub const ALL: [LetterKind; 4] =
        [Self::InPersonAlternative, Self::ApiRequest, Self::DefenseurDesDroits, Self::RefereBundle];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InPersonAlternative => "in_person_alternative",
            Self::ApiRequest => "api_request",
            Self::DefenseurDesDroits => "defenseur_des_droits",
            Self::RefereBundle => "refere_bundle",
        }
    }

    /// A title without personal data (PDF metadata, file name suggestion).
    pub fn title(self) -> &'static str {
        match self {
            Self::InPersonAlternative => "Demande de solution de substitution au téléservice ANEF (R431-2 CESEDA)",
            Self::ApiRequest => "Demande d'attestation de prolongation d'instruction (R431-15-1 CESEDA)",
            Self::DefenseurDesDroits => "Saisine du Défenseur des droits",
            Self::RefereBundle => "Dossier de pièces — référé mesures utiles (L521-3 CJA)",
        }
    }
}

impl FromStr for LetterKind {
    type Err = PrintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| PrintError::UnknownLetter(s.to_owned()))
    }
}

/// How the recorded attempts are spread in time: the référé judge looks
/// for repeated attempts, not all in the same week (CE, 10 juin 2020,
/// n° 435594).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptSpan {
    pub attempts: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Days from the first attempt to the last.
    pub days: i64,
    /// Distinct calendar weeks (ISO, Paris time) with at least one attempt.
    pub distinct_weeks: usize,
    /// True when the attempts span more than one week: the last is at
    /// least 7 days after the first.
    pub more_than_one_week: bool,
}

/// A piece of evidence appended to the letter's PDF, one page or more.
#[derive(Debug, Clone, Serialize)]
pub struct Appendix {
    pub attachment_id: Id,
    /// Printed above the page: "Pièce 3 — capture d'écran, incident du …".
    pub caption: String,
}

/// A letter as editable text, with what its PDF will append.
#[derive(Debug, Clone, Serialize)]
pub struct LetterDraft {
    pub kind: LetterKind,
    pub case_id: Id,
    /// No personal data: for the PDF's metadata and a file name.
    pub title: String,
    /// The letter, plain text: paragraphs separated by a blank line. The
    /// volunteer edits it; [`letter_pdf`] prints it as it is then.
    pub text: String,
    /// Evidence appended to the PDF, in order.
    pub appendices: Vec<Appendix>,
    /// What the volunteer should check before sending; not printed.
    pub to_check: Vec<String>,
    /// For the référé bundle (and shown for the others): how the attempts
    /// are spread in time. `None` when no incident is recorded.
    pub span: Option<AttemptSpan>,
}

/// Everything a letter is drafted from.
struct Sources<'a> {
    applicant: Applicant,
    case: Case,
    incidents: Vec<Incident>,
    journal: Vec<JournalEntry>,
    attachments: Vec<Attachment>,
    procedure_fr: String,
    legal_bases: Vec<String>,
    contact: Option<crate::catalog::Contact>,
    /// The procedure's request kind (`renewal`, `first`…), as in the catalog.
    procedure_request: String,
    /// Catalog document ids and their French names.
    document_names: Vec<(String, String)>,
    ctx: &'a PrintContext,
}

fn paris(at: DateTime<FixedOffset>) -> chrono::DateTime<chrono_tz::Tz> {
    at.with_timezone(&Paris)
}

fn when(at: DateTime<FixedOffset>) -> String {
    let local = paris(at);
    format!("{} à {}", date_fr(local.date_naive()), local.format("%Hh%M"))
}

fn fact_date(facts: &Value, pointer: &str) -> Option<NaiveDate> {
    facts.pointer(pointer).and_then(Value::as_str).and_then(|s| s.get(..10)).and_then(|s| s.parse().ok())
}

/// The latest `valid_until` of the recorded APIs.
fn last_api(facts: &Value) -> Option<NaiveDate> {
    facts
        .get("api")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|a| a.get("valid_until").and_then(Value::as_str).and_then(|s| s.parse().ok()))
        .max()
}

fn has_oqtf(facts: &Value) -> bool {
    facts
        .get("decisions")
        .and_then(Value::as_array)
        .is_some_and(|d| d.iter().any(|x| x.get("kind").and_then(Value::as_str) == Some("oqtf")))
}

/// How incidents spread over time.
pub fn attempt_span(incidents: &[Incident]) -> Option<AttemptSpan> {
    let days: Vec<NaiveDate> = incidents.iter().map(|i| paris(i.occurred_at).date_naive()).collect();
    let first = *days.iter().min()?;
    let last = *days.iter().max()?;
    let mut weeks: Vec<(i32, u32)> = days.iter().map(|d| (d.iso_week().year(), d.iso_week().week())).collect();
    weeks.sort_unstable();
    weeks.dedup();
    let span = (last - first).num_days();
    Some(AttemptSpan {
        attempts: incidents.len(),
        first,
        last,
        days: span,
        distinct_weeks: weeks.len(),
        more_than_one_week: span >= 7,
    })
}

fn incident_line(n: usize, i: &Incident) -> String {
    let mut parts = vec![format!("{n}. Le {} — étape : {}", when(i.occurred_at), i.step.trim())];
    if let Some(e) = i.error_message.as_deref().filter(|e| !e.trim().is_empty()) {
        parts.push(format!("message affiché : « {} »", e.trim()));
    }
    if let Some(t) = i.ticket.as_deref().filter(|t| !t.trim().is_empty()) {
        parts.push(format!("ticket du Centre de contact citoyens : {}", t.trim()));
    }
    if let Some(note) = i.note.as_deref().filter(|n| !n.trim().is_empty()) {
        parts.push(note.trim().to_owned());
    }
    parts.join(" — ")
}

/// The sender block: the applicant, then the association that helps.
fn sender(s: &Sources) -> String {
    let a = &s.applicant;
    let mut lines = vec![display_name(a)];
    if let Some(addr) = a.address.as_deref().filter(|x| !x.trim().is_empty()) {
        lines.extend(addr.lines().map(|l| l.trim().to_owned()));
    }
    let mut id = Vec::new();
    if let Some(b) = a.birth_date {
        id.push(format!("né(e) le {}", date_fr(b)));
    }
    if let Some(n) = a.nationality.as_deref() {
        id.push(format!("nationalité : {n}"));
    }
    if !id.is_empty() {
        lines.push(capitalise(&id.join(", ")));
    }
    if let Some(n) = a.agdref.as_deref() {
        lines.push(format!("N° AGDREF : {n}"));
    }
    if let Some(n) = a.anef_number.as_deref() {
        lines.push(format!("N° de demande ANEF : {n}"));
    }
    if let Some(p) = a.phone.as_deref() {
        lines.push(format!("Tél. : {p}"));
    }
    if let Some(e) = a.email.as_deref() {
        lines.push(format!("Courriel : {e}"));
    }
    let assoc = s.ctx.association_name.trim();
    if !assoc.is_empty() {
        let contact = s.ctx.association_contact.trim().replace('\n', ", ");
        lines.push(if contact.is_empty() {
            format!("Accompagné(e) par : {assoc}")
        } else {
            format!("Accompagné(e) par : {assoc} — {contact}")
        });
    }
    lines.join("\n")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn prefecture(s: &Sources) -> String {
    let mut lines = vec!["Madame la Préfète, Monsieur le Préfet".to_owned()];
    match (&s.contact, s.case.department.as_deref()) {
        (Some(c), _) => {
            lines.push(c.service.clone());
            lines.extend(c.address.lines().map(|l| l.trim().to_owned()));
        }
        (None, Some(d)) => lines.push(format!("Préfecture du département {d}")),
        (None, None) => lines.push("Préfecture".into()),
    }
    lines.join("\n")
}

/// The procedure as it reads inside a sentence: « renouvellement de la
/// carte de séjour étudiant (CESEDA L422-1 à L422-6 ; CESEDA R431-5 1°) ».
/// The catalog's notes in brackets after each article are left out.
fn procedure_line(s: &Sources) -> String {
    let name = lower_first(&s.procedure_fr);
    let articles: Vec<&str> = s
        .legal_bases
        .iter()
        .map(|b| b.split(" (").next().unwrap_or(b).trim())
        .filter(|b| !b.is_empty())
        .collect();
    if articles.is_empty() { name } else { format!("{name} ({})", articles.join(" ; ")) }
}

/// « Renouvellement de… » → « renouvellement de… », but « DCEM… » stays.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_owned(),
    }
}

fn signature(s: &Sources) -> String {
    display_name(&s.applicant)
}

fn incidents_summary(s: &Sources) -> String {
    match attempt_span(&s.incidents) {
        Some(span) if span.attempts == 1 => format!("Le {}, ", date_fr(span.first)),
        Some(span) => format!(
            "Entre le {} et le {}, au cours de {} tentatives, ",
            date_fr(span.first),
            date_fr(span.last),
            span.attempts
        ),
        None => String::new(),
    }
}

fn annex_incidents(s: &Sources, number: usize) -> Option<String> {
    if s.incidents.is_empty() {
        return None;
    }
    let mut out = vec![format!("ANNEXE {number} — CHRONOLOGIE DES INCIDENTS ANEF")];
    out.push(
        s.incidents.iter().enumerate().map(|(i, inc)| incident_line(i + 1, inc)).collect::<Vec<_>>().join("\n"),
    );
    Some(out.join("\n\n"))
}

/// Who a sentence speaks for: the applicant (letters they sign) or the
/// person, in the third person (the référé bundle).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Voice {
    First,
    Third,
}

fn permit_expiry_sentence(s: &Sources, voice: Voice) -> Option<String> {
    let expires = fact_date(&s.case.facts, "/current_permit/expires_on")?;
    let (title, request, cannot, will_not, lose) = match voice {
        Voice::First => (
            "Mon titre de séjour",
            "ma demande",
            "je ne peux plus justifier de la régularité de mon séjour, ce qui me fait perdre",
            "je ne pourrai plus justifier de la régularité de mon séjour, au risque de perdre",
            "mon emploi, mes prestations sociales et ma couverture maladie",
        ),
        Voice::Third => (
            "Le titre de séjour de la personne",
            "sa demande",
            "elle ne peut plus justifier de la régularité de son séjour, ce qui lui fait perdre",
            "elle ne pourra plus justifier de la régularité de son séjour, au risque de perdre",
            "son emploi, ses prestations sociales et sa couverture maladie",
        ),
    };
    Some(if expires < s.ctx.printed_on {
        format!("{title} a expiré le {}. Sans enregistrement de {request}, {cannot} {lose}.", date_fr(expires))
    } else {
        format!("{title} expire le {}. Sans enregistrement de {request} avant cette date, {will_not} {lose}.", date_fr(expires))
    })
}

fn incident_appendices(s: &Sources, first_number: usize) -> Vec<Appendix> {
    let mut out = Vec::new();
    for inc in &s.incidents {
        let target = crate::vault::attachments::incident_target(inc.id);
        for a in s.attachments.iter().filter(|a| a.target == target) {
            out.push(Appendix {
                attachment_id: a.id,
                caption: format!(
                    "Pièce {} — capture d'écran de l'incident du {} ({})",
                    first_number + out.len(),
                    when(inc.occurred_at),
                    inc.step.trim()
                ),
            });
        }
    }
    out
}

fn in_person_alternative(s: &Sources) -> (String, Vec<Appendix>, Vec<String>) {
    let mut p = Vec::new();
    p.push(sender(s));
    p.push(prefecture(s));
    p.push(format!("Le {}", date_long_fr(s.ctx.printed_on)));
    p.push("Objet : demande de solution de substitution au téléservice ANEF (article R431-2 du CESEDA)\nEnvoi par lettre recommandée avec accusé de réception ou par courriel".into());
    p.push("Madame la Préfète, Monsieur le Préfet,".into());
    p.push(format!(
        "Je souhaite déposer une demande de {}. Cette démarche relève du téléservice de l'Administration numérique des étrangers en France (ANEF).",
        procedure_line(s)
    ));
    let steps: Vec<String> = {
        let mut v: Vec<String> = s.incidents.iter().map(|i| i.step.trim().to_owned()).collect();
        v.sort();
        v.dedup();
        v
    };
    if s.incidents.is_empty() {
        p.push("Malgré plusieurs tentatives, il m'a été impossible de déposer cette demande en ligne.".into());
    } else {
        p.push(format!(
            "{}il m'a été impossible de déposer cette demande en ligne (étapes en échec : {}). Le détail daté de chaque incident figure en annexe 1, avec les numéros de ticket du Centre de contact citoyens lorsqu'il y en a.",
            incidents_summary(s),
            steps.join(", ")
        ));
    }
    p.push("L'article R431-2 du code de l'entrée et du séjour des étrangers et du droit d'asile (CESEDA), dans sa rédaction issue du décret n° 2023-191 du 22 mars 2023, prévoit qu'une solution de substitution est proposée à l'étranger lorsque le téléservice ne lui permet pas de déposer sa demande. Le Conseil d'État a jugé que l'obligation de recourir au téléservice n'est légale qu'à la condition que les usagers qui ne parviennent pas à l'utiliser disposent d'une telle solution de substitution (CE, Section, 3 juin 2022, La Cimade et autres, n° 452798).".into());
    if let Some(sentence) = permit_expiry_sentence(s, Voice::First) {
        p.push(sentence);
    }
    p.push("Je vous demande donc de bien vouloir m'indiquer, dans les meilleurs délais, les modalités selon lesquelles je peux déposer ma demande hors du téléservice (rendez-vous au guichet, dépôt d'un dossier papier ou tout autre moyen), et de me remettre un document attestant de ce dépôt.".into());
    p.push("Je vous prie d'agréer, Madame la Préfète, Monsieur le Préfet, l'expression de ma considération distinguée.".into());
    p.push(signature(s));
    let appendices = incident_appendices(s, 2);
    let mut pieces = vec![];
    if !s.incidents.is_empty() {
        pieces.push(format!("- Annexe 1 : chronologie des incidents ANEF ({})", s.incidents.len()));
    }
    match appendices.len() {
        0 => {}
        1 => pieces.push("- Pièce 2 : capture d'écran d'un incident".into()),
        n => pieces.push(format!("- Pièces 2 à {} : captures d'écran des incidents", n + 1)),
    }
    pieces.push("- Copie du titre de séjour ou du passeport".into());
    p.push(format!("Pièces jointes :\n{}", pieces.join("\n")));
    if let Some(annex) = annex_incidents(s, 1) {
        p.push(annex);
    }
    let mut checks = vec!["Vérifiez l'adresse de la préfecture et le service compétent. / Check the préfecture's address and department.".to_owned()];
    if s.applicant.nationality.is_some() {
        checks.push("La nationalité est écrite en code (DZ, AFG…) : écrivez-la en toutes lettres si besoin. / The nationality is a code: write it out if needed.".into());
    }
    if s.incidents.is_empty() {
        checks.push("Aucun incident n'est enregistré : ajoutez les tentatives datées (`sesame incident add`) avant d'envoyer. / No incident is recorded: add the dated attempts before sending.".into());
    }
    (p.join("\n\n"), appendices, checks)
}

fn api_request(s: &Sources) -> (String, Vec<Appendix>, Vec<String>) {
    let facts = &s.case.facts;
    let filed = fact_date(facts, "/filing/filed_on");
    let expires = fact_date(facts, "/current_permit/expires_on");
    let api = last_api(facts);
    let renewal = api.is_some();
    let mut p = Vec::new();
    p.push(sender(s));
    p.push(prefecture(s));
    p.push(format!("Le {}", date_long_fr(s.ctx.printed_on)));
    p.push(format!(
        "Objet : demande {} d'une attestation de prolongation d'instruction (article R431-15-1 du CESEDA)",
        if renewal { "de renouvellement" } else { "de délivrance" }
    ));
    p.push("Madame la Préfète, Monsieur le Préfet,".into());
    let filed_text = match filed {
        Some(d) => format!("J'ai déposé le {} une demande de {}", date_fr(d), procedure_line(s)),
        None => format!("J'ai déposé une demande de {}", procedure_line(s)),
    };
    let number = s.applicant.anef_number.as_deref().map(|n| format!(" (demande ANEF n° {n})")).unwrap_or_default();
    let complete = facts.pointer("/filing/complete").and_then(Value::as_bool) == Some(true);
    if complete {
        p.push(format!("{filed_text}{number}. Cette demande, complète et déposée dans les délais, est toujours en cours d'instruction."));
    } else {
        p.push(format!("{filed_text}{number}. Cette demande est toujours en cours d'instruction."));
    }
    if let Some(e) = expires {
        p.push(format!(
            "Mon titre de séjour {} le {}.",
            if e < s.ctx.printed_on { "a expiré" } else { "expire" },
            date_fr(e)
        ));
    }
    p.push("Aux termes de l'article R431-15-1 du CESEDA, l'étranger qui a présenté une demande de renouvellement complète se voit remettre, lorsque l'instruction se poursuit au-delà de la date d'expiration de son titre, une attestation de prolongation d'instruction d'une durée maximale de trois mois, renouvelée tant que le préfet n'a pas statué. Avec le titre expiré, cette attestation justifie de la régularité du séjour.".into());
    match api {
        Some(d) if d < s.ctx.printed_on => p.push(format!(
            "Ma dernière attestation de prolongation d'instruction a expiré le {} et ne m'a pas été renouvelée.",
            date_fr(d)
        )),
        Some(d) => p.push(format!("Ma dernière attestation de prolongation d'instruction expire le {}.", date_fr(d))),
        None => p.push("Je n'ai reçu à ce jour aucune attestation de prolongation d'instruction.".into()),
    }
    p.push("Sans ce document, je ne peux justifier de la régularité de mon séjour auprès de mon employeur, de la caisse d'allocations familiales, de France Travail ou de l'Assurance maladie, et je risque de perdre mes droits. Le Défenseur des droits a recommandé le renouvellement automatique de ces attestations (rapport « L'ANEF : une dématérialisation à l'origine d'atteintes massives aux droits des usagers », décembre 2024).".into());
    p.push(format!(
        "Je vous demande donc de bien vouloir {} attestation de prolongation d'instruction, et de me la transmettre par le téléservice ou par courriel.",
        if renewal { "renouveler mon" } else { "me délivrer une" }
    ));
    p.push("Je vous prie d'agréer, Madame la Préfète, Monsieur le Préfet, l'expression de ma considération distinguée.".into());
    p.push(signature(s));
    let mut pieces = vec!["- Attestation de dépôt de la demande".to_owned(), "- Copie du titre de séjour".to_owned()];
    if renewal {
        pieces.push("- Copie de la dernière attestation de prolongation d'instruction".into());
    }
    if !s.incidents.is_empty() {
        pieces.push(format!("- Annexe 1 : chronologie des incidents ANEF ({})", s.incidents.len()));
    }
    p.push(format!("Pièces jointes :\n{}", pieces.join("\n")));
    if let Some(annex) = annex_incidents(s, 1) {
        p.push(annex);
    }
    let mut checks = Vec::new();
    if !complete {
        checks.push("Le dossier n'est pas noté complet (faits : filing.complete) : l'article R431-15-1 vise une demande complète déposée dans les délais ; vérifiez avant d'envoyer. / The file is not recorded as complete: check before sending.".to_owned());
    }
    if filed.is_none() {
        checks.push("La date de dépôt n'est pas enregistrée (faits du dossier : filing.filed_on). / The filing date is not recorded.".into());
    }
    (p.join("\n\n"), incident_appendices(s, 2), checks)
}

fn defenseur(s: &Sources) -> (String, Vec<Appendix>, Vec<String>) {
    let mut p = Vec::new();
    p.push(sender(s));
    p.push("Défenseur des droits\nLibre réponse 71120\n75342 Paris CEDEX 07".into());
    p.push(format!("Le {}", date_long_fr(s.ctx.printed_on)));
    p.push("Objet : saisine — atteinte à mes droits dans mes relations avec la préfecture (téléservice ANEF)".into());
    p.push("Madame, Monsieur,".into());
    p.push(format!(
        "Je sollicite l'intervention du Défenseur des droits au sujet de ma demande de {}{}.",
        procedure_line(s),
        s.case.department.as_deref().map(|d| format!(", relevant de la préfecture du département {d}")).unwrap_or_default()
    ));
    if s.incidents.is_empty() {
        p.push("Je ne parviens pas à faire enregistrer ma demande par le téléservice de l'Administration numérique des étrangers en France (ANEF).".into());
    } else {
        p.push(format!(
            "{}je n'ai pas pu faire aboutir ma démarche sur le téléservice de l'Administration numérique des étrangers en France (ANEF). Chaque incident est daté dans la chronologie jointe (annexe 1).",
            incidents_summary(s)
        ));
    }
    if let Some(sentence) = permit_expiry_sentence(s, Voice::First) {
        p.push(sentence);
    }
    let mut steps = Vec::new();
    let tickets = s.incidents.iter().filter(|i| i.ticket.as_deref().is_some_and(|t| !t.trim().is_empty())).count();
    if tickets > 0 {
        steps.push(format!("- {tickets} signalement(s) au Centre de contact citoyens (numéros de ticket en annexe)"));
    }
    for j in &s.journal {
        steps.push(format!("- {} : {}", date_fr(paris(j.at).date_naive()), j.text.trim()));
    }
    if !steps.is_empty() {
        p.push(format!("Démarches déjà effectuées :\n{}", steps.join("\n")));
    }
    p.push("Dans son rapport « L'ANEF : une dématérialisation à l'origine d'atteintes massives aux droits des usagers » (décembre 2024), le Défenseur des droits a constaté des difficultés semblables et recommandé notamment qu'une voie non numérique soit ouverte pour toute démarche. L'article R431-2 du CESEDA prévoit une solution de substitution lorsque le téléservice ne permet pas le dépôt (CE, Section, 3 juin 2022, n° 452798).".into());
    p.push("Je vous demande d'intervenir auprès de la préfecture afin que ma demande soit enregistrée et que me soit remis un document justifiant de la régularité de mon séjour pendant son instruction.".into());
    p.push("Je vous prie d'agréer, Madame, Monsieur, l'expression de ma considération distinguée.".into());
    p.push(signature(s));
    if let Some(annex) = annex_incidents(s, 1) {
        p.push(annex);
    }
    let checks = vec![
        "La saisine peut aussi se faire en ligne (formulaire sur defenseurdesdroits.fr) ou auprès d'un délégué territorial : vérifiez l'adresse postale avant l'envoi. / The complaint can also be filed online or with a local delegate: check the postal address before sending.".to_owned(),
    ];
    (p.join("\n\n"), incident_appendices(s, 2), checks)
}

/// One line of the référé chronology: an incident or a journal entry.
struct Event {
    at: DateTime<FixedOffset>,
    text: String,
}

fn refere_bundle(s: &Sources) -> (String, Vec<Appendix>, Vec<String>, Option<AttemptSpan>) {
    let span = attempt_span(&s.incidents);
    let mut p = Vec::new();
    let mut checks = Vec::new();
    p.push("DOSSIER DE PIÈCES".into());
    p.push(format!(
        "Référé « mesures utiles » (article L521-3 du code de justice administrative)\nRequérant(e) : {}\nDemande : {}{}",
        display_name(&s.applicant),
        procedure_line(s),
        s.case.department.as_deref().map(|d| format!("\nPréfecture du département {d}")).unwrap_or_default()
    ));
    p.push(format!("Établi le {}{}", date_long_fr(s.ctx.printed_on), {
        let a = s.ctx.association_name.trim();
        if a.is_empty() { String::new() } else { format!(" avec l'accompagnement de {a}") }
    }));

    p.push("SYNTHÈSE DES TENTATIVES".into());
    match &span {
        None => {
            p.push("Aucune tentative n'est enregistrée dans le dossier.".into());
            checks.push("Aucun incident enregistré : le juge attend des tentatives répétées et datées. / No incident recorded: the judge expects repeated, dated attempts.".into());
        }
        Some(span) => {
            p.push(format!(
                "{} tentative(s) de dépôt ou de prise de rendez-vous, du {} au {}, soit {} jour(s), réparties sur {} semaine(s) calendaire(s).",
                span.attempts,
                date_fr(span.first),
                date_fr(span.last),
                span.days,
                span.distinct_weeks
            ));
            if span.more_than_one_week {
                p.push("Les tentatives s'étendent sur plus d'une semaine, comme l'attend la jurisprudence, qui exige des tentatives répétées et non concentrées sur une même semaine (CE, 10 juin 2020, n° 435594).".into());
            } else {
                p.push("ATTENTION : TOUTES LES TENTATIVES SONT CONCENTRÉES SUR MOINS D'UNE SEMAINE".into());
                p.push("La jurisprudence attend des tentatives répétées, qui ne soient pas toutes concentrées sur une même semaine (CE, 10 juin 2020, n° 435594). Il est conseillé de renouveler les tentatives, en les datant, avant de saisir le juge.".into());
                checks.push("Les tentatives couvrent moins d'une semaine : renouvelez-les avant de saisir le juge. / The attempts span less than a week: try again on other weeks before going to court.".into());
            }
        }
    }
    let urgency = match s.procedure_request.as_str() {
        "renewal" if has_oqtf(&s.case.facts) => "Une obligation de quitter le territoire figure au dossier : l'urgence n'est pas présumée si elle n'a pas été exécutée (CE, 9 juin 2022, n° 453391) et doit être démontrée.",
        "renewal" => "S'agissant d'un renouvellement, l'urgence est en principe présumée (CE, 9 juin 2022, n° 453391), sauf si une obligation de quitter le territoire n'a pas été exécutée.",
        _ => "L'urgence doit être démontrée : conséquences concrètes de l'absence de titre (emploi, prestations sociales, logement, santé).",
    };
    p.push(urgency.into());
    if let Some(sentence) = permit_expiry_sentence(s, Voice::Third) {
        p.push(sentence);
    }

    p.push("CHRONOLOGIE".into());
    let mut events: Vec<Event> = s
        .incidents
        .iter()
        .map(|i| Event { at: i.occurred_at, text: incident_line(0, i).trim_start_matches("0. ").to_owned() })
        .chain(s.journal.iter().map(|j| Event { at: j.at, text: format!("Le {} — {}", when(j.at), j.text.trim()) }))
        .collect();
    events.sort_by_key(|e| e.at);
    if events.is_empty() {
        p.push("(aucun événement enregistré)".into());
    } else {
        p.push(events.iter().enumerate().map(|(i, e)| format!("{}. {}", i + 1, e.text)).collect::<Vec<_>>().join("\n"));
    }

    // Pieces: the incident screenshots first, then the documents.
    let mut appendices = incident_appendices(s, 1);
    for a in s.attachments.iter().filter(|a| !a.target.starts_with("incident:")) {
        let doc = s.document_names.iter().find(|(id, _)| *id == a.target).map_or(a.target.as_str(), |(_, n)| n.as_str());
        appendices.push(Appendix {
            attachment_id: a.id,
            caption: format!("Pièce {} — {} ({})", appendices.len() + 1, doc, a.file_name),
        });
    }
    p.push("BORDEREAU DES PIÈCES".into());
    if appendices.is_empty() {
        p.push("(aucune pièce jointe)".into());
        checks.push("Aucune pièce jointe : ajoutez les captures d'écran des incidents et les documents (`sesame attach`). / No attachment: add the incident screenshots and documents.".into());
    } else {
        p.push(appendices.iter().map(|a| a.caption.clone()).collect::<Vec<_>>().join("\n"));
    }
    (p.join("\n\n"), appendices, checks, span)
}

impl Sources<'_> {
    fn load<'a>(vault: &Vault, catalog: &Catalog, case_id: Id, ctx: &'a PrintContext) -> Result<Sources<'a>, PrintError> {
        let case = vault.case(case_id)?;
        let applicant = vault.applicant(case.applicant_id)?;
        let procedure_fr = catalog
            .translations()
            .get("fr")
            .and_then(|t| t.procedures.get(&case.procedure))
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| case.procedure.clone());
        let procedure = catalog.procedure(&case.procedure);
        let legal_bases = procedure.map(|p| p.legal_bases.iter().map(|b| b.article.clone()).collect()).unwrap_or_default();
        let flags = crate::followup::case_flags(&case);
        let contact = catalog
            .checklist_for(&case.procedure, "fr", &flags, ctx.printed_on, case.department.as_deref())
            .ok()
            .and_then(|c| c.contact);
        let procedure_request = procedure
            .and_then(|p| serde_json::to_value(p.request).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let document_names = catalog
            .translations()
            .get("fr")
            .map(|t| t.documents.iter().filter_map(|(id, d)| Some((id.clone(), d.name.clone()?))).collect())
            .unwrap_or_default();
        Ok(Sources {
            procedure_request,
            document_names,
            incidents: vault.incidents(case.id)?,
            journal: vault.journal(case.id)?,
            attachments: vault.attachments(case.id, None)?,
            applicant,
            procedure_fr,
            legal_bases,
            contact,
            ctx,
            case,
        })
    }
}

/// Drafts a letter for a case, as text to edit. Nothing is written.
pub fn draft_letter(
    vault: &Vault,
    catalog: &Catalog,
    kind: LetterKind,
    case_id: Id,
    ctx: &PrintContext,
) -> Result<LetterDraft, PrintError> {
    let s = Sources::load(vault, catalog, case_id, ctx)?;
    let span = attempt_span(&s.incidents);
    let (text, appendices, to_check, span) = match kind {
        LetterKind::InPersonAlternative => {
            let (t, a, c) = in_person_alternative(&s);
            (t, a, c, span)
        }
        LetterKind::ApiRequest => {
            let (t, a, c) = api_request(&s);
            (t, a, c, span)
        }
        LetterKind::DefenseurDesDroits => {
            let (t, a, c) = defenseur(&s);
            (t, a, c, span)
        }
        LetterKind::RefereBundle => refere_bundle(&s),
    };
    Ok(LetterDraft { kind, case_id, title: kind.title().to_owned(), text, appendices, to_check, span })
}

/// Per-page budget of an appended image: readable, and the whole bundle
/// stays small enough to e-mail or upload to Télérecours citoyens.
const APPENDIX_PAGE_BYTES: u64 = 700 * 1024;

/// Typesets a letter from `draft.text` as the volunteer left it, and
/// appends the pieces the draft lists (images recompressed, PDFs as they
/// are), each under its caption.
pub fn letter_pdf(vault: &Vault, draft: &LetterDraft, ctx: &PrintContext) -> Result<Rendered, PrintError> {
    let paragraphs: Vec<Vec<String>> = draft
        .text
        .replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.lines().map(|l| l.trim_end().to_owned()).collect())
        .collect();
    let mut pages = Vec::new();
    let mut files = Vec::new();
    for (i, appendix) in draft.appendices.iter().enumerate() {
        let meta = vault
            .attachments(draft.case_id, None)?
            .into_iter()
            .find(|a| a.id == appendix.attachment_id);
        let Some(meta) = meta else { continue };
        let bytes = vault.attachment_data(meta.id)?;
        if meta.media_type == "application/pdf" {
            let path = format!("/files/{i}.pdf");
            for page in 1..=meta.pages.max(1) {
                let caption = if page == 1 { appendix.caption.clone() } else { format!("{} (page {page})", appendix.caption) };
                pages.push(json!({ "path": path, "page": page, "caption": caption }));
            }
            files.push((path, bytes));
        } else {
            let path = format!("/files/{i}.jpg");
            let jpeg = super::anef::page_jpeg(&meta.file_name, &bytes, APPENDIX_PAGE_BYTES)?;
            pages.push(json!({ "path": path, "page": null, "caption": appendix.caption }));
            files.push((path, jpeg));
        }
    }
    let association = ctx.association_name.trim();
    let footer = if association.is_empty() {
        format!("Document préparé le {} avec Sésame", date_fr(ctx.printed_on))
    } else {
        format!("{association} — document préparé le {}", date_fr(ctx.printed_on))
    };
    let data = json!({
        "title": draft.title,
        "association": { "name": association, "contact": ctx.association_contact.trim() },
        "footer": footer,
        "fonts": FAMILIES,
        "paragraphs": paragraphs,
        "pages": pages,
    });
    let mut job = Job::new(LETTER_TEMPLATE, &data)?;
    for (path, bytes) in files {
        job = job.with_file(&path, bytes);
    }
    job.pdf()
}

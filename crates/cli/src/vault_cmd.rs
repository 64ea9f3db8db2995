//! Commands that work on a vault.

use crate::{
    ApplicantAction, ApplicantFields, CaseAction, Cli, Command, DeadlineAction, DocAction, IncidentAction,
    JournalAction, PassphraseAction, RecoveryAction,
};
use anyhow::{Context, Result, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::catalog::Catalog;
use sesame_core::domain::{Applicant, Case, DocStatus, Entity, Id};
use sesame_core::followup;
use sesame_core::vault::{Options, RecoveryKey, Vault};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    let dir = vault_dir(cli.vault)?;
    // The newest verified catalog: the team's (adopted by sync), the association's, or the shipped one.
    let catalog = Arc::new(sesame_core::sync::catalog::load_for_vault(&dir, cli.catalog.as_deref())?);
    match cli.command {
        Command::Init { recovery_recipient } => {
            let pass = new_passphrase("SESAME_PASSPHRASE", "Nouvelle phrase de passe / New passphrase: ")?;
            let v = Vault::init(&dir, &pass, recovery_recipient.as_deref(), options(&catalog))?;
            if json {
                print_json(&serde_json::json!({ "vault": dir, "device_id": v.device_id() }))?;
            } else {
                outln!("Coffre créé / Vault created: {}", dir.display());
            }
        }
        Command::Passphrase { action: PassphraseAction::Change } => {
            let old = passphrase()?;
            let new = new_passphrase("SESAME_NEW_PASSPHRASE", "Nouvelle phrase de passe / New passphrase: ")?;
            Vault::change_passphrase(&dir, &old, &new, kdf_log_n())?;
            outln!("Phrase de passe changée / Passphrase changed.");
        }
        Command::Recovery { action: RecoveryAction::Generate } => {
            let k = RecoveryKey::generate();
            if json {
                print_json(&serde_json::json!({
                    "recipient": k.recipient(),
                    "secret": k.secret().expose_secret(),
                }))?;
            } else {
                outln!("# Clé de secours de l'association / Association recovery key");
                outln!("# Publique (à donner aux bénévoles) / Public (give to volunteers): {}", k.recipient());
                outln!("# Secrète : à imprimer et garder hors ligne / Secret: print it and keep it offline");
                outln!("{}", k.secret().expose_secret());
            }
        }
        Command::Recovery { action: RecoveryAction::Unlock { identity_file } } => {
            let text = std::fs::read_to_string(&identity_file)
                .with_context(|| format!("Impossible de lire / Cannot read {}", identity_file.display()))?;
            let secret = SecretString::from(text);
            let new = new_passphrase("SESAME_NEW_PASSPHRASE", "Nouvelle phrase de passe / New passphrase: ")?;
            Vault::recover(&dir, &secret, &new, options(&catalog))?;
            outln!("Coffre rouvert, nouvelle phrase de passe enregistrée / Vault recovered, new passphrase set.");
        }
        other => {
            let mut v = Vault::unlock(&dir, &passphrase()?, options(&catalog))?;
            with_vault(&mut v, &catalog, other, json)?;
        }
    }
    Ok(())
}

fn with_vault(v: &mut Vault, catalog: &Catalog, command: Command, json: bool) -> Result<()> {
    match command {
        Command::Applicant { action } => applicant(v, action, json),
        Command::Case { action } => case(v, catalog, action, json),
        Command::Doc { action: DocAction::Set { case_id, doc_id, status, issued_on } } => {
            let status: DocStatus = status.parse()?;
            let id = v.set_document(id(&case_id)?, &doc_id, status, issued_on.as_deref())?;
            print_id(id, json)
        }
        Command::Doc { action: DocAction::List { case_id } } => {
            let docs = v.documents(id(&case_id)?)?;
            if json {
                return print_json(&docs);
            }
            for d in docs {
                let issued = d.issued_on.map(|d| d.to_string()).unwrap_or_default();
                outln!("{}  {:<28} {:<10} {}", d.id, d.doc_type, d.status.as_str(), issued);
            }
            Ok(())
        }
        Command::Journal { action: JournalAction::Add { case_id, text, at } } => {
            let at = at.unwrap_or_else(now);
            let made = v.create(Entity::JournalEntry, &[("case_id", &case_id), ("at", &at), ("text", &text)])?;
            print_id(made, json)
        }
        Command::Journal { action: JournalAction::List { case_id } } => {
            let entries = v.journal(id(&case_id)?)?;
            if json {
                return print_json(&entries);
            }
            for e in entries {
                outln!("{}  {}", e.at.format("%Y-%m-%d %H:%M"), e.text);
            }
            Ok(())
        }
        Command::Incident { action: IncidentAction::Add { case_id, step, at, error, ticket, note } } => {
            let at = at.unwrap_or_else(now);
            let mut fields = vec![("case_id", case_id.as_str()), ("occurred_at", at.as_str()), ("step", step.as_str())];
            push_opt(&mut fields, "error_message", &error);
            push_opt(&mut fields, "ticket", &ticket);
            push_opt(&mut fields, "note", &note);
            let made = v.create(Entity::Incident, &fields)?;
            print_id(made, json)
        }
        Command::Incident { action: IncidentAction::List { case_id } } => {
            let list = v.incidents(id(&case_id)?)?;
            if json {
                return print_json(&list);
            }
            for i in list {
                outln!(
                    "{}  {}  {}  {}",
                    i.occurred_at.format("%Y-%m-%d %H:%M"),
                    i.step,
                    i.ticket.unwrap_or_default(),
                    i.error_message.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Deadline { action: DeadlineAction::Add { case_id, due, title } } => {
            let made = v.create(Entity::Deadline, &[("case_id", &case_id), ("due", &due), ("title", &title)])?;
            print_id(made, json)
        }
        Command::Deadline { action: DeadlineAction::List { case_id } } => {
            let list = v.deadlines(id(&case_id)?)?;
            if json {
                return print_json(&list);
            }
            for d in list {
                outln!("{}  {}{}", d.due, d.title, if d.done { "  ✓" } else { "" });
            }
            Ok(())
        }
        Command::History { id: record } => {
            let ops = v.ops(Some(id(&record)?))?;
            if json {
                return print_json(&ops);
            }
            for op in ops {
                outln!("{}  {}.{} = {}", op.hlc, op.entity.as_str(), op.field, op.value);
            }
            Ok(())
        }
        Command::Export { yes_plaintext } => {
            if !yes_plaintext {
                bail!(
                    "L'export écrit toutes les données EN CLAIR : relancez avec --json --yes-plaintext si c'est voulu, et effacez le fichier après usage. \
                     / Export writes every record in PLAINTEXT: run again with --json --yes-plaintext if you mean it, and delete the file after use."
                );
            }
            print_json(&v.export()?)
        }
        Command::Demo { applicants, seed } => {
            let ids = sesame_core::demo::fill(v, applicants, seed, &sesame_core::demo::procedures(catalog, v.today()))?;
            if json {
                print_json(&serde_json::json!({ "applicants": ids.len() }))
            } else {
                outln!("{} personnes fictives ajoutées / synthetic applicants added.", ids.len());
                Ok(())
            }
        }
        Command::Check => {
            let problems = v.integrity_check()?;
            let replay = v.replay_matches()?;
            if json {
                print_json(&serde_json::json!({ "integrity": problems, "replay_matches": replay }))?;
            } else {
                outln!("intégrité / integrity: {}", if problems.is_empty() { "ok".into() } else { problems.join("; ") });
                outln!("journal rejoué / op-log replay: {}", if replay { "ok" } else { "DIFFERENT" });
            }
            if !problems.is_empty() || !replay {
                bail!("Le coffre a des problèmes : faites une copie du dossier et contactez l'administrateur. / The vault has problems: copy the folder and contact your administrator.");
            }
            Ok(())
        }
        Command::Init { .. }
        | Command::Passphrase { .. }
        | Command::Recovery { .. }
        | Command::Deadlines { .. }
        | Command::Checklist { .. }
        | Command::Catalog { .. }
        | Command::Team { .. }
        | Command::Sync { .. }
        | Command::Serve { .. } => Ok(()),
        // Printing, attachments and settings: print_cmd.rs.
        Command::Letter { .. } | Command::Attach { .. } | Command::Attachment { .. } | Command::Settings { .. } => Ok(()),
    }
}

fn applicant(v: &mut Vault, action: ApplicantAction, json: bool) -> Result<()> {
    match action {
        ApplicantAction::Add(f) => {
            let mut fields = applicant_fields(&f);
            // Names are required: pass them even when absent, so the error names the field.
            for req in ["family_name", "given_name"] {
                if !fields.iter().any(|(n, _)| *n == req) {
                    fields.push((req, String::new()));
                }
            }
            let refs: Vec<(&str, &str)> = fields.iter().map(|(n, s)| (*n, s.as_str())).collect();
            let made = v.create(Entity::Applicant, &refs)?;
            print_id(made, json)
        }
        ApplicantAction::List => print_applicants(&v.applicants()?, json),
        ApplicantAction::Show { id: a } => {
            let a = v.applicant(id(&a)?)?;
            let cases = v.cases(Some(a.id))?;
            if json {
                return print_json(&serde_json::json!({ "applicant": a, "cases": cases }));
            }
            outln!("{} {}", a.family_name, a.given_name);
            if let (Some(f), Some(g)) = (&a.latin_family_name, &a.latin_given_name) {
                outln!("  ({f} {g})");
            }
            for (label, value) in [
                ("né(e) le / born", a.birth_date.map(|d| d.to_string())),
                ("nationalité / nationality", a.nationality.clone()),
                ("langues / languages", Some(a.languages.join(", ")).filter(|s| !s.is_empty())),
                ("AGDREF", a.agdref.clone()),
                ("ANEF", a.anef_number.clone()),
                ("téléphone / phone", a.phone.clone()),
            ] {
                if let Some(value) = value {
                    outln!("  {label}: {value}");
                }
            }
            for c in cases {
                outln!("  dossier / case {}  {}  {}", c.id, c.procedure, c.status.as_str());
            }
            Ok(())
        }
        ApplicantAction::Search { query, limit } => print_applicants(&v.search(&query, limit)?, json),
        ApplicantAction::Edit { id: a, fields, set } => {
            let mut pairs = applicant_fields(&fields);
            for s in &set {
                let Some((k, val)) = s.split_once('=') else {
                    bail!("--set attend CHAMP=VALEUR, reçu « {s} » / --set expects FIELD=VALUE, got \"{s}\"");
                };
                pairs.push((leak_field(k)?, val.to_owned()));
            }
            if pairs.is_empty() {
                bail!("Rien à modifier : indiquez au moins un champ, par exemple --given-name. / Nothing to change: give at least one field, for example --given-name.");
            }
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(n, s)| (*n, s.as_str())).collect();
            let n = v.update(Entity::Applicant, id(&a)?, &refs)?;
            if json {
                print_json(&serde_json::json!({ "changed": n }))
            } else {
                outln!("{n} champ(s) modifié(s) / field(s) changed.");
                Ok(())
            }
        }
        ApplicantAction::Delete { id: a } => {
            v.delete(Entity::Applicant, id(&a)?)?;
            outln!("Supprimé / Deleted.");
            Ok(())
        }
    }
}

/// Field names given with `--set` must be known applicant fields; the static
/// name from the field table is used from then on.
fn leak_field(k: &str) -> Result<&'static str> {
    Entity::Applicant
        .field(k.trim())
        .map(|f| f.name)
        .with_context(|| {
            let known = Entity::Applicant.fields().iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
            format!("Champ inconnu « {k} » ; champs : {known} / Unknown field \"{k}\"; fields: {known}")
        })
}

fn applicant_fields(f: &ApplicantFields) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, value) in [
        ("family_name", &f.family_name),
        ("given_name", &f.given_name),
        ("latin_family_name", &f.latin_family_name),
        ("latin_given_name", &f.latin_given_name),
        ("birth_date", &f.birth_date),
        ("nationality", &f.nationality),
        ("phone", &f.phone),
        ("email", &f.email),
        ("address", &f.address),
        ("agdref", &f.agdref),
        ("anef_number", &f.anef_number),
        ("consent", &f.consent),
        ("notes", &f.notes),
    ] {
        if let Some(v) = value {
            out.push((name, v.clone()));
        }
    }
    if !f.langs.is_empty() {
        out.push(("languages", f.langs.join(",")));
    }
    out
}

fn case(v: &mut Vault, catalog: &Catalog, action: CaseAction, json: bool) -> Result<()> {
    match action {
        CaseAction::Add { applicant_id, procedure, department } => {
            let mut fields = vec![("applicant_id", applicant_id.as_str()), ("procedure", procedure.as_str())];
            push_opt(&mut fields, "department", &department);
            let made = v.create(Entity::Case, &fields)?;
            print_id(made, json)
        }
        CaseAction::List { applicant } => {
            let filter = applicant.as_deref().map(id).transpose()?;
            print_cases(&v.cases(filter)?, json)
        }
        CaseAction::Show { id: c } => {
            let c = v.case(id(&c)?)?;
            let docs = v.documents(c.id)?;
            let deadlines = v.deadlines(c.id)?;
            let journal = v.journal(c.id)?;
            let incidents = v.incidents(c.id)?;
            if json {
                return print_json(&serde_json::json!({
                    "case": c, "documents": docs, "deadlines": deadlines, "journal": journal, "incidents": incidents
                }));
            }
            outln!("{}  {}  {}  ouvert le / opened {}", c.id, c.procedure, c.status.as_str(), c.opened_on);
            for d in docs {
                outln!("  {:<28} {}", d.doc_type, d.status.as_str());
            }
            Ok(())
        }
        CaseAction::Status { id: c, status } => {
            v.update(Entity::Case, id(&c)?, &[("status", &status)])?;
            outln!("Statut mis à jour / Status updated.");
            Ok(())
        }
        CaseAction::Facts { id: c, file } => {
            let text = read_input(&file)?;
            v.update(Entity::Case, id(&c)?, &[("facts", &text)])?;
            outln!("Faits enregistrés / Facts saved.");
            Ok(())
        }
        CaseAction::Deadlines { id: c } => {
            let case = v.case(id(&c)?)?;
            let list = followup::case_deadlines(v, catalog, &case, v.today())?;
            if json {
                return print_json(&list);
            }
            for d in list {
                let mark = if d.verified { "" } else { "  [à vérifier / to be checked]" };
                outln!("{}  {:<28} {}  ({}){mark}", serde_json::to_value(&d.due)?.as_str().unwrap_or(""), serde_json::to_value(d.id)?.as_str().unwrap_or(""), d.rule, d.legal_basis);
            }
            Ok(())
        }
        CaseAction::Checklist { id: c, lang } => {
            let case = v.case(id(&c)?)?;
            let (checklist, lines, extra) = followup::case_checklist(v, catalog, &case, &lang, v.today())?;
            if json {
                return print_json(&serde_json::json!({ "checklist": checklist, "lines": lines, "no_longer_required": extra }));
            }
            for l in lines {
                outln!("{:<10} {:<28} {}", l.status.as_str(), l.item.id, l.item.name_fr);
            }
            Ok(())
        }
        CaseAction::Print { .. } => Ok(()), // print_cmd.rs
    }
}

fn push_opt<'a>(fields: &mut Vec<(&'a str, &'a str)>, name: &'a str, value: &'a Option<String>) {
    if let Some(v) = value {
        fields.push((name, v.as_str()));
    }
}

fn print_applicants(list: &[Applicant], json: bool) -> Result<()> {
    if json {
        return print_json(&list);
    }
    for a in list {
        let born = a.birth_date.map(|d| d.to_string()).unwrap_or_default();
        outln!("{}  {} {}  {}", a.id, a.family_name, a.given_name, born);
    }
    Ok(())
}

fn print_cases(list: &[Case], json: bool) -> Result<()> {
    if json {
        return print_json(&list);
    }
    for c in list {
        outln!("{}  {}  {:<36} {}", c.id, c.applicant_id, c.procedure, c.status.as_str());
    }
    Ok(())
}

fn print_id(id: Id, json: bool) -> Result<()> {
    if json { print_json(&serde_json::json!({ "id": id })) } else {
        outln!("{id}");
        Ok(())
    }
}

pub(crate) fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn id(s: &str) -> Result<Id> {
    Ok(s.parse::<Id>()?)
}

/// Now, with the machine's local offset: what the volunteer saw on their screen.
fn now() -> String {
    SystemClock.now().with_timezone(&chrono::Local).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Reads FILE, or standard input for `-`.
pub(crate) fn read_input(file: &str) -> Result<String> {
    let mut s = String::new();
    if file == "-" {
        std::io::stdin().read_to_string(&mut s).context("Lecture de l'entrée standard impossible / Cannot read standard input")?;
    } else {
        s = std::fs::read_to_string(file)
            .with_context(|| format!("Impossible de lire le fichier {file} / Cannot read the file {file}"))?;
    }
    Ok(s)
}

pub(crate) fn vault_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = given {
        return Ok(d);
    }
    let dirs = directories::ProjectDirs::from("fr", "Sesame", "Sesame").context(
        "Dossier de données introuvable : indiquez --vault DOSSIER / No data folder found: pass --vault DIR",
    )?;
    Ok(dirs.data_dir().join("vault"))
}

pub(crate) fn options(catalog: &Arc<Catalog>) -> Options {
    let mut o = Options::new(Arc::new(SystemClock), catalog.clone());
    o.kdf_log_n = kdf_log_n();
    o
}

/// `SESAME_KDF_LOG_N` lowers the scrypt cost of a *new* passphrase wrap.
/// For tests and CI only: a low value makes a stolen vault easier to crack.
fn kdf_log_n() -> Option<u8> {
    std::env::var("SESAME_KDF_LOG_N").ok().and_then(|s| s.parse().ok()).filter(|n| (10..=20).contains(n))
}

pub(crate) fn passphrase() -> Result<SecretString> {
    if let Ok(p) = std::env::var("SESAME_PASSPHRASE") {
        return Ok(SecretString::from(p));
    }
    let p = rpassword::prompt_password("Phrase de passe / Passphrase: ").context(
        "Impossible de lire la phrase de passe : lancez dans un terminal ou définissez SESAME_PASSPHRASE. \
         / Cannot read the passphrase: run in a terminal or set SESAME_PASSPHRASE.",
    )?;
    Ok(SecretString::from(p))
}

fn new_passphrase(var: &str, prompt: &str) -> Result<SecretString> {
    if let Ok(p) = std::env::var(var) {
        return Ok(SecretString::from(p));
    }
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt).with_context(|| {
            format!(
                "Impossible de lire la phrase de passe : lancez dans un terminal ou définissez {var}. \
                 / Cannot read the passphrase: run in a terminal or set {var}."
            )
        })
    };
    let a = SecretString::from(read(prompt)?);
    let b = SecretString::from(read("Encore une fois / Once more: ")?);
    if a.expose_secret() != b.expose_secret() {
        bail!("Les deux phrases de passe diffèrent : rien n'a été créé, recommencez. / The two passphrases differ: nothing was created, try again.");
    }
    Ok(a)
}


//! Paper and files from the command line: `sesame checklist --pdf`,
//! `sesame case print`, `sesame letter`, `sesame attach`,
//! `sesame attachment list|export|delete` and `sesame settings show|set`.
//!
//! Like the rest of the CLI, this module parses, calls `sesame_core::print`
//! and prints. PDFs and ANEF files are built in memory and written only
//! where the volunteer said (`print::write_file`). Warnings (a character no
//! font can draw, an item printed in French for want of a translation,
//! dates that could not be computed, an unverified size limit) go to
//! standard error as sentences in French and English, and into the
//! `warnings` array of the `--json` output.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::{Value, json};
use sesame_core::catalog::Catalog;
use sesame_core::domain::Id;
use sesame_core::print::{self, AnefFormat, AnefLimit, LetterKind, PrintContext, Rendered};
use sesame_core::vault::{Settings, Vault};

use crate::vault_cmd::{options, passphrase, print_json, read_input, vault_dir};
use crate::{AttachmentAction, CaseAction, Cli, Command, SettingsAction};

/// Who prints: overrides the association's name and contact stored in the
/// vault's settings (`sesame settings set`) for one printout.
#[derive(Debug, Args, Default, Clone)]
pub struct AssociationArgs {
    /// The association's name printed on the page (default: the vault's settings).
    #[arg(long, env = "SESAME_ASSOCIATION")]
    association: Option<String>,
    /// The association's contact printed on the page (default: the vault's settings).
    #[arg(long, env = "SESAME_ASSOCIATION_CONTACT")]
    contact: Option<String>,
}

impl AssociationArgs {
    /// Settings with the flags applied over them.
    fn apply(&self, mut settings: Settings) -> Settings {
        if let Some(name) = &self.association {
            settings.association_name = name.clone();
        }
        if let Some(contact) = &self.contact {
            settings.association_contact = contact.clone();
        }
        settings
    }
}

/// A warning for the volunteer: a stable code and a bilingual sentence.
struct Warning {
    code: &'static str,
    message: String,
}

/// What a printout's [`Rendered`] says the volunteer should know.
fn warnings(rendered: &Rendered, lang: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    if !rendered.missing_glyphs.is_empty() {
        // Code points, not the characters themselves: they may come from a name.
        let chars: Vec<String> = rendered.missing_glyphs.iter().map(|c| format!("U+{:04X}", u32::from(*c))).collect();
        out.push(Warning {
            code: "missing_glyphs",
            message: format!(
                "Attention : {n} caractère(s) ({list}) n'existent dans aucune police de Sésame et sont imprimés comme un carré vide : \
                 vérifiez le nom sur la page, ou enregistrez aussi son orthographe latine (--latin-family-name). \
                 / Warning: {n} character(s) ({list}) exist in none of Sésame's fonts and print as an empty box: \
                 check the name on the page, or also record its Latin spelling (--latin-family-name).",
                n = chars.len(),
                list = chars.join(", ")
            ),
        });
    }
    if !rendered.untranslated.is_empty() {
        out.push(Warning {
            code: "untranslated",
            message: format!(
                "Attention : pas de traduction en « {lang} » pour {n} élément(s), imprimés en français (la page le signale) : {list}. \
                 / Warning: no \"{lang}\" translation for {n} item(s), printed in French (the page says so): {list}.",
                n = rendered.untranslated.len(),
                list = rendered.untranslated.join(" ; ")
            ),
        });
    }
    if rendered.deadlines_unavailable {
        out.push(Warning {
            code: "deadlines_unavailable",
            message: "Attention : les échéances du dossier n'ont pas pu être calculées (faits du dossier illisibles) ; \
                      la liste est imprimée sans ces dates. Corrigez les faits avec `sesame case facts`, puis réimprimez. \
                      / Warning: the case's deadlines could not be computed (unreadable case facts); the checklist is printed \
                      without those dates. Fix the facts with `sesame case facts`, then print again."
                .into(),
        });
    }
    out
}

fn say(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("{}", w.message);
    }
}

fn warnings_json(warnings: &[Warning]) -> Vec<Value> {
    warnings.iter().map(|w| json!({ "code": w.code, "message": w.message })).collect()
}

/// Writes a PDF where the volunteer chose, then reports it.
fn write_pdf(path: &Path, rendered: &Rendered, lang: &str, json: bool) -> Result<()> {
    print::write_file(path, &rendered.bytes)?;
    let warnings = warnings(rendered, lang);
    say(&warnings);
    if json {
        return print_json(&json!({
            "pdf": path,
            "pages": rendered.pages,
            "bytes": rendered.bytes.len(),
            "warnings": warnings_json(&warnings),
        }));
    }
    outln!("PDF écrit / PDF written: {} ({} page(s))", path.display(), rendered.pages);
    Ok(())
}

fn open_vault(cli_vault: Option<PathBuf>, catalog: &Arc<Catalog>) -> Result<Vault> {
    let dir = vault_dir(cli_vault)?;
    Ok(Vault::unlock(&dir, &passphrase()?, options(catalog))?)
}

fn id(s: &str) -> Result<Id> {
    Ok(s.parse::<Id>()?)
}

/// `sesame checklist --procedure ID --lang LANG [--facts FILE] --pdf OUT`:
/// a blank checklist, no personal data. The association's name and contact
/// come from the flags, else from the vault's settings when a vault exists
/// (it is then unlocked only to read them), else are left out.
pub fn blank_checklist(
    cli: &Cli,
    procedure: &str,
    lang: &str,
    facts: Option<&str>,
    pdf: &Path,
    association: &AssociationArgs,
) -> Result<()> {
    let facts = facts.map(read_input).transpose()?.map(|t| crate::catalog_cmd::read_facts(&t)).transpose()?;
    let catalog = Arc::new(crate::catalog_cmd::load_catalog(cli.catalog.as_deref())?);
    let settings = if association.association.is_some() && association.contact.is_some() {
        Settings::default()
    } else {
        let dir = vault_dir(cli.vault.clone())?;
        if dir.join("vault.json").exists() {
            let v = Vault::unlock(&dir, &passphrase()?, options(&catalog)).context(
                "Pour imprimer sans ouvrir le coffre, donnez --association et --contact. \
                 / To print without opening the vault, pass --association and --contact.",
            )?;
            v.settings()?
        } else {
            Settings::default()
        }
    };
    let settings = association.apply(settings);
    let today = facts.as_ref().and_then(|f| f.today).unwrap_or_else(crate::catalog_cmd::local_today);
    let flags = facts.as_ref().map(|f| f.flags.clone()).unwrap_or_default();
    let department = facts.as_ref().and_then(|f| f.department.clone());
    let ctx = PrintContext::from_settings(&settings, today, lang);
    let rendered = print::blank_checklist_pdf(&catalog, procedure, &flags, department.as_deref(), &ctx)?;
    write_pdf(pdf, &rendered, lang, cli.json)
}

/// Commands that need the vault: `case print`, `letter`, `attach`,
/// `attachment …`, `settings …`.
pub fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    let catalog = Arc::new(crate::catalog_cmd::load_catalog(cli.catalog.as_deref())?);
    let mut v = open_vault(cli.vault, &catalog)?;
    match cli.command {
        Command::Case { action: CaseAction::Print { id: case_id, lang, pdf, association } } => {
            case_print(&v, &catalog, &case_id, lang.as_deref(), &pdf, &association, json)
        }
        Command::Letter { kind, case_id, pdf, draft_out, from_text, association } => letter(
            &v,
            &catalog,
            &LetterArgs { kind, case_id, pdf, draft_out, from_text, association },
            json,
        ),
        Command::Attach { case_id, doc_id, files } => {
            let ids = print::attach_files(&mut v, &catalog, id(&case_id)?, &doc_id, &files)?;
            if json {
                return print_json(&json!({ "attached": ids }));
            }
            outln!("{} fichier(s) joint(s) à « {doc_id} », chiffré(s) dans le coffre / file(s) attached to \"{doc_id}\", encrypted in the vault.", ids.len());
            for i in ids {
                outln!("{i}");
            }
            Ok(())
        }
        Command::Attachment { action: AttachmentAction::List { case_id } } => {
            let list = v.attachments(id(&case_id)?, None)?;
            if json {
                return print_json(&list);
            }
            for a in list {
                outln!(
                    "{}  {:<28} {:>2}  {:<16} {:>3} p.  {:>6} Ko  {}",
                    a.id,
                    a.target,
                    a.position,
                    a.media_type,
                    a.pages,
                    a.byte_len.div_euclid(1000),
                    a.file_name
                );
            }
            Ok(())
        }
        Command::Attachment { action: AttachmentAction::Export { case_id, doc_id, anef, max_kb, format } } => {
            export(&v, &catalog, &case_id, &doc_id, &anef, max_kb, &format, json)
        }
        Command::Attachment { action: AttachmentAction::Delete { attachment_id } } => {
            v.delete_attachment(id(&attachment_id)?)?;
            outln!("Pièce jointe supprimée / Attachment deleted.");
            Ok(())
        }
        Command::Settings { action: SettingsAction::Show } => {
            let s = v.settings()?;
            if json {
                return print_json(&s);
            }
            outln!("association_name     {}", s.association_name);
            outln!("association_contact  {}", s.association_contact.replace('\n', " / "));
            outln!("language             {}", s.language);
            outln!("auto_lock_minutes    {}", s.auto_lock_minutes);
            outln!("notify_days          {}", s.notify_days);
            Ok(())
        }
        Command::Settings {
            action: SettingsAction::Set { association_name, association_contact, language, auto_lock_minutes, notify_days },
        } => {
            let mut s = v.settings()?;
            let mut changed = false;
            if let Some(x) = association_name {
                s.association_name = x;
                changed = true;
            }
            if let Some(x) = association_contact {
                s.association_contact = x;
                changed = true;
            }
            if let Some(x) = language {
                s.language = x;
                changed = true;
            }
            if let Some(x) = auto_lock_minutes {
                s.auto_lock_minutes = x;
                changed = true;
            }
            if let Some(x) = notify_days {
                s.notify_days = x;
                changed = true;
            }
            if !changed {
                bail!(
                    "Rien à changer : indiquez au moins un réglage, par exemple --association-name \"…\" (voir `sesame settings set --help`). \
                     / Nothing to change: give at least one setting, e.g. --association-name \"…\" (see `sesame settings set --help`)."
                );
            }
            v.set_settings(&s)?;
            if json {
                return print_json(&v.settings()?);
            }
            outln!("Réglages enregistrés / Settings saved.");
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The language of a personal checklist: the one asked for, else the first
/// language the applicant reads that the catalog has, else French.
fn checklist_lang(v: &Vault, catalog: &Catalog, case_id: Id, asked: Option<&str>) -> Result<String> {
    if let Some(lang) = asked {
        return Ok(lang.to_owned());
    }
    let case = v.case(case_id)?;
    let applicant = v.applicant(case.applicant_id)?;
    let known = catalog.translations();
    Ok(applicant.languages.iter().find(|l| known.contains_key(l.as_str())).cloned().unwrap_or_else(|| "fr".into()))
}

fn case_print(
    v: &Vault,
    catalog: &Catalog,
    case_id: &str,
    lang: Option<&str>,
    pdf: &Path,
    association: &AssociationArgs,
    json: bool,
) -> Result<()> {
    let case_id = id(case_id)?;
    let lang = checklist_lang(v, catalog, case_id, lang)?;
    let ctx = PrintContext::from_settings(&association.apply(v.settings()?), v.today(), &lang);
    let rendered = print::case_checklist_pdf(v, catalog, case_id, &ctx)?;
    write_pdf(pdf, &rendered, &lang, json)
}

struct LetterArgs {
    kind: String,
    case_id: String,
    pdf: Option<PathBuf>,
    draft_out: Option<PathBuf>,
    from_text: Option<String>,
    association: AssociationArgs,
}

/// `sesame letter KIND CASE_ID`: the draft on standard output (or as JSON),
/// or written to `--draft-out` for editing; `--pdf` typesets the draft, or
/// the edited text given with `--from-text`.
fn letter(v: &Vault, catalog: &Catalog, a: &LetterArgs, json: bool) -> Result<()> {
    let kind: LetterKind = a.kind.parse()?;
    let case_id = id(&a.case_id)?;
    let ctx = PrintContext::from_settings(&a.association.apply(v.settings()?), v.today(), "fr");
    let mut draft = print::draft_letter(v, catalog, kind, case_id, &ctx)?;
    if let Some(file) = &a.from_text {
        let text = read_input(file)?;
        if text.trim().is_empty() {
            bail!(
                "Le texte de la lettre ({file}) est vide : rien n'a été écrit. Repartez du brouillon (--draft-out). \
                 / The letter's text ({file}) is empty: nothing was written. Start again from the draft (--draft-out)."
            );
        }
        draft.text = text;
    }
    if !draft.to_check.is_empty() && (a.pdf.is_some() || a.draft_out.is_some()) {
        eprintln!("À vérifier avant l'envoi / Check before sending:");
        for c in &draft.to_check {
            eprintln!("  - {c}");
        }
    }
    if let Some(path) = &a.draft_out {
        print::write_file(path, draft.text.as_bytes())?;
        if !json {
            outln!(
                "Brouillon écrit / Draft written: {} — modifiez-le, puis / edit it, then: sesame letter {} {} --from-text {} --pdf LETTRE.pdf",
                path.display(),
                kind.as_str(),
                case_id,
                path.display()
            );
        }
    }
    if let Some(path) = &a.pdf {
        let rendered = print::letter_pdf(v, &draft, &ctx)?;
        print::write_file(path, &rendered.bytes)?;
        let warnings = warnings(&rendered, "fr");
        say(&warnings);
        if json {
            return print_json(&json!({
                "pdf": path,
                "draft": a.draft_out,
                "pages": rendered.pages,
                "bytes": rendered.bytes.len(),
                "appendices": draft.appendices.len(),
                "to_check": draft.to_check,
                "span": draft.span,
                "warnings": warnings_json(&warnings),
            }));
        }
        outln!(
            "PDF écrit / PDF written: {} ({} page(s), {} pièce(s) annexée(s) / appended piece(s))",
            path.display(),
            rendered.pages,
            draft.appendices.len()
        );
        return Ok(());
    }
    if json {
        return print_json(&draft);
    }
    if a.draft_out.is_none() {
        outln!("{}", draft.text.trim_end());
        if !draft.to_check.is_empty() {
            outln!();
            outln!("# À vérifier avant l'envoi / Check before sending:");
            for c in &draft.to_check {
                outln!("#  - {c}");
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn export(
    v: &Vault,
    catalog: &Catalog,
    case_id: &str,
    doc_id: &str,
    out: &Path,
    max_kb: Option<u64>,
    format: &str,
    json: bool,
) -> Result<()> {
    let format = match format.trim().to_ascii_lowercase().as_str() {
        "pdf" => AnefFormat::Pdf,
        "jpeg" | "jpg" => AnefFormat::Jpeg,
        other => bail!(
            "Format « {other} » inconnu : choisissez pdf ou jpeg. / Unknown format \"{other}\": choose pdf or jpeg."
        ),
    };
    let limit = match max_kb {
        Some(0) => bail!(
            "--max-kb doit être un nombre de kilo-octets supérieur à 0 (par exemple 2000). \
             / --max-kb must be a number of kilobytes above 0 (for example 2000)."
        ),
        Some(kb) => AnefLimit::with_max_bytes(kb.saturating_mul(1000)),
        None => AnefLimit::default(),
    };
    let file = print::prepare_for_anef(v, catalog, id(case_id)?, doc_id, &limit, format)?;
    let path = if out.is_dir() { out.join(&file.file_name) } else { out.to_path_buf() };
    print::write_file(&path, &file.bytes)?;
    let mut warnings = Vec::new();
    if !limit.verified {
        warnings.push(Warning {
            code: "limit_unverified",
            message: format!(
                "À vérifier : la limite de {kb} Ko n'est pas confirmée par un texte officiel ({source}). \
                 / To be checked: the {kb} KB limit is not confirmed by an official text.",
                kb = limit.max_bytes / 1000,
                source = limit.source
            ),
        });
    }
    say(&warnings);
    if json {
        return print_json(&json!({
            "file": path,
            "media_type": file.media_type,
            "bytes": file.bytes.len(),
            "pages": file.pages,
            "limit": file.limit,
            "warnings": warnings_json(&warnings),
        }));
    }
    outln!(
        "Fichier prêt pour ANEF / ANEF-ready file: {} ({} Ko, {} page(s), limite / limit {} Ko)",
        path.display(),
        file.bytes.len().div_ceil(1000),
        file.pages,
        limit.max_bytes / 1000
    );
    Ok(())
}

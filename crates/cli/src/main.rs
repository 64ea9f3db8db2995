//! `sesame`: Sésame from the command line.
//!
//! Headless use, administration and scripting: associations script it and
//! the tests drive it, so its commands and `--json` output are a stable
//! interface (documented in README.md). Like the desktop shell, it only
//! parses arguments, calls `sesame-core` and prints.

/// `println!` that ends the program quietly when the reader has gone
/// (`sesame applicant list | head`) instead of panicking on a broken pipe.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("{e}");
            std::process::exit(1);
        }
    }};
}

mod catalog_cmd;
mod print_cmd;
mod rules_cmd;
mod team_cmd;
mod vault_cmd;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "sesame", version, about = "Sésame : suivi des titres de séjour / residence-permit follow-up")]
struct Cli {
    /// The vault folder (default: SESAME_VAULT, else the system's data folder).
    #[arg(long, global = true, env = "SESAME_VAULT")]
    vault: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The association's catalog folder (a newer catalog and/or
    /// overrides.toml); default: the catalog shipped with Sésame.
    #[arg(long, global = true, env = "SESAME_CATALOG")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new vault (passphrase asked twice, or SESAME_PASSPHRASE).
    Init {
        /// The association's recovery public key (`age1…`).
        #[arg(long)]
        recovery_recipient: Option<String>,
    },
    /// Change the vault's passphrase (new one from SESAME_NEW_PASSPHRASE or asked twice).
    Passphrase {
        #[command(subcommand)]
        action: PassphraseAction,
    },
    /// The association's recovery key (administrators).
    Recovery {
        #[command(subcommand)]
        action: RecoveryAction,
    },
    /// Applicants: add, list, show, search, edit.
    Applicant {
        #[command(subcommand)]
        action: ApplicantAction,
    },
    /// Cases (one per procedure followed for an applicant).
    Case {
        #[command(subcommand)]
        action: CaseAction,
    },
    /// Documents of a case's checklist.
    Doc {
        #[command(subcommand)]
        action: DocAction,
    },
    /// A case's journal.
    Journal {
        #[command(subcommand)]
        action: JournalAction,
    },
    /// ANEF failures recorded as evidence.
    Incident {
        #[command(subcommand)]
        action: IncidentAction,
    },
    /// Deadlines entered by hand.
    Deadline {
        #[command(subcommand)]
        action: DeadlineAction,
    },
    /// The history of one record (its operations).
    History { id: String },
    /// Write every record as plaintext JSON to standard output.
    Export {
        /// Acknowledge that the output is NOT encrypted.
        #[arg(long)]
        yes_plaintext: bool,
    },
    /// Fill the vault with synthetic applicants (never real people).
    Demo {
        #[arg(long, default_value_t = 20)]
        applicants: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Check the vault: SQLite integrity and op-log replay.
    Check,
    /// Compute deadlines and alerts from case facts (JSON; no vault needed).
    Deadlines {
        /// The facts file, or - for standard input.
        #[arg(long)]
        facts: String,
    },
    /// The document checklist of a procedure, in French and LANG (no vault needed),
    /// as text, or as a blank PDF to print for drop-in sessions (`--pdf OUT`).
    Checklist {
        #[arg(long)]
        procedure: String,
        #[arg(long, default_value = "fr")]
        lang: String,
        /// Case facts (JSON) for the conditions (`flags`), date and département.
        #[arg(long)]
        facts: Option<String>,
        /// Write a blank checklist PDF (no personal data) to this file.
        #[arg(long, value_name = "OUT")]
        pdf: Option<PathBuf>,
        #[command(flatten)]
        association: print_cmd::AssociationArgs,
    },
    /// Draft a letter from a case and its incidents (to edit), or typeset it as a PDF.
    /// KIND: in_person_alternative, api_request, defenseur_des_droits, refere_bundle.
    Letter {
        kind: String,
        case_id: String,
        /// Write the letter as a PDF to this file.
        #[arg(long, value_name = "OUT")]
        pdf: Option<PathBuf>,
        /// Write the draft as editable text to this file (edit it, then use --from-text).
        #[arg(long, value_name = "FILE")]
        draft_out: Option<PathBuf>,
        /// Typeset this (edited) text instead of the fresh draft; - for standard input.
        #[arg(long, value_name = "FILE")]
        from_text: Option<String>,
        #[command(flatten)]
        association: print_cmd::AssociationArgs,
    },
    /// Attach scans or photos (JPEG, PNG, PDF) to a document of a case, stored encrypted in the vault.
    /// DOC_ID: a catalog document id (passport…) or an incident's id (screenshots).
    Attach {
        case_id: String,
        doc_id: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// A case's attachments: list, export ANEF-ready, delete.
    Attachment {
        #[command(subcommand)]
        action: AttachmentAction,
    },
    /// The vault's settings (association name and contact printed on paper, language, auto-lock, notifications).
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// The procedure catalog.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// The association's team: create, invite, join, approve, remove, list, erase.
    Team {
        #[command(subcommand)]
        action: TeamAction,
    },
    /// Sync with the team's server (one round), or `sync status`, `sync conflicts`, `sync resolve`.
    Sync {
        #[command(subcommand)]
        action: Option<SyncAction>,
        /// Keep syncing every 30 s (backing off while the server is unreachable).
        #[arg(long)]
        watch: bool,
    },
    /// Run the association's sync server.
    Serve {
        /// Address to listen on (put a TLS reverse proxy in front, or listen on loopback only).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: String,
        /// sqlite://PATH or postgres://USER@HOST/DB
        #[arg(long, default_value = "sqlite://sesame-server.db", env = "SESAME_SERVER_DB")]
        db: String,
        /// Requests per second allowed per device.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Burst of requests allowed per device.
        #[arg(long, default_value_t = 200.0)]
        burst: f64,
        /// Logs as JSON lines.
        #[arg(long)]
        log_json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AttachmentAction {
    /// Every attachment of a case (without its content).
    List { case_id: String },
    /// One ANEF-ready file for a document: upright, downscaled, under the size limit, pages merged.
    Export {
        case_id: String,
        doc_id: String,
        /// Where to write it: a file, or an existing folder (the file is then named after the document).
        #[arg(long, value_name = "OUT")]
        anef: PathBuf,
        /// Size limit in kilobytes (1 KB = 1,000 bytes); default: the catalog's ANEF limit.
        #[arg(long)]
        max_kb: Option<u64>,
        /// pdf (default; accepted for every document) or jpeg (a single image only).
        #[arg(long, default_value = "pdf")]
        format: String,
    },
    /// Delete one attachment (its id from `attachment list`).
    Delete { attachment_id: String },
}

#[derive(Debug, Subcommand)]
enum SettingsAction {
    /// Every setting and its value.
    Show,
    /// Change some settings; the others keep their value.
    Set {
        /// Printed on checklists and letters.
        #[arg(long)]
        association_name: Option<String>,
        /// Address, phone, e-mail, opening hours (printed on paper).
        #[arg(long)]
        association_contact: Option<String>,
        /// Interface language: fr or en.
        #[arg(long)]
        language: Option<String>,
        /// Minutes of inactivity before the app locks (1–240).
        #[arg(long)]
        auto_lock_minutes: Option<u32>,
        /// Notify deadlines due within this many days (0–90; 0: none).
        #[arg(long)]
        notify_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogAction {
    /// Every procedure, with its name and channel on a date.
    List {
        #[arg(long, default_value = "fr")]
        lang: String,
        /// YYYY-MM-DD (default: today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Validate the catalog; exits non-zero on errors or missing translations.
    Check,
}

#[derive(Debug, Subcommand)]
enum TeamAction {
    /// Create a team on a server; this device becomes its administrator.
    Create {
        #[arg(long)]
        server: String,
        /// The association's name (kept on the devices, never sent to the server).
        #[arg(long)]
        name: String,
    },
    /// Print a one-time invitation code (administrators).
    Invite,
    /// Ask to join a team with an invitation code.
    Join { code: String },
    /// Approve a device waiting to join (id prefix or fingerprint).
    Approve {
        device: String,
        /// Make it an administrator too.
        #[arg(long)]
        admin: bool,
    },
    /// Remove a device; every file gets a new key it never receives.
    Remove { device: String },
    /// List members and devices waiting for approval.
    List {
        /// Use what this vault knows, without asking the server.
        #[arg(long)]
        offline: bool,
    },
    /// Erase an applicant's whole file on every device and on the server (administrators).
    Erase {
        applicant_id: String,
        #[arg(long)]
        yes: bool,
    },
    /// Publish a newer catalog (a folder laid out like assets/catalog/), signed
    /// with this administrator's key; every device adopts it at its next sync.
    PublishCatalog { dir: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
enum SyncAction {
    /// Last sync, pending ops, open conflicts, alerts.
    Status,
    /// Fields edited on two devices at once.
    Conflicts,
    /// Settle a conflict: keep one candidate (--pick OP_ID) or give a value (--value JSON).
    Resolve {
        entity_id: String,
        field: String,
        #[arg(long)]
        value: Option<String>,
        #[arg(long)]
        pick: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum PassphraseAction {
    Change,
}

#[derive(Debug, Subcommand)]
enum RecoveryAction {
    /// Generate a new recovery key pair: give the public key to volunteers,
    /// keep the secret key offline.
    Generate,
    /// Open the vault with the recovery secret key (read from FILE) and set
    /// a new passphrase (SESAME_NEW_PASSPHRASE or asked twice).
    Unlock {
        #[arg(long)]
        identity_file: PathBuf,
    },
}

/// Applicant fields, as options. All optional here; `add` requires names.
#[derive(Debug, Args, Default)]
struct ApplicantFields {
    #[arg(long)]
    family_name: Option<String>,
    #[arg(long)]
    given_name: Option<String>,
    #[arg(long)]
    latin_family_name: Option<String>,
    #[arg(long)]
    latin_given_name: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    birth_date: Option<String>,
    /// ISO 3166 code (DZ, AFG, UA…)
    #[arg(long)]
    nationality: Option<String>,
    /// A language the person reads (repeat for several): ar, fa-AF, ti…
    #[arg(long = "lang")]
    langs: Vec<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    agdref: Option<String>,
    #[arg(long)]
    anef_number: Option<String>,
    /// DATE;METHOD;SCOPE, e.g. "2026-11-28;oral;suivi du dossier"
    #[arg(long)]
    consent: Option<String>,
    #[arg(long)]
    notes: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ApplicantAction {
    /// Add an applicant; prints the new id.
    Add(ApplicantFields),
    List,
    Show { id: String },
    /// Search names (any script, accents ignored), numbers and notes.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Change some fields: `--given-name X`, or `--set field=value` for any field.
    Edit {
        id: String,
        #[command(flatten)]
        fields: ApplicantFields,
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
    },
    /// Delete an applicant (and hide their cases).
    Delete { id: String },
}

#[derive(Debug, Subcommand)]
enum CaseAction {
    /// Open a case for an applicant; prints the new id.
    Add {
        applicant_id: String,
        #[arg(long)]
        procedure: String,
        /// Département of the préfecture (75, 93, 57…).
        #[arg(long)]
        department: Option<String>,
    },
    List {
        #[arg(long)]
        applicant: Option<String>,
    },
    Show { id: String },
    /// Set the status: preparing, filed, incomplete, under_review, granted, refused, appeal, closed.
    Status { id: String, status: String },
    /// Set the case facts used by the deadline engine, from FILE or - (stdin).
    Facts { id: String, file: String },
    /// Computed deadlines and alerts of a case, from its stored facts.
    Deadlines { id: String },
    /// The case's checklist: catalog items with their recorded status.
    Checklist {
        id: String,
        #[arg(long, default_value = "fr")]
        lang: String,
    },
    /// The case's personal checklist as a PDF, in French and LANG (default: the applicant's language).
    Print {
        id: String,
        #[arg(long)]
        lang: Option<String>,
        #[arg(long, value_name = "OUT")]
        pdf: PathBuf,
        #[command(flatten)]
        association: print_cmd::AssociationArgs,
    },
}

#[derive(Debug, Subcommand)]
enum DocAction {
    /// Set a document's status: missing, requested, received, verified, stale.
    Set {
        case_id: String,
        doc_id: String,
        status: String,
        #[arg(long)]
        issued_on: Option<String>,
    },
    List { case_id: String },
}

#[derive(Debug, Subcommand)]
enum JournalAction {
    Add {
        case_id: String,
        text: String,
        /// When (RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
    },
    List { case_id: String },
}

#[derive(Debug, Subcommand)]
enum IncidentAction {
    /// Record an ANEF failure.
    Add {
        case_id: String,
        /// The step that failed ("dépôt", "paiement du timbre"…).
        #[arg(long)]
        step: String,
        /// When it happened (RFC 3339, e.g. 2026-11-28T10:15:00+01:00); default now.
        #[arg(long)]
        at: Option<String>,
        /// The error message shown, copied as is.
        #[arg(long)]
        error: Option<String>,
        /// Ticket number from the Centre de contact citoyens.
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    List { case_id: String },
}

#[derive(Debug, Subcommand)]
enum DeadlineAction {
    Add {
        case_id: String,
        #[arg(long)]
        due: String,
        #[arg(long)]
        title: String,
    },
    List { case_id: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Deadlines { facts } => vault_cmd::read_input(facts).and_then(|t| rules_cmd::deadlines(&t)).map(|out| outln!("{out}")),
        Command::Checklist { procedure, lang, facts, pdf: Some(pdf), association } => {
            print_cmd::blank_checklist(&cli, procedure, lang, facts.as_deref(), pdf, association)
        }
        Command::Checklist { procedure, lang, facts, pdf: None, .. } => checklist(&cli, procedure, lang, facts.as_deref()),
        Command::Case { action: CaseAction::Print { .. } }
        | Command::Letter { .. }
        | Command::Attach { .. }
        | Command::Attachment { .. }
        | Command::Settings { .. } => print_cmd::run(cli),
        Command::Catalog { action: CatalogAction::List { lang, on } } => catalog_list(&cli, lang, on.as_deref()),
        Command::Catalog { action: CatalogAction::Check } => {
            let (report, ok) = catalog_cmd::check_report(cli.catalog.as_deref(), cli.json);
            outln!("{report}");
            if ok { Ok(()) } else { Err(anyhow::anyhow!("Le catalogue a des erreurs (voir ci-dessus). / The catalog has errors (see above).")) }
        }
        Command::Team { .. } | Command::Sync { .. } | Command::Serve { .. } => team_cmd::run(cli),
        _ => vault_cmd::run(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn checklist(cli: &Cli, procedure: &str, lang: &str, facts: Option<&str>) -> anyhow::Result<()> {
    let facts = facts.map(vault_cmd::read_input).transpose()?;
    let out = catalog_cmd::checklist_json(procedure, lang, facts.as_deref(), cli.catalog.as_deref())?;
    if cli.json {
        outln!("{out}");
        return Ok(());
    }
    let v: serde_json::Value = serde_json::from_str(&out)?;
    outln!("{} — {}", v["name_fr"].as_str().unwrap_or(""), v["name"].as_str().unwrap_or(""));
    for item in v["items"].as_array().into_iter().flatten() {
        let fr = item["name_fr"].as_str().unwrap_or("");
        let other = item["name"].as_str().unwrap_or("");
        if fr == other { outln!("[ ] {fr}") } else { outln!("[ ] {fr} — {other}") }
    }
    Ok(())
}

fn catalog_list(cli: &Cli, lang: &str, on: Option<&str>) -> anyhow::Result<()> {
    let on = on.map(|d| sesame_core::domain::validate_date("on", d)).transpose()?;
    let out = catalog_cmd::list_json(lang, on, cli.catalog.as_deref())?;
    if cli.json {
        outln!("{out}");
        return Ok(());
    }
    let v: serde_json::Value = serde_json::from_str(&out)?;
    for p in v["procedures"].as_array().into_iter().flatten() {
        outln!("{:<42} {}", p["id"].as_str().unwrap_or(""), p["name"].as_str().unwrap_or(""));
    }
    Ok(())
}

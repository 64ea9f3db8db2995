//! Writes to a vault in a loop until killed, printing each committed id.
//!
//! Used by `tests/crash.rs`: the parent kills this process with SIGKILL at
//! random moments and checks that every id printed here survives.

use secrecy::SecretString;
use sesame_core::clock::SystemClock;
use sesame_core::domain::{DocStatus, Entity};
use sesame_core::vault::{ListedIds, Options, Vault};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(mode)) = (args.next(), args.next()) else {
        eprintln!("usage: crash-writer DIR init|write");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let pass = SecretString::from("phrase de passe du test de crash".to_owned());
    let known = ListedIds { procedures: vec!["etudiant_renewal".into()], documents: vec!["passport".into()] };
    let opts = Options { kdf_log_n: Some(10), ..Options::new(Arc::new(SystemClock), Arc::new(known)) };
    let result = if mode == "init" {
        Vault::init(&dir, &pass, None, opts).map(|_| ())
    } else {
        Vault::unlock(&dir, &pass, opts).and_then(|mut v| write_forever(&mut v))
    };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn write_forever(v: &mut Vault) -> Result<(), sesame_core::vault::VaultError> {
    let out = std::io::stdout();
    for n in 0u64.. {
        let family = format!("Quatrebarbes-{n}");
        let a = v.create(Entity::Applicant, &[("family_name", &family), ("given_name", "Zéphyrine")])?;
        let a_s = a.to_string();
        let c = v.create(Entity::Case, &[("applicant_id", &a_s), ("procedure", "etudiant_renewal")])?;
        v.set_document(c, "passport", DocStatus::Received, Some("2025-01-01"))?;
        v.update(Entity::Applicant, a, &[("notes", "suivi en cours")])?;
        // Only now is everything about this applicant committed.
        let mut lock = out.lock();
        let _ = writeln!(lock, "{a} {c}");
        let _ = lock.flush();
    }
    Ok(())
}

//! The vault's settings: interface language, auto-lock delay, notification
//! horizon, and the association's name and contact printed on paper.
//!
//! They live in the encrypted `meta` table (keys prefixed `setting.`), so the
//! association's details travel with the vault and nothing sits in a
//! plaintext configuration file. Settings are not applicant data: they are
//! not in the op log and do not sync.

use super::{Vault, VaultError};
use crate::domain::{FieldError, FieldProblem};
use serde::{Deserialize, Serialize};

/// Every setting with its current value (defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `fr` (default) or `en`.
    pub language: String,
    /// Minutes of inactivity before the app locks itself (1–240, default 10).
    pub auto_lock_minutes: u32,
    /// Notify deadlines due within this many days (0 turns notifications off).
    pub notify_days: u32,
    pub association_name: String,
    /// Address, phone, e-mail, opening hours: free text, several lines.
    pub association_contact: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: "fr".into(),
            auto_lock_minutes: 10,
            notify_days: 7,
            association_name: String::new(),
            association_contact: String::new(),
        }
    }
}

const PREFIX: &str = "setting.";
const MAX_TEXT: usize = 500;

fn problem(field: &str, fr: &str, en: &str) -> VaultError {
    VaultError::Invalid(vec![FieldError::new(field, FieldProblem::Other { fr: fr.into(), en: en.into() })])
}

impl Settings {
    /// Checks every value; the error names the field and says what is allowed.
    pub fn validate(&self) -> Result<(), VaultError> {
        if !matches!(self.language.as_str(), "fr" | "en") {
            return Err(problem("language", "choisissez « fr » ou « en ».", "choose \"fr\" or \"en\"."));
        }
        if !(1..=240).contains(&self.auto_lock_minutes) {
            return Err(problem(
                "auto_lock_minutes",
                "indiquez un délai entre 1 et 240 minutes.",
                "enter a delay between 1 and 240 minutes.",
            ));
        }
        if self.notify_days > 90 {
            return Err(problem(
                "notify_days",
                "indiquez un nombre de jours entre 0 (aucune notification) et 90.",
                "enter a number of days between 0 (no notifications) and 90.",
            ));
        }
        for (field, value) in [("association_name", &self.association_name), ("association_contact", &self.association_contact)] {
            if value.chars().count() > MAX_TEXT {
                return Err(problem(
                    field,
                    &format!("{MAX_TEXT} caractères au plus."),
                    &format!("at most {MAX_TEXT} characters."),
                ));
            }
        }
        Ok(())
    }
}

impl Vault {
    /// The settings stored in this vault, with defaults for those never set.
    pub fn settings(&self) -> Result<Settings, VaultError> {
        let mut s = Settings::default();
        let mut stmt = self.conn.prepare_cached("SELECT key, value FROM meta WHERE key LIKE 'setting.%'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (key, value) = row?;
            match &key[PREFIX.len()..] {
                "language" => s.language = value,
                "auto_lock_minutes" => s.auto_lock_minutes = value.parse().unwrap_or(s.auto_lock_minutes),
                "notify_days" => s.notify_days = value.parse().unwrap_or(s.notify_days),
                "association_name" => s.association_name = value,
                "association_contact" => s.association_contact = value,
                _ => {} // a setting from a newer version: kept, ignored
            }
        }
        Ok(s)
    }

    /// Validates and stores every setting in one transaction.
    pub fn set_settings(&mut self, s: &Settings) -> Result<(), VaultError> {
        s.validate()?;
        let tx = self.conn.transaction()?;
        {
            let mut put = tx.prepare_cached("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?;
            let pairs: [(&str, String); 5] = [
                ("language", s.language.clone()),
                ("auto_lock_minutes", s.auto_lock_minutes.to_string()),
                ("notify_days", s.notify_days.to_string()),
                ("association_name", s.association_name.trim().to_string()),
                ("association_contact", s.association_contact.trim().to_string()),
            ];
            for (k, v) in pairs {
                put.execute((format!("{PREFIX}{k}"), v))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// [`Vault::mark_reminded`] for many keys in one transaction (one disk
    /// flush, not one per deadline). Returns, in order, whether each key is
    /// new today. Marks older than `day` minus 60 days are forgotten.
    pub fn mark_reminded_all(&mut self, keys: &[String], day: chrono::NaiveDate) -> Result<Vec<bool>, VaultError> {
        let iso = day.to_string();
        let forget = (day - chrono::Days::new(60)).to_string();
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(keys.len());
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value <> excluded.value",
            )?;
            for k in keys {
                out.push(put.execute((format!("reminded.{k}"), &iso))? > 0);
            }
            tx.execute("DELETE FROM meta WHERE key LIKE 'reminded.%' AND value < ?1", [&forget])?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Records that a reminder for `key` (a deadline id) was shown on `day`
    /// (ISO date). Returns false if it had already been shown that day, so
    /// a reminder is shown at most once a day.
    pub fn mark_reminded(&mut self, key: &str, day: &str) -> Result<bool, VaultError> {
        let k = format!("reminded.{key}");
        let changed = self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value <> excluded.value",
            (&k, day),
        )?;
        Ok(changed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::vault::{ListedIds, Options};
    use secrecy::SecretString;
    use std::sync::Arc;

    fn vault(dir: &std::path::Path) -> Vault {
        let clock = Arc::new(FixedClock::at(chrono::DateTime::from_timestamp_millis(1_760_000_000_000).unwrap()));
        let mut opts = Options::new(clock, Arc::new(ListedIds::default()));
        opts.kdf_log_n = Some(1);
        Vault::init(&dir.join("v"), &SecretString::from("correct horse battery"), None, opts).unwrap()
    }

    #[test]
    fn defaults_then_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = vault(dir.path());
        assert_eq!(v.settings().unwrap(), Settings::default());
        let s = Settings {
            language: "en".into(),
            auto_lock_minutes: 3,
            notify_days: 14,
            association_name: "  Permanence Belleville ".into(),
            association_contact: "12 rue X\n75020 Paris".into(),
        };
        v.set_settings(&s).unwrap();
        let back = v.settings().unwrap();
        assert_eq!(back.association_name, "Permanence Belleville");
        assert_eq!(back.auto_lock_minutes, 3);
        assert_eq!(back.language, "en");
    }

    #[test]
    fn invalid_values_are_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = vault(dir.path());
        let bad = Settings { auto_lock_minutes: 0, ..Settings::default() };
        let err = v.set_settings(&bad).unwrap_err().to_string();
        assert!(err.contains("auto_lock_minutes"), "{err}");
        let bad = Settings { language: "de".into(), association_name: "X".into(), ..Settings::default() };
        assert!(v.set_settings(&bad).is_err());
        assert_eq!(v.settings().unwrap(), Settings::default());
    }

    #[test]
    fn a_reminder_is_marked_once_per_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = vault(dir.path());
        assert!(v.mark_reminded("d1", "2026-11-28").unwrap());
        assert!(!v.mark_reminded("d1", "2026-11-28").unwrap());
        assert!(v.mark_reminded("d1", "2026-11-29").unwrap());
        assert!(v.mark_reminded("d2", "2026-11-29").unwrap());
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let keys = vec!["d1".to_owned(), "d3".to_owned()];
        assert_eq!(v.mark_reminded_all(&keys, day).unwrap(), vec![true, true]);
        assert_eq!(v.mark_reminded_all(&keys, day).unwrap(), vec![false, false]);
        // Two months later the old marks are gone, and the reminders are new again.
        let later = chrono::NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(v.mark_reminded_all(&["d2".to_owned()], later).unwrap(), vec![true]);
        assert!(v.mark_reminded("d1", "2026-11-30").unwrap(), "forgotten after 60 days");
    }
}

//! Search-as-you-type over applicants.
//!
//! An FTS5 index (inside the encrypted database) holds names in every
//! script with their Latin transliteration, file numbers and notes. The
//! `unicode61` tokenizer with `remove_diacritics 2` folds case and accents,
//! so "benoit" finds "Benoît"; every typed word is matched as a prefix, so
//! results come as the volunteer types.

use super::{Vault, VaultError};
use crate::domain::Applicant;
use serde::Serialize;

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub applicant: Applicant,
}

/// Turns what a person typed into an FTS5 query: each word becomes a
/// quoted prefix term, so no character typed can be read as FTS syntax.
fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if words.is_empty() { None } else { Some(words.join(" ")) }
}

impl Vault {
    /// Applicants matching every word typed (as prefixes), best first, at most `limit`.
    pub fn search(&self, input: &str, limit: usize) -> Result<Vec<Applicant>, VaultError> {
        let Some(q) = fts_query(input) else { return Ok(Vec::new()) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.* FROM applicant_fts f JOIN applicant a ON a.rowid = f.rowid
             WHERE applicant_fts MATCH ?1 AND a.deleted = 0
             ORDER BY f.rank LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let ids: Vec<String> = stmt
            .query_map(rusqlite::params![q, limit], |r| r.get::<_, String>("id"))?
            .collect::<Result<_, _>>()?;
        ids.iter().filter_map(|s| s.parse().ok()).map(|id| self.applicant(id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_never_becomes_fts_syntax() {
        assert_eq!(fts_query("benoit"), Some("\"benoit\"*".into()));
        assert_eq!(fts_query("N'Diaye  AND\"x"), Some("\"N\"* \"Diaye\"* \"AND\"* \"x\"*".into()));
        assert_eq!(fts_query("  -*()  "), None);
        assert_eq!(fts_query("محمد"), Some("\"محمد\"*".into()));
    }
}

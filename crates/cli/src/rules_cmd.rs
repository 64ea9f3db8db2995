//! `sesame deadlines --facts FILE|-`: case facts in, computed deadlines out.
//!
//! This module only reads and writes text; the rules live in
//! `sesame_core::rules`. The caller (main.rs) reads the file or standard
//! input and prints the returned JSON.

use anyhow::Context as _;

/// Parses case facts (JSON, see `sesame_core::rules::Facts`) and returns
/// every computed deadline and alert as a pretty-printed JSON array, sorted
/// by due date.
///
/// Malformed facts give an error whose message names the field and the
/// expected format, in French then English.
pub fn deadlines(input: &str) -> anyhow::Result<String> {
    let facts = sesame_core::rules::parse_facts(input)?;
    let deadlines = sesame_core::rules::compute(&facts);
    serde_json::to_string_pretty(&deadlines).context("could not write the deadlines as JSON")
}

#[cfg(test)]
mod tests {
    use super::deadlines;

    #[test]
    fn prints_a_json_array() {
        let out = deadlines(r#"{"today":"2026-03-10","decisions":[{"kind":"refusal","notified_at":"2026-03-10"}]}"#)
            .expect("valid facts");
        let value: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(value[0]["id"], "appeal_refusal");
        assert_eq!(value[0]["due"], "2026-05-11");
        assert_eq!(value[0]["counting"], "delai_franc");
        assert_eq!(value[0]["verified"], false);
    }

    #[test]
    fn empty_case_gives_an_empty_array() {
        assert_eq!(deadlines(r#"{"today":"2026-03-10"}"#).expect("valid facts"), "[]");
    }

    #[test]
    fn errors_name_the_field() {
        let err = deadlines(r#"{"today":"2026-02-30"}"#).expect_err("impossible date");
        let text = err.to_string();
        assert!(text.contains("`today`") && text.contains("AAAA-MM-JJ") && text.contains("YYYY-MM-DD"), "{text}");
    }
}

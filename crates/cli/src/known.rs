//! The catalog ids the vault accepts, and the procedures the demo opens.
//!
//! Provisional: a fixed list until the catalog loader lands, then the catalog.

use sesame_core::demo::DemoProcedure;
use sesame_core::vault::{KnownIds, ListedIds};
use std::sync::Arc;

const PROCEDURES: &[(&str, &[&str])] = &[
    ("etudiant_renewal", &["passport", "current_permit", "proof_of_address", "ephoto_code", "enrolment_certificate", "transcripts", "proof_of_resources", "tax_stamp"]),
    ("salarie_renewal", &["passport", "current_permit", "proof_of_address", "ephoto_code", "employment_contract", "payslips", "tax_stamp"]),
    ("vpf_conjoint_francais_renewal", &["passport", "current_permit", "proof_of_address", "ephoto_code", "marriage_certificate", "spouse_nationality_proof", "shared_life_proof", "tax_stamp"]),
    ("dcem_first", &["parent_permit", "child_passport", "family_record_book", "parental_authority_proof", "school_certificate", "proof_of_address", "child_ephoto_code"]),
    ("duplicata", &["passport", "police_report", "proof_of_address", "ephoto_code", "tax_stamp"]),
];

pub fn ids() -> Arc<dyn KnownIds> {
    let mut documents: Vec<String> = PROCEDURES.iter().flat_map(|(_, d)| d.iter().map(|s| (*s).to_owned())).collect();
    documents.sort();
    documents.dedup();
    Arc::new(ListedIds { procedures: PROCEDURES.iter().map(|(p, _)| (*p).to_owned()).collect(), documents })
}

pub fn demo_procedures() -> Vec<DemoProcedure> {
    PROCEDURES
        .iter()
        .map(|(p, d)| DemoProcedure { id: (*p).to_owned(), documents: d.iter().map(|s| (*s).to_owned()).collect() })
        .collect()
}

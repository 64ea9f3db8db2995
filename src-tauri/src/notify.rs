//! Reminders of deadlines due within the configured number of days, at
//! most once a day per deadline (`Vault::mark_reminded_all`), with initials
//! only: a notification pops up on a screen others can see.

use crate::error::AppError;
use crate::state::AppState;
use sesame_core::followup::{self, AgendaWhat};
use sesame_core::rules::{DeadlineId, Kind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub title: String,
    pub body: String,
    /// How many deadlines the reminder lists.
    pub count: usize,
}

/// A short name for a computed deadline, in the interface language.
pub fn deadline_label(id: DeadlineId, en: bool) -> &'static str {
    use DeadlineId::*;
    let (fr, en_text) = match id {
        FirstRequest => ("première demande de titre", "first permit request"),
        VlstsValidation => ("validation du VLS-TS", "VLS-TS validation"),
        YoungAdultRequest => ("demande à la majorité", "request at 18"),
        RenewalWindowOpens => ("ouverture de la période de renouvellement", "renewal window opens"),
        RenewalWindowCloses => ("fin de la période de renouvellement", "renewal window closes"),
        ImplicitRejection => ("refus implicite", "implicit rejection"),
        AppealImplicitRejection => ("recours contre le refus implicite", "appeal against implicit rejection"),
        AppealRefusal => ("recours contre le refus", "appeal against the refusal"),
        OqtfAppeal => ("recours contre l'OQTF", "appeal against the OQTF"),
        ApiExpires => ("fin de l'attestation de prolongation", "API expires"),
        ProofOfStayGap => ("aucun justificatif de séjour", "no proof of lawful stay"),
        LateRenewalFee => ("droit de visa de régularisation", "late renewal fee"),
        StaleDocument => ("pièce trop ancienne", "document too old"),
        RenewalWindowOpen => ("période de renouvellement ouverte", "renewal window open"),
        ApiExpiringSoon => ("attestation bientôt expirée", "API expiring soon"),
        DuplicateRenewInstead => ("renouveler plutôt que demander un duplicata", "renew instead of a duplicate"),
    };
    if en { en_text } else { fr }
}

/// Deadlines to remind today, each marked reminded so it is not repeated
/// before tomorrow. Empty when notifications are off (0 days).
pub fn due_reminders(state: &AppState) -> Result<Option<Reminder>, AppError> {
    let today = state.clock.today();
    let catalog = state.catalog.clone();
    state.with_vault(|v| {
        let settings = v.settings()?;
        if settings.notify_days == 0 {
            return Ok(None);
        }
        let en = settings.language == "en";
        let horizon = today + chrono::Days::new(u64::from(settings.notify_days));
        let mut due = Vec::new();
        for item in followup::agenda(v, &catalog, today, settings.notify_days)? {
            if item.due > horizon {
                continue;
            }
            let (key, label) = match &item.what {
                AgendaWhat::Rule { deadline } if deadline.kind == Kind::Deadline => (
                    format!("{}:{}:{}", item.case_id, crate::app::tag(&deadline.id), deadline.due.to_text()),
                    deadline_label(deadline.id, en).to_owned(),
                ),
                // A deadline entered by hand: its title may carry a name, so it is not shown.
                AgendaWhat::Manual { id, .. } => (
                    format!("{id}:{}", item.due),
                    if en { "deadline entered by hand".to_owned() } else { "échéance saisie à la main".to_owned() },
                ),
                _ => continue,
            };
            let date = item.due.format("%d/%m/%Y");
            due.push((key, format!("{} — {label} : {date}", item.initials)));
        }
        // One transaction for all the marks: one disk flush, not one per deadline.
        let keys: Vec<String> = due.iter().map(|(k, _)| k.clone()).collect();
        let fresh = v.mark_reminded_all(&keys, today)?;
        let lines: Vec<String> = due.into_iter().zip(fresh).filter(|(_, new)| *new).map(|((_, line), _)| line).collect();
        if lines.is_empty() {
            return Ok(None);
        }
        let count = lines.len();
        let title = match (en, count) {
            (false, 1) => "Sésame : 1 échéance proche".to_owned(),
            (false, n) => format!("Sésame : {n} échéances proches"),
            (true, 1) => "Sésame: 1 deadline coming up".to_owned(),
            (true, n) => format!("Sésame: {n} deadlines coming up"),
        };
        const SHOWN: usize = 5;
        let mut body = lines.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("\n");
        if count > SHOWN {
            let more = count - SHOWN;
            body.push_str(&if en { format!("\n…and {more} more: see Today.") } else { format!("\n…et {more} autres : voir Aujourd'hui.") });
        }
        Ok(Some(Reminder { title, body, count }))
    })
}

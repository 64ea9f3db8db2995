//! Reminders of deadlines due within the configured number of days, at
//! most once a day per deadline (`Vault::mark_reminded_all`), with initials
//! only: a notification pops up on a screen others can see.

use crate::error::AppError;
use crate::state::AppState;
use crate::app::DueDeadline;
use sesame_core::followup;
use sesame_core::rules::DeadlineId;

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
    let settings = state.with_vault(|v| Ok(v.settings()?))?;
    if settings.notify_days == 0 {
        return Ok(None);
    }
    let en = settings.language == "en";
    let days = chrono::Days::new(u64::from(settings.notify_days));
    let (horizon, past_limit) = (today + days, today - days);
    let line = |d: &DueDeadline| {
        let label = match d.rule {
            Some(id) => deadline_label(id, en),
            None if en => "deadline entered by hand",
            None => "échéance saisie à la main",
        };
        (d.key.clone(), format!("{} — {label} : {}", d.initials, d.due.format("%d/%m/%Y")))
    };
    // A computed deadline past for longer than the horizon is history (as
    // on Today); one entered by hand stays until it is marked done.
    let keep = |d: &&DueDeadline| d.due <= horizon && (d.rule.is_none() || d.due >= past_limit);
    let due: Vec<(String, String)> = if settings.notify_days <= crate::app::TODAY_HORIZON_DAYS {
        // Today's digest looks as far ahead and as far back: no new agenda.
        state.digest()?.due.iter().filter(keep).map(line).collect()
    } else {
        let agenda = state.with_vault(|v| Ok(followup::agenda(v, &state.catalog, today, settings.notify_days)?))?;
        crate::app::digest(state, today, agenda).due.iter().filter(keep).map(line).collect()
    };
    state.with_vault_agenda_unchanged(|v| {
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

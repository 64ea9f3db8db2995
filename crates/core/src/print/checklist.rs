//! Checklist PDFs: a case's personal checklist (the applicant's name, each
//! document's status, the next important dates) or a blank one per
//! procedure for drop-in sessions (no personal data at all).
//!
//! Each document appears in the applicant's language next to its checkbox
//! and in French beside it. Right-to-left languages (Arabic, Dari, Pashto)
//! get a mirrored page: checkbox and applicant's text on the right, where
//! reading starts; French on the left.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::engine::{CHECKLIST_TEMPLATE, FAMILIES, Job, Rendered};
use super::{PrintContext, PrintError, date_fr, labels};
use crate::catalog::{Catalog, Checklist};
use crate::domain::{Applicant, DocStatus, Id};
use crate::followup;
use crate::rules::{Due, Kind};
use crate::vault::Vault;

/// Languages written right to left (BCP 47 primary subtag).
fn is_rtl(lang: &str) -> bool {
    matches!(primary(lang), "ar" | "fa" | "ps" | "ur" | "he" | "ckb")
}

fn primary(lang: &str) -> &str {
    lang.split(['-', '_']).next().unwrap_or(lang)
}

/// The fonts for text in `lang`: its script's font first, so that spaces
/// and punctuation come from the same font as the letters around them.
fn fonts_for(lang: &str) -> Vec<&'static str> {
    let first = match primary(lang) {
        "ar" | "fa" | "ps" | "ur" | "ckb" => Some("Noto Naskh Arabic"),
        "ti" | "am" => Some("Noto Sans Ethiopic"),
        "bn" => Some("Noto Sans Bengali"),
        "ta" => Some("Noto Sans Tamil"),
        _ => None,
    };
    let mut fonts: Vec<&'static str> = first.into_iter().collect();
    fonts.extend(FAMILIES.iter().filter(|f| Some(**f) != first));
    fonts
}

/// In right-to-left text, a French term in parentheses — « (acte de
/// naissance intégral) » — must not break across lines: the bidi
/// algorithm would then show each half with a stray bracket. Its spaces
/// become no-break spaces. Other text is returned as is.
fn keep_latin_asides_together(text: &str, lang: &str) -> String {
    if !is_rtl(lang) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        match after.find(')') {
            Some(close) => {
                let aside = &after[..=close];
                let latin = aside.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_ascii() || ('\u{c0}'..='\u{24f}').contains(&c));
                if latin && aside.chars().count() <= 48 {
                    out.push_str(&aside.replace(' ', "\u{a0}"));
                } else {
                    out.push_str(aside);
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// One important date on the checklist.
struct DateLine {
    date: String,
    sort: NaiveDate,
    fr: String,
    t: String,
    verified: bool,
}

/// A recorded status, for the personal checklist.
struct Status {
    status: DocStatus,
}

fn status_key(s: DocStatus) -> &'static str {
    match s {
        DocStatus::Missing => "status_missing",
        DocStatus::Requested => "status_requested",
        DocStatus::Received => "status_received",
        DocStatus::Verified => "status_verified",
        DocStatus::Stale => "status_stale",
    }
}

/// How the applicant's name is printed: as they write it, with the
/// passport's Latin spelling after it when there is one.
pub(crate) fn display_name(a: &Applicant) -> String {
    let own = format!("{} {}", a.given_name.trim(), a.family_name.trim());
    let latin = match (&a.latin_given_name, &a.latin_family_name) {
        (Some(g), Some(f)) => Some(format!("{} {}", g.trim(), f.trim().to_uppercase())),
        (None, Some(f)) => Some(f.trim().to_uppercase()),
        (Some(g), None) => Some(g.trim().to_owned()),
        (None, None) => None,
    };
    match latin {
        Some(l) if !l.is_empty() && l.to_lowercase() != own.to_lowercase() => format!("{own} ({l})"),
        _ => own,
    }
}

/// The checklist data handed to the template as JSON.
fn data(
    checklist: &Checklist,
    statuses: Option<&BTreeMap<String, Status>>,
    dates: &[DateLine],
    applicant: Option<String>,
    ctx: &PrintContext,
) -> Value {
    let lang = checklist.lang.as_str();
    let t = |key: &str| labels::get(lang, key);
    let f = |key: &str| labels::get("fr", key);

    let mut notes = Vec::new();
    if lang != "fr" && !(checklist.reviewed && labels::reviewed(lang)) {
        // In the applicant's language when the labels have it; otherwise
        // the English label stands beside the French one.
        notes.push(json!({ "t": t("not_reviewed"), "fr": f("not_reviewed") }));
    }
    if checklist.name_fallback || checklist.items.iter().any(|i| i.fallback) {
        notes.push(json!({ "t": t("fallback"), "fr": f("fallback") }));
    }

    let mut previous_group: Option<&str> = None;
    let items: Vec<Value> = checklist
        .items
        .iter()
        .map(|item| {
            let group = item.alternative.as_deref();
            let group_start = group.is_some() && group != previous_group;
            previous_group = group;
            let status = statuses.map(|s| s.get(&item.id).map_or(DocStatus::Missing, |s| s.status));
            json!({
                "id": item.id,
                "name_fr": item.name_fr,
                "explain_fr": item.explain_fr,
                "name": keep_latin_asides_together(&item.name, lang),
                "explain": keep_latin_asides_together(&item.explain, lang),
                "fallback": item.fallback,
                "verified": item.verified,
                "group": group,
                "group_start": group_start,
                "checked": status.is_some_and(|s| matches!(s, DocStatus::Received | DocStatus::Verified)),
                "status": status.map(|s| json!({ "t": t(status_key(s)), "fr": f(status_key(s)) })),
            })
        })
        .collect();

    let fees: Vec<Value> = checklist
        .fees
        .iter()
        .map(|fee| {
            let euros = fee.amount_cents / 100;
            let cents = fee.amount_cents % 100;
            let amount = if cents == 0 { format!("{euros} €") } else { format!("{euros},{cents:02} €") };
            json!({ "label": fee.label_fr, "amount": amount, "verified": fee.verified })
        })
        .collect();

    let contact = checklist.contact.as_ref().map(|c| {
        let mut parts = vec![c.service.clone(), c.address.clone()];
        parts.extend(c.phone.clone());
        parts.extend(c.email.clone());
        parts.extend(c.hours.clone());
        format!("Dépôt au guichet si ANEF ne fonctionne pas (R431-2) : {}", parts.join(" · "))
    });

    let association = if ctx.association_name.trim().is_empty() { "Sésame" } else { ctx.association_name.trim() };
    json!({
        "title": format!("{} — {}", f("checklist_title"), checklist.name_fr),
        "lang": lang,
        "lang_code": primary(lang),
        "dir": if is_rtl(lang) { "rtl" } else { "ltr" },
        "fonts": FAMILIES,
        "fonts_t": fonts_for(lang),
        "t_scale": match primary(lang) {
            _ if is_rtl(lang) => 1.12,
            "ti" | "am" => 1.08,
            _ => 1.0,
        },
        // Bengali, Tamil and Ethiopic stack marks above and below the line.
        "t_leading": match primary(lang) {
            "bn" | "ta" | "ti" | "am" => 0.85,
            _ => 0.62,
        },
        "labels": { "fr": labels::json("fr"), "t": labels::json(lang) },
        "association": { "name": association, "contact": ctx.association_contact.trim() },
        "printed_on": date_fr(ctx.printed_on),
        "footer": format!(
            "{association} — {} {} — Sésame, catalogue {}",
            f("printed_on"),
            date_fr(ctx.printed_on),
            checklist.catalog_version
        ),
        "applicant": applicant,
        "procedure": { "id": checklist.procedure, "name_fr": checklist.name_fr, "name": keep_latin_asides_together(&checklist.name, lang) },
        "notes": notes,
        "deadlines": dates.iter().map(|d| json!({
            "date": d.date, "fr": d.fr, "t": d.t, "verified": d.verified,
        })).collect::<Vec<_>>(),
        "items": items,
        "fees": fees,
        "contact": contact,
    })
}

/// A blank checklist of `procedure` in French and `ctx.lang`, for drop-in
/// sessions: no name, no status, no date but the day it is printed.
/// `flags` are the situation conditions (hosted, married…), usually none.
pub fn blank_checklist_pdf(
    catalog: &Catalog,
    procedure: &str,
    flags: &BTreeMap<String, bool>,
    departement: Option<&str>,
    ctx: &PrintContext,
) -> Result<Rendered, PrintError> {
    let checklist = catalog.checklist_for(procedure, &ctx.lang, flags, ctx.printed_on, departement)?;
    let mut rendered = Job::new(CHECKLIST_TEMPLATE, &data(&checklist, None, &[], None, ctx))?.pdf()?;
    rendered.untranslated = untranslated(&checklist);
    Ok(rendered)
}

/// The French names of what is printed in French for want of a translation.
fn untranslated(checklist: &Checklist) -> Vec<String> {
    let mut out = Vec::new();
    if checklist.name_fallback {
        out.push(checklist.name_fr.clone());
    }
    out.extend(checklist.items.iter().filter(|i| i.fallback).map(|i| i.name_fr.clone()));
    out
}

/// The personal checklist of a case in French and `ctx.lang`: the
/// applicant's name, each document with its recorded status (ticked when
/// received or verified), and the next important dates (computed
/// deadlines from today on, unverified ones marked "to be checked", and
/// the volunteer's own deadlines).
///
/// When the case's facts cannot be read, the checklist is still printed
/// without computed dates and [`Rendered::deadlines_unavailable`] says so.
pub fn case_checklist_pdf(
    vault: &Vault,
    catalog: &Catalog,
    case_id: Id,
    ctx: &PrintContext,
) -> Result<Rendered, PrintError> {
    let case = vault.case(case_id)?;
    let applicant = vault.applicant(case.applicant_id)?;
    let (checklist, lines, _extra) = followup::case_checklist(vault, catalog, &case, &ctx.lang, ctx.printed_on)?;
    let statuses: BTreeMap<String, Status> =
        lines.into_iter().map(|l| (l.item.id.clone(), Status { status: l.status })).collect();

    let lang = checklist.lang.clone();
    let mut dates = Vec::new();
    let computed = followup::case_deadlines(vault, catalog, &case, ctx.printed_on);
    let deadlines_unavailable = computed.is_err();
    for d in computed.unwrap_or_default() {
        if d.kind != Kind::Deadline || d.due.date() < ctx.printed_on {
            continue;
        }
        let id = serde_json::to_value(d.id).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let date = match d.due {
            Due::Date(day) => date_fr(day),
            Due::DateTime(at) => format!("{} {}", date_fr(at.date_naive()), at.format("%H:%M")),
        };
        dates.push(DateLine {
            date,
            sort: d.due.date(),
            fr: labels::deadline("fr", &id).unwrap_or_else(|| d.rule.to_owned()),
            t: labels::deadline(&lang, &id).unwrap_or_else(|| d.rule.to_owned()),
            verified: d.verified,
        });
    }
    for d in vault.deadlines(case.id)? {
        if !d.done && d.due >= ctx.printed_on {
            // Typed by the volunteer, in French: printed as typed in both columns.
            dates.push(DateLine { date: date_fr(d.due), sort: d.due, fr: d.title.clone(), t: d.title, verified: true });
        }
    }
    dates.sort_by_key(|d| d.sort);
    dates.truncate(6);

    let data = data(&checklist, Some(&statuses), &dates, Some(display_name(&applicant)), ctx);
    let mut rendered = Job::new(CHECKLIST_TEMPLATE, &data)?.pdf()?;
    rendered.deadlines_unavailable = deadlines_unavailable;
    rendered.untranslated = untranslated(&checklist);
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_asides_in_arabic_stay_on_one_line() {
        assert_eq!(
            keep_latin_asides_together("شهادة (acte de naissance) و (x)", "ar"),
            "شهادة (acte\u{a0}de\u{a0}naissance) و (x)"
        );
        assert_eq!(keep_latin_asides_together("a (b c)", "fr"), "a (b c)");
        assert_eq!(keep_latin_asides_together("(غير مترجم) (", "fa-AF"), "(غير مترجم) (");
    }
}

//! Synthetic, realistic data for demonstrations, benchmarks and tests.
//!
//! Never real people: names are drawn from lists of common family and given
//! names, combined at random, in the scripts applicants actually write
//! (Latin, Arabic, Persian, Cyrillic, Ethiopic, Bengali, Tamil), each with
//! the Latin transliteration found on a passport.

use crate::domain::{DocStatus, Entity, Id};
use crate::vault::{Vault, VaultError};
use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A procedure the demo may open, with its document type ids.
#[derive(Debug, Clone)]
pub struct DemoProcedure {
    pub id: String,
    pub documents: Vec<String>,
}

/// A group of names: script, nationality, languages, (native, latin) pairs.
struct Group {
    nationality: &'static str,
    languages: &'static str,
    families: &'static [(&'static str, &'static str)],
    givens: &'static [(&'static str, &'static str)],
}

const GROUPS: &[Group] = &[
    Group {
        nationality: "DZ",
        languages: "ar, fr",
        families: &[("حداد", "Haddad"), ("بن علي", "Benali"), ("منصوري", "Mansouri"), ("شريف", "Cherif"), ("بلقاسم", "Belkacem")],
        givens: &[("محمد", "Mohamed"), ("فاطمة", "Fatima"), ("أمينة", "Amina"), ("ياسين", "Yacine"), ("ليلى", "Leila")],
    },
    Group {
        nationality: "AF",
        languages: "fa-AF, ps",
        families: &[("احمدی", "Ahmadi"), ("کریمی", "Karimi"), ("رحیمی", "Rahimi"), ("یوسفزی", "Yousafzai"), ("نوری", "Noori")],
        givens: &[("فرشته", "Freshta"), ("احمد", "Ahmad"), ("مریم", "Maryam"), ("نوید", "Navid"), ("زهرا", "Zahra")],
    },
    Group {
        nationality: "UA",
        languages: "uk, ru",
        families: &[("Шевченко", "Shevchenko"), ("Коваленко", "Kovalenko"), ("Бондаренко", "Bondarenko"), ("Мельник", "Melnyk"), ("Ткаченко", "Tkachenko")],
        givens: &[("Олена", "Olena"), ("Тарас", "Taras"), ("Анна", "Anna"), ("Дмитро", "Dmytro"), ("Ірина", "Iryna")],
    },
    Group {
        nationality: "ER",
        languages: "ti, en",
        families: &[("ተስፋይ", "Tesfay"), ("ገብረመድህን", "Gebremedhin"), ("ኪዳነ", "Kidane"), ("ሃብተ", "Habte"), ("ወልደ", "Welde")],
        givens: &[("ሰላም", "Selam"), ("ዳዊት", "Dawit"), ("ሄለን", "Helen"), ("ዮናስ", "Yonas"), ("ሳባ", "Saba")],
    },
    Group {
        nationality: "BD",
        languages: "bn, en",
        families: &[("রহমান", "Rahman"), ("হোসেন", "Hossain"), ("ইসলাম", "Islam"), ("আহমেদ", "Ahmed"), ("চৌধুরী", "Chowdhury")],
        givens: &[("রাকিব", "Rakib"), ("নুসরাত", "Nusrat"), ("তানভীর", "Tanvir"), ("সাদিয়া", "Sadia"), ("ইমরান", "Imran")],
    },
    Group {
        nationality: "LK",
        languages: "ta, en",
        families: &[("முருகன்", "Murugan"), ("செல்வம்", "Selvam"), ("கணேசன்", "Ganesan"), ("ராஜா", "Raja")],
        givens: &[("கீதா", "Geetha"), ("அருண்", "Arun"), ("பிரியா", "Priya"), ("குமார்", "Kumar")],
    },
    Group {
        nationality: "MA",
        languages: "fr, ar",
        families: &[("Benjelloun", ""), ("El Amrani", ""), ("Saïdi", ""), ("Aït Ahmed", ""), ("Bouzid", "")],
        givens: &[("Karim", ""), ("Nadia", ""), ("Sofiane", ""), ("Leïla", ""), ("Inès", "")],
    },
    Group {
        nationality: "BR",
        languages: "pt, es",
        families: &[("Gonçalves", ""), ("Pereira", ""), ("Núñez", ""), ("Muñoz", ""), ("Araújo", "")],
        givens: &[("João", ""), ("Inês", ""), ("José", ""), ("María", ""), ("Conceição", "")],
    },
    Group {
        nationality: "TR",
        languages: "tr",
        families: &[("Yılmaz", ""), ("Öztürk", ""), ("Çelik", ""), ("Şahin", ""), ("Doğan", "")],
        givens: &[("Ayşe", ""), ("Mehmet", ""), ("Gül", ""), ("Emre", ""), ("Çağla", "")],
    },
    Group {
        nationality: "CI",
        languages: "fr",
        families: &[("Kouassi", ""), ("N'Guessan", ""), ("Koné", ""), ("Traoré", ""), ("Bamba", "")],
        givens: &[("Benoît", ""), ("Hélène", ""), ("Aïcha", ""), ("Noël", ""), ("Éloïse", "")],
    },
];

const STEPS: &[&str] = &[
    "dépôt de la demande",
    "paiement du timbre fiscal",
    "téléversement des justificatifs",
    "création du compte ANEF",
    "prise de rendez-vous",
];
const ERRORS: &[&str] = &[
    "Une erreur technique est survenue. Veuillez réessayer ultérieurement.",
    "Erreur 500",
    "Le service est momentanément indisponible.",
    "Votre demande ne peut aboutir : aucune démarche ne correspond à votre situation.",
];

/// The procedures the demo opens: every catalog procedure whose checklist
/// can be computed on `today`, with its document types.
pub fn procedures(catalog: &crate::catalog::Catalog, today: NaiveDate) -> Vec<DemoProcedure> {
    let none = std::collections::BTreeMap::new();
    catalog
        .procedures()
        .keys()
        .filter_map(|p| {
            let c = catalog.checklist(p, "fr", &none, today).ok()?;
            Some(DemoProcedure { id: p.clone(), documents: c.items.into_iter().map(|i| i.id).collect() })
        })
        .collect()
}

/// Fills the vault with `n` synthetic applicants, each with one or two
/// cases, their checklists, deadlines, journal and incidents. Reproducible
/// for a given `seed`. Runs in one transaction per 500 applicants.
pub fn fill(vault: &mut Vault, n: usize, seed: u64, procedures: &[DemoProcedure]) -> Result<Vec<Id>, VaultError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let today = vault.today();
    let mut ids = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(500) {
        let chunk = (n - chunk_start).min(500);
        let mut made = vault.batch(|v| {
            let mut out = Vec::with_capacity(chunk);
            for _ in 0..chunk {
                out.push(one(v, &mut rng, today, procedures)?);
            }
            Ok(out)
        })?;
        ids.append(&mut made);
    }
    Ok(ids)
}

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn day(today: NaiveDate, offset: i64) -> NaiveDate {
    if offset >= 0 {
        today.checked_add_days(Days::new(offset.unsigned_abs())).unwrap_or(today)
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs())).unwrap_or(today)
    }
}

fn one(v: &mut Vault, rng: &mut StdRng, today: NaiveDate, procedures: &[DemoProcedure]) -> Result<Id, VaultError> {
    let g = pick(rng, GROUPS);
    let (family, latin_family) = *pick(rng, g.families);
    let (given, latin_given) = *pick(rng, g.givens);
    let birth = day(today, -rng.random_range(18 * 365..60 * 365)).to_string();
    let agdref = format!("{:010}", rng.random_range(0..10_000_000_000u64));
    let phone = format!("06 {:02} {:02} {:02} {:02}", rng.random_range(0..100), rng.random_range(0..100), rng.random_range(0..100), rng.random_range(0..100));
    let consent = format!("{};oral;suivi du dossier de séjour et partage avec l'équipe", day(today, -rng.random_range(0..400)));
    let mut fields = vec![
        ("family_name", family),
        ("given_name", given),
        ("birth_date", birth.as_str()),
        ("nationality", g.nationality),
        ("languages", g.languages),
        ("agdref", agdref.as_str()),
        ("phone", phone.as_str()),
        ("consent", consent.as_str()),
    ];
    if !latin_family.is_empty() {
        fields.push(("latin_family_name", latin_family));
        fields.push(("latin_given_name", latin_given));
    }
    let applicant = v.create(Entity::Applicant, &fields)?;
    if procedures.is_empty() {
        return Ok(applicant);
    }
    for _ in 0..rng.random_range(1..=2) {
        let p = pick(rng, procedures);
        let expires = day(today, rng.random_range(-60..200));
        let facts = serde_json::json!({
            "current_permit": { "expires_on": expires.to_string(), "on_anef": true }
        })
        .to_string();
        let applicant_s = applicant.to_string();
        let opened = day(today, -rng.random_range(0..300)).to_string();
        let dept = *pick(rng, &["75", "93", "69", "13", "57", "67", "33"]);
        let case = v.create(
            Entity::Case,
            &[
                ("applicant_id", applicant_s.as_str()),
                ("procedure", p.id.as_str()),
                ("department", dept),
                ("opened_on", opened.as_str()),
                ("facts", facts.as_str()),
            ],
        )?;
        for doc in &p.documents {
            let status = *pick(rng, &DocStatus::ALL);
            let issued = day(today, -rng.random_range(0..400)).to_string();
            let issued = (status != DocStatus::Missing && rng.random_bool(0.6)).then_some(issued.as_str());
            v.set_document(case, doc, status, issued)?;
        }
        let case_s = case.to_string();
        if rng.random_bool(0.3) {
            let due = day(today, rng.random_range(1..60)).to_string();
            v.create(Entity::Deadline, &[("case_id", case_s.as_str()), ("due", due.as_str()), ("title", "Rendez-vous en préfecture")])?;
        }
        let at = format!("{}T10:30:00+01:00", day(today, -rng.random_range(0..60)));
        v.create(Entity::JournalEntry, &[("case_id", case_s.as_str()), ("at", at.as_str()), ("text", "Premier entretien : liste des pièces remise.")])?;
        if rng.random_bool(0.25) {
            for _ in 0..rng.random_range(1..4) {
                let at = format!("{}T{:02}:{:02}:00+01:00", day(today, -rng.random_range(0..45)), rng.random_range(8..19), rng.random_range(0..60));
                let ticket = format!("CCC-{}", rng.random_range(100_000..999_999));
                v.create(
                    Entity::Incident,
                    &[
                        ("case_id", case_s.as_str()),
                        ("occurred_at", at.as_str()),
                        ("step", *pick(rng, STEPS)),
                        ("error_message", *pick(rng, ERRORS)),
                        ("ticket", ticket.as_str()),
                    ],
                )?;
            }
        }
    }
    Ok(applicant)
}

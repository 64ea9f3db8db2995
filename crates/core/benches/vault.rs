//! Vault benchmarks: the encrypted vault against plain SQLite, same run.
//!
//! Run with `cargo bench -p sesame-core --bench vault` (add `-- --quick`
//! for a smaller run). Both databases use the same SQLite build, schema,
//! pragmas (WAL, synchronous=FULL, secure_delete) and code path; the only
//! difference is the SQLCipher key. Work on the two is interleaved so that
//! a noisy neighbour slows both alike, and results are reported as ratios.

use sesame_core::clock::FixedClock;
use sesame_core::domain::Entity;
use sesame_core::vault::{ListedIds, Options, Vault};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn opts() -> Options {
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().unwrap_or_default()));
    Options { kdf_log_n: Some(10), ..Options::new(clock, Arc::new(ListedIds::default())) }
}

const FAMILIES: &[&str] = &[
    "Haddad", "Benali", "Mansouri", "Cherif", "Ahmadi", "Karimi", "Rahimi", "Shevchenko", "Kovalenko", "Tesfay",
    "Gebremedhin", "Rahman", "Hossain", "Murugan", "Gonçalves", "Pereira", "Yılmaz", "Öztürk", "Kouassi", "Koné",
    "حداد", "احمدی", "Шевченко", "ተስፋይ", "রহমান", "முருகன்", "Traoré", "N'Guessan", "Núñez", "Lefèvre",
];
const GIVENS: &[&str] = &[
    "Mohamed", "Fatima", "Amina", "Yacine", "Freshta", "Ahmad", "Maryam", "Olena", "Taras", "Selam", "Dawit",
    "Rakib", "Nusrat", "Geetha", "João", "Inês", "Ayşe", "Mehmet", "Benoît", "Hélène", "محمد", "Олена", "ሰላም",
];

/// Deterministic pseudo-random names: applicant `i`.
fn applicant(i: usize) -> (String, String, String) {
    let f = FAMILIES[(i * 7919) % FAMILIES.len()];
    let g = GIVENS[(i * 104_729) % GIVENS.len()];
    (format!("{f}{}", i % 97), g.to_owned(), format!("{:010}", (i as u64 * 2_654_435_761) % 10_000_000_000))
}

fn insert(v: &mut Vault, i: usize) {
    let (f, g, agdref) = applicant(i);
    v.create(
        Entity::Applicant,
        &[("family_name", &f), ("given_name", &g), ("birth_date", "1990-05-17"), ("nationality", "DZ"), ("languages", "ar, fr"), ("agdref", &agdref)],
    )
    .expect("insert");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 2_000 } else { 10_000 };
    let tmp = tempfile::tempdir().expect("tempdir");
    let pass = secrecy::SecretString::from("benchmark passphrase".to_owned());
    let mut enc = Vault::init(&tmp.path().join("enc"), &pass, None, opts()).expect("init");
    let mut plain = Vault::unencrypted_for_benchmarks(&tmp.path().join("plain"), opts()).expect("plain");

    // 1. Inserts, one transaction (and one disk flush) per applicant, as a
    //    volunteer saves them. Interleaved in blocks of 100.
    let (mut t_enc, mut t_plain) = (Duration::ZERO, Duration::ZERO);
    for block in (0..n).step_by(100) {
        let t = Instant::now();
        for i in block..block + 100 {
            insert(&mut enc, i);
        }
        t_enc += t.elapsed();
        let t = Instant::now();
        for i in block..block + 100 {
            insert(&mut plain, i);
        }
        t_plain += t.elapsed();
    }
    println!("insert {n} applicants, one commit each: encrypted {:.2} s, plain {:.2} s, ratio {:.2}", t_enc.as_secs_f64(), t_plain.as_secs_f64(), t_enc.as_secs_f64() / t_plain.as_secs_f64());

    // 2. Search as you type over the n applicants: every prefix of 300
    //    names (family name then given name), 20 results per keystroke.
    let (mut s_enc, mut s_plain) = (Vec::new(), Vec::new());
    for i in (0..300).map(|k| k * 37) {
        let (f, g, _) = applicant(i);
        let typed = format!("{} {}", f.chars().take(6).collect::<String>(), g);
        let chars: Vec<char> = typed.chars().collect();
        for end in 1..=chars.len() {
            let q: String = chars[..end].iter().collect();
            let t = Instant::now();
            let hits = enc.search(&q, 20).expect("search");
            s_enc.push(t.elapsed());
            let t = Instant::now();
            let hits_plain = plain.search(&q, 20).expect("search");
            s_plain.push(t.elapsed());
            assert_eq!(hits.len(), hits_plain.len());
        }
    }
    s_enc.sort();
    s_plain.sort();
    println!(
        "search-as-you-type, {} keystrokes over {} applicants: encrypted p50 {:.3} ms, p95 {:.3} ms; plain p50 {:.3} ms, p95 {:.3} ms; p95 ratio {:.2}",
        s_enc.len(),
        n,
        ms(percentile(&s_enc, 0.5)),
        ms(percentile(&s_enc, 0.95)),
        ms(percentile(&s_plain, 0.5)),
        ms(percentile(&s_plain, 0.95)),
        ms(percentile(&s_enc, 0.95)) / ms(percentile(&s_plain, 0.95)),
    );
    // 3. Bulk insert (one transaction per 500, as `sesame demo` and imports do).
    let (mut b_enc, mut b_plain) = (Duration::ZERO, Duration::ZERO);
    for block in (n..2 * n).step_by(500) {
        let t = Instant::now();
        enc.batch(|v| {
            (block..block + 500).for_each(|i| insert(v, i));
            Ok(())
        })
        .expect("batch");
        b_enc += t.elapsed();
        let t = Instant::now();
        plain
            .batch(|v| {
                (block..block + 500).for_each(|i| insert(v, i));
                Ok(())
            })
            .expect("batch");
        b_plain += t.elapsed();
    }
    println!("bulk insert {n} more, 500 per commit: encrypted {:.2} s, plain {:.2} s, ratio {:.2}", b_enc.as_secs_f64(), b_plain.as_secs_f64(), b_enc.as_secs_f64() / b_plain.as_secs_f64());

}

//! The Today screen's agenda over a 10,000-applicant demo vault, encrypted
//! against plain SQLite in the same run.
//!
//! Run with `cargo bench -p sesame-core --bench agenda` (`-- --quick` for
//! 2,000 applicants, `-- --runs N` for more than 5 runs, e.g. under a
//! profiler). The desktop opens on this list after unlocking, so its
//! cost is most of "cold start to Today" beyond key derivation.

use sesame_core::catalog::Catalog;
use sesame_core::clock::FixedClock;
use sesame_core::followup;
use sesame_core::vault::{Options, Vault};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 2_000 } else { 10_000 };
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse::<usize>().ok())
        .unwrap_or(5)
        .max(1);
    let catalog = Arc::new(Catalog::shipped().expect("shipped catalog"));
    let clock = Arc::new(FixedClock::at("2026-11-28T09:00:00Z".parse().expect("date")));
    let opts = || Options { kdf_log_n: Some(10), ..Options::new(clock.clone(), catalog.clone()) };
    let tmp = tempfile::tempdir().expect("tempdir");
    let pass = secrecy::SecretString::from("benchmark passphrase".to_owned());
    let mut enc = Vault::init(&tmp.path().join("enc"), &pass, None, opts()).expect("init");
    let mut plain = Vault::unencrypted_for_benchmarks(&tmp.path().join("plain"), opts()).expect("plain");
    let procs = sesame_core::demo::procedures(&catalog, enc.today());
    let t = Instant::now();
    sesame_core::demo::fill(&mut enc, n, 7, &procs).expect("demo");
    sesame_core::demo::fill(&mut plain, n, 7, &procs).expect("demo");
    eprintln!("made two {n}-applicant demo vaults in {:.1} s", t.elapsed().as_secs_f64());
    let today = enc.today();

    // Reopen the encrypted vault so that its page cache starts cold, as
    // after unlocking.
    drop(enc);
    let t = Instant::now();
    let enc = Vault::unlock(&tmp.path().join("enc"), &pass, opts()).expect("unlock");
    let unlock = t.elapsed();

    let (mut te, mut tp) = (Vec::new(), Vec::new());
    let mut lines = 0;
    // The agenda frees what it read on another thread once it has its
    // lines; in the app nothing follows at once, so each run here waits
    // for the machine to be as calm as the app would find it.
    let settle = || std::thread::sleep(Duration::from_millis(300));
    for _ in 0..runs {
        settle();
        let t = Instant::now();
        lines = followup::agenda(&enc, &catalog, today, 30).expect("agenda").len();
        te.push(t.elapsed());
        settle();
        let t = Instant::now();
        let lp = followup::agenda(&plain, &catalog, today, 30).expect("agenda").len();
        tp.push(t.elapsed());
        assert_eq!(lines, lp, "same data, same agenda");
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let first_enc = te[0];
    te.sort();
    tp.sort();
    println!(
        "agenda over {n} applicants ({lines} lines), {runs} runs: encrypted first {:.0} ms, median {:.0} ms; plain median {:.0} ms; ratio {:.2} (unlock with KDF 2^10: {:.0} ms)",
        ms(first_enc),
        ms(te[runs / 2]),
        ms(tp[runs / 2]),
        ms(te[runs / 2]) / ms(tp[runs / 2]),
        ms(unlock)
    );
}

//! Measurement hooks for `tests/desktop/bench.sh`, inert unless
//! `SESAME_BENCH` is set. Nothing here runs in normal use.
//!
//! - `SESAME_BENCH=today` with `SESAME_BENCH_PASSPHRASE`: when the page is
//!   loaded (its first `bench_mark`), the shell unlocks as the Unlock
//!   button does (the KDF timed apart), the page shows Today and calls
//!   `bench_mark("today")`; the shell prints the timings and, with
//!   `SESAME_BENCH_FILES=N`, opens N case files (Today's first, as a
//!   volunteer would), prints its resident memory,
//!   and exits.
//! - `SESAME_BENCH=empty`: the page calls `bench_mark("empty")` as soon as
//!   it is loaded, without touching the vault: the floor of an empty window.

use crate::state::AppState;
use secrecy::SecretString;
use std::sync::OnceLock;
use std::time::Instant;
use tauri::{AppHandle, Manager, State};

static START: OnceLock<Instant> = OnceLock::new();
static KDF_MS: OnceLock<f64> = OnceLock::new();

pub fn started() {
    let _ = START.set(Instant::now());
}

fn mode() -> Option<String> {
    std::env::var("SESAME_BENCH").ok().filter(|m| !m.is_empty())
}

/// Prints when something happened since start (bench mode only): how the
/// time to Today is spent.
pub fn event(what: &str) {
    if mode().is_some() {
        println!("bench event: {what} at_ms={:.0}", elapsed_ms());
    }
}

fn elapsed_ms() -> f64 {
    START.get().map_or(0.0, |s| s.elapsed().as_secs_f64() * 1000.0)
}

/// In `today` mode, as soon as the page is loaded (its first call), the
/// shell unlocks as the Unlock button would, timing the KDF apart, and
/// starts Today's agenda: the run is a volunteer who typed the passphrase
/// the moment the window appeared.
fn unlock_as_the_page_would(app: &AppHandle) {
    let Ok(p) = std::env::var("SESAME_BENCH_PASSPHRASE") else { return };
    let state = app.state::<AppState>();
    if state.is_unlocked() {
        return;
    }
    event("unlock asked");
    if crate::app::unlock(&state, &SecretString::from(p)).is_err() {
        eprintln!("bench: unlock failed");
        std::process::exit(2);
    }
    // Only scrypt's own time is set apart: opening the database is charged
    // to "beyond the KDF".
    let kdf = state.with_vault(|v| Ok(v.key_derivation_time())).unwrap_or_default();
    let _ = KDF_MS.set(kdf.as_secs_f64() * 1000.0);
    event("unlocked");
    crate::commands::prepare_today(app);
}

fn status_field(pid: &str, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

fn rss_kib() -> u64 {
    status_field("self", "VmRSS:").unwrap_or(0)
}

/// Resident memory of this process and every descendant (WebKit's web
/// and network processes), in KiB.
fn tree_rss_kib() -> u64 {
    let me = std::process::id();
    let procs: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid: u32 = name.parse().ok()?;
            let ppid = status_field(&name, "PPid:")? as u32;
            Some((pid, ppid, status_field(&name, "VmRSS:").unwrap_or(0)))
        })
        .collect();
    let mut tree = vec![me];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    procs.iter().filter(|p| tree.contains(&p.0)).map(|p| p.2).sum()
}

/// What the page does next in bench mode.
#[derive(Debug, Default, serde::Serialize)]
pub struct BenchAnswer {
    /// The shell is exiting: do nothing more.
    pub exit: bool,
    /// Case files to open one after the other, then mark "files".
    pub open: Vec<String>,
}

/// The page reached `screen`: print the timings (bench mode only).
#[tauri::command(rename_all = "snake_case")]
pub async fn bench_mark(app: AppHandle, state: State<'_, AppState>, screen: String) -> Result<BenchAnswer, crate::error::AppError> {
    let Some(mode) = mode() else { return Ok(BenchAnswer::default()) };
    static FILES_START: OnceLock<Instant> = OnceLock::new();
    if screen == "files" {
        let ms = FILES_START.get().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "bench files: ms={ms:.0} rss_kib={} anon_kib={} file_kib={} tree_rss_kib={}",
            rss_kib(),
            status_field("self", "RssAnon:").unwrap_or(0),
            status_field("self", "RssFile:").unwrap_or(0),
            tree_rss_kib()
        );
        app.exit(0);
        return Ok(BenchAnswer { exit: true, open: Vec::new() });
    }
    if mode == "today" && screen == "empty" {
        unlock_as_the_page_would(&app);
        return Ok(BenchAnswer::default());
    }
    if mode != screen {
        return Ok(BenchAnswer::default());
    }
    let total = elapsed_ms();
    let kdf = KDF_MS.get().copied().unwrap_or(0.0);
    println!(
        "bench {screen}: start_to_screen_ms={total:.0} kdf_ms={kdf:.0} beyond_kdf_ms={:.0} rss_kib={} tree_rss_kib={}",
        total - kdf,
        rss_kib(),
        tree_rss_kib()
    );
    if let Some(n) = std::env::var("SESAME_BENCH_FILES").ok().and_then(|n| n.parse::<usize>().ok()) {
        // The files a volunteer opens from Today: its lines' cases, in order.
        let mut open: Vec<String> = Vec::new();
        for line in &state.digest()?.today.items {
            if open.len() < n && !open.contains(&line.case_id) {
                open.push(line.case_id.clone());
            }
        }
        let _ = FILES_START.set(Instant::now());
        return Ok(BenchAnswer { exit: false, open });
    }
    app.exit(0);
    Ok(BenchAnswer { exit: true, open: Vec::new() })
}

//! Measurement hooks for `tests/desktop/bench.sh`, inert unless
//! `SESAME_BENCH` is set. Nothing here runs in normal use.
//!
//! - `SESAME_BENCH=today` with `SESAME_BENCH_PASSPHRASE`: the shell unlocks
//!   at start (the KDF timed apart), the page shows Today and calls
//!   `bench_mark("today")`; the shell prints the timings and, with
//!   `SESAME_BENCH_FILES=N`, opens N case files, prints its resident memory,
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

fn elapsed_ms() -> f64 {
    START.get().map_or(0.0, |s| s.elapsed().as_secs_f64() * 1000.0)
}

pub fn setup(app: &AppHandle) {
    if mode().as_deref() != Some("today") {
        return;
    }
    let Ok(p) = std::env::var("SESAME_BENCH_PASSPHRASE") else { return };
    let state = app.state::<AppState>();
    let t = Instant::now();
    let ok = crate::app::unlock(&state, &SecretString::from(p)).is_ok();
    let _ = KDF_MS.set(t.elapsed().as_secs_f64() * 1000.0);
    if !ok {
        eprintln!("bench: unlock failed");
        std::process::exit(2);
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// The page reached `screen`: print the timings (bench mode only) and exit.
#[tauri::command(rename_all = "snake_case")]
pub async fn bench_mark(app: AppHandle, state: State<'_, AppState>, screen: String) -> Result<bool, crate::error::AppError> {
    let Some(mode) = mode() else { return Ok(false) };
    if mode != screen {
        return Ok(false);
    }
    let total = elapsed_ms();
    let kdf = KDF_MS.get().copied().unwrap_or(0.0);
    println!("bench {screen}: start_to_screen_ms={total:.0} kdf_ms={kdf:.0} beyond_kdf_ms={:.0} rss_kib={}", total - kdf, rss_kib());
    if let Some(n) = std::env::var("SESAME_BENCH_FILES").ok().and_then(|n| n.parse::<usize>().ok()) {
        let ids: Vec<String> = state.with_vault(|v| Ok(v.cases(None)?.into_iter().take(n).map(|c| c.id.to_string()).collect()))?;
        let t = Instant::now();
        for id in &ids {
            let _ = crate::app::case_view(&state, id, "fr")?;
        }
        println!("bench files: opened={} ms={:.0} rss_kib={}", ids.len(), t.elapsed().as_secs_f64() * 1000.0, rss_kib());
    }
    app.exit(0);
    Ok(true)
}

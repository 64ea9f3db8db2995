//! Printing benchmarks: checklist PDFs cold and warm, letters, and the
//! preparation of phone photos for ANEF.
//!
//! Run with `cargo bench -p sesame-core --bench print` (add `-- --quick`
//! for a smaller run). "Cold" is the first PDF of the process: it loads
//! the embedded fonts and Typst's standard library. "Warm" is every later
//! one, which is what a volunteer waits for after the first print.

use sesame_core::catalog::Catalog;
use sesame_core::print::{self, AnefFormat, AnefLimit, MediaKind, PrintContext};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn ctx(lang: &str) -> PrintContext {
    PrintContext {
        association_name: "Permanence juridique de Saint-Denis".into(),
        association_contact: "12 rue de la République, 93200 Saint-Denis".into(),
        printed_on: "2026-11-28".parse().unwrap_or_default(),
        lang: lang.into(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A 4000 × 3000 photo of a page, noisy like a phone sensor.
fn photo() -> Vec<u8> {
    let mut seed = 0x9E3779B97F4A7C15u64;
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 25) as i32 - 12;
        let ink = (y / 40) % 3 == 0 && (x / 25) % 5 != 4;
        let v = ((if ink { 40 } else { 235 - (x / 80) as i32 }) + noise).clamp(0, 255) as u8;
        image::Rgb([v, v, v])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
    image::DynamicImage::ImageRgb8(img).write_with_encoder(encoder).unwrap_or_default();
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 10 } else { 40 };
    let catalog = Catalog::shipped().expect("catalog");
    let flags = BTreeMap::new();
    let procedure = "etudiant_renewal";

    // Cold: the first PDF of the process.
    let start = Instant::now();
    let first = print::blank_checklist_pdf(&catalog, procedure, &flags, None, &ctx("ar")).expect("pdf");
    let cold = start.elapsed();
    println!("checklist cold (first PDF in the process, Arabic): {}  [{} pages, {} kB]", ms(cold), first.pages, first.bytes.len() / 1000);

    println!("checklist warm, {runs} runs each:");
    println!("| Language | p50 | p95 | pages | size |");
    println!("|---|---|---|---|---|");
    for lang in ["fr", "en", "ar", "fa-AF", "ti", "bn", "ta"] {
        let mut times = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let start = Instant::now();
            let r = print::blank_checklist_pdf(&catalog, procedure, &flags, None, &ctx(lang)).expect("pdf");
            times.push(start.elapsed());
            last = Some(r);
        }
        times.sort();
        let r = last.expect("one run");
        println!("| {lang} | {} | {} | {} | {} kB |", ms(percentile(&times, 0.5)), ms(percentile(&times, 0.95)), r.pages, r.bytes.len() / 1000);
    }

    // ANEF preparation: one 12-megapixel photo to a JPEG, and to a PDF.
    let photo = photo();
    let megapixels = 12.0;
    println!("photo: 4000×3000, {} kB", photo.len() / 1000);
    let limit = AnefLimit::default();
    let photo_runs = if quick { 3 } else { 8 };
    for (format, label) in [(AnefFormat::Jpeg, "JPEG"), (AnefFormat::Pdf, "PDF")] {
        let mut times = Vec::with_capacity(photo_runs);
        let mut size = 0;
        for _ in 0..photo_runs {
            let start = Instant::now();
            let out = print::anef::prepare_files("Passeport", vec![(MediaKind::Jpeg, "p.jpg".into(), photo.clone())], &limit, format)
                .expect("prepare");
            times.push(start.elapsed());
            size = out.bytes.len();
        }
        times.sort();
        let p50 = percentile(&times, 0.5);
        println!(
            "ANEF {label}: p50 {} per 12 MP photo = {:.1} MP/s, {:.2} photos/s, output {} kB (limit {} kB)",
            ms(p50),
            megapixels / p50.as_secs_f64(),
            1.0 / p50.as_secs_f64(),
            size / 1000,
            limit.max_bytes / 1000
        );
    }
    // Three photos merged into one PDF.
    let start = Instant::now();
    let files = (0..3).map(|i| (MediaKind::Jpeg, format!("p{i}.jpg"), photo.clone())).collect();
    let merged = print::anef::prepare_files("Bulletins de salaire", files, &limit, AnefFormat::Pdf).expect("merge");
    println!("ANEF PDF, 3 photos merged: {} , {} pages, {} kB", ms(start.elapsed()), merged.pages, merged.bytes.len() / 1000);
}

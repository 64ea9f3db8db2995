//! Printing benchmarks: checklist PDFs cold and warm, letters, and the
//! preparation of phone photos for ANEF.
//!
//! Run with `cargo bench -p sesame-core --bench print` (add `-- --quick`
//! for a smaller run). "Cold" is the first PDF of the process: it loads
//! the embedded fonts and Typst's standard library. "Warm" is every later
//! one, which is what a volunteer waits for after the first print; each
//! language is also given as a ratio to French, measured in the same run.
//! ANEF preparation is compared with a baseline measured in the same run,
//! interleaved: the image crate's plain decode and re-encode of the same
//! photo. A plain `main` rather than divan: the cold figure needs the first
//! render of a fresh process, which a sampling harness would hide.

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

    // Cold: the first PDF of the process (fonts and Typst's library loaded).
    let start = Instant::now();
    let first = print::blank_checklist_pdf(&catalog, procedure, &flags, None, &ctx("ar")).expect("pdf");
    let cold = start.elapsed();
    if std::env::args().any(|a| a == "--cold-only") {
        println!("{}", cold.as_secs_f64());
        return;
    }
    // More cold samples: this binary again, in fresh processes.
    let mut colds = vec![cold];
    if let Ok(me) = std::env::current_exe() {
        for _ in 0..if quick { 2 } else { 6 } {
            let out = std::process::Command::new(&me).arg("--cold-only").output();
            if let Some(s) = out.ok().and_then(|o| String::from_utf8(o.stdout).ok()).and_then(|s| s.trim().parse::<f64>().ok()) {
                colds.push(Duration::from_secs_f64(s));
            }
        }
    }
    colds.sort();
    println!(
        "checklist cold (first PDF of a fresh process, Arabic), {} processes: p50 {}, max {}  [{} pages, {} kB]",
        colds.len(),
        ms(percentile(&colds, 0.5)),
        ms(colds[colds.len() - 1]),
        first.pages,
        first.bytes.len() / 1000
    );

    // Warm. Typst memoizes (comemo): the same data twice is a cache hit,
    // which is not what a volunteer waits for. So every run prints
    // different data (the association's name carries the run number, as a
    // different applicant would), and a second series also clears Typst's
    // cache before each run (the worst warm case).
    println!("checklist warm, {runs} runs each (each run with different data; \"cleared\": Typst's memo cache emptied before each run):");
    println!("| Language | p50 | p95 | p50 / French p50 | p50 cleared | p95 cleared | pages | size |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut french = None;
    let mut n = 0u32;
    for lang in ["fr", "en", "ar", "fa-AF", "ps", "ti", "bn", "ta"] {
        let mut times = Vec::with_capacity(runs);
        let mut cleared = Vec::with_capacity(runs);
        let mut last = None;
        for i in 0..runs * 2 {
            n += 1;
            let clear = i % 2 == 1;
            if clear {
                typst::comemo::evict(0);
            }
            let mut c = ctx(lang);
            c.association_name = format!("Permanence juridique n° {n}");
            let start = Instant::now();
            let r = print::blank_checklist_pdf(&catalog, procedure, &flags, None, &c).expect("pdf");
            if clear { cleared.push(start.elapsed()) } else { times.push(start.elapsed()) }
            last = Some(r);
        }
        times.sort();
        cleared.sort();
        let r = last.expect("one run");
        let p50 = percentile(&times, 0.5);
        let fr = *french.get_or_insert(p50);
        println!(
            "| {lang} | {} | {} | {:.2} | {} | {} | {} | {} kB |",
            ms(p50),
            ms(percentile(&times, 0.95)),
            p50.as_secs_f64() / fr.as_secs_f64(),
            ms(percentile(&cleared, 0.5)),
            ms(percentile(&cleared, 0.95)),
            r.pages,
            r.bytes.len() / 1000
        );
    }

    // ANEF preparation of one 12-megapixel photo, against a baseline
    // measured in the same run, interleaved so that noise hits both: the
    // image crate's plain decode of the same JPEG and encode at full size
    // (quality 82), with no orientation, resizing or size search.
    let photo = photo();
    let megapixels = 12.0;
    println!("photo: 4000×3000, {} kB", photo.len() / 1000);
    let limit = AnefLimit::default();
    let photo_runs = if quick { 3 } else { 8 };
    let mut base_times = Vec::with_capacity(photo_runs);
    let mut jpeg_times = Vec::with_capacity(photo_runs);
    let mut pdf_times = Vec::with_capacity(photo_runs);
    let (mut jpeg_size, mut pdf_size, mut base_size) = (0, 0, 0);
    for _ in 0..photo_runs {
        let start = Instant::now();
        base_size = baseline_decode_encode(&photo);
        base_times.push(start.elapsed());
        for (format, times, size) in
            [(AnefFormat::Jpeg, &mut jpeg_times, &mut jpeg_size), (AnefFormat::Pdf, &mut pdf_times, &mut pdf_size)]
        {
            let start = Instant::now();
            let out = print::anef::prepare_files("Passeport", vec![(MediaKind::Jpeg, "p.jpg".into(), photo.clone())], &limit, format)
                .expect("prepare");
            times.push(start.elapsed());
            *size = out.bytes.len();
        }
    }
    for t in [&mut base_times, &mut jpeg_times, &mut pdf_times] {
        t.sort();
    }
    let base = percentile(&base_times, 0.5);
    println!(
        "baseline (image crate: decode + encode q82 at full size): p50 {} per photo = {:.1} MP/s, output {} kB",
        ms(base),
        megapixels / base.as_secs_f64(),
        base_size / 1000
    );
    for (label, times, size) in [("JPEG", &jpeg_times, jpeg_size), ("PDF", &pdf_times, pdf_size)] {
        let p50 = percentile(times, 0.5);
        println!(
            "ANEF {label}: p50 {} per 12 MP photo = {:.1} MP/s, {:.2} photos/s, output {} kB (limit {} kB); ratio to baseline {:.2}",
            ms(p50),
            megapixels / p50.as_secs_f64(),
            1.0 / p50.as_secs_f64(),
            size / 1000,
            limit.max_bytes / 1000,
            p50.as_secs_f64() / base.as_secs_f64()
        );
    }
    // Three photos merged into one PDF.
    let start = Instant::now();
    let files = (0..3).map(|i| (MediaKind::Jpeg, format!("p{i}.jpg"), photo.clone())).collect();
    let merged = print::anef::prepare_files("Bulletins de salaire", files, &limit, AnefFormat::Pdf).expect("merge");
    println!("ANEF PDF, 3 photos merged: {} , {} pages, {} kB", ms(start.elapsed()), merged.pages, merged.bytes.len() / 1000);
}

/// The floor: what decoding and re-encoding the photo costs with the image
/// crate and nothing else. Returns the output size.
fn baseline_decode_encode(jpeg: &[u8]) -> usize {
    let img = image::load_from_memory(jpeg).expect("decode");
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
    img.write_with_encoder(encoder).expect("encode");
    out.len()
}

//! `labgraph import FILE…`: every file into its own named graph, checked by the SHACL
//! gate, in one atomic write recorded with a version per graph; `--dry-run` shows what
//! would change and writes nothing.
//!
//! Sources are parsed in full and validated together with the store's other graphs; a
//! graph whose content would not change is left alone. Large N-Triples and N-Quads files
//! bound for empty graphs stream through Oxigraph's bulk loader instead, which commits only once
//! every file has parsed — only with `--no-validate`, since the shapes need the data in
//! memory, and the provenance says the shapes were skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::ImportArgs;
use crate::error::{Error, Result};
use crate::import;
use crate::source::{BulkProgress, Input, Source};
use crate::store::{GraphStore, ImportOptions};

/// From this many bytes of N-Triples, the bulk loader is worth its set-up.
const BULK_THRESHOLD_BYTES: u64 = 32 << 20;

/// `verbose` (the global --verbose) lists the triples a dry run would add and remove.
pub fn run(store: &GraphStore, args: &ImportArgs, verbose: bool) -> Result<()> {
    let started = Instant::now();
    let sources = super::sources(&args.sources, store.base())?;
    if args.no_validate && !args.dry_run && takes_bulk_path(store, &sources)? {
        tracing::info!("bulk path: {} N-Triples file(s)", sources.len());
        let progress = Arc::new(BulkProgress::default());
        let bar = ProgressBar::new(total_bytes(&sources));
        let done = AtomicBool::new(false);
        let report = std::thread::scope(|scope| {
            scope.spawn(|| show_progress(&bar, &progress, &done, started));
            let report = store.bulk_load(&sources, &progress).map_err(|e| match e {
                Error::Usage(m) if m.ends_with("is not empty") => Error::Usage(format!(
                    "{m}; import the file without --no-validate to replace it"
                )),
                other => other,
            });
            done.store(true, Ordering::Relaxed);
            report
        });
        bar.finish_and_clear();
        return super::print(&import::preview::summary(
            store,
            &report?,
            started.elapsed().as_secs_f64(),
        ));
    }
    let mut parsed = import::parse_all(sources, store.base())?;
    store.refuse_protected(&parsed)?;
    // People and institutions given without an IRI: matched with the store's, or created.
    let reconciled = import::reconcile::reconcile(store, &mut parsed)?;
    if args.dry_run {
        let findings = if args.no_validate {
            None
        } else {
            Some(import::preview::check(store, &parsed, args.shared)?)
        };
        super::print(&reconciled.text())?;
        super::print(&import::preview::dry_run(store, &parsed, findings.as_ref(), verbose)?.0)?;
        return findings.map_or(Ok(()), |f| super::validate::refusal(&f));
    }
    eprint!("{}", reconciled.text());
    let options = ImportOptions {
        validated: !args.no_validate,
        dry_run: false,
        shared: args.shared,
    };
    // Through the gate: violations refuse the write, with the report.
    let written = store.replace_graphs(&parsed, options)?;
    // Warnings do not stop an import, but the administrator sees them.
    eprint!("{}", written.findings.text);
    super::print(&import::preview::summary(
        store,
        &written,
        started.elapsed().as_secs_f64(),
    ))
}

fn total_bytes(sources: &[Source]) -> u64 {
    sources
        .iter()
        .filter_map(|s| match &s.input {
            Input::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            _ => None,
        })
        .sum()
}

/// Draws the bar on standard error while the load runs (indicatif draws nothing when
/// standard error is not a terminal): bytes read, triples per second, time left.
fn show_progress(bar: &ProgressBar, progress: &BulkProgress, done: &AtomicBool, started: Instant) {
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} · {msg} · reste / left {eta}")
            .expect("a valid template"),
    );
    while !done.load(Ordering::Relaxed) {
        let triples = progress.triples.load(Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(progress.bytes.load(Ordering::Relaxed));
        bar.set_message(format!(
            "{triples} triplets / triples, {:.0} /s",
            triples as f64 / seconds
        ));
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn takes_bulk_path(store: &GraphStore, sources: &[Source]) -> Result<bool> {
    let mut bytes = 0;
    for source in sources {
        let Input::Path(path) = &source.input else {
            return Ok(false);
        };
        if !source.format.syntax().is_line_based() {
            return Ok(false);
        }
        bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    }
    if bytes < BULK_THRESHOLD_BYTES {
        return Ok(false);
    }
    for source in sources {
        if !store.graph_is_empty(&source.graph)? {
            return Ok(false);
        }
    }
    Ok(true)
}

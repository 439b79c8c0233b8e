//! `labgraph import FILE…`: every file into its own named graph, checked by the SHACL
//! gate, in one atomic write recorded with a version per graph; `--dry-run` shows what
//! would change and writes nothing.
//!
//! Sources are parsed in full and validated together with the store's other graphs; a
//! graph whose content would not change is left alone. Large N-Triples and N-Quads files
//! bound for empty graphs stream through Oxigraph's bulk loader instead, which commits only once
//! every file has parsed — only with `--no-validate`, since the shapes need the data in
//! memory, and the provenance says the shapes were skipped.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use oxigraph::model::NamedOrBlankNode;

use crate::cli::ImportArgs;
use crate::error::{Error, Result};
use crate::import;
use crate::render;
use crate::source::{BulkProgress, Input, Parsed, Source};
use crate::store::{GraphStore, ImportOptions, ImportReport};

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
        return super::print(&summary(store, &report?, started.elapsed().as_secs_f64()));
    }
    let mut parsed = import::parse_all(sources, store.base())?;
    store.refuse_protected(&parsed)?;
    // People and institutions given without an IRI: matched with the store's, or created.
    let reconciled = import::reconcile::reconcile(store, &mut parsed)?;
    if args.dry_run {
        let findings = if args.no_validate {
            None
        } else {
            Some(super::validate::check(store, &parsed, args.shared)?)
        };
        super::print(&reconciled.text())?;
        super::print(&dry_run(store, &parsed, findings.as_ref(), verbose)?)?;
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
    super::print(&summary(store, &written, started.elapsed().as_secs_f64()))
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

/// What an import would do: per graph, the triples added and removed (listed with
/// `verbose`) and the resources created; then the validation report.
fn dry_run(
    store: &GraphStore,
    parsed: &[Parsed],
    findings: Option<&crate::store::Findings>,
    verbose: bool,
) -> Result<String> {
    let mut text = String::new();
    let planned = store.plan_versions(parsed)?;
    for p in &planned {
        let graph = render::short(&p.graph.clone().into(), store.base());
        let (removed, added) = p.before.diff(&p.after);
        if removed.is_empty() && added.is_empty() {
            let _ = writeln!(
                text,
                "{graph} ({}) : inchangé / unchanged ({} triples)",
                p.source,
                p.after.lines.len()
            );
            continue;
        }
        let _ = writeln!(
            text,
            "{graph} ({}) : +{} −{} triples ({} → {})",
            p.source,
            added.len(),
            removed.len(),
            p.before.lines.len(),
            p.after.lines.len()
        );
        if verbose {
            for line in &removed {
                let _ = writeln!(text, "  - {line}");
            }
            for line in &added {
                let _ = writeln!(text, "  + {line}");
            }
        }
    }
    // Resources the store does not describe yet: each subject looked up once.
    let subjects: BTreeSet<_> = parsed
        .iter()
        .flat_map(|p| &p.quads)
        .filter_map(|q| match &q.subject {
            NamedOrBlankNode::NamedNode(subject) => Some(subject),
            NamedOrBlankNode::BlankNode(_) => None,
        })
        .collect();
    let mut created = BTreeSet::new();
    for subject in subjects {
        if !store.describes(subject)? {
            created.insert(subject.clone());
        }
    }
    let _ = writeln!(
        text,
        "ressources créées / resources created: {}",
        created.len()
    );
    for resource in &created {
        let _ = writeln!(
            text,
            "  {}",
            render::short(&resource.clone().into(), store.base())
        );
    }
    match findings {
        Some(findings) => {
            text.push_str(&findings.text);
            let _ = writeln!(text, "validation : {}", super::validate::counts(findings));
        }
        None => text.push_str("validation : non faite (--no-validate) / skipped (--no-validate)\n"),
    }
    text.push_str("simulation : rien n'a été écrit / dry run: nothing was written\n");
    Ok(text)
}

fn summary(store: &GraphStore, report: &ImportReport, seconds: f64) -> String {
    let mut text = String::new();
    for graph in &report.unchanged {
        let _ = writeln!(
            text,
            "{}: inchangé, rien n'a été écrit / unchanged, nothing written",
            render::short(&graph.clone().into(), store.base())
        );
    }
    for (graph, triples) in &report.graphs {
        let _ = writeln!(
            text,
            "{}: {triples} triples",
            render::short(&graph.clone().into(), store.base())
        );
    }
    if let Some(activity) = &report.activity {
        let _ = writeln!(
            text,
            "{n} graphe{s} importé{s} en {seconds:.2} s, enregistré comme {activity} / imported {n} graph{s} in {seconds:.2} s, recorded as {activity}",
            n = report.graphs.len(),
            s = if report.graphs.len() == 1 { "" } else { "s" },
            activity = render::short(&activity.clone().into(), store.base())
        );
    }
    text
}

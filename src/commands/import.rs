//! `labgraph import FILE…`: every file into its own named graph, in one atomic write.
//!
//! Small and mixed inputs are parsed in full, then written in one transaction that
//! replaces their graphs. Large N-Triples files bound for empty graphs stream through
//! Oxigraph's bulk loader instead, which commits only once every file has parsed.

use std::io::IsTerminal;
use std::time::Instant;

use crate::cli::ImportArgs;
use crate::error::Result;
use crate::format::Rdf;
use crate::import::{self, Input, Source};
use crate::render;
use crate::store::{GraphStore, ImportReport};

/// From this many bytes of N-Triples, the bulk loader is worth its set-up.
const BULK_THRESHOLD_BYTES: u64 = 32 << 20;

pub fn run(store: &GraphStore, args: &ImportArgs) -> Result<()> {
    let started = Instant::now();
    let sources = import::plan_args(&args.sources, store.base())?;
    let report = if takes_bulk_path(store, &sources)? {
        tracing::info!("bulk path: {} N-Triples file(s)", sources.len());
        let show = std::io::stderr().is_terminal();
        store.bulk_load(&sources, move |n| {
            if show {
                eprint!("\r{n} triples loaded");
            }
        })?
    } else {
        let parsed = import::parse_all(sources, store.base())?;
        store.replace_graphs(parsed)?
    };
    super::print(&summary(store, &report, started.elapsed().as_secs_f64()))
}

fn takes_bulk_path(store: &GraphStore, sources: &[Source]) -> Result<bool> {
    let mut bytes = 0;
    for source in sources {
        let Input::Path(path) = &source.input else {
            return Ok(false);
        };
        if source.format != Rdf::NTriples {
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

fn summary(store: &GraphStore, report: &ImportReport, seconds: f64) -> String {
    let mut text = String::new();
    for (graph, triples) in &report.graphs {
        text.push_str(&format!(
            "{}: {triples} triples\n",
            render::short(&graph.clone().into(), store.base())
        ));
    }
    text.push_str(&format!(
        "imported {} graph{} in {seconds:.2} s, recorded as {}\n",
        report.graphs.len(),
        if report.graphs.len() == 1 { "" } else { "s" },
        render::short(&report.activity.clone().into(), store.base())
    ));
    text
}

//! The publication measured (issue 16; see BENCHMARKS.md). Each mode is one process, so
//! that `/usr/bin/time -v` gives its own peak memory:
//!
//! ```text
//! cargo run --release --example bench_publish -- oxigraph --store DIR
//! cargo run --release --example bench_publish -- labgraph --store DIR
//! cargo run --release --example bench_publish -- serve --store DIR [--runs 200]
//! ```
//!
//! `oxigraph`: raw Oxigraph writes the dataset as one gzipped N-Quads file (each named
//! graph but labgraph's union graph, read through `quads_for_pattern`, the same
//! compressor): the least a dump costs on this store. `labgraph`: labgraph writes a whole
//! generation — the whole dataset as N-Quads and TriG, each graph as N-Quads and Turtle,
//! the counts of VoID, the catalogue, VoID and the sitemap in their formats — from one
//! read. `serve`: what serving them costs, through the HTTP application in process:
//! the catalogue, VoID, the sitemap and a dump, each requested `--runs` times.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

#[path = "common/timing.rs"]
mod timing;

use axum::body::Body;
use axum::http::Request;
use flate2::Compression;
use flate2::write::GzEncoder;
use labgraph::config::BaseIri;
use labgraph::vocab;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::NamedOrBlankNode;
use oxigraph::store::Store;
use tower::ServiceExt as _;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(store) = flag("--store").map(PathBuf::from) else {
        eprintln!("bench_publish oxigraph|labgraph|serve --store DIR [--runs N]");
        std::process::exit(2);
    };
    let base = BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap();
    match args.first().map(String::as_str) {
        Some("oxigraph") => oxigraph_dump(&store),
        Some("labgraph") => labgraph_generation(&store, &base),
        Some("serve") => serve(
            &store,
            &base,
            flag("--runs").map_or(200, |r| r.parse().unwrap()),
        ),
        _ => eprintln!("bench_publish oxigraph|labgraph|serve --store DIR [--runs N]"),
    }
}

fn oxigraph_dump(path: &std::path::Path) {
    let store = Store::open(path).unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let file = BufWriter::new(out.reopen().unwrap());
    let mut writer = RdfSerializer::from_format(RdfFormat::NQuads)
        .for_writer(BufWriter::new(GzEncoder::new(file, Compression::default())));
    let mut quads = 0u64;
    for graph in store.named_graphs() {
        let NamedOrBlankNode::NamedNode(graph) = graph.unwrap() else {
            continue;
        };
        if graph.as_str() == labgraph::store::UNION_GRAPH.as_str() {
            continue;
        }
        for quad in store.quads_for_pattern(None, None, None, Some(graph.as_ref().into())) {
            writer.serialize_quad(&quad.unwrap()).unwrap();
            quads += 1;
        }
    }
    let buffered = writer.finish().unwrap();
    let mut gz = buffered.into_inner().map_err(|e| e.into_error()).unwrap();
    gz.flush().unwrap();
    let mut file = gz.finish().unwrap();
    file.flush().unwrap();
    let size = std::fs::metadata(out.path()).unwrap().len();
    println!(
        "oxigraph: {quads} quads as gzipped N-Quads ({:.1} MiB) in {:.2} s",
        size as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );
}

fn labgraph_generation(path: &std::path::Path, base: &BaseIri) {
    let store = labgraph::store::GraphStore::open(path, base.clone()).unwrap();
    let started = Instant::now();
    let generation = labgraph::publish::Publication::of(&store)
        .unwrap()
        .write()
        .unwrap();
    let elapsed = started.elapsed();
    let files = &generation.manifest.files;
    let bytes: u64 = files.values().map(|f| f.size).sum();
    let dumps = files.keys().filter(|k| k.starts_with("dumps/")).count();
    println!(
        "labgraph: {} files ({dumps} dumps, {:.1} MiB in all; the whole as N-Quads {:.1} MiB) in {:.2} s",
        files.len(),
        bytes as f64 / 1048576.0,
        files["dumps/labgraph.nq.gz"].size as f64 / 1048576.0,
        elapsed.as_secs_f64()
    );
}

fn serve(path: &std::path::Path, base: &BaseIri, runs: usize) {
    let store = labgraph::store::GraphStore::open(path, base.clone()).unwrap();
    let publication = labgraph::publish::Publication::of(&store).unwrap();
    publication.ensure().unwrap();
    let app = labgraph::http::app(store, labgraph::http::Options::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for path in [
        "/catalog.ttl",
        "/.well-known/void",
        "/sitemap.xml",
        "/dumps/graph/themes.ttl.gz",
    ] {
        let mut times = Vec::with_capacity(runs);
        let mut size = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let response = runtime
                .block_on(
                    app.clone()
                        .oneshot(Request::get(path).body(Body::empty()).unwrap()),
                )
                .unwrap();
            assert!(response.status().is_success(), "{path}");
            let body = runtime
                .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .unwrap();
            size = body.len();
            times.push(started.elapsed());
        }
        println!(
            "serve {path}: {:.1} KiB, p50 {}, p95 {} over {runs}",
            size as f64 / 1024.0,
            timing::ms(timing::pct(&mut times, 50)),
            timing::ms(timing::pct(&mut times, 95)),
        );
    }
}

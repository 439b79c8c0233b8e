//! Benchmarks of labgraph beside raw Oxigraph, in the same run (see BENCHMARKS.md).
//!
//! ```text
//! cargo run --release --example bench -- generate --triples 1000000 --out /tmp/gen-1m.nt
//! cargo run --release --example bench -- import --file /tmp/gen-1m.nt --runs 3
//! cargo run --release --example bench -- queries --file /tmp/gen-1m.nt --runs 50
//! ```
//!
//! `import` times the real `labgraph import` command and a process running Oxigraph's
//! own bulk loader on the same file, alternately, each on a fresh store, and reports wall
//! time and peak resident memory (from `wait4`). `queries` loads the bundled data (and a
//! generated file) into one store, then times every named query with its example
//! parameters through labgraph's query path and through Oxigraph's `SparqlEvaluator`
//! directly on the same store, alternately.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/timing.rs"]
mod timing;
use timing::{drain, ms, pct, time};

use labgraph::config::BaseIri;
use labgraph::store::GraphStore;
use labgraph::{queries, vocab};

#[path = "common/synthetic.rs"]
mod synthetic;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::NamedNode;
use oxigraph::sparql::SparqlEvaluator;
use oxigraph::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let base = BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let triples: usize = flag("--triples")
                .expect("--triples N")
                .replace('_', "")
                .parse()
                .unwrap();
            let out = PathBuf::from(flag("--out").expect("--out FILE"));
            let file = BufWriter::new(std::fs::File::create(&out).unwrap());
            let start = Instant::now();
            let n = synthetic::generate(triples, &base, file).unwrap();
            println!(
                "{n} triples written to {} in {:.1} s",
                out.display(),
                start.elapsed().as_secs_f64()
            );
        }
        Some("raw-load") => {
            // Child process: Oxigraph's bulk loader alone, as `oxigraph load` runs it.
            let (file, store) = (PathBuf::from(&args[1]), PathBuf::from(&args[2]));
            let store = Store::open(store).unwrap();
            let mut loader = store.bulk_loader();
            let graph = NamedNode::new(format!("{}graph/bench", vocab::DEFAULT_BASE_IRI)).unwrap();
            loader
                .load_from_reader(
                    RdfParser::from_format(RdfFormat::NTriples).with_default_graph(graph),
                    std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file).unwrap()),
                )
                .unwrap();
            loader.commit().unwrap();
        }
        Some("import") => import(
            Path::new(&flag("--file").expect("--file FILE")),
            runs(&flag("--runs"), 3),
        ),
        Some("records") => records(
            flag("--count").map_or(1000, |v| v.parse().unwrap()),
            runs(&flag("--runs"), 3),
            flag("--before").map(PathBuf::from),
        ),
        Some("queries") => query_latencies(
            flag("--file").map(PathBuf::from),
            runs(&flag("--runs"), 50),
            &base,
        ),
        Some("write") => write(
            Path::new(&flag("--file").expect("--file FILE")),
            runs(&flag("--runs"), 3),
            flag("--before").map(PathBuf::from),
        ),
        _ => eprintln!(
            "usage: bench generate --triples N --out FILE | import --file FILE [--runs N] | records [--count N] [--runs N] [--before BINARY] | queries [--file FILE] [--runs N] | write --file FILE [--runs N] [--before BINARY]"
        ),
    }
}

fn runs(value: &Option<String>, default: usize) -> usize {
    value.as_deref().map_or(default, |v| v.parse().unwrap())
}

/// Runs a command, returning its wall time and peak resident memory in MiB.
#[allow(unsafe_code)]
fn measure(command: &mut Command) -> (Duration, f64) {
    let start = Instant::now();
    // wait4 below reaps the child (and gives its resource usage), which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("the command starts");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid, with valid pointers to locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert!(
        pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed"
    );
    (elapsed, usage.ru_maxrss as f64 / 1024.0)
}

/// A generated seminar record in YAML, as an administrator would write one: a seminar
/// with a morning session and a speaker (a person created by the record), linked to the
/// bundled series, institution, territory and themes.
fn seminar_record(i: usize) -> String {
    let date = format!("2023-{:02}-{:02}", i % 12 + 1, i % 28 + 1);
    format!(
        "id: seminar/gen-{i}\n\
         type: [Seminar, Event]\n\
         name: Séminaire généré n° {i}\n\
         startDate: \"{date}\"\n\
         organizer: org/irev\n\
         superEvent: series/lab-des-transitions\n\
         territory: territory/pole-metropolitain/artois\n\
         about: [theme/sante, theme/mobilite]\n\
         source: https://example.org/seminaire/{i}\n\
         subEvent:\n\
         \x20 - id: seminar/gen-{i}/matin\n\
         \x20   type: [Session, Event]\n\
         \x20   name: Matinée\n\
         \x20   startDate: \"{date}\"\n\
         \x20   superEvent: seminar/gen-{i}\n\
         \x20   source: https://example.org/seminaire/{i}\n\
         \x20   speakerRole:\n\
         \x20     - type: SpeakerRole\n\
         \x20       statedJobTitle: chargée de mission\n\
         \x20       person:\n\
         \x20         id: person/gen-{i}\n\
         \x20         type: Person\n\
         \x20         givenName: Prénom{i}\n\
         \x20         familyName: Nom{i}\n\
         \x20         name: {{\"@value\": \"Prénom{i} Nom{i}\"}}\n\
         \x20         source: https://example.org/seminaire/{i}\n"
    )
}

/// `labgraph import` of `count` generated seminar records (one file each) in one command,
/// on a fresh store each run: parsing, reconciliation, the SHACL gate, canonical hashes,
/// versions and the write. Wall time and peak memory. With `--before BINARY`, another
/// build does the same on its own fresh store, alternately.
fn records(count: usize, runs: usize, before: Option<PathBuf>) {
    let exe = std::env::current_exe().unwrap();
    let labgraph = exe.parent().unwrap().parent().unwrap().join("labgraph");
    let binaries: Vec<(&str, PathBuf)> = std::iter::once(("labgraph", labgraph))
        .chain(before.map(|b| ("before", b)))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..count)
        .map(|i| {
            let path = dir.path().join(format!("seminaire-gen-{i:04}.yaml"));
            std::fs::write(&path, seminar_record(i)).unwrap();
            path
        })
        .collect();
    println!("{count} seminar records in {}", dir.path().display());
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); binaries.len()];
    for run in 1..=runs {
        for (i, (name, binary)) in binaries.iter().enumerate() {
            let store = dir.path().join(format!("store-{name}-{run}"));
            // The store is created (with the bundled data) before the clock starts.
            measure(
                Command::new(binary)
                    .arg("--store")
                    .arg(&store)
                    .arg("graphs")
                    .stdout(std::process::Stdio::null()),
            );
            let (elapsed, rss) = measure(
                Command::new(binary)
                    .arg("--store")
                    .arg(&store)
                    .arg("import")
                    .args(&files)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null()),
            );
            println!(
                "run {run}, {name}: {count} records validated and imported in {:.2} s, {rss:.0} MiB peak",
                elapsed.as_secs_f64()
            );
            times[i].push(elapsed);
        }
    }
    for ((name, _), mut times) in binaries.iter().zip(times) {
        times.sort();
        println!(
            "{name}: median {:.2} s",
            times[times.len() / 2].as_secs_f64()
        );
    }
}

/// One-seminar writes through the SHACL gate on a large store: a store holding the
/// bundled data and `file` (bulk-loaded, untimed), then per run `labgraph import` of a
/// new seminar record (YAML), and of the same file changed (its graph replaced). With
/// `--before BINARY`, another build does the same on its own store, alternately.
fn write(file: &Path, runs: usize, before: Option<PathBuf>) {
    let exe = std::env::current_exe().unwrap();
    let labgraph = exe.parent().unwrap().parent().unwrap().join("labgraph");
    let dir = tempfile::tempdir().unwrap();
    let binaries: Vec<(&str, PathBuf)> = std::iter::once(("labgraph", labgraph))
        .chain(before.map(|b| ("before", b)))
        .collect();
    for (name, binary) in &binaries {
        let store = dir.path().join(format!("store-{name}"));
        let (elapsed, _) = measure(
            Command::new(binary)
                .arg("--store")
                .arg(&store)
                .args([
                    "import",
                    "--no-validate",
                    "--shared",
                    "--graph",
                    "graph/bench",
                ])
                .arg(file)
                .stdout(std::process::Stdio::null()),
        );
        println!(
            "{name}: {} loaded in {:.1} s",
            file.display(),
            elapsed.as_secs_f64()
        );
    }
    let mut results: Vec<Vec<(Duration, f64, Duration, f64)>> = vec![Vec::new(); binaries.len()];
    for run in 1..=runs {
        for (i, (name, binary)) in binaries.iter().enumerate() {
            let store = dir.path().join(format!("store-{name}"));
            let record = dir.path().join(format!("seminaire-{name}-{run}.yaml"));
            std::fs::write(&record, seminar_record(100_000 + run)).unwrap();
            let import = |path: &Path| {
                measure(
                    Command::new(binary)
                        .arg("--store")
                        .arg(&store)
                        .arg("import")
                        .arg(path)
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null()),
                )
            };
            let (record_time, record_rss) = import(&record);
            let changed = seminar_record(100_000 + run)
                .replace("[theme/sante, theme/mobilite]", "[theme/sante]");
            std::fs::write(&record, changed).unwrap();
            let (graph_time, graph_rss) = import(&record);
            println!(
                "run {run}, {name}: new record {:.2} s {record_rss:.0} MiB; changed {:.2} s {graph_rss:.0} MiB",
                record_time.as_secs_f64(),
                graph_time.as_secs_f64()
            );
            results[i].push((record_time, record_rss, graph_time, graph_rss));
        }
    }
    for ((name, _), runs) in binaries.iter().zip(&mut results) {
        let median = |mut v: Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64()
        };
        let peak = |v: Vec<f64>| v.into_iter().fold(0.0, f64::max);
        println!(
            "{name}: a new seminar record: median {:.2} s, peak {:.0} MiB; the record changed: median {:.2} s, peak {:.0} MiB",
            median(runs.iter().map(|r| r.0).collect()),
            peak(runs.iter().map(|r| r.1).collect()),
            median(runs.iter().map(|r| r.2).collect()),
            peak(runs.iter().map(|r| r.3).collect()),
        );
    }
}

fn import(file: &Path, runs: usize) {
    let exe = std::env::current_exe().unwrap();
    let labgraph = exe.parent().unwrap().parent().unwrap().join("labgraph");
    assert!(
        labgraph.exists(),
        "build the binary first: cargo build --release"
    );
    let size = std::fs::metadata(file).unwrap().len();
    println!(
        "file: {} ({:.1} MiB)",
        file.display(),
        size as f64 / 1048576.0
    );
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let (raw_store, our_store) = (dir.path().join("raw"), dir.path().join("labgraph"));
        // labgraph's store already holds the bundled data, as in real use.
        measure(
            Command::new(&labgraph)
                .arg("--store")
                .arg(&our_store)
                .arg("graphs")
                .stdout(std::process::Stdio::null()),
        );
        let r = measure(Command::new(&exe).arg("raw-load").arg(file).arg(&raw_store));
        let o = measure(
            Command::new(&labgraph)
                .arg("--store")
                .arg(&our_store)
                .args(["import", "--no-validate", "--shared"])
                .arg(file)
                .arg("--graph")
                .arg("graph/bench")
                .stdout(std::process::Stdio::null()),
        );
        println!(
            "run {run}: oxigraph bulk loader {:.2} s, {:.0} MiB peak | labgraph import {:.2} s, {:.0} MiB peak",
            r.0.as_secs_f64(),
            r.1,
            o.0.as_secs_f64(),
            o.1
        );
        raw.push(r);
        ours.push(o);
    }
    let median = |v: &mut Vec<(Duration, f64)>| {
        v.sort_by_key(|x| x.0);
        v[v.len() / 2]
    };
    let (r, o) = (median(&mut raw), median(&mut ours));
    println!(
        "median: oxigraph {:.2} s ({:.0} MiB) | labgraph {:.2} s ({:.0} MiB) | ratio {:.2}",
        r.0.as_secs_f64(),
        r.1,
        o.0.as_secs_f64(),
        o.1,
        o.0.as_secs_f64() / r.0.as_secs_f64()
    );
}

fn query_latencies(file: Option<PathBuf>, runs: usize, base: &BaseIri) {
    let dir = tempfile::tempdir().unwrap();
    let raw = Store::open(dir.path()).unwrap();
    let store = labgraph::import::prepare(
        GraphStore::from_oxigraph(raw.clone(), dir.path().to_owned(), base.clone()).unwrap(),
    )
    .unwrap();
    if let Some(file) = &file {
        let source =
            labgraph::import::plan(std::slice::from_ref(file), None, Some("graph/bench"), base)
                .unwrap();
        store.bulk_load(&source, &Default::default()).unwrap();
    }
    let total: usize = store.graphs().unwrap().iter().map(|g| g.triples).sum();
    let named: Vec<oxigraph::model::NamedOrBlankNode> = store
        .graphs()
        .unwrap()
        .into_iter()
        .map(|g| g.graph)
        .collect();
    println!(
        "store: {total} triples ({}), {runs} runs per query, alternating",
        file.map_or("bundled data".into(), |f| format!(
            "bundled data + {}",
            f.display()
        ))
    );
    println!(
        "| query | rows | labgraph median | labgraph p95 | oxigraph median | oxigraph p95 | ratio (median) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for query in queries::all().unwrap() {
        if query.text.contains("SERVICE lg:search") {
            // Raw Oxigraph has no text index: see `bench_search`.
            println!("| {} | — | see bench_search | | | | |", query.name);
            continue;
        }
        let bindings = query.bindings(&query.example, base).unwrap();
        let ours = || {
            let prepared = store.prepare(query.text).unwrap();
            drain(store.evaluate(prepared, bindings.clone()).unwrap())
        };
        let theirs = || {
            let mut prepared = SparqlEvaluator::new()
                .with_base_iri(base.as_str())
                .unwrap()
                .parse_query(query.text)
                .unwrap();
            // The same dataset as labgraph's: the default graph is the union graph it
            // keeps as a set (Oxigraph 0.5's own union repeats a triple two graphs state).
            let dataset = prepared.dataset_mut();
            dataset.set_default_graph(vec![labgraph::store::UNION_GRAPH.into()]);
            dataset.set_available_named_graphs(named.clone());
            for (v, t) in bindings.clone() {
                prepared = prepared.substitute_variable(v, t);
            }
            drain(prepared.on_store(&raw).execute().unwrap())
        };
        let rows = ours();
        assert_eq!(
            rows,
            theirs(),
            "{}: both paths give the same number of rows",
            query.name
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            a.push(time(&ours));
            b.push(time(&theirs));
        }
        let (am, ap, bm, bp) = (
            pct(&mut a, 50),
            pct(&mut a, 95),
            pct(&mut b, 50),
            pct(&mut b, 95),
        );
        println!(
            "| {} | {rows} | {} | {} | {} | {} | {:.2} |",
            query.name,
            ms(am),
            ms(ap),
            ms(bm),
            ms(bp),
            am.as_secs_f64() / bm.as_secs_f64()
        );
    }
}

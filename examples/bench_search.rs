//! The text index measured (issue 15; see BENCHMARKS.md):
//!
//! ```text
//! cargo run --release --example bench_search -- latency [--file /tmp/gen-1m.nt] [--runs 200] [--scan-runs 1]
//! cargo run --release --example bench_search -- reconcile [--file /tmp/gen-1m.nt] [--rows 1000]
//! cargo run --release --example bench_search -- suggest
//! ```
//!
//! `latency` builds a store on disk (the bundled data, and a generated file when given),
//! reports the index's build time and size, then times searches through the index, the
//! named query `search` before the index (a CONTAINS scan through labgraph's query path,
//! fewer runs: it is slow), and Oxigraph evaluating a CONTAINS filter on the same store,
//! alternately. `reconcile` times a batch of rows (communes and institutions, by name).
//! `suggest` measures the SDG suggester against the proposed theme–SDG mapping, each
//! theme and action left out of its own evidence.

use std::path::PathBuf;
use std::time::Instant;

#[path = "common/timing.rs"]
mod timing;
use timing::{drain, ms, pct, time};

use labgraph::config::BaseIri;
use labgraph::search::reconcile::{self, Query};
use labgraph::search::suggest::{self, Action};
use labgraph::search::{Request, TextIndex};
use labgraph::store::GraphStore;
use labgraph::vocab;
use oxigraph::model::{Literal, NamedNode, Term, Variable};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;

const SCAN: &str = include_str!("common/scan_search.rq");

const SEARCHES: [&str; 6] = [
    "îlots de chaleur",
    "mobilité",
    "Lens",
    "participation des habitants",
    "énergie renouvelable",
    "alimentation",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let base = BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap();
    let file = flag("--file").map(PathBuf::from);
    match args.first().map(String::as_str) {
        Some("latency") => latency(
            &base,
            file,
            flag("--runs").map_or(200, |r| r.parse().unwrap()),
            flag("--scan-runs").map(|r| r.parse().unwrap()),
        ),
        Some("reconcile") => rows(
            &base,
            file,
            flag("--rows").map_or(1000, |r| r.parse().unwrap()),
        ),
        Some("suggest") => quality(&base),
        _ => eprintln!("bench_search latency|reconcile|suggest [--file F] [--runs N] [--rows N]"),
    }
}

/// A store on disk with the bundled data (and `file`), its index built; and Oxigraph's
/// handle on the same store.
fn open(base: &BaseIri, file: Option<PathBuf>) -> (tempfile::TempDir, GraphStore, Store) {
    let dir = tempfile::tempdir().unwrap();
    let raw = Store::open(dir.path()).unwrap();
    let store =
        GraphStore::from_oxigraph(raw.clone(), dir.path().to_owned(), base.clone()).unwrap();
    labgraph::import::seed_if_empty(&store).unwrap();
    if let Some(file) = &file {
        let source =
            labgraph::import::plan(std::slice::from_ref(file), None, Some("graph/bench"), base)
                .unwrap();
        store.bulk_load(&source, &Default::default()).unwrap();
    }
    let total: usize = store.graphs().unwrap().iter().map(|g| g.triples).sum();
    let started = Instant::now();
    let index = TextIndex::attach(&store).unwrap();
    index.ensure().unwrap();
    let built = started.elapsed();
    let size = folder_size(&dir.path().join(labgraph::search::FOLDER));
    println!(
        "store: {total} triples ({}); index: {} resources, built in {:.1} s, {:.1} MiB",
        file.map_or("bundled data".into(), |f| format!(
            "bundled data + {}",
            f.display()
        )),
        index.resources().unwrap(),
        built.as_secs_f64(),
        size as f64 / 1024.0 / 1024.0
    );
    (dir, store, raw)
}

fn folder_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.metadata().map_or(0, |m| m.len()))
                .sum()
        })
        .unwrap_or(0)
}

fn latency(base: &BaseIri, file: Option<PathBuf>, runs: usize, scan_runs: Option<usize>) {
    let (_dir, store, raw) = open(base, file);
    let index = TextIndex::of(&store).unwrap();
    let scan = store.prepare(SCAN).unwrap();
    let named: Vec<oxigraph::model::NamedOrBlankNode> = store
        .graphs()
        .unwrap()
        .into_iter()
        .map(|g| g.graph)
        .collect();
    let scan_runs = scan_runs.unwrap_or((runs / 40).max(3)).max(1);
    println!(
        "{runs} runs per search through the index, {scan_runs} through the scans, alternating"
    );
    println!(
        "| words | hits | index median | index p95 | old scan (labgraph) median | Oxigraph CONTAINS median | CONTAINS p95 |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for words in SEARCHES {
        let ours = || index.search(&Request::new(words, 20)).unwrap().total;
        let old = || {
            let bindings = vec![(
                Variable::new_unchecked("phrase"),
                Term::from(Literal::from(words)),
            )];
            drain(store.evaluate(scan.clone(), bindings).unwrap())
        };
        let contains = format!(
            "SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(LCASE(STR(?o)), \"{}\")) }}",
            words.to_lowercase()
        );
        let theirs = || {
            let mut prepared = SparqlEvaluator::new().parse_query(&contains).unwrap();
            let dataset = prepared.dataset_mut();
            dataset.set_default_graph(vec![labgraph::store::UNION_GRAPH.into()]);
            dataset.set_available_named_graphs(named.clone());
            drain(prepared.on_store(&raw).execute().unwrap())
        };
        let hits = ours();
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..runs {
            a.push(time(&ours));
            if i < scan_runs {
                b.push(time(&old));
                c.push(time(&theirs));
            }
        }
        println!(
            "| {words} | {hits} | {} | {} | {} | {} | {} |",
            ms(pct(&mut a, 50)),
            ms(pct(&mut a, 95)),
            ms(pct(&mut b, 50)),
            ms(pct(&mut c, 50)),
            ms(pct(&mut c, 95)),
        );
    }
}

fn rows(base: &BaseIri, file: Option<PathBuf>, count: usize) {
    let (_dir, store, _raw) = open(base, file);
    let index = TextIndex::of(&store).unwrap();
    // Names as a spreadsheet holds them: communes and institutions of the store.
    let prepared = store
        .prepare("SELECT ?name ?kind WHERE { { ?x a lg:Commune ; schema:name ?name BIND(\"commune\" AS ?kind) } UNION { ?x a schema:Organization ; schema:name ?name BIND(\"institution\" AS ?kind) } } LIMIT 5000")
        .unwrap();
    let QueryResults::Solutions(solutions) = store.evaluate(prepared, Vec::new()).unwrap() else {
        unreachable!()
    };
    let names: Vec<(String, String)> = solutions
        .map(Result::unwrap)
        .map(|s| {
            let text = |v: &str| match s.get(v) {
                Some(Term::Literal(l)) => l.value().to_owned(),
                _ => String::new(),
            };
            (text("name"), text("kind"))
        })
        .collect();
    let queries: Vec<Query> = names
        .iter()
        .cycle()
        .take(count)
        .map(|(name, kind)| Query {
            text: name.clone(),
            types: vec![kind.clone()],
            limit: 3,
            conditions: Vec::new(),
        })
        .collect();
    let started = Instant::now();
    let mut matched = 0;
    for q in &queries {
        let found = reconcile::reconcile(&store, &index, q).unwrap();
        matched += usize::from(found.first().is_some_and(|c| c.matched));
    }
    let took = started.elapsed();
    println!(
        "{count} rows reconciled in {:.2} s ({:.2} ms a row); {matched} matched at once (a commune's name shared by several communes is left to choose)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / count as f64
    );
}

/// The suggester against the proposed mapping: for each theme of `mapping/themes-odd`, its
/// label and definition as the action's text (its own mapping left out: the theme is not
/// offered); for each action, its title and description with no theme named (itself left
/// out of the similar actions). How many of the targets the mapping (or the derived links)
/// give are in the first 3 and the first 10.
fn quality(base: &BaseIri) {
    let store = labgraph::import::in_memory(base.clone()).unwrap();
    let index = TextIndex::of(&store).unwrap();
    let prepared = store
        .prepare("SELECT DISTINCT ?x WHERE { { ?x lg:sdgMapping ?m } UNION { ?x a lg:Action } } ORDER BY ?x")
        .unwrap();
    let QueryResults::Solutions(solutions) = store.evaluate(prepared, Vec::new()).unwrap() else {
        unreachable!()
    };
    let subjects: Vec<NamedNode> = solutions
        .map(|s| match s.unwrap().get("x") {
            Some(Term::NamedNode(n)) => n.clone(),
            _ => unreachable!(),
        })
        .collect();
    let mut tables = String::new();
    for (name, no_similar) in [("words and similar actions", false), ("words alone", true)] {
        let (mut wanted, mut top3, mut top10) = (0, 0, 0);
        let mut rows = String::new();
        for subject in &subjects {
            let expected: Vec<String> = reconcile::sdg_links(&store, subject)
                .unwrap()
                .into_iter()
                .map(|(t, _)| t.as_str().to_owned())
                .collect();
            let (statements, _) = store.statements(subject).unwrap();
            let mut text = Vec::new();
            for t in statements {
                if let Term::Literal(l) = &t.object
                    && l.language().is_none_or(|l| l == "fr")
                    && [
                        "http://schema.org/name",
                        "http://schema.org/description",
                        "http://www.w3.org/2004/02/skos/core#prefLabel",
                        "http://www.w3.org/2004/02/skos/core#definition",
                    ]
                    .contains(&t.predicate.as_str())
                {
                    text.push(l.value().to_owned());
                }
            }
            let action = Action {
                title: text.first().cloned().unwrap_or_default(),
                description: text[1.min(text.len())..].join(" "),
                themes: Vec::new(),
                except: Some(subject.clone()),
                themes_by_words: false,
                no_similar,
            };
            let got: Vec<String> = suggest::suggest(&store, &index, &action, 10)
                .unwrap()
                .suggestions
                .into_iter()
                .map(|s| s.target)
                .collect();
            let in_top = |k: usize| {
                expected
                    .iter()
                    .filter(|t| got.iter().take(k).any(|g| g == *t))
                    .count()
            };
            let (a, b) = (in_top(3), in_top(10));
            wanted += expected.len();
            top3 += a;
            top10 += b;
            rows.push_str(&format!(
                "| {} | {} | {a} | {b} |\n",
                subject.as_str().trim_start_matches(base.as_str()),
                expected.len()
            ));
        }
        tables.push_str(&format!(
            "\n{name}\n\n| resource | targets | in top 3 | in top 10 |\n| --- | ---: | ---: | ---: |\n{rows}| **all** | {wanted} | {top3} ({:.0} %) | {top10} ({:.0} %) |\n",
            100.0 * top3 as f64 / wanted as f64,
            100.0 * top10 as f64 / wanted as f64
        ));
    }
    println!("{tables}");
}

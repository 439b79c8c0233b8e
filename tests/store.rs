//! The store module through the library: the bulk path is all-or-nothing and positions
//! its errors; the transactional path replaces graphs and records provenance.

use std::path::PathBuf;

use labgraph::config::BaseIri;
use labgraph::import;
use labgraph::store::GraphStore;
use labgraph::vocab;

fn store() -> GraphStore {
    labgraph::import::in_memory(BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap()).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_bulk_path_writes_nothing_when_a_file_is_malformed() {
    let store = store();
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        &dir,
        "good.nt",
        "<https://ex.org/a> <http://schema.org/name> \"a\" .\n",
    );
    let bad = write(
        &dir,
        "bad.nt",
        "<https://ex.org/b> <http://schema.org/name> \"b\" .\n<https://ex.org/c> <http://schema.org/name> \"c .\n",
    );
    let sources = import::plan(&[good, bad], None, None, store.base()).unwrap();
    let error = store
        .bulk_load(&sources, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("bad.nt:2:"), "{error}");
    for graph in ["graph/good", "graph/bad"] {
        assert!(
            store
                .graph_is_empty(&store.base().resolve(graph).unwrap())
                .unwrap(),
            "{graph}"
        );
    }
}

#[test]
fn the_bulk_path_loads_counts_and_records() {
    let store = store();
    let dir = tempfile::tempdir().unwrap();
    let mut nt = Vec::new();
    let written = labgraph::synthetic::generate(2_000, store.base(), &mut nt).unwrap();
    let file = dir.path().join("generated.nt");
    std::fs::write(&file, nt).unwrap();
    let sources = import::plan(&[file], None, None, store.base()).unwrap();
    let report = store.bulk_load(&sources, &Default::default()).unwrap();
    assert_eq!(report.graphs[0].1, written);
    let info = store
        .graphs()
        .unwrap()
        .into_iter()
        .find(|g| g.graph.to_string().ends_with("/graph/generated>"))
        .unwrap();
    assert_eq!(info.triples, written);
    assert!(info.source.unwrap().ends_with("generated.nt"));
    // A second bulk load into the now non-empty graph is refused, not merged.
    assert!(store.bulk_load(&sources, &Default::default()).is_err());
}

#[test]
fn replacing_a_graph_keeps_one_provenance_record() {
    let store = store();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "x.ttl",
        "<https://ex.org/x> <http://schema.org/name> \"x\" .\n",
    );
    for name in ["x", "y"] {
        std::fs::write(
            &file,
            format!("<https://ex.org/x> <http://schema.org/name> \"{name}\" .\n"),
        )
        .unwrap();
        let sources = import::plan(std::slice::from_ref(&file), None, None, store.base()).unwrap();
        let parsed = sources
            .into_iter()
            .map(|s| import::parse(s, store.base()).unwrap())
            .collect();
        let options = labgraph::store::ImportOptions {
            validated: true,
            ..Default::default()
        };
        let report = store.replace_graphs(parsed, options).unwrap();
        assert!(report.activity.is_some() && report.unchanged.is_empty());
    }
    let q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <graph/imports> { <graph/x> void:triples ?t } }";
    let results = store.evaluate(store.prepare(q).unwrap(), vec![]).unwrap();
    let oxigraph::sparql::QueryResults::Solutions(mut rows) = results else {
        panic!()
    };
    let n = rows.next().unwrap().unwrap().get("n").unwrap().to_string();
    assert!(
        n.starts_with("\"1\""),
        "one record per graph, not one per import: {n}"
    );
}

#[test]
fn the_bulk_path_takes_n_quads_into_the_graphs_they_name() {
    let store = store();
    let dir = tempfile::tempdir().unwrap();
    let dump = write(
        &dir,
        "dump.nq",
        "<https://ex.org/a> <http://schema.org/name> \"a\" <https://ex.org/g1> .\n\
         <https://ex.org/b> <http://schema.org/name> \"b\" <https://ex.org/g2> .\n\
         <https://ex.org/c> <http://schema.org/name> \"c\" <https://ex.org/g2> .\n\
         <https://ex.org/d> <http://schema.org/name> \"d\" .\n",
    );
    let sources = import::plan(std::slice::from_ref(&dump), None, None, store.base()).unwrap();
    let report = store.bulk_load(&sources, &Default::default()).unwrap();
    let mut graphs: Vec<(String, usize)> = report
        .graphs
        .iter()
        .map(|(g, n)| (g.as_str().to_owned(), *n))
        .collect();
    graphs.sort();
    assert_eq!(
        graphs,
        [
            ("https://ex.org/g1".to_owned(), 1),
            ("https://ex.org/g2".to_owned(), 2),
            ("https://w3id.org/labgraph/id/graph/dump".to_owned(), 1),
        ]
    );
    // Each graph has its version, unvalidated, with the file's SHA-256.
    let versions = store
        .versions(Some(
            &oxigraph::model::NamedNode::new("https://ex.org/g2").unwrap(),
        ))
        .unwrap();
    let last = versions.last().unwrap();
    assert_eq!(last.validated, Some(false));
    assert_eq!(
        last.source_sha256.as_deref(),
        Some(labgraph::source::sha256(&std::fs::read(&dump).unwrap()).as_str())
    );
    // A file naming a graph that is not empty any more is refused before anything is
    // committed: its other graphs stay empty too.
    let again = write(
        &dir,
        "again.nq",
        "<https://ex.org/e> <http://schema.org/name> \"e\" <https://ex.org/g3> .\n\
         <https://ex.org/f> <http://schema.org/name> \"f\" <https://ex.org/g1> .\n",
    );
    let sources = import::plan(&[again], None, None, store.base()).unwrap();
    let error = store
        .bulk_load(&sources, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("https://ex.org/g1"), "{error}");
    assert!(
        store
            .graph_is_empty(&oxigraph::model::NamedNode::new("https://ex.org/g3").unwrap())
            .unwrap()
    );
}

//! The store module through the library: the bulk path is all-or-nothing and positions
//! its errors; the transactional path replaces graphs and records provenance.

use std::path::PathBuf;

mod common;
#[path = "../examples/common/synthetic.rs"]
mod synthetic;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::{store, store_without_gate};
use labgraph::import;
use labgraph::shacl::{Level, Shapes, mention};
use labgraph::store::{Change, GraphStore, Observer};
use oxigraph::model::{NamedNode, Term, Triple};

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
    let written = synthetic::generate(2_000, store.base(), &mut nt).unwrap();
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
            .collect::<Vec<_>>();
        let options = labgraph::store::ImportOptions {
            validated: true,
            ..Default::default()
        };
        let report = store.replace_graphs(&parsed, options).unwrap();
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

/// Runs a SPARQL update on a store; the violations of the gate that refused it, if it
/// did.
fn violations_of_update(store: &GraphStore, update: &str) -> usize {
    let prepared = store.prepare_update(update).unwrap();
    match store.update(prepared, None, "test", None) {
        Ok(_) => 0,
        Err(labgraph::Error::Rejected { violations, .. }) => violations,
        Err(other) => panic!("{update}: {other}"),
    }
}

/// The quads of a store's graphs (the provenance graph aside), as (graph, triple).
fn quads(store: &GraphStore) -> HashSet<(NamedNode, Triple)> {
    common::graphs(store)
        .into_iter()
        .flat_map(|(g, triples)| triples.into_iter().map(move |t| (g.clone(), t)))
        .collect()
}

#[test]
fn the_gate_finds_what_validating_the_whole_store_finds() {
    // Each write, through the gate of a store of the bundled data; and on a store with no
    // gate, where the whole store is validated after it, keeping the findings about what
    // the write concerns: the subjects of the quads it changed (and the objects of the
    // properties that shapes target), and the values that are resources it describes.
    let writes = [
        // A seminar without a name nor a date, organised by an institution that does
        // not exist.
        "INSERT DATA { GRAPH <graph/t1> { <seminar/x> a lg:Seminar, schema:Event ; schema:organizer <org/nowhere> } }",
        // An institution that seminars cite loses its types, in whatever graph they are.
        "DELETE WHERE { GRAPH ?g { <org/irev> a ?t } }",
        // The institutions disappear, still referenced elsewhere.
        "DROP GRAPH <graph/institutions>",
        // A speaker role without its person (the shapes target the objects of
        // lg:speakerRole).
        "INSERT DATA { GRAPH <graph/t2> { <seminar/pma-artois-2022-12-01> lg:speakerRole _:r . _:r a lg:SpeakerRole } }",
        // A valid person.
        "INSERT DATA { GRAPH <graph/t3> { <person/nouvelle> a schema:Person ; schema:name \"Nouvelle Personne\" ; dct:source <https://example.org/p> } }",
    ]
    .map(str::to_owned)
    .into_iter()
    // 1,200 people, two of them without a name, far apart: the gate validates a large
    // write by batches of resources, and finds what one validation finds.
    .chain(std::iter::once(format!(
        "INSERT DATA {{ GRAPH <graph/t4> {{ {} }} }}",
        (0..1200)
            .map(|i| match i {
                7 | 1100 => format!("<person/p{i}> a schema:Person ; dct:source <https://example.org/p> ."),
                _ => format!("<person/p{i}> a schema:Person ; schema:name \"P{i}\" ; dct:source <https://example.org/p> ."),
            })
            .collect::<String>()
    )));
    let targeted: HashSet<NamedNode> = {
        let plain = store_without_gate();
        plain
            .graph_triples(&plain.base().local("graph/shapes"))
            .unwrap()
            .into_iter()
            .filter(|t| t.predicate.as_str() == "http://www.w3.org/ns/shacl#targetObjectsOf")
            .filter_map(|t| match t.object {
                Term::NamedNode(p) => Some(p),
                _ => None,
            })
            .collect()
    };
    let mut refused = 0;
    for write in writes {
        let write = write.as_str();
        let gated = violations_of_update(&store(), write);
        let plain = store_without_gate();
        let before = quads(&plain);
        assert_eq!(violations_of_update(&plain, write), 0, "no gate: {write}");
        let after = quads(&plain);
        let (mut focus, mut described) = (HashSet::new(), HashSet::new());
        for (_, triple) in before.symmetric_difference(&after) {
            mention(triple.subject.as_ref().into(), &mut focus);
            mention(triple.subject.as_ref().into(), &mut described);
            if targeted.contains(&triple.predicate) {
                mention(triple.object.as_ref(), &mut focus);
            }
        }
        let report = Shapes::bundled()
            .unwrap()
            .validate(common::data_triples(&plain))
            .unwrap();
        let whole = report
            .findings
            .iter()
            .filter(|f| f.level == Level::Violation)
            .filter(|f| {
                focus.contains(&f.focus) || f.value.as_ref().is_some_and(|v| described.contains(v))
            })
            .count();
        assert_eq!(gated, whole, "{write}");
        refused += usize::from(gated > 0);
    }
    assert_eq!(refused, 5, "five of the writes break the shapes");
}

/// An observer that keeps every change it is told of.
#[derive(Default)]
struct Recorder(Mutex<Vec<Change>>);

impl Observer for Recorder {
    fn committed(&self, _: &GraphStore, change: &Change) {
        self.0.lock().unwrap().push(change.clone());
    }
}

impl Recorder {
    /// The graphs of the changes told since the last call (as relative paths).
    fn take(&self, store: &GraphStore) -> Vec<Vec<String>> {
        let base = store.base().as_str();
        self.0
            .lock()
            .unwrap()
            .drain(..)
            .map(|c| {
                c.graphs
                    .iter()
                    .map(|g| g.as_str().trim_start_matches(base).to_owned())
                    .collect()
            })
            .collect()
    }
}

#[test]
fn every_write_path_tells_the_observers_which_graphs_changed() {
    let store = store();
    let recorder = Arc::new(Recorder::default());
    store.subscribe(recorder.clone());
    let update = |text: &str| {
        store
            .update(store.prepare_update(text).unwrap(), None, "test", None)
            .map(drop)
    };
    // SPARQL Update, a graph named…
    update("INSERT DATA { GRAPH <graph/o1> { <person/o1> a schema:Person ; schema:name \"O1\" ; dct:source <https://example.org/o1> } }")
        .unwrap();
    assert_eq!(recorder.take(&store), [["graph/o1"]]);
    // … or reached through a variable.
    update("DELETE { GRAPH ?g { ?s schema:name \"O1\" } } INSERT { GRAPH ?g { ?s schema:name \"O2\" } } WHERE { GRAPH ?g { ?s schema:name \"O1\" } }")
        .unwrap();
    assert_eq!(recorder.take(&store), [["graph/o1"]]);
    // A write the gate refuses tells nothing; one that changes no data tells its record.
    assert!(update("INSERT DATA { GRAPH <graph/o1> { <seminar/x> a lg:Seminar } }").is_err());
    assert_eq!(recorder.take(&store), Vec::<Vec<String>>::new());
    update("INSERT DATA { GRAPH <graph/o1> { <person/o1> a schema:Person } }").unwrap();
    assert_eq!(recorder.take(&store), [Vec::<String>::new()]);
    // The Graph Store Protocol.
    let o3 = store.base().local("graph/o3");
    let triple = Triple::new(
        store.base().local("person/o3"),
        NamedNode::new("http://schema.org/name").unwrap(),
        oxigraph::model::Literal::from("O3"),
    );
    store
        .store_graph(o3.as_ref().into(), vec![triple], true, "test")
        .unwrap();
    assert_eq!(recorder.take(&store), [["graph/o3"]]);
    store.delete_graph(o3.as_ref().into(), "test").unwrap();
    assert_eq!(recorder.take(&store), [["graph/o3"]]);
    // An import: told once, and not again when the same file changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "o4.ttl",
        "<https://w3id.org/labgraph/id/person/o4> <http://schema.org/name> \"O4\" .\n",
    );
    for _ in 0..2 {
        let sources = import::plan(std::slice::from_ref(&file), None, None, store.base()).unwrap();
        let parsed = import::parse_all(sources, store.base()).unwrap();
        store.replace_graphs(&parsed, Default::default()).unwrap();
    }
    assert_eq!(recorder.take(&store), [["graph/o4"]]);
    // A dry run tells nothing. (The same file into a second graph: a resource described by
    // two graphs, asked for with `shared`.)
    let sources = import::plan(
        std::slice::from_ref(&file),
        None,
        Some("graph/o5"),
        store.base(),
    )
    .unwrap();
    let parsed = import::parse_all(sources, store.base()).unwrap();
    let options = labgraph::store::ImportOptions {
        validated: true,
        dry_run: true,
        shared: true,
    };
    store.replace_graphs(&parsed, options).unwrap();
    assert_eq!(recorder.take(&store), Vec::<Vec<String>>::new());
    // The bulk path.
    let nt = write(
        &dir,
        "o6.nt",
        "<https://ex.org/o6> <http://schema.org/name> \"O6\" .\n",
    );
    let sources = import::plan(std::slice::from_ref(&nt), None, None, store.base()).unwrap();
    store.bulk_load(&sources, &Default::default()).unwrap();
    assert_eq!(recorder.take(&store), [["graph/o6"]]);
}

/// The default graph of a query is the union of the named graphs as a set (SPARQL's RDF
/// merge, Fuseki's union graph): a triple two graphs state is seen once, through every
/// write path, until the last graph that states it loses it. Oxigraph 0.5's own union
/// repeated it (oxigraph/oxigraph#1919), so `a ?type` gave each type twice.
#[test]
fn the_union_default_graph_is_a_set_through_every_write() {
    let store = store_without_gate();
    let count = |store: &GraphStore, query: &str| -> usize { common::select(store, query).len() };
    let types = "SELECT ?t WHERE { <https://ex.org/s> a ?t }";
    let rows = "SELECT * WHERE { ?s ?p ?o }";
    let before = count(&store, rows);
    let update = |store: &GraphStore, text: &str| {
        let prepared = store.prepare_update(text).unwrap();
        store.update(prepared, None, "test", None).unwrap();
    };
    // Two graphs state the same triple (an update, a Graph Store PUT).
    update(
        &store,
        "INSERT DATA { GRAPH <https://ex.org/g1> { <https://ex.org/s> a <https://ex.org/T> } }",
    );
    store
        .store_graph(
            NamedNode::new("https://ex.org/g2").unwrap().as_ref().into(),
            vec![Triple::new(
                NamedNode::new("https://ex.org/s").unwrap(),
                oxigraph::model::vocab::rdf::TYPE,
                NamedNode::new("https://ex.org/T").unwrap(),
            )],
            true,
            "test",
        )
        .unwrap();
    assert_eq!(count(&store, types), 1, "stated by two graphs, seen once");
    assert_union_is_the_merge(&store);
    assert_eq!(
        count(
            &store,
            "SELECT ?g WHERE { GRAPH ?g { <https://ex.org/s> a ?t } }"
        ),
        2,
        "each named graph still states it"
    );
    let counted = common::select(
        &store,
        "SELECT (COUNT(*) AS ?n) WHERE { <https://ex.org/s> ?p ?o }",
    );
    assert_eq!(
        counted[0]["n"].to_string(),
        "\"1\"^^<http://www.w3.org/2001/XMLSchema#integer>"
    );
    // The union graph is no named graph: GRAPH ?g, the graph list and the dump skip it.
    let union = store.union_graph();
    assert!(
        common::select(&store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
            .iter()
            .all(|row| row["g"] != Term::from(union.clone())),
    );
    assert!(
        store
            .graphs()
            .unwrap()
            .iter()
            .all(|g| g.graph != union.clone().into())
    );
    let mut dump = Vec::new();
    store
        .write_quads(None, oxigraph::io::RdfFormat::NQuads, &mut dump, usize::MAX)
        .unwrap();
    assert!(!String::from_utf8(dump).unwrap().contains(union.as_str()));
    // One graph loses it: still in the union; the other too: gone.
    update(
        &store,
        "DELETE DATA { GRAPH <https://ex.org/g1> { <https://ex.org/s> a <https://ex.org/T> } }",
    );
    assert_eq!(count(&store, types), 1, "g2 still states it");
    store
        .delete_graph(
            NamedNode::new("https://ex.org/g2").unwrap().as_ref().into(),
            "test",
        )
        .unwrap();
    assert_eq!(count(&store, types), 0, "no graph states it any more");
    assert_union_is_the_merge(&store);
    assert!(count(&store, rows) > before);
    // Nobody writes the union graph but the write path.
    for text in [
        "INSERT DATA { GRAPH <urn:x-labgraph:union> { <https://ex.org/a> <https://ex.org/b> <https://ex.org/c> } }",
        "DROP GRAPH <urn:x-labgraph:union>",
    ] {
        let refused = store
            .prepare_update(text)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(refused.contains("urn:x-labgraph:union"), "{refused}");
    }
    let through_a_variable = store
        .prepare_update("INSERT { GRAPH ?g { <https://ex.org/a> <https://ex.org/b> <https://ex.org/c> } } WHERE { BIND(<urn:x-labgraph:union> AS ?g) }")
        .unwrap();
    assert!(
        store
            .update(through_a_variable, None, "test", None)
            .is_err()
    );
    assert!(
        store
            .store_graph(union.as_ref().into(), Vec::new(), true, "test")
            .is_err()
    );
}

/// The default graph holds each triple of the named graphs once, and nothing else.
fn assert_union_is_the_merge(store: &GraphStore) {
    let mut merge = HashSet::new();
    for info in store.graphs().unwrap() {
        if let oxigraph::model::NamedOrBlankNode::NamedNode(g) = info.graph {
            merge.extend(store.graph_triples(&g).unwrap());
        }
    }
    let rows = common::select(store, "SELECT * WHERE { ?s ?p ?o }");
    let seen: HashSet<Triple> = rows
        .iter()
        .map(|row| {
            let subject = match &row["s"] {
                Term::NamedNode(n) => oxigraph::model::NamedOrBlankNode::from(n.clone()),
                Term::BlankNode(b) => b.clone().into(),
                other => panic!("{other}"),
            };
            let Term::NamedNode(predicate) = &row["p"] else {
                panic!()
            };
            Triple::new(subject, predicate.clone(), row["o"].clone())
        })
        .collect();
    assert_eq!(rows.len(), seen.len(), "no triple twice");
    assert_eq!(seen, merge);
}

/// A store made without the union graph (by Oxigraph's own tools, or before labgraph
/// kept it) gets it when labgraph opens it: its queries see the named graphs at once.
#[test]
fn a_store_without_the_union_graph_gets_it_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    {
        let raw = oxigraph::store::Store::open(dir.path()).unwrap();
        for g in ["https://ex.org/g1", "https://ex.org/g2"] {
            raw.insert(&oxigraph::model::Quad::new(
                NamedNode::new("https://ex.org/s").unwrap(),
                oxigraph::model::vocab::rdf::TYPE,
                NamedNode::new("https://ex.org/T").unwrap(),
                NamedNode::new(g).unwrap(),
            ))
            .unwrap();
        }
    }
    let store = GraphStore::open(dir.path(), common::base()).unwrap();
    assert_eq!(
        common::select(&store, "SELECT ?t WHERE { <https://ex.org/s> a ?t }").len(),
        1
    );
}

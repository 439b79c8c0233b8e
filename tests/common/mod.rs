//! Helpers shared by the test binaries (each includes this file with `mod common;` and
//! uses what it needs).
#![allow(dead_code, unused_imports)]

pub mod http;

use labgraph::config::BaseIri;
use labgraph::store::GraphStore;
use labgraph::vocab;
use oxigraph::model::{NamedOrBlankNode, Term, Triple};
use oxigraph::sparql::QueryResults;
use std::collections::BTreeMap;

/// The default base IRI.
pub fn base() -> BaseIri {
    BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap()
}

/// A store in memory with the bundled data and the SHACL gate, as `labgraph` opens one.
pub fn store() -> GraphStore {
    labgraph::import::in_memory(base()).unwrap()
}

/// A store in memory with the bundled data and no check on its write path.
pub fn store_without_gate() -> GraphStore {
    let store = GraphStore::in_memory(base()).unwrap();
    labgraph::import::seed_if_empty(&store).unwrap();
    store
}

/// The named graphs of a store with their triples, the provenance graph aside.
pub fn graphs(store: &GraphStore) -> Vec<(oxigraph::model::NamedNode, Vec<Triple>)> {
    let imports = store.base().local("graph/imports");
    store
        .graphs()
        .unwrap()
        .into_iter()
        .filter_map(|info| match info.graph {
            NamedOrBlankNode::NamedNode(g) if g != imports => Some(g),
            _ => None,
        })
        .map(|g| {
            let triples = store.graph_triples(&g).unwrap();
            (g, triples)
        })
        .collect()
}

/// Every triple of the store's data: all its graphs but the shapes and the provenance.
pub fn data_triples(store: &GraphStore) -> Vec<Triple> {
    let shapes = store.base().local("graph/shapes");
    graphs(store)
        .into_iter()
        .filter(|(g, _)| *g != shapes)
        .flat_map(|(_, triples)| triples)
        .collect()
}

/// The solutions of a SELECT query, each as a map from variable name to term.
pub fn select(store: &GraphStore, query: &str) -> Vec<BTreeMap<String, Term>> {
    let prepared = store
        .prepare(query)
        .unwrap_or_else(|e| panic!("{e}\n{query}"));
    match store.evaluate(prepared, vec![]).unwrap() {
        QueryResults::Solutions(solutions) => solutions
            .map(|s| {
                s.unwrap()
                    .iter()
                    .map(|(v, t)| (v.as_str().to_owned(), t.clone()))
                    .collect()
            })
            .collect(),
        _ => panic!("not a SELECT query:\n{query}"),
    }
}

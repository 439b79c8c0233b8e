//! Data-driven checks of the content folders: every file of `ontology/` and `data/`
//! parses and the data conforms to the shapes; every named query prepares and gives its
//! golden answer on the bundled data (solutions compared as sets).

use std::collections::BTreeSet;
use std::path::Path;

mod common;
#[path = "../examples/common/synthetic.rs"]
mod synthetic;

use labgraph::shacl::{Level, Shapes};
use labgraph::{bundled, queries, vocab};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Term, Triple};
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};

use common::store;

/// A solution as a sorted list of `?var=term` strings, so that solutions compare as sets.
type Row = Vec<String>;

fn row(pairs: impl IntoIterator<Item = (String, Term)>) -> Row {
    let mut row: Row = pairs
        .into_iter()
        .map(|(v, t)| format!("?{v}={t}"))
        .collect();
    row.sort();
    row
}

/// The violations of a report, as the command line prints them.
fn violations(report: &labgraph::shacl::Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.level == Level::Violation)
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn every_bundled_file_parses_into_its_graph() {
    let store = store();
    let graphs = store.graphs().unwrap();
    for (path, _) in bundled::graphs() {
        let stem = Path::new(path).file_stem().unwrap().to_string_lossy();
        let info = graphs
            .iter()
            .find(|g| g.graph.to_string().ends_with(&format!("/graph/{stem}>")))
            .unwrap_or_else(|| panic!("{path} has no graph"));
        assert!(info.triples > 0, "{path} is empty");
        assert_eq!(info.source.as_deref(), Some(path), "{path}'s provenance");
    }
}

#[test]
fn the_bundled_data_conforms_to_the_shapes() {
    let store = store();
    let triples = common::data_triples(&store);
    let report = Shapes::bundled().unwrap().validate(triples).unwrap();
    let violations = violations(&report);
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("")
    );
}

#[test]
fn the_shapes_catch_a_broken_record() {
    // A seminar with no name and a date that is not a date: the shapes must say so.
    let broken = r#"
        @prefix lg: <https://w3id.org/labgraph/def#> .
        @prefix schema: <http://schema.org/> .
        <seminar/broken> a lg:Seminar, schema:Event ; schema:startDate "1er décembre" .
    "#;
    let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(vocab::DEFAULT_BASE_IRI)
        .unwrap()
        .for_slice(broken)
        .map(|q| Triple::from(q.unwrap()))
        .collect();
    let report = Shapes::bundled().unwrap().validate(triples).unwrap();
    assert!(!report.conforms);
    let focus = "https://w3id.org/labgraph/id/seminar/broken";
    let on_broken: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.focus == focus)
        .collect();
    assert!(
        on_broken
            .iter()
            .any(|f| f.path.as_deref().is_some_and(|p| p.contains("name"))),
        "{on_broken:?}"
    );
    assert!(
        on_broken
            .iter()
            .any(|f| f.path.as_deref().is_some_and(|p| p.contains("startDate"))),
        "{on_broken:?}"
    );
    assert!(
        on_broken
            .iter()
            .all(|f| f.message_fr.is_some() && f.message_en.is_some()),
        "{on_broken:?}"
    );
}

#[test]
fn the_context_is_json_ld_that_expands_records() {
    let context: serde_json::Value =
        serde_json::from_str(bundled::context()).expect("context.jsonld is JSON");
    let record = serde_json::json!({
        "@context": context["@context"],
        "@id": "person/exemple",
        "@type": "Person",
        "name": "Exemple",
    });
    let quads: Vec<_> = RdfParser::from_format(RdfFormat::JsonLd {
        profile: Default::default(),
    })
    .with_base_iri(vocab::DEFAULT_BASE_IRI)
    .unwrap()
    .for_slice(record.to_string().as_bytes())
    .collect::<Result<_, _>>()
    .expect("a record with the context parses");
    let text: Vec<String> = quads.iter().map(|q| q.to_string()).collect();
    assert!(
        text.iter().any(|q| q.contains(
            "<https://w3id.org/labgraph/id/person/exemple> <http://schema.org/name> \"Exemple\""
        )),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|q| q.contains("<http://schema.org/Person>")),
        "{text:?}"
    );
}

#[test]
fn every_named_query_prepares_and_matches_its_golden_answer() {
    let store = store();
    let all = queries::all().unwrap();
    assert!(all.len() >= 12, "one named query per competency question");
    let mut checked = 0;
    for query in &all {
        assert!(
            query.answers.is_some(),
            "{} says which question it answers",
            query.name
        );
        let prepared = store
            .prepare(query.text)
            .unwrap_or_else(|e| panic!("{}: {e}", query.name));
        let golden =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{}.srj", query.name));
        if !golden.exists() {
            continue;
        }
        let bindings = query.bindings(&query.example, store.base()).unwrap();
        let actual: BTreeSet<Row> = match store.evaluate(prepared, bindings).unwrap() {
            QueryResults::Solutions(solutions) => solutions
                .map(|s| {
                    let s = s.unwrap();
                    row(s.iter().map(|(v, t)| (v.as_str().to_owned(), t.clone())))
                })
                .collect(),
            _ => panic!("{} is a SELECT query", query.name),
        };
        let bytes = std::fs::read(&golden).unwrap();
        let expected: BTreeSet<Row> =
            match QueryResultsParser::from_format(QueryResultsFormat::Json)
                .for_slice(&bytes)
                .unwrap()
            {
                SliceQueryResultsParserOutput::Solutions(solutions) => solutions
                    .map(|s| {
                        let s = s.unwrap();
                        row(s.iter().map(|(v, t)| (v.as_str().to_owned(), t.clone())))
                    })
                    .collect(),
                SliceQueryResultsParserOutput::Boolean(_) => {
                    panic!("{} golden is a boolean", query.name)
                }
            };
        let missing: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:#?}\nunexpected {extra:#?}",
            query.name
        );
        assert!(
            !actual.is_empty(),
            "{}: a golden answer with no row proves nothing",
            query.name
        );
        checked += 1;
    }
    assert!(
        checked >= 11,
        "only {checked} named queries have golden answers"
    );
}

#[test]
fn import_history_lists_every_bundled_graph_with_its_count() {
    let store = store();
    let query = queries::find("import-history").unwrap();
    let QueryResults::Solutions(solutions) = store
        .evaluate(store.prepare(query.text).unwrap(), vec![])
        .unwrap()
    else {
        panic!("import-history is a SELECT query")
    };
    let variables: Vec<String> = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let rows: Vec<_> = solutions.map(Result::unwrap).collect();
    let graphs = store.graphs().unwrap();
    for (path, _) in bundled::graphs() {
        let info = graphs
            .iter()
            .find(|g| g.source.as_deref() == Some(path))
            .unwrap();
        let row = rows
            .iter()
            .find(|r| r.iter().any(|(_, t)| t == &Term::from(info.graph.clone())))
            .unwrap_or_else(|| {
                panic!("import-history has no row for {path} (columns {variables:?})")
            });
        assert!(
            row.iter().any(
                |(_, t)| matches!(t, Term::Literal(l) if l.value() == info.triples.to_string())
            ),
            "{path}: the row {row:?} does not give its {} triples",
            info.triples
        );
    }
}

#[test]
fn generated_graphs_have_the_shape_of_the_real_one() {
    // The benchmark generator must produce data the shapes accept, linked to the bundled
    // resources, with no statement written twice.
    let store = store();
    let mut nt = Vec::new();
    let written = synthetic::generate(3_000, store.base(), &mut nt).unwrap();
    let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::NTriples)
        .for_slice(&nt)
        .map(|q| Triple::from(q.unwrap()))
        .collect();
    assert_eq!(triples.len(), written);
    let distinct: BTreeSet<String> = triples.iter().map(|t| t.to_string()).collect();
    assert_eq!(distinct.len(), written, "no statement is generated twice");
    let mut data = common::data_triples(&store);
    data.extend(triples);
    let report = Shapes::bundled().unwrap().validate(data).unwrap();
    let violations = violations(&report);
    assert!(violations.is_empty(), "{}", violations.join(""));
}

#[test]
fn the_record_schema_is_made_from_the_context() {
    // ontology/record.schema.json is generated from ontology/context.jsonld; after a change
    // of the context, run the tests once with LABGRAPH_BLESS=1 to write it again.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ontology/record.schema.json");
    let schema = labgraph::import::record::json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("LABGRAPH_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == text,
        "ontology/record.schema.json is not the schema of the context: run LABGRAPH_BLESS=1 cargo test --release --test content"
    );
}

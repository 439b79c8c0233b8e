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

/// The solutions of a SELECT query as a set of rows.
fn solutions(results: QueryResults, name: &str) -> BTreeSet<Row> {
    match results {
        QueryResults::Solutions(solutions) => solutions
            .map(|s| {
                let s = s.unwrap();
                row(s.iter().map(|(v, t)| (v.as_str().to_owned(), t.clone())))
            })
            .collect(),
        _ => panic!("{name} is a SELECT query"),
    }
}

/// A golden answer (SPARQL results JSON) as a set of rows.
fn golden(path: &Path) -> BTreeSet<Row> {
    let bytes = std::fs::read(path).unwrap();
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
        SliceQueryResultsParserOutput::Boolean(_) => panic!("{} is a boolean", path.display()),
    }
}

/// `NAME=VALUE` parameters of a named query.
type Params = Vec<(String, String)>;

/// The extra cases of `tests/golden/cases.txt`: query, case, parameters.
fn cases() -> Vec<(String, String, Params)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/cases.txt"),
    )
    .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut words = line.split_whitespace();
            let (name, case) = (words.next().unwrap(), words.next().unwrap());
            let params = words
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap();
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            (name.to_owned(), case.to_owned(), params)
        })
        .collect()
}

/// The bundled data and a golden fixture, in its graph `graph/fixture-NAME`.
fn store_with_fixture(name: &str) -> labgraph::store::GraphStore {
    let store = store();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/fixtures/{name}.ttl"));
    let graph = format!("graph/fixture-{name}");
    let sources = labgraph::import::plan(&[path], None, Some(&graph), store.base()).unwrap();
    let parsed = labgraph::import::parse_all(sources, store.base()).unwrap();
    store
        .replace_graphs(&parsed, Default::default())
        .unwrap_or_else(|e| panic!("the fixture {name}: {e}"));
    store
}

#[test]
fn every_named_query_prepares_and_matches_its_golden_answer() {
    let store = store();
    let all = queries::all().unwrap();
    assert!(all.len() >= 12, "one named query per competency question");
    let goldens = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    // Each query with the example of its header, then the extra cases.
    let mut runs: Vec<(&queries::NamedQuery, Option<String>, Params)> = Vec::new();
    for query in &all {
        assert!(
            query.answers.is_some(),
            "{} says which question it answers",
            query.name
        );
        runs.push((query, None, query.example.clone()));
    }
    for (name, case, params) in cases() {
        let query = all
            .iter()
            .find(|q| q.name == name)
            .unwrap_or_else(|| panic!("cases.txt names no query {name}"));
        runs.push((query, Some(case), params));
    }
    let (mut checked, mut cases_checked) = (0, 0);
    // A case `with=FIXTURE` runs on a store with tests/golden/fixtures/FIXTURE.ttl added.
    let mut with_fixture: std::collections::HashMap<String, labgraph::store::GraphStore> =
        std::collections::HashMap::new();
    for (query, case, mut params) in runs {
        let label = match &case {
            Some(case) => format!("{}.{case}", query.name),
            None => query.name.to_string(),
        };
        let store = match params.iter().position(|(k, _)| k == "with") {
            Some(at) => {
                let (_, fixture) = params.remove(at);
                with_fixture
                    .entry(fixture.clone())
                    .or_insert_with(|| store_with_fixture(&fixture))
            }
            None => &store,
        };
        let prepared = store
            .prepare(query.text)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let path = goldens.join(format!("{label}.srj"));
        if !path.exists() {
            assert!(
                case.is_none(),
                "{label}: no golden answer {}",
                path.display()
            );
            continue;
        }
        let bindings = query.bindings(&params, store.base()).unwrap();
        let actual = solutions(store.evaluate(prepared, bindings).unwrap(), &label);
        let expected = golden(&path);
        let missing: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{label}: missing {missing:#?}\nunexpected {extra:#?}"
        );
        // An empty answer proves something only as a case made to show what must not
        // be returned.
        assert!(
            !actual.is_empty() || case.is_some(),
            "{label}: a golden answer with no row proves nothing"
        );
        match case {
            Some(_) => cases_checked += 1,
            None => checked += 1,
        }
    }
    // All but import-history (the store's own records) and search (the text index,
    // checked by tests/search.rs).
    assert!(
        checked >= 10,
        "only {checked} named queries have golden answers"
    );
    assert!(cases_checked >= 5, "only {cases_checked} extra cases");
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

/// The solutions of a query on a store, as (variable → N-Triples form of the term) maps.
fn select(
    store: &labgraph::store::GraphStore,
    query: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    common::select(store, query)
        .into_iter()
        .map(|row| row.into_iter().map(|(v, t)| (v, t.to_string())).collect())
        .collect()
}

#[test]
fn every_link_of_an_action_to_an_sdg_says_what_it_rests_on() {
    // Issue 12: the links were marked as manual facts while a proposed mapping gave them.
    // Each lg:contributesTo link is qualified, with a status; a derived one names its rule
    // and the theme mappings it comes from, and those are proposals.
    let store = store();
    let unqualified = select(
        &store,
        "SELECT ?action ?sdg WHERE { ?action lg:contributesTo ?sdg
           FILTER NOT EXISTS { ?action lg:qualifiedContribution ?link .
                               ?link lg:sdgConcept ?sdg ; lg:status ?status } }",
    );
    assert!(
        unqualified.is_empty(),
        "links without a status: {unqualified:#?}"
    );
    let bad_derivations = select(
        &store,
        "SELECT ?link WHERE {
           { ?link lg:status lg:derived .
             FILTER NOT EXISTS { ?link lg:derivedBy ?rule . ?rule a lg:Rule ; schema:text ?text } }
           UNION
           { ?link lg:status lg:derived .
             FILTER NOT EXISTS { ?link prov:wasDerivedFrom ?m } }
           UNION
           { ?link lg:status lg:derived ; prov:wasDerivedFrom ?m .
             FILTER NOT EXISTS { ?m dct:isPartOf/lg:status lg:proposed } } }",
    );
    assert!(bad_derivations.is_empty(), "{bad_derivations:#?}");
    // A link the sources state is a fact: none does yet (the page states no action–SDG
    // link), and a link stated by the editors' own rule would be a contradiction.
    let stated = select(&store, "SELECT ?link WHERE { ?link lg:status lg:stated }");
    assert!(stated.is_empty(), "{stated:#?}");
}

#[test]
fn the_derived_links_are_exactly_what_their_rule_derives() {
    // The rule is in the data (schema:text of <rule/action-theme-targets>): run it, and
    // compare with the links the data says it derived. A link no rule and no source
    // supports (action/lab-des-transitions → 17.14) cannot pass.
    let store = store();
    let rules = select(
        &store,
        "SELECT ?rule ?text WHERE { ?rule a lg:Rule ; schema:text ?text }",
    );
    assert_eq!(rules.len(), 1, "{rules:#?}");
    let text = &rules[0]["text"];
    let rule = rules[0]["rule"].trim_matches(['<', '>']).to_owned();
    // The literal in N-Triples form: unescape it.
    let text: String = serde_json::from_str(&text[..=text.rfind('"').unwrap()]).unwrap();
    let derived: BTreeSet<(String, String)> = match store
        .evaluate(store.prepare(&text).unwrap(), Vec::new())
        .unwrap()
    {
        QueryResults::Graph(triples) => triples
            .map(|t| {
                let t = t.unwrap();
                (t.subject.to_string(), t.object.to_string())
            })
            .collect(),
        _ => panic!("the rule is a CONSTRUCT"),
    };
    let recorded: BTreeSet<(String, String)> = select(
        &store,
        &format!(
            "SELECT ?action ?sdg WHERE {{ ?action lg:contributesTo ?sdg ;
               lg:qualifiedContribution [ lg:sdgConcept ?sdg ; lg:status lg:derived ;
                                          lg:derivedBy <{rule}> ] }}"
        ),
    )
    .into_iter()
    .map(|r| (r["action"].clone(), r["sdg"].clone()))
    .collect();
    let all: BTreeSet<(String, String)> = select(
        &store,
        "SELECT ?action ?sdg WHERE { ?action lg:contributesTo ?sdg }",
    )
    .into_iter()
    .map(|r| (r["action"].clone(), r["sdg"].clone()))
    .collect();
    assert!(!derived.is_empty());
    assert_eq!(
        recorded, derived,
        "the links recorded as derived by the rule"
    );
    assert_eq!(all, derived, "every link is derived (none is stated yet)");
}

#[test]
fn only_the_actions_the_page_states_are_actions() {
    // Issue 12: the page states five actions (each presented at the seminar by the
    // institution that leads it). The citizens' participation of Loos-en-Gohelle (a
    // testimony), the "massification" (a job title), the Observatoire Climat (an
    // organisation) and the Lab des transitions (an event series) are not.
    let store = store();
    let actions: BTreeSet<String> = select(&store, "SELECT ?a WHERE { ?a a lg:Action }")
        .into_iter()
        .map(|r| {
            r["a"]
                .trim_start_matches(&format!("<{}", store.base().as_str()))
                .trim_end_matches('>')
                .to_owned()
        })
        .collect();
    let expected: BTreeSet<String> = [
        "action/pat-cabbalr",
        "action/ilots-de-chaleur-batiments-scolaires-pas-de-calais",
        "action/turbine-de-la-transition",
        "action/etude-surchauffe-urbaine-aula",
        "action/ilots-de-chaleur-adulm",
    ]
    .map(String::from)
    .into();
    assert_eq!(actions, expected);
    // Each is presented at an event where its lead spoke.
    let unpresented = select(
        &store,
        "SELECT ?a WHERE { ?a a lg:Action ; lg:ledBy ?lead .
           FILTER NOT EXISTS { ?a lg:presentedAt ?e . ?e lg:speakerRole/lg:onBehalfOf ?lead } }",
    );
    assert!(unpresented.is_empty(), "{unpresented:#?}");
}

#[test]
fn no_recommendation_without_text_is_answered_as_one() {
    // Issue 12, CQ9: the three recommendations the workshops are to produce have no text;
    // the query returned 31 theme×SDG rows for them. Now each workshop without one says
    // so, once.
    let store = store();
    let query = queries::all()
        .unwrap()
        .into_iter()
        .find(|q| q.name == "workshop-recommendations")
        .unwrap();
    let rows = select(&store, query.text);
    assert!(
        rows.iter()
            .all(|r| r.contains_key("recommendationText") != r.contains_key("note")),
        "{rows:#?}"
    );
    let without: BTreeSet<&String> = rows
        .iter()
        .filter(|r| r.contains_key("note"))
        .map(|r| &r["workshop"])
        .collect();
    assert_eq!(without.len(), 3, "{rows:#?}");
    assert_eq!(rows.len(), 3, "one row per workshop: {rows:#?}");
}

#[test]
fn the_sparql_examples_of_the_readme_run_on_the_bundled_data() {
    // Examples are tests: every ```sparql block of the README prepares and runs.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let store = store();
    let mut blocks = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```sparql\n") {
        let block = &rest[start + "```sparql\n".len()..];
        let end = block.find("```").unwrap();
        let prepared = store
            .prepare(&block[..end])
            .unwrap_or_else(|e| panic!("README query does not parse: {e}\n{}", &block[..end]));
        store.evaluate(prepared, Vec::new()).unwrap();
        blocks += 1;
        rest = &block[end..];
    }
    assert!(
        blocks >= 1,
        "the README shows the query that keeps stated facts only"
    );
}

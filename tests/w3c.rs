//! The W3C test suites of the SPARQL 1.1 Protocol and of the SPARQL 1.1 Graph Store HTTP
//! Protocol, transcribed from their manifests (w3c/rdf-tests, `sparql/sparql11/protocol/
//! manifest.ttl` and `sparql/sparql11/http-rdf-update/manifest.ttl`) and run in-process
//! against the server: one test per manifest entry, named after it, with the entry's IRI.
//!
//! How the manifests' requests map onto this server:
//!
//! - The manifests' endpoint `/sparql/` is this server's `/sparql`.
//! - `$GRAPHSTORE$` is the graph store. Indirect identification (`$GRAPHSTORE$?default`,
//!   `$GRAPHSTORE$?graph=…`, and `POST $GRAPHSTORE$`) goes to `/store`; direct identification
//!   (`$GRAPHSTORE$/person/1.ttl`) goes to `/id/person/1.ttl`, the graph
//!   `<http://example.org/id/person/1.ttl>` of a store whose base IRI is
//!   `http://example.org/id/`. So `$GRAPHSTORE$` as an IRI is `http://example.org/id`, and
//!   `<http://$HOST$/$GRAPHSTORE$/person/1>` in the payloads is
//!   `<http://example.org/id/person/1>`.
//! - The server never fetches anything: the data the protocol manifest loads from
//!   `http://kasei.us/…` (`ut:graphData`) is inserted first, with an update, into the
//!   graph of that IRI.
//! - Every update and every Graph Store write carries the admin token.
//! - RDF is compared as graphs (isomorphism, through canonical blank nodes) and SPARQL
//!   results are parsed, in whichever format the response's `Content-Type` names.
//! - The Graph Store manifest is a sequence: each test runs on the state the previous ones
//!   leave. Each test here starts a fresh server and replays the writes of the tests that
//!   precede it in the manifest, then makes its own request.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use common::http::{Reply, send};
use labgraph::config::BaseIri;
use labgraph::http::{self, AdminToken, Options};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::dataset::CanonicalizationAlgorithm;
use oxigraph::model::{Graph, Literal, Term, Triple};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};

use common::http::TOKEN;
/// The base IRI of the store: the graph `<BASE + path>` is at `/id/` + path.
const BASE: &str = "http://example.org/id/";
/// `$GRAPHSTORE$` as an IRI: the graphs the manifest names directly are under it.
const GRAPHSTORE_IRI: &str = "http://example.org/id";
/// Where the protocol manifest's data would be fetched from.
const KASEI: &str = "http://kasei.us/2009/09/sparql/data/";
const TURTLE_UTF8: &str = "text/turtle; charset=utf-8";

// ---------------------------------------------------------------------------------------
// Driving the server in-process.
// ---------------------------------------------------------------------------------------

fn app() -> Router {
    let options = Options {
        admin_token: Some(AdminToken::new(TOKEN, "test").unwrap()),
        ..Options::default()
    };
    http::app(
        labgraph::import::in_memory(BaseIri::parse(BASE).unwrap()).unwrap(),
        options,
    )
    .unwrap()
}

/// A request with exactly the headers given (no others: several tests are about a missing
/// `Content-Type`).
fn request(
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

/// The same request with the admin token.
fn authorized(mut request: Request<Body>) -> Request<Body> {
    request.headers_mut().insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {TOKEN}")).unwrap(),
    );
    request
}

fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// `text` in UTF-16 (big-endian) with its byte order mark, as the manifest's non-UTF-8
/// tests send it ("Content body encoded in utf-16, with a preceding BOM").
fn utf16_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    bytes
}

// ---------------------------------------------------------------------------------------
// Status expectations.
// ---------------------------------------------------------------------------------------

/// `mf:expectedStatus ht:StatusCode2xx, ht:StatusCode3xx`.
fn assert_2xx_or_3xx(reply: &Reply, what: &str) {
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{what}: expected 2xx or 3xx, got {}: {}",
        reply.status,
        reply.text()
    );
}

/// `mf:expectedStatus ht:StatusCode4xx`.
fn assert_4xx(reply: &Reply, what: &str) {
    assert!(
        reply.status.is_client_error(),
        "{what}: expected 4xx, got {}: {}",
        reply.status,
        reply.text()
    );
}

/// A 4xx for a request sent with the admin token: refused for what the test is about,
/// not for its credentials.
fn assert_4xx_not_for_credentials(reply: &Reply, what: &str) {
    assert_4xx(reply, what);
    assert!(
        reply.status != StatusCode::UNAUTHORIZED && reply.status != StatusCode::FORBIDDEN,
        "{what}: sent with the admin token, yet refused for its credentials ({}): {}",
        reply.status,
        reply.text()
    );
}

/// `ht:statusCodeValue`, with the alternatives the specification allows where it does.
fn assert_status_in(reply: &Reply, allowed: &[u16], what: &str) {
    assert!(
        allowed.contains(&reply.status.as_u16()),
        "{what}: expected one of {allowed:?}, got {}: {}",
        reply.status,
        reply.text()
    );
}

// ---------------------------------------------------------------------------------------
// SPARQL results, parsed in the format the response names.
// ---------------------------------------------------------------------------------------

enum Results {
    Boolean(bool),
    Table {
        variables: Vec<String>,
        rows: Vec<Vec<Option<Term>>>,
    },
}

fn results_format(reply: &Reply) -> QueryResultsFormat {
    let content_type = reply.header(header::CONTENT_TYPE);
    QueryResultsFormat::from_media_type(content_type).unwrap_or_else(|| {
        panic!(
            "Content-Type {content_type:?} is not a SPARQL results format: {}",
            reply.text()
        )
    })
}

fn results(reply: &Reply) -> Results {
    let format = results_format(reply);
    if format == QueryResultsFormat::Csv {
        // Oxigraph does not parse CSV results (they are lossy): every cell is a string.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(&reply.body[..]);
        let variables: Vec<String> = reader
            .headers()
            .unwrap_or_else(|e| panic!("CSV results: {e}: {}", reply.text()))
            .iter()
            .map(str::to_owned)
            .collect();
        let rows: Vec<Vec<Option<Term>>> = reader
            .records()
            .map(|record| {
                record
                    .unwrap_or_else(|e| panic!("CSV results: {e}: {}", reply.text()))
                    .iter()
                    .map(|cell| {
                        (!cell.is_empty()).then(|| Term::from(Literal::new_simple_literal(cell)))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        return Results::Table { variables, rows };
    }
    match QueryResultsParser::from_format(format)
        .for_slice(&reply.body[..])
        .unwrap_or_else(|e| panic!("{format:?} results: {e}: {}", reply.text()))
    {
        SliceQueryResultsParserOutput::Boolean(value) => Results::Boolean(value),
        SliceQueryResultsParserOutput::Solutions(solutions) => {
            let variables: Vec<String> = solutions
                .variables()
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect();
            let rows: Vec<Vec<Option<Term>>> = solutions
                .map(|solution| {
                    let solution = solution
                        .unwrap_or_else(|e| panic!("{format:?} results: {e}: {}", reply.text()));
                    variables
                        .iter()
                        .map(|v| solution.get(v.as_str()).cloned())
                        .collect::<Vec<_>>()
                })
                .collect();
            Results::Table { variables, rows }
        }
    }
}

/// `mf:expectedFormat "boolean"`: the boolean a response holds.
fn boolean(reply: &Reply) -> bool {
    match results(reply) {
        Results::Boolean(value) => value,
        Results::Table { .. } => {
            panic!("expected a boolean result, got solutions: {}", reply.text())
        }
    }
}

/// The lexical form of a term (an IRI's string, a literal's value).
fn lexical(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::Literal(l) => l.value().to_owned(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// RDF graphs, compared up to blank node renaming.
// ---------------------------------------------------------------------------------------

fn canonical(triples: impl IntoIterator<Item = Triple>) -> Graph {
    let mut graph: Graph = triples.into_iter().collect();
    graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    graph
}

fn rdf_format(reply: &Reply) -> RdfFormat {
    let content_type = reply.header(header::CONTENT_TYPE);
    RdfFormat::from_media_type(content_type).unwrap_or_else(|| {
        panic!(
            "Content-Type {content_type:?} is not an RDF format: {}",
            reply.text()
        )
    })
}

/// The graph a response holds, parsed in the format its `Content-Type` names.
fn response_graph(reply: &Reply) -> Graph {
    let format = rdf_format(reply);
    canonical(
        RdfParser::from_format(format)
            .for_slice(&reply.body[..])
            .map(|quad| {
                Triple::from(quad.unwrap_or_else(|e| panic!("{format:?}: {e}\n{}", reply.text())))
            }),
    )
}

fn turtle_graph(text: &str) -> Graph {
    canonical(
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(text)
            .map(|quad| {
                Triple::from(quad.unwrap_or_else(|e| panic!("expected graph: {e}\n{text}")))
            }),
    )
}

// ---------------------------------------------------------------------------------------
// The protocol manifest's data and helpers.
// ---------------------------------------------------------------------------------------

/// `ut:graphData [ ut:graph <dataN.nt> ; rdfs:label "http://kasei.us/…/dataN.rdf" ]`: each
/// `dataN.nt` holds a single `foaf:Document` typing triple about `dataN.rdf`, loaded into
/// the graph named by the label. The server never fetches, so the data is inserted.
async fn load_graph_data(app: &Router, files: &[&str]) {
    let mut text = String::from("INSERT DATA {\n");
    for file in files {
        text.push_str(&format!(
            "  GRAPH <{KASEI}{file}> {{ <{KASEI}{file}> a <http://xmlns.com/foaf/0.1/Document> }}\n"
        ));
    }
    text.push('}');
    run_update(app, &text).await;
}

/// A setup update (not part of the manifest's requests): it must succeed.
async fn run_update(app: &Router, text: &str) {
    let reply = send(
        app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-update")],
            text.to_owned(),
        )),
    )
    .await;
    assert!(
        reply.status.is_success(),
        "setup update refused: {} {}\n{text}",
        reply.status,
        reply.text()
    );
}

/// A check query (not part of the manifest's requests): its boolean.
async fn ask(app: &Router, query: &str) -> bool {
    let reply = send(
        app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            query.to_owned(),
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, query);
    boolean(&reply)
}

/// A triple in a named graph, planted before the updates the manifest expects to be
/// refused: if it is gone afterwards, the refused update ran anyway.
const MARKER: &str = "GRAPH <http://example.org/protocol-marker/> { <http://example.org/marker> <http://example.org/p> \"kept\" }";

async fn plant_marker(app: &Router) {
    run_update(app, &format!("INSERT DATA {{ {MARKER} }}")).await;
    assert!(marker_present(app).await);
}

async fn marker_present(app: &Router) -> bool {
    ask(app, &format!("ASK {{ {MARKER} }}")).await
}

// ---------------------------------------------------------------------------------------
// SPARQL 1.1 Protocol: http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#
// ---------------------------------------------------------------------------------------

/// `:query_post_form` — "query via URL-encoded POST".
#[tokio::test]
async fn protocol_query_post_form() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[("content-type", "application/x-www-form-urlencoded")],
            "query=ASK%20%7B%7D",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_post_form");
    assert!(boolean(&reply), "query_post_form: {}", reply.text());
}

/// `:query_dataset_default_graphs_get` — "GET query with protocol-specified default graph".
#[tokio::test]
async fn protocol_query_dataset_default_graphs_get() {
    let app = app();
    load_graph_data(&app, &["data1.rdf", "data2.rdf"]).await;
    let reply = send(
        &app,
        request(
            Method::GET,
            "/sparql?query=ASK%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf%3E%20a%20%3Ftype%20.%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype%20.%20%7D&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[],
            Body::empty(),
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_dataset_default_graphs_get");
    assert!(
        boolean(&reply),
        "query_dataset_default_graphs_get: {}",
        reply.text()
    );
}

/// `:query_dataset_default_graphs_post` — "POST query with protocol-specified default graphs".
#[tokio::test]
async fn protocol_query_dataset_default_graphs_post() {
    let app = app();
    load_graph_data(&app, &["data1.rdf", "data2.rdf"]).await;
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-query")],
            "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type . <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type . }",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_dataset_default_graphs_post");
    assert!(
        boolean(&reply),
        "query_dataset_default_graphs_post: {}",
        reply.text()
    );
}

/// `:query_dataset_named_graphs_post` — "POST query with protocol-specified named graphs".
#[tokio::test]
async fn protocol_query_dataset_named_graphs_post() {
    let app = app();
    load_graph_data(&app, &["data1.rdf", "data2.rdf"]).await;
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-query")],
            "ASK { GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_dataset_named_graphs_post");
    assert!(
        boolean(&reply),
        "query_dataset_named_graphs_post: {}",
        reply.text()
    );
}

/// `:query_dataset_named_graphs_get` — "GET query with protocol-specified named graphs".
#[tokio::test]
async fn protocol_query_dataset_named_graphs_get() {
    let app = app();
    load_graph_data(&app, &["data1.rdf", "data2.rdf"]).await;
    let reply = send(
        &app,
        request(
            Method::GET,
            "/sparql?query=ASK%20%7B%20GRAPH%20%3Fg1%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf%3E%20a%20%3Ftype%20%7D%20GRAPH%20%3Fg2%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype%20%7D%20%7D&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[],
            Body::empty(),
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_dataset_named_graphs_get");
    assert!(
        boolean(&reply),
        "query_dataset_named_graphs_get: {}",
        reply.text()
    );
}

/// `:query_dataset_full` — "query with protocol-specified dataset (both named and default
/// graphs)".
#[tokio::test]
async fn protocol_query_dataset_full() {
    let app = app();
    load_graph_data(&app, &["data1.rdf", "data2.rdf", "data3.rdf"]).await;
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata3.rdf&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-query")],
            r#"ASK {
  <http://kasei.us/2009/09/sparql/data/data3.rdf> a ?type
  GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type }
  GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type }
}"#,
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_dataset_full");
    assert!(boolean(&reply), "query_dataset_full: {}", reply.text());
}

/// `:query_multiple_dataset` — "query specifying dataset in both query string and
/// protocol; test for use of protocol-specified dataset".
///
/// The manifest's path encodes the `&` between its two `named-graph-uri` parameters as
/// `%26` (`…data1.rdf%26named-graph-uri%3D…data2.rdf`), which makes one parameter naming a
/// graph no one has, and a conformant service would answer false. Its description, the
/// test's name and the suite's reference runner (RDF::Endpoint's) send two parameters,
/// `data1.rdf` and `data2.rdf`: so does this test.
#[tokio::test]
async fn protocol_query_multiple_dataset() {
    let app = app();
    load_graph_data(&app, &["data1.rdf", "data2.rdf", "data3.rdf"]).await;
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-query")],
            "ASK FROM <http://kasei.us/2009/09/sparql/data/data3.rdf> { GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_multiple_dataset");
    assert!(boolean(&reply), "query_multiple_dataset: {}", reply.text());
}

/// `:query_get` — "query via GET".
#[tokio::test]
async fn protocol_query_get() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::GET,
            "/sparql?query=ASK%20%7B%7D&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[],
            Body::empty(),
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_get");
    assert!(boolean(&reply), "query_get: {}", reply.text());
}

/// `:query_content_type_select` — "query appropriate content type (expect one of: XML,
/// JSON, CSV, TSV)".
#[tokio::test]
async fn protocol_query_content_type_select() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[("content-type", "application/sparql-query")],
            "SELECT (1 AS ?value) {}",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_content_type_select");
    // mf:expectedFormat "tabular".
    let format = results_format(&reply);
    assert!(
        matches!(
            format,
            QueryResultsFormat::Xml
                | QueryResultsFormat::Json
                | QueryResultsFormat::Csv
                | QueryResultsFormat::Tsv
        ),
        "query_content_type_select: {format:?}"
    );
    let Results::Table { variables, rows } = results(&reply) else {
        panic!(
            "query_content_type_select: a boolean for a SELECT: {}",
            reply.text()
        )
    };
    assert_eq!(variables, ["value"]);
    assert_eq!(rows.len(), 1, "{}", reply.text());
    assert_eq!(rows[0][0].as_ref().map(lexical).as_deref(), Some("1"));
}

/// `:query_content_type_ask` — "query appropriate content type (expect one of: XML, JSON)".
#[tokio::test]
async fn protocol_query_content_type_ask() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[("content-type", "application/sparql-query")],
            "ASK {}",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_content_type_ask");
    // mf:expectedFormat "boolean", in XML or JSON.
    let format = results_format(&reply);
    assert!(
        matches!(format, QueryResultsFormat::Xml | QueryResultsFormat::Json),
        "query_content_type_ask: {format:?}"
    );
    assert!(boolean(&reply), "query_content_type_ask: {}", reply.text());
}

/// `:query_content_type_describe` — "query appropriate content type (expect one of:
/// RDF/XML, Turtle, N-Triples, RDFa)".
#[tokio::test]
async fn protocol_query_content_type_describe() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[("content-type", "application/sparql-query")],
            "DESCRIBE <http://example.org/>",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_content_type_describe");
    // mf:expectedFormat "RDF": a graph media type, and a body that parses in it. The
    // dataset (the graph data0.rdf, which the store does not have) says nothing of
    // <http://example.org/>: the description is empty.
    let graph = response_graph(&reply);
    assert!(graph.is_empty(), "query_content_type_describe: {graph}");
}

/// `:query_content_type_construct` — "query appropriate content type (expect one of:
/// RDF/XML, Turtle, N-Triples, RDFa)".
#[tokio::test]
async fn protocol_query_content_type_construct() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[("content-type", "application/sparql-query")],
            "CONSTRUCT { <s> <p> 1 } WHERE {}",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_content_type_construct");
    // mf:expectedFormat "RDF": a graph media type, and a body that parses in it: one
    // triple, whose relative IRIs the service resolved.
    let graph = response_graph(&reply);
    assert_eq!(graph.len(), 1, "query_content_type_construct: {graph}");
    let triple = graph.iter().next().unwrap();
    assert_eq!(
        triple.object.to_string(),
        "\"1\"^^<http://www.w3.org/2001/XMLSchema#integer>"
    );
}

/// `:update_dataset_default_graph` — "update with protocol-specified default graph".
#[tokio::test]
async fn protocol_update_dataset_default_graph() {
    let app = app();
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql?using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf",
            &[("content-type", "application/sparql-update")],
            r#"PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR ALL ;
INSERT DATA {
    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> {
        <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document
    }
} ;
INSERT {
    GRAPH <http://example.org/protocol-update-dataset-test/> {
        ?s a dc:BibliographicResource
    }
}
WHERE {
    ?s a foaf:Document
}"#,
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_default_graph: the update");
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            r#"ASK {
    GRAPH <http://example.org/protocol-update-dataset-test/> {
        <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://purl.org/dc/terms/BibliographicResource>
    }
}"#,
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_default_graph: the query");
    assert!(
        boolean(&reply),
        "update_dataset_default_graph: {}",
        reply.text()
    );
}

/// `:update_dataset_default_graphs` — "update with protocol-specified default graphs".
#[tokio::test]
async fn protocol_update_dataset_default_graphs() {
    let app = app();
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql?using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-update")],
            r#"PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
DROP ALL ;
INSERT DATA {
    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document }
    GRAPH <http://kasei.us/2009/09/sparql/data/data2.rdf> { <http://kasei.us/2009/09/sparql/data/data2.rdf> a foaf:Document }
    GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> { <http://kasei.us/2009/09/sparql/data/data3.rdf> a foaf:Document }
} ;
INSERT {
    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {
        ?s a dc:BibliographicResource
    }
}
WHERE {
    ?s a foaf:Document
}"#,
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_default_graphs: the update");
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            r#"ASK {
    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {
        <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        <http://kasei.us/2009/09/sparql/data/data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
    }
    FILTER NOT EXISTS {
        GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {
            <http://kasei.us/2009/09/sparql/data/data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        }
    }
}"#,
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_default_graphs: the query");
    assert!(
        boolean(&reply),
        "update_dataset_default_graphs: {}",
        reply.text()
    );
}

/// `:update_dataset_named_graphs` — "update with protocol-specified named graphs".
#[tokio::test]
async fn protocol_update_dataset_named_graphs() {
    let app = app();
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql?using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-update")],
            r#"PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
DROP ALL ;
INSERT DATA {
    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document }
    GRAPH <http://kasei.us/2009/09/sparql/data/data2.rdf> { <http://kasei.us/2009/09/sparql/data/data2.rdf> a foaf:Document }
    GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> { <http://kasei.us/2009/09/sparql/data/data3.rdf> a foaf:Document }
} ;
INSERT {
    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {
        ?s a dc:BibliographicResource
    }
}
WHERE {
    GRAPH ?g {
        ?s a foaf:Document
    }
}"#,
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_named_graphs: the update");
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            r#"ASK {
    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {
        <http://kasei.us/2009/09/sparql/data/data1.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        <http://kasei.us/2009/09/sparql/data/data2.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
    }
    FILTER NOT EXISTS {
        GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {
            <http://kasei.us/2009/09/sparql/data/data3.rdf> a <http://purl.org/dc/terms/BibliographicResource> .
        }
    }
}"#,
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_named_graphs: the query");
    assert!(
        boolean(&reply),
        "update_dataset_named_graphs: {}",
        reply.text()
    );
}

/// `:update_dataset_full` — "update with protocol-specified dataset (both named and
/// default graphs)".
#[tokio::test]
async fn protocol_update_dataset_full() {
    let app = app();
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql?using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf&using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            &[("content-type", "application/sparql-update")],
            r#"PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
DROP ALL ;
INSERT DATA {
    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document }
    GRAPH <http://kasei.us/2009/09/sparql/data/data2.rdf> { <http://kasei.us/2009/09/sparql/data/data2.rdf> a foaf:Document }
    GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> { <http://kasei.us/2009/09/sparql/data/data3.rdf> a foaf:Document }
} ;
INSERT {
    GRAPH <http://example.org/protocol-update-dataset-full-test/> {
        ?s <http://example.org/in> ?in
    }
}
WHERE {
    {
        GRAPH ?g { ?s a foaf:Document }
        BIND(?g AS ?in)
    }
    UNION
    {
        ?s a foaf:Document .
        BIND("default" AS ?in)
    }
}"#,
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_full: the update");
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            r#"ASK {
    GRAPH <http://example.org/protocol-update-dataset-full-test/> {
        <http://kasei.us/2009/09/sparql/data/data1.rdf> <http://example.org/in> "default" .
        <http://kasei.us/2009/09/sparql/data/data2.rdf> <http://example.org/in> <http://kasei.us/2009/09/sparql/data/data2.rdf> .
    }
    FILTER NOT EXISTS {
        GRAPH <http://example.org/protocol-update-dataset-full-test/> {
            <http://kasei.us/2009/09/sparql/data/data3.rdf> ?p ?o
        }
    }
}"#,
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_dataset_full: the query");
    assert!(boolean(&reply), "update_dataset_full: {}", reply.text());
}

/// `:update_post_form` — "update via URL-encoded POST".
#[tokio::test]
async fn protocol_update_post_form() {
    let app = app();
    plant_marker(&app).await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/x-www-form-urlencoded")],
            "update=CLEAR+ALL",
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_post_form");
    // Beyond the manifest (which checks the status only): CLEAR ALL ran.
    assert!(
        !marker_present(&app).await,
        "update_post_form: CLEAR ALL left a named graph's triple"
    );
}

/// `:update_post_direct` — "update via POST directly".
#[tokio::test]
async fn protocol_update_post_direct() {
    let app = app();
    plant_marker(&app).await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-update")],
            "CLEAR ALL",
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_post_direct");
    // Beyond the manifest (which checks the status only): CLEAR ALL ran.
    assert!(
        !marker_present(&app).await,
        "update_post_direct: CLEAR ALL left a named graph's triple"
    );
}

/// `:update_base_uri` — "test for service-defined BASE URI ("which MAY be the service
/// endpoint")".
///
/// The manifest leaves the store's state open, and its first request starts with
/// `CLEAR GRAPH <http://example.org/protocol-base-test/>` (without SILENT), which fails on a
/// store that records graphs and does not have that one (SPARQL 1.1 Update §3.1.3). The
/// graph is therefore created first, with a triple of the same subject and predicate, which
/// the CLEAR must remove for the query to find "one result".
#[tokio::test]
async fn protocol_update_base_uri() {
    let app = app();
    run_update(
        &app,
        "INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <http://example.org/before> } }",
    )
    .await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-update")],
            r#"CLEAR GRAPH <http://example.org/protocol-base-test/> ;
INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }"#,
        )),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_base_uri: the update");
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            r#"SELECT ?o WHERE {
    GRAPH <http://example.org/protocol-base-test/> {
        <http://example.org/s> <http://example.org/p> ?o
    }
}"#,
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "update_base_uri: the query");
    // mf:expectation "one result with `?o` bound to an IRI that is _not_ `<test>`".
    let Results::Table { variables, rows } = results(&reply) else {
        panic!("update_base_uri: a boolean for a SELECT: {}", reply.text())
    };
    assert_eq!(variables, ["o"]);
    assert_eq!(rows.len(), 1, "update_base_uri: {}", reply.text());
    match &rows[0][0] {
        Some(Term::NamedNode(o)) => {
            assert_ne!(o.as_str(), "test", "update_base_uri: no base IRI applied");
            assert!(
                o.as_str().contains(':') && o.as_str().ends_with("test"),
                "update_base_uri: <test> resolved to {o}"
            );
        }
        other => panic!("update_base_uri: ?o is not an IRI: {other:?}"),
    }
}

/// `:query_post_direct` — "query via POST directly".
#[tokio::test]
async fn protocol_query_post_direct() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query")],
            "ASK {}",
        ),
    )
    .await;
    assert_2xx_or_3xx(&reply, "query_post_direct");
    assert!(boolean(&reply), "query_post_direct: {}", reply.text());
}

/// `:bad_query_method` — "invoke query operation with a method other than GET or POST".
#[tokio::test]
async fn protocol_bad_query_method() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::PUT,
            "/sparql?query=ASK%20%7B%7D&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            &[("content-type", "application/x-www-form-urlencoded")],
            Body::empty(),
        ),
    )
    .await;
    assert_4xx(&reply, "bad_query_method");
}

/// `:bad_multiple_queries` — "invoke query operation with more than one query string".
#[tokio::test]
async fn protocol_bad_multiple_queries() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::GET,
            "/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D",
            &[],
            Body::empty(),
        ),
    )
    .await;
    assert_4xx(&reply, "bad_multiple_queries");
}

/// `:bad_query_wrong_media_type` — "invoke query operation with a POST with media type
/// that's not url-encoded or application/sparql-query".
#[tokio::test]
async fn protocol_bad_query_wrong_media_type() {
    let app = app();
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "text/plain")],
            "ASK {}",
        ),
    )
    .await;
    assert_4xx(&reply, "bad_query_wrong_media_type");
}

/// `:bad_query_missing_form_type` — "invoke query operation with url-encoded body, but
/// without application/x-www-form-urlencoded media type".
#[tokio::test]
async fn protocol_bad_query_missing_form_type() {
    let app = app();
    let reply = send(
        &app,
        request(Method::POST, "/sparql", &[], "query=ASK%20%7B%7D"),
    )
    .await;
    assert_4xx(&reply, "bad_query_missing_form_type");
}

/// `:bad_query_missing_direct_type` — "invoke query operation with SPARQL body, but without
/// application/sparql-query media type".
#[tokio::test]
async fn protocol_bad_query_missing_direct_type() {
    let app = app();
    let reply = send(&app, request(Method::POST, "/sparql", &[], "ASK {}")).await;
    assert_4xx(&reply, "bad_query_missing_direct_type");
}

/// `:bad_query_non_utf8` — "invoke query operation with direct POST, but with a non-UTF8
/// encoding (UTF-16)".
#[tokio::test]
async fn protocol_bad_query_non_utf8() {
    let app = app();
    let body = utf16_with_bom("ASK {}");
    assert_eq!(body.len(), 14, "the manifest's Content-Length");
    let reply = send(
        &app,
        request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-query; charset=UTF-16")],
            body,
        ),
    )
    .await;
    assert_4xx(&reply, "bad_query_non_utf8");
}

/// `:bad_query_syntax` — "invoke query operation with invalid query syntax (4XX result)".
#[tokio::test]
async fn protocol_bad_query_syntax() {
    let app = app();
    let reply = send(
        &app,
        request(Method::GET, "/sparql?query=ASK%20%7B", &[], Body::empty()),
    )
    .await;
    assert_4xx(&reply, "bad_query_syntax");
}

/// `:bad_update_get` — "invoke update operation with GET".
#[tokio::test]
async fn protocol_bad_update_get() {
    let app = app();
    plant_marker(&app).await;
    let reply = send(
        &app,
        authorized(request(
            Method::GET,
            "/sparql?update=CLEAR%20ALL",
            &[],
            Body::empty(),
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_update_get");
    assert!(
        marker_present(&app).await,
        "bad_update_get: the refused CLEAR ALL ran"
    );
}

/// `:bad_multiple_updates` — "invoke update operation with more than one update string".
#[tokio::test]
async fn protocol_bad_multiple_updates() {
    let app = app();
    plant_marker(&app).await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/x-www-form-urlencoded")],
            "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_multiple_updates");
    assert!(
        marker_present(&app).await,
        "bad_multiple_updates: a refused CLEAR NAMED ran"
    );
}

/// `:bad_update_wrong_media_type` — "invoke update operation with a POST with media type
/// that's not url-encoded or application/sparql-update".
#[tokio::test]
async fn protocol_bad_update_wrong_media_type() {
    let app = app();
    plant_marker(&app).await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "text/plain")],
            "CLEAR NAMED",
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_update_wrong_media_type");
    assert!(
        marker_present(&app).await,
        "bad_update_wrong_media_type: the refused CLEAR NAMED ran"
    );
}

/// `:bad_update_missing_form_type` — "invoke update operation with url-encoded body, but
/// without application/x-www-form-urlencoded media type".
#[tokio::test]
async fn protocol_bad_update_missing_form_type() {
    let app = app();
    plant_marker(&app).await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[],
            "update=CLEAR%20NAMED",
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_update_missing_form_type");
    assert!(
        marker_present(&app).await,
        "bad_update_missing_form_type: the refused CLEAR NAMED ran"
    );
}

/// `:bad_update_non_utf8` — "invoke update operation with direct POST, but with a non-UTF8
/// encoding".
#[tokio::test]
async fn protocol_bad_update_non_utf8() {
    let app = app();
    plant_marker(&app).await;
    let body = utf16_with_bom("CLEAR NAMED");
    assert_eq!(body.len(), 24, "the manifest's Content-Length");
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/sparql-update; charset=UTF-16")],
            body,
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_update_non_utf8");
    assert!(
        marker_present(&app).await,
        "bad_update_non_utf8: the refused CLEAR NAMED ran"
    );
}

/// `:bad_update_syntax` — "invoke update operation with invalid update syntax".
#[tokio::test]
async fn protocol_bad_update_syntax() {
    let app = app();
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql",
            &[("content-type", "application/x-www-form-urlencoded")],
            "update=CLEAR%20XYZ",
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_update_syntax");
}

/// `:bad_update_dataset_conflict` — "invoke update with both
/// using-graph-uri/using-named-graph-uri parameter and USING/WITH clause".
#[tokio::test]
async fn protocol_bad_update_dataset_conflict() {
    let app = app();
    // Beyond the manifest: data the update would change, to check that it did not run.
    run_update(
        &app,
        "INSERT DATA { GRAPH <http://example/addresses> { <http://example/bill> <http://xmlns.com/foaf/0.1/givenName> 'Bill' } }",
    )
    .await;
    let reply = send(
        &app,
        authorized(request(
            Method::POST,
            "/sparql?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
            &[("content-type", "application/sparql-update")],
            r#"PREFIX foaf:  <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE {
    ?person foaf:givenName 'Bill'
}"#,
        )),
    )
    .await;
    assert_4xx_not_for_credentials(&reply, "bad_update_dataset_conflict");
    assert!(
        ask(
            &app,
            "ASK { GRAPH <http://example/addresses> { <http://example/bill> <http://xmlns.com/foaf/0.1/givenName> 'Bill' } }"
        )
        .await,
        "bad_update_dataset_conflict: the refused update ran"
    );
}

// ---------------------------------------------------------------------------------------
// SPARQL 1.1 Graph Store HTTP Protocol:
// https://w3c.github.io/rdf-tests/sparql/sparql11/http-rdf-update/manifest#
// ---------------------------------------------------------------------------------------

/// A manifest payload with `http://$HOST$/$GRAPHSTORE$` replaced by the graph store's IRI.
fn gsp_text(text: &str) -> String {
    text.replace("http://$HOST$/$GRAPHSTORE$", GRAPHSTORE_IRI)
}

/// `:put__initial_state`'s payload.
const PUT_INITIAL_STATE: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

<http://$HOST$/$GRAPHSTORE$/person/1> a foaf:Person;
    foaf:businessCard [
        a v:VCard;
        v:fn "John Doe"
    ].
"#;

/// `:get_of_put__initial_state`'s expected graph.
const GET_OF_PUT_INITIAL_STATE: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

<http://$HOST$/$GRAPHSTORE$/person/1> a foaf:Person;
   foaf:businessCard [
        a v:VCard;
        v:fn "John Doe"
   ].
"#;

/// `:put__graph_already_in_store`'s payload.
const PUT_GRAPH_ALREADY_IN_STORE: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

<http://$HOST$/$GRAPHSTORE$/person/1> a foaf:Person;
    foaf:businessCard [
        a v:VCard;
        v:fn "Jane Doe"
    ].
"#;

/// `:get_of_put__graph_already_in_store`'s expected graph.
const GET_OF_PUT_GRAPH_ALREADY_IN_STORE: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

<http://$HOST$/$GRAPHSTORE$/person/1> a foaf:Person;
   foaf:businessCard [
        a v:VCard;
        v:fn "Jane Doe"
   ] .
"#;

/// `:put__default_graph`'s payload, and the expected graph of `:get_of_put__default_graph`.
const ALICE: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

[]  a foaf:Person;
    foaf:businessCard [
        a v:VCard;
        v:given-name "Alice"
    ] .
"#;

/// `:put__mismatched_payload`'s payload. The manifest sends a well-formed Turtle document
/// (the Jane Doe graph) as `text/turtle` and expects 400, which no conformant service can
/// answer: the test's payload is meant not to match its declared media type. This is the
/// same graph written in RDF/XML, sent with the manifest's `Content-Type: text/turtle`.
const MISMATCHED_PAYLOAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:foaf="http://xmlns.com/foaf/0.1/"
         xmlns:v="http://www.w3.org/2006/vcard/ns#">
  <foaf:Person rdf:about="http://$HOST$/$GRAPHSTORE$/person/1">
    <foaf:businessCard>
      <v:VCard>
        <v:fn>Jane Doe</v:fn>
      </v:VCard>
    </foaf:businessCard>
  </foaf:Person>
</rdf:RDF>
"#;

/// `:post__existing_graph`'s payload. The manifest's lacks the final `.` that the Turtle
/// grammar requires after a triple (so a strict parser rejects it, while the test expects
/// success); it is added.
const POST_EXISTING_GRAPH: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

<http://$HOST$/$GRAPHSTORE$/person/1> foaf:name "Jane Doe" .
"#;

/// `:get_of_post__existing_graph`'s expected graph.
const GET_OF_POST_EXISTING_GRAPH: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

<http://$HOST$/$GRAPHSTORE$/person/1> a foaf:Person;
    foaf:name "Jane Doe";
    foaf:businessCard [
        a v:VCard;
        v:fn "Jane Doe"
    ] .
"#;

const MULTIPART_BOUNDARY: &str = "a6fe4cd636164618814be9f8d3d1a0de";

/// `:post__multipart_formdata`'s payload: two parts, each a Turtle document (whose final
/// `.`, missing in the manifest as in `:post__existing_graph`, is added). The manifest
/// writes its lines with LF; multipart/form-data (RFC 7578, RFC 2046) delimits with CRLF,
/// as HTTP clients send it.
const POST_MULTIPART_FORMDATA: &str = r#"
--a6fe4cd636164618814be9f8d3d1a0de
Content-Disposition: form-data; name="lastName.ttl"; filename="lastName.ttl"
Content-Type: text/turtle; charset=utf-8

@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://$HOST$/$GRAPHSTORE$/person/1> foaf:familyName "Doe" .

--a6fe4cd636164618814be9f8d3d1a0de
Content-Disposition: form-data; name="firstName.ttl"; filename="firstName.ttl"
Content-Type: text/turtle; charset=utf-8

@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://$HOST$/$GRAPHSTORE$/person/1> foaf:givenName "Jane" .

--a6fe4cd636164618814be9f8d3d1a0de--
"#;

/// `:get_of_post__multipart_formdata`'s expected graph.
const GET_OF_POST_MULTIPART_FORMDATA: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix v: <http://www.w3.org/2006/vcard/ns#> .

<http://$HOST$/$GRAPHSTORE$/person/1> a foaf:Person;
    foaf:name           "Jane Doe";
    foaf:givenName      "Jane";
    foaf:familyName     "Doe";
    foaf:businessCard [
        a               v:VCard;
        v:fn            "Jane Doe"
    ] .
"#;

/// The writes of the Graph Store manifest, in its order. `PutEmptyGraph` and
/// `PostEmptyGraphToExistingGraph` are entries of the W3C's original manifest
/// (w3.org/2009/sparql/docs/tests/data-sparql11/http-rdf-update/, "PUT - empty graph" and
/// "POST - empty graph to existing graph") that w3c/rdf-tests' manifest no longer lists
/// although its later entries depend on them: `:delete__existing_graph` deletes
/// `person/2.ttl`, which only "PUT - empty graph" creates, and `:get_of_post__after_noop`
/// follows the no-op POST it is named after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    PutInitialState,
    PutGraphAlreadyInStore,
    PutDefaultGraph,
    PutMismatchedPayload,
    PutEmptyGraph,
    DeleteExistingGraph,
    DeleteNonexistentGraph,
    PostExistingGraph,
    PostMultipartFormdata,
    PostCreateNewGraph,
    PostEmptyGraphToExistingGraph,
}

const WRITES: [Write; 11] = [
    Write::PutInitialState,
    Write::PutGraphAlreadyInStore,
    Write::PutDefaultGraph,
    Write::PutMismatchedPayload,
    Write::PutEmptyGraph,
    Write::DeleteExistingGraph,
    Write::DeleteNonexistentGraph,
    Write::PostExistingGraph,
    Write::PostMultipartFormdata,
    Write::PostCreateNewGraph,
    Write::PostEmptyGraphToExistingGraph,
];

/// A graph store write: the admin token, and the payload's media type.
fn gsp_write(
    method: Method,
    uri: &str,
    content_type: &str,
    body: impl Into<Body>,
) -> Request<Body> {
    authorized(request(
        method,
        uri,
        &[("content-type", content_type)],
        body,
    ))
}

/// The request target of a `Location` (`$NEWPATH$`): its path and query when absolute.
fn request_target(location: &str) -> String {
    match location
        .strip_prefix("http://")
        .or_else(|| location.strip_prefix("https://"))
    {
        Some(rest) => match rest.find('/') {
            Some(slash) => rest[slash..].to_owned(),
            None => "/".to_owned(),
        },
        None => location.to_owned(),
    }
}

/// A server in the state the Graph Store manifest's earlier tests leave.
struct GraphStoreRun {
    app: Router,
    /// The `Location` of "POST - create new graph": `$NEWPATH$`.
    location: Option<String>,
}

impl GraphStoreRun {
    /// A fresh server where the writes before `next` have been made, in order.
    async fn before(next: Write) -> Self {
        let mut run = Self {
            app: app(),
            location: None,
        };
        for step in WRITES {
            if step == next {
                break;
            }
            run.replay(step).await;
        }
        run
    }

    /// A fresh server where the writes up to `last`, included, have been made.
    async fn after(last: Write) -> Self {
        let mut run = Self::before(last).await;
        run.replay(last).await;
        run
    }

    /// `$NEWPATH$`, as a request target.
    fn new_path(&self) -> String {
        request_target(
            self.location
                .as_deref()
                .expect("\"POST - create new graph\" gave no Location"),
        )
    }

    /// Makes an earlier test's write again: it must end as that test expects.
    async fn replay(&mut self, step: Write) {
        let reply = self.write(step).await;
        let refused = matches!(
            step,
            Write::PutMismatchedPayload | Write::DeleteNonexistentGraph
        );
        assert!(
            if refused {
                reply.status.is_client_error()
            } else {
                reply.status.is_success()
            },
            "replaying the manifest's earlier test {step:?}: {} {}",
            reply.status,
            reply.text()
        );
    }

    /// The request of a write test.
    async fn write(&mut self, step: Write) -> Reply {
        let request = match step {
            // PUT $GRAPHSTORE$/person/1.ttl
            Write::PutInitialState => gsp_write(
                Method::PUT,
                "/id/person/1.ttl",
                TURTLE_UTF8,
                gsp_text(PUT_INITIAL_STATE),
            ),
            // The manifest's path is `$GRAPHSTORE$/person/1`, as is the path of
            // `:get_of_put__graph_already_in_store`: with it, the graph would not be
            // "already in store" (no test creates `person/1`), the expected 204 could not
            // be, and the later tests, which find this payload in `person/1.ttl`, could not
            // pass. The original manifest's path is `$GRAPHSTORE$/person/1.ttl`.
            Write::PutGraphAlreadyInStore => gsp_write(
                Method::PUT,
                "/id/person/1.ttl",
                TURTLE_UTF8,
                gsp_text(PUT_GRAPH_ALREADY_IN_STORE),
            ),
            // PUT $GRAPHSTORE$?default
            Write::PutDefaultGraph => {
                gsp_write(Method::PUT, "/store?default", TURTLE_UTF8, gsp_text(ALICE))
            }
            // PUT $GRAPHSTORE$?default
            Write::PutMismatchedPayload => gsp_write(
                Method::PUT,
                "/store?default",
                TURTLE_UTF8,
                gsp_text(MISMATCHED_PAYLOAD),
            ),
            // Original manifest: PUT $GRAPHSTORE$/person/2.ttl, Content-Type text/turtle,
            // no body.
            Write::PutEmptyGraph => gsp_write(Method::PUT, "/id/person/2.ttl", TURTLE_UTF8, ""),
            // DELETE $GRAPHSTORE$/person/2.ttl
            Write::DeleteExistingGraph | Write::DeleteNonexistentGraph => authorized(request(
                Method::DELETE,
                "/id/person/2.ttl",
                &[],
                Body::empty(),
            )),
            // POST $GRAPHSTORE$/person/1.ttl
            Write::PostExistingGraph => gsp_write(
                Method::POST,
                "/id/person/1.ttl",
                TURTLE_UTF8,
                gsp_text(POST_EXISTING_GRAPH),
            ),
            // POST $GRAPHSTORE$/person/1.ttl, multipart/form-data
            Write::PostMultipartFormdata => gsp_write(
                Method::POST,
                "/id/person/1.ttl",
                &format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}"),
                gsp_text(POST_MULTIPART_FORMDATA).replace('\n', "\r\n"),
            ),
            // POST $GRAPHSTORE$
            Write::PostCreateNewGraph => {
                gsp_write(Method::POST, "/store", TURTLE_UTF8, gsp_text(ALICE))
            }
            // Original manifest: POST $NEWPATH$, Content-Type text/turtle, no body.
            Write::PostEmptyGraphToExistingGraph => {
                let target = self.new_path();
                gsp_write(Method::POST, &target, TURTLE_UTF8, "")
            }
        };
        let reply = send(&self.app, request).await;
        if step == Write::PostCreateNewGraph && reply.status == StatusCode::CREATED {
            let location = reply.header(header::LOCATION);
            if !location.is_empty() {
                self.location = Some(location.to_owned());
            }
        }
        reply
    }
}

/// The manifest's responses to GET (and HEAD) are `Content-Type: text/turtle;
/// charset=utf-8` (gen_manifest.rb files the expected response headers among the
/// request's in manifest.ttl).
fn assert_turtle(reply: &Reply, what: &str) {
    assert_eq!(
        essence(reply.header(header::CONTENT_TYPE)),
        "text/turtle",
        "{what}: Content-Type"
    );
}

/// A 200 whose Turtle body is the manifest's expected graph, up to blank node renaming.
fn assert_graph(reply: &Reply, expected: &str, what: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.text());
    assert_turtle(reply, what);
    let actual = response_graph(reply);
    let expected = turtle_graph(&gsp_text(expected));
    assert!(
        actual == expected,
        "{what}: the graph differs\nexpected:\n{expected}\nactual:\n{actual}"
    );
}

fn get_turtle(uri: &str) -> Request<Body> {
    request(
        Method::GET,
        uri,
        &[("accept", "text/turtle")],
        Body::empty(),
    )
}

/// `<#put__initial_state>` — "PUT - Initial state".
#[tokio::test]
async fn gsp_put_initial_state() {
    let mut run = GraphStoreRun::before(Write::PutInitialState).await;
    let reply = run.write(Write::PutInitialState).await;
    assert_status_in(&reply, &[201], "PUT - Initial state");
}

/// `<#get_of_put__initial_state>` — "GET of PUT - Initial state".
#[tokio::test]
async fn gsp_get_of_put_initial_state() {
    let run = GraphStoreRun::after(Write::PutInitialState).await;
    // GET $GRAPHSTORE$?graph=$GRAPHSTORE$/person/1.ttl
    let reply = send(
        &run.app,
        get_turtle("/store?graph=http://example.org/id/person/1.ttl"),
    )
    .await;
    assert_graph(
        &reply,
        GET_OF_PUT_INITIAL_STATE,
        "GET of PUT - Initial state",
    );
}

/// `<#put__graph_already_in_store>` — "PUT - graph already in store".
#[tokio::test]
async fn gsp_put_graph_already_in_store() {
    let mut run = GraphStoreRun::before(Write::PutGraphAlreadyInStore).await;
    let reply = run.write(Write::PutGraphAlreadyInStore).await;
    // The manifest: 204. GSP §5.3: "200 OK or 204 No Content" for a replaced graph.
    assert_status_in(&reply, &[200, 204], "PUT - graph already in store");
}

/// `<#get_of_put__graph_already_in_store>` — "GET of PUT - graph already in store".
#[tokio::test]
async fn gsp_get_of_put_graph_already_in_store() {
    let run = GraphStoreRun::after(Write::PutGraphAlreadyInStore).await;
    // The manifest's path is `$GRAPHSTORE$/person/1` (see `Write::PutGraphAlreadyInStore`).
    let reply = send(&run.app, get_turtle("/id/person/1.ttl")).await;
    assert_graph(
        &reply,
        GET_OF_PUT_GRAPH_ALREADY_IN_STORE,
        "GET of PUT - graph already in store",
    );
}

/// `<#put__default_graph>` — "PUT - default graph".
#[tokio::test]
async fn gsp_put_default_graph() {
    let mut run = GraphStoreRun::before(Write::PutDefaultGraph).await;
    let reply = run.write(Write::PutDefaultGraph).await;
    // The manifest: 201. The default graph always exists, so a service may well answer
    // that it replaced it (GSP §5.3: 200 or 204), as Oxigraph's server does.
    assert_status_in(&reply, &[200, 201, 204], "PUT - default graph");
}

/// `<#get_of_put__default_graph>` — "GET of PUT - default graph".
#[tokio::test]
async fn gsp_get_of_put_default_graph() {
    let run = GraphStoreRun::after(Write::PutDefaultGraph).await;
    let reply = send(&run.app, get_turtle("/store?default")).await;
    assert_graph(&reply, ALICE, "GET of PUT - default graph");
}

/// `<#put__mismatched_payload>` — "PUT - mismatched payload".
#[tokio::test]
async fn gsp_put_mismatched_payload() {
    let mut run = GraphStoreRun::before(Write::PutMismatchedPayload).await;
    let reply = run.write(Write::PutMismatchedPayload).await;
    assert_status_in(&reply, &[400], "PUT - mismatched payload");
    // Beyond the manifest: the refused PUT left the default graph as it was.
    let reply = send(&run.app, get_turtle("/store?default")).await;
    assert_graph(&reply, ALICE, "the default graph after a refused PUT");
}

/// "PUT - empty graph", of the original W3C manifest (see [`Write`]).
#[tokio::test]
async fn gsp_put_empty_graph() {
    let mut run = GraphStoreRun::before(Write::PutEmptyGraph).await;
    let reply = run.write(Write::PutEmptyGraph).await;
    // The original manifest: 200; GSP §5.3: 201 when the graph is created.
    assert_status_in(&reply, &[200, 201], "PUT - empty graph");
}

/// "GET of PUT - empty graph", of the original W3C manifest (see [`Write`]).
#[tokio::test]
async fn gsp_get_of_put_empty_graph() {
    let run = GraphStoreRun::after(Write::PutEmptyGraph).await;
    let reply = send(&run.app, get_turtle("/id/person/2.ttl")).await;
    assert_graph(&reply, "", "GET of PUT - empty graph");
}

/// `<#delete__existing_graph>` — "DELETE - existing graph".
#[tokio::test]
async fn gsp_delete_existing_graph() {
    let mut run = GraphStoreRun::before(Write::DeleteExistingGraph).await;
    let reply = run.write(Write::DeleteExistingGraph).await;
    // The manifest: 200. GSP §5.4: 200 OK or 204 No Content.
    assert_status_in(&reply, &[200, 204], "DELETE - existing graph");
}

/// `<#get_of_delete__existing_graph>` — "GET of DELETE - existing graph".
#[tokio::test]
async fn gsp_get_of_delete_existing_graph() {
    let run = GraphStoreRun::after(Write::DeleteExistingGraph).await;
    let reply = send(
        &run.app,
        request(Method::GET, "/id/person/2.ttl", &[], Body::empty()),
    )
    .await;
    assert_status_in(&reply, &[404], "GET of DELETE - existing graph");
}

/// `<#delete__nonexistent_graph>` — "DELETE - non-existent graph)".
#[tokio::test]
async fn gsp_delete_nonexistent_graph() {
    let mut run = GraphStoreRun::before(Write::DeleteNonexistentGraph).await;
    let reply = run.write(Write::DeleteNonexistentGraph).await;
    assert_status_in(&reply, &[404], "DELETE - non-existent graph");
}

/// `<#post__existing_graph>` — "POST - existing graph".
#[tokio::test]
async fn gsp_post_existing_graph() {
    let mut run = GraphStoreRun::before(Write::PostExistingGraph).await;
    let reply = run.write(Write::PostExistingGraph).await;
    // The manifest: 200. GSP §5.5: 200 OK or 204 No Content for a graph merged into.
    assert_status_in(&reply, &[200, 204], "POST - existing graph");
}

/// `<#get_of_post__existing_graph>` — "GET of POST - existing graph".
#[tokio::test]
async fn gsp_get_of_post_existing_graph() {
    let run = GraphStoreRun::after(Write::PostExistingGraph).await;
    let reply = send(&run.app, get_turtle("/id/person/1.ttl")).await;
    assert_graph(
        &reply,
        GET_OF_POST_EXISTING_GRAPH,
        "GET of POST - existing graph",
    );
}

/// `<#post__multipart_formdata>` — "POST - multipart/form-data".
#[tokio::test]
async fn gsp_post_multipart_formdata() {
    let mut run = GraphStoreRun::before(Write::PostMultipartFormdata).await;
    let reply = run.write(Write::PostMultipartFormdata).await;
    // The manifest: 200. GSP §5.5: 200 OK or 204 No Content for a graph merged into.
    assert_status_in(&reply, &[200, 204], "POST - multipart/form-data");
}

/// `<#get_of_post__multipart_formdata>` — "GET of POST - multipart/form-data".
#[tokio::test]
async fn gsp_get_of_post_multipart_formdata() {
    let run = GraphStoreRun::after(Write::PostMultipartFormdata).await;
    // The manifest's request has no Accept: the response is still Turtle.
    let reply = send(
        &run.app,
        request(Method::GET, "/id/person/1.ttl", &[], Body::empty()),
    )
    .await;
    assert_graph(
        &reply,
        GET_OF_POST_MULTIPART_FORMDATA,
        "GET of POST - multipart/form-data",
    );
}

/// `<#post__create__new_graph>` — "POST - create new graph".
#[tokio::test]
async fn gsp_post_create_new_graph() {
    let mut run = GraphStoreRun::before(Write::PostCreateNewGraph).await;
    let reply = run.write(Write::PostCreateNewGraph).await;
    assert_status_in(&reply, &[201], "POST - create new graph");
    // Location: $NEWPATH$
    assert!(
        !reply.header(header::LOCATION).is_empty(),
        "POST - create new graph: no Location"
    );
}

/// `<#get_of_post__create__new_graph>` — "GET of POST - create new graph".
#[tokio::test]
async fn gsp_get_of_post_create_new_graph() {
    let run = GraphStoreRun::after(Write::PostCreateNewGraph).await;
    // The manifest's expected body lacks the prefix declarations of the graph it POSTed;
    // the graph is that one.
    let reply = send(&run.app, get_turtle(&run.new_path())).await;
    assert_graph(&reply, ALICE, "GET of POST - create new graph");
}

/// "POST - empty graph to existing graph", of the original W3C manifest (see [`Write`]).
#[tokio::test]
async fn gsp_post_empty_graph_to_existing_graph() {
    let mut run = GraphStoreRun::before(Write::PostEmptyGraphToExistingGraph).await;
    let reply = run.write(Write::PostEmptyGraphToExistingGraph).await;
    // The original manifest: 204; GSP §5.5 allows 200 too.
    assert_status_in(&reply, &[200, 204], "POST - empty graph to existing graph");
}

/// `<#get_of_post__after_noop>` — "GET of POST - after noop".
#[tokio::test]
async fn gsp_get_of_post_after_noop() {
    let run = GraphStoreRun::after(Write::PostEmptyGraphToExistingGraph).await;
    let reply = send(&run.app, get_turtle(&run.new_path())).await;
    assert_graph(&reply, ALICE, "GET of POST - after noop");
}

/// `<#head_on_an_existing_graph>` — (its mf:name is empty; gen_manifest.rb's key).
#[tokio::test]
async fn gsp_head_on_an_existing_graph() {
    let run = GraphStoreRun::after(Write::PostEmptyGraphToExistingGraph).await;
    let reply = send(
        &run.app,
        request(Method::HEAD, "/id/person/1.ttl", &[], Body::empty()),
    )
    .await;
    assert_status_in(&reply, &[200], "HEAD on an existing graph");
    assert_turtle(&reply, "HEAD on an existing graph");
}

/// `<#head_on_a_nonexisting_graph>` — "HEAD on a non-existing graph".
#[tokio::test]
async fn gsp_head_on_a_nonexisting_graph() {
    let run = GraphStoreRun::after(Write::PostEmptyGraphToExistingGraph).await;
    let reply = send(
        &run.app,
        request(Method::HEAD, "/id/person/4.ttl", &[], Body::empty()),
    )
    .await;
    assert_status_in(&reply, &[404], "HEAD on a non-existing graph");
}

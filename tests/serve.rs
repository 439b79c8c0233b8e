//! The HTTP server, driven in-process (no socket): the SPARQL 1.1 Protocol, Update and
//! Graph Store HTTP Protocol behaviours as the W3C specifications state them, every
//! format parsed back, authentication, limits, caching, CORS, compression and operations.
//! The last tests serve a loopback port by the path the binary serves through
//! (`http::spawn`: the accept loop, a thread per connection) and speak HTTP/1.1 to it.

mod common;

use common::http::*;
use std::io::Read;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use labgraph::http::{self, Options};
use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use serde_json::Value;

const SEMINAR: &str = "https://w3id.org/labgraph/id/seminar/pma-artois-2022-12-01";
const SDG_GRAPH: &str = "https://w3id.org/labgraph/id/graph/sdg";

#[tokio::test]
async fn query_by_get_post_form_and_post_direct_agree() {
    let app = app();
    let query = "SELECT ?s WHERE { ?s a lg:Seminar } ORDER BY ?s";
    let by_get = send(&app, get(&query_uri(query))).await;
    let by_form = send(
        &app,
        post(
            "/sparql",
            "application/x-www-form-urlencoded",
            format!("query={}", encode(query)),
        ),
    )
    .await;
    let direct = send(
        &app,
        post("/sparql", "application/sparql-query; charset=utf-8", query),
    )
    .await;
    assert_eq!(
        by_get.header(header::CONTENT_TYPE),
        "application/sparql-results+json"
    );
    let rows = by_get.rows();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1]["s"]["value"], SEMINAR);
    assert_eq!(by_form.rows(), rows);
    assert_eq!(direct.rows(), rows);
}

#[tokio::test]
async fn protocol_errors_have_their_status() {
    let app = app();
    // Malformed query: 400 with the parser's message.
    let reply = send(&app, get(&query_uri("SELECT ?s WHERE { ?s ?p"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("requête invalide / bad request"),
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("does not parse"), "{}", reply.text());
    // Two query parameters.
    let reply = send(&app, get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // An update by GET.
    let reply = send(&app, get("/sparql?update=CLEAR%20ALL")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // A query and an update in one form.
    let reply = send(
        &app,
        post(
            "/sparql",
            "application/x-www-form-urlencoded",
            "query=ASK%7B%7D&update=CLEAR%20ALL",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // A form with neither.
    let reply = send(
        &app,
        post("/sparql", "application/x-www-form-urlencoded", "x=1"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // Direct POST with the query also in the URL.
    let reply = send(
        &app,
        post(
            "/sparql?query=ASK%7B%7D",
            "application/sparql-query",
            "ASK {}",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // Unsupported and missing Content-Type: 415.
    let reply = send(&app, post("/sparql", "text/plain", "ASK {}")).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let reply = send(
        &app,
        Request::post("/sparql").body(Body::from("ASK {}")).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A body that is not UTF-8.
    let reply = send(
        &app,
        post("/sparql", "application/sparql-query", vec![0xff, 0xfe]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // SERVICE is refused: the server never calls remote endpoints.
    let reply = send(
        &app,
        get(&query_uri(
            "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    // Unknown path.
    assert_eq!(
        send(&app, get("/nowhere")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_results_format_parses_back() {
    let app = app();
    let query = "SELECT ?s ?name WHERE { ?s a lg:Seminar ; schema:name ?name } ORDER BY ?s";
    let expected = send(&app, get(&query_uri(query))).await.rows();
    for (accept, format) in [
        ("application/sparql-results+json", QueryResultsFormat::Json),
        ("application/sparql-results+xml", QueryResultsFormat::Xml),
        ("text/tab-separated-values", QueryResultsFormat::Tsv),
    ] {
        let reply = send(&app, get_accept(&query_uri(query), accept)).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.header(header::CONTENT_TYPE).starts_with(accept));
        let SliceQueryResultsParserOutput::Solutions(solutions) =
            QueryResultsParser::from_format(format)
                .for_slice(&reply.body)
                .unwrap()
        else {
            panic!("{accept}: not solutions")
        };
        let names: Vec<String> = solutions
            .map(|s| s.unwrap().get("name").unwrap().to_string())
            .collect();
        assert_eq!(names.len(), expected.len(), "{accept}");
        assert!(
            names[0].contains("Dunkerque") || names[1].contains("Artois"),
            "{accept}: {names:?}"
        );
    }
    // CSV: a header line and one line per row, by Accept and by the format parameter.
    for request in [
        get_accept(&query_uri(query), "text/csv"),
        get(&format!("{}&format=csv", query_uri(query))),
    ] {
        let reply = send(&app, request).await;
        assert_eq!(
            reply.header(header::CONTENT_TYPE),
            "text/csv; charset=utf-8"
        );
        let text = reply.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("s,name"));
        assert_eq!(lines.count(), expected.len());
    }
    // ASK in every results format.
    for (accept, needle) in [
        ("application/sparql-results+json", "\"boolean\":true"),
        ("application/sparql-results+xml", "<boolean>true</boolean>"),
        ("text/csv", "true"),
        ("text/tab-separated-values", "true"),
    ] {
        let reply = send(
            &app,
            get_accept(&query_uri("ASK { ?s a lg:Seminar }"), accept),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert!(reply.text().contains(needle), "{accept}: {}", reply.text());
    }
}

#[tokio::test]
async fn every_graph_format_parses_back() {
    let app = app();
    let query = format!("CONSTRUCT {{ <{SEMINAR}> ?p ?o }} WHERE {{ <{SEMINAR}> ?p ?o }}");
    let turtle = send(&app, get(&query_uri(&query))).await;
    assert_eq!(turtle.status, StatusCode::OK, "{}", turtle.text());
    assert_eq!(
        turtle.header(header::CONTENT_TYPE),
        "text/turtle; charset=utf-8"
    );
    let mut expected = parse_graph(&turtle.body, RdfFormat::Turtle);
    expected.sort_by_key(|t| t.to_string());
    assert!(expected.len() > 10);
    for (accept, format) in [
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            labgraph::format::Rdf::JsonLd.oxigraph(),
        ),
        ("application/n-quads", RdfFormat::NQuads),
        ("application/trig", RdfFormat::TriG),
    ] {
        let reply = send(&app, get_accept(&query_uri(&query), accept)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert!(
            reply.header(header::CONTENT_TYPE).starts_with(accept),
            "{accept}"
        );
        let mut triples = parse_graph(&reply.body, format);
        triples.sort_by_key(|t| t.to_string());
        assert_eq!(triples, expected, "{accept}");
    }
    // DESCRIBE answers a graph too.
    let reply = send(&app, get(&query_uri(&format!("DESCRIBE <{SEMINAR}>")))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!parse_graph(&reply.body, RdfFormat::Turtle).is_empty());
}

#[tokio::test]
async fn negotiation_q_values_format_parameter_and_406() {
    let app = app();
    let select = query_uri("SELECT * WHERE { ?s a lg:Seminar }");
    let reply = send(
        &app,
        get_accept(
            &select,
            "application/sparql-results+xml;q=0.5, text/csv;q=0.9",
        ),
    )
    .await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "text/csv; charset=utf-8"
    );
    let reply = send(&app, get_accept(&select, "text/*;q=0.2, */*;q=0.1")).await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "text/csv; charset=utf-8"
    );
    // Nothing acceptable: 406, naming what is offered.
    let reply = send(&app, get_accept(&select, "image/png")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    assert!(reply.text().contains("application/sparql-results+json"));
    let reply = send(&app, get_accept(&select, "text/turtle")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    let reply = send(&app, get(&format!("{select}&format=turtle"))).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    // The format parameter wins over Accept.
    let reply = send(
        &app,
        get_accept(&format!("{select}&format=tsv"), "image/png"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header(header::CONTENT_TYPE)
            .starts_with("text/tab-separated-values")
    );
}

#[tokio::test]
async fn default_graph_is_the_union_unless_the_request_names_a_dataset() {
    let app = app();
    let all = first_number(&send(&app, get(&query_uri(&count_query("?s ?p ?o")))).await);
    let sdg = first_number(
        &send(
            &app,
            get(&query_uri(&count_query(&format!(
                "GRAPH <{SDG_GRAPH}> {{ ?s ?p ?o }}"
            )))),
        )
        .await,
    );
    assert!(all > sdg && sdg > 1000, "{all} {sdg}");
    // default-graph-uri: the default graph is that graph.
    let reply = send(
        &app,
        get(&format!(
            "{}&default-graph-uri={}",
            query_uri(&count_query("?s ?p ?o")),
            encode(SDG_GRAPH)
        )),
    )
    .await;
    assert_eq!(first_number(&reply), sdg);
    // It overrides the query's own FROM.
    let reply = send(
        &app,
        get(&format!(
            "{}&default-graph-uri={}",
            query_uri("SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/labgraph/id/graph/themes> WHERE { ?s ?p ?o }"),
            encode(SDG_GRAPH)
        )),
    )
    .await;
    assert_eq!(first_number(&reply), sdg);
    // Relative IRIs resolve against the base IRI.
    let reply = send(
        &app,
        get(&format!(
            "{}&default-graph-uri=graph/sdg",
            query_uri(&count_query("?s ?p ?o"))
        )),
    )
    .await;
    assert_eq!(first_number(&reply), sdg);
    // named-graph-uri only: the named graphs are those; the default graph is empty.
    let reply = send(
        &app,
        get(&format!(
            "{}&named-graph-uri={}",
            query_uri("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
            encode(SDG_GRAPH)
        )),
    )
    .await;
    let rows = reply.rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["g"]["value"], SDG_GRAPH);
    let reply = send(
        &app,
        get(&format!(
            "{}&named-graph-uri={}",
            query_uri(&count_query("?s ?p ?o")),
            encode(SDG_GRAPH)
        )),
    )
    .await;
    assert_eq!(first_number(&reply), 0);
    // The same by POST form.
    let reply = send(
        &app,
        post(
            "/sparql",
            "application/x-www-form-urlencoded",
            format!(
                "query={}&default-graph-uri={}",
                encode(&count_query("?s ?p ?o")),
                encode(SDG_GRAPH)
            ),
        ),
    )
    .await;
    assert_eq!(first_number(&reply), sdg);
    // A malformed graph IRI: 400.
    let reply = send(
        &app,
        get(&format!(
            "{}&default-graph-uri=%3Anot%20an%20iri",
            query_uri("ASK {}")
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn service_description_and_query_page() {
    let app = app();
    let reply = send(&app, get("/sparql")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "text/turtle; charset=utf-8"
    );
    let triples = parse_graph(&reply.body, RdfFormat::Turtle);
    let text = reply.text();
    assert!(
        text.contains("sd:Service") && text.contains("sd:UnionDefaultGraph"),
        "{text}"
    );
    assert!(text.contains("sd:SPARQL11Query") && !text.contains("sd:SPARQL11Update"));
    // Computed once per write generation.
    assert_eq!(reply.header(http::CACHE_HEADER), "miss");
    let again = send(&app, get("/sparql")).await;
    assert_eq!(again.header(http::CACHE_HEADER), "hit");
    assert_eq!(again.body, reply.body);
    assert!(
        triples
            .iter()
            .any(|t| t.object.to_string() == format!("<{SDG_GRAPH}>"))
    );
    // A writable server says it takes updates.
    let reply = send(
        &app_with(writable()),
        get_accept("/sparql", "application/ld+json"),
    )
    .await;
    assert_eq!(reply.header(header::CONTENT_TYPE), "application/ld+json");
    let triples = parse_graph(&reply.body, labgraph::format::Rdf::JsonLd.oxigraph());
    assert!(
        triples
            .iter()
            .any(|t| t.object.to_string().ends_with("#SPARQL11Update>"))
    );
    // A browser following the page's "Service Description" link gets it, not the page.
    let reply = send(
        &app,
        get_accept(
            "/sparql?format=turtle",
            "text/html,application/xhtml+xml,*/*;q=0.8",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header(header::CONTENT_TYPE)
            .starts_with("text/turtle")
    );
    // A browser gets the query page, with a policy that allows nothing from elsewhere.
    let reply = send(
        &app,
        get_accept("/sparql", "text/html,application/xhtml+xml,*/*;q=0.8"),
    )
    .await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert!(
        reply
            .header(header::CONTENT_SECURITY_POLICY)
            .contains("default-src 'none'")
    );
    let html = reply.text();
    assert!(html.contains("id=\"lg-examples\"") && html.contains("seminar-speakers"));
    for (attribute, value) in html.split(['<', '>']).flat_map(|tag| {
        ["src=\"", "href=\""].into_iter().filter_map(move |a| {
            tag.split_once(a)
                .map(|(_, rest)| (a, rest.split('"').next().unwrap().to_owned()))
        })
    }) {
        assert!(
            value.starts_with('/'),
            "{attribute}{value} is not served by labgraph"
        );
    }
    for asset in ["/assets/sparql.js", "/assets/sparql.css"] {
        let reply = send(&app, get(asset)).await;
        assert_eq!(reply.status, StatusCode::OK, "{asset}");
        assert!(
            !reply.text().contains("https://"),
            "{asset} fetches from elsewhere"
        );
    }
    let reply = send(&app, get("/")).await;
    assert!(reply.text().contains("href=\"/sparql\""));
}

#[tokio::test]
async fn service_description_honours_if_none_match_and_no_cache() {
    let app = app_with(writable());
    let with = |name: header::HeaderName, value: &str| {
        Request::get("/sparql")
            .header(name, value)
            .body(Body::empty())
            .unwrap()
    };
    let first = send(&app, get("/sparql")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header(http::CACHE_HEADER), "miss");
    let etag = first.header(header::ETAG).to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(first.header(header::CACHE_CONTROL), "no-cache");
    // The client's copy is current: 304, no body, the same ETag.
    let reply = send(&app, with(header::IF_NONE_MATCH, &etag)).await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header(header::ETAG), etag);
    let reply = send(&app, with(header::IF_NONE_MATCH, "*")).await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    // Another format is another entity.
    let reply = send(
        &app,
        Request::get("/sparql")
            .header(header::ACCEPT, "application/n-triples")
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_ne!(reply.header(header::ETAG), etag);
    // The cache answers the next request; `no-cache` or `no-store` asks for a fresh one.
    assert_eq!(
        send(&app, get("/sparql")).await.header(http::CACHE_HEADER),
        "hit"
    );
    for directive in ["no-cache", "no-store", "max-age=0, no-cache"] {
        let fresh = send(&app, with(header::CACHE_CONTROL, directive)).await;
        assert_eq!(fresh.status, StatusCode::OK, "{directive}");
        assert_eq!(fresh.header(http::CACHE_HEADER), "miss", "{directive}");
        assert_eq!(fresh.header(header::ETAG), etag, "{directive}");
        assert_eq!(
            parse_graph(&fresh.body, RdfFormat::Turtle).len(),
            parse_graph(&first.body, RdfFormat::Turtle).len()
        );
    }
    // A write: the old ETag no longer matches, and the new graph is described.
    let reply = send(
        &app,
        authorized(
            Method::POST,
            "/sparql",
            "application/sparql-update",
            "INSERT DATA { GRAPH <urn:test:described> { <urn:test:s> <urn:test:p> 1 } }",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let after = send(&app, with(header::IF_NONE_MATCH, &etag)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.header(http::CACHE_HEADER), "miss");
    assert_ne!(after.header(header::ETAG), etag);
    assert!(
        after.text().contains("urn:test:described"),
        "{}",
        after.text()
    );
}

#[tokio::test]
async fn page_examples_answer_like_the_named_queries() {
    let store = labgraph::import::in_memory(base()).unwrap();
    for example in http::examples(store.base()).unwrap() {
        let named = labgraph::queries::find(&example.name).unwrap();
        let bindings = named.bindings(&named.example, store.base()).unwrap();
        let rows = |results| -> Vec<String> {
            let mut out = Vec::new();
            labgraph::results::write_solutions(
                match results {
                    oxigraph::sparql::QueryResults::Solutions(s) => s,
                    _ => panic!("{}: not a SELECT", example.name),
                },
                QueryResultsFormat::Tsv,
                &mut out,
                None,
                "test",
            )
            .unwrap();
            let mut lines: Vec<String> = String::from_utf8(out)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
            lines.sort();
            lines
        };
        let expected = rows(
            store
                .evaluate(store.prepare(named.text).unwrap(), bindings)
                .unwrap(),
        );
        let actual = rows(
            store
                .evaluate(store.prepare(&example.sparql).unwrap(), Vec::new())
                .unwrap(),
        );
        assert_eq!(actual, expected, "{}", example.name);
        assert!(
            expected.len() > 1,
            "{}: the example answers nothing",
            example.name
        );
    }
}

#[tokio::test]
async fn named_queries_as_rest() {
    let app = app();
    let list = send(&app, get("/queries")).await.json();
    assert_eq!(list.as_array().unwrap().len(), 12);
    let reply = send(
        &app,
        get("/queries/seminar-speakers?seminar=seminar/pma-artois-2022-12-01"),
    )
    .await;
    let rows = reply.rows();
    assert!(rows.len() >= 11, "{}", rows.len());
    let reply = send(&app, get("/queries/seminar-speakers?format=csv")).await;
    assert!(reply.header(header::CONTENT_TYPE).starts_with("text/csv"));
    assert_eq!(
        send(&app, get("/queries/nope")).await.status,
        StatusCode::NOT_FOUND
    );
    let reply = send(
        &app,
        get("/queries/seminars-on-territory?from=25%2F11%2F2022"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(reply.text().contains("from"), "{}", reply.text());
}

#[tokio::test]
async fn etags_304_and_the_cache_follow_writes() {
    let app = app_with(writable());
    let uri = query_uri("SELECT ?s WHERE { ?s a lg:Seminar }");
    let first = send(&app, get(&uri)).await;
    let etag = first.header(header::ETAG).to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(first.header(http::CACHE_HEADER), "miss");
    let second = send(&app, get(&uri)).await;
    assert_eq!(second.header(http::CACHE_HEADER), "hit");
    assert_eq!(second.header(header::ETAG), etag);
    assert_eq!(second.body, first.body);
    // A client asking for a fresh answer gets one.
    let fresh = send(
        &app,
        Request::get(&uri)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(fresh.header(http::CACHE_HEADER), "miss");
    assert_eq!(fresh.body, first.body);
    // Another format is another entity.
    let csv = send(&app, get_accept(&uri, "text/csv")).await;
    assert_ne!(csv.header(header::ETAG), etag);
    let reply = send(
        &app,
        Request::get(&uri)
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header(header::ETAG), etag);
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-cache");
    // `*` matches only an answer that would be a success (RFC 9110, 13.1.2).
    let star = |uri: &str, accept: &str| {
        Request::get(uri)
            .header(header::IF_NONE_MATCH, "*")
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap()
    };
    let reply = send(&app, star(&uri, "application/sparql-results+json")).await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    let reply = send(&app, star(&uri, "image/png")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    let reply = send(&app, star(&query_uri("SELEC ?s"), "*/*")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // A write changes the ETag and empties the cache.
    let reply = send(
        &app,
        authorized(
            Method::POST,
            "/sparql",
            "application/sparql-update",
            "INSERT DATA { GRAPH <urn:test:g> { <seminar/essai-2023-03-09> a lg:Seminar, schema:Event ; \
             schema:name \"Séminaire d'essai\"@fr ; schema:startDate \"2023-03-09\"^^xsd:date ; \
             schema:organizer <org/irev> ; schema:superEvent <series/lab-des-transitions> ; \
             dct:source <https://example.org/essai> } }",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let after = send(
        &app,
        Request::get(&uri)
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.header(http::CACHE_HEADER), "miss");
    assert_ne!(after.header(header::ETAG), etag);
    assert_eq!(after.rows().len(), 3);
}

#[tokio::test]
async fn writes_need_the_admin_token() {
    let update = "INSERT DATA { <urn:test:s> <urn:test:p> 1 }";
    // Read-only server: 403 whatever the token.
    let read_only = app();
    let reply = send(
        &read_only,
        authorized(Method::POST, "/sparql", "application/sparql-update", update),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("lecture seule"));
    let reply = send(
        &read_only,
        authorized(
            Method::PUT,
            "/store?graph=urn:test:g",
            "text/turtle",
            "<urn:a> <urn:b> <urn:c> .",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let app = app_with(writable());
    // No token: 401 with a challenge.
    for request in [
        post("/sparql", "application/sparql-update", update),
        post(
            "/sparql",
            "application/x-www-form-urlencoded",
            format!("update={}", encode(update)),
        ),
        Request::put("/store?graph=urn:test:g")
            .header(header::CONTENT_TYPE, "text/turtle")
            .body(Body::from("<urn:a> <urn:b> <urn:c> ."))
            .unwrap(),
        Request::delete("/store?graph=graph/sdg")
            .body(Body::empty())
            .unwrap(),
    ] {
        let reply = send(&app, request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.header(header::WWW_AUTHENTICATE),
            "Bearer realm=\"labgraph\""
        );
    }
    // Wrong token (or scheme): 403.
    for authorization in [
        "Bearer test-admin-token-0123456780".to_owned(),
        "Bearer x".to_owned(),
        format!("Basic {TOKEN}"),
    ] {
        let reply = send(
            &app,
            Request::post("/sparql")
                .header(header::CONTENT_TYPE, "application/sparql-update")
                .header(header::AUTHORIZATION, authorization.as_str())
                .body(Body::from(update))
                .unwrap(),
        )
        .await;
        assert!(
            reply.status == StatusCode::FORBIDDEN || reply.status == StatusCode::UNAUTHORIZED,
            "{authorization}: {}",
            reply.status
        );
    }
    // Nothing was written.
    let reply = send(&app, get(&query_uri("ASK { <urn:test:s> ?p ?o }"))).await;
    assert_eq!(reply.json()["boolean"], false);
    // The right token: 204, and the data is there.
    let reply = send(
        &app,
        authorized(Method::POST, "/sparql", "application/sparql-update", update),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let reply = send(&app, get(&query_uri("ASK { <urn:test:s> ?p ?o }"))).await;
    assert_eq!(reply.json()["boolean"], true);
}

#[tokio::test]
async fn updates_are_checked_and_recorded() {
    let app = app_with(writable());
    let update = |text: &str| {
        authorized(
            Method::POST,
            "/sparql",
            "application/sparql-update",
            text.to_owned(),
        )
    };
    // LOAD is refused: the server never fetches remote documents.
    let reply = send(&app, update("LOAD <http://example.org/data.ttl>")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("LOAD is not allowed"),
        "{}",
        reply.text()
    );
    // Malformed update: 400.
    let reply = send(&app, update("INSERT DATA { <urn:a> }")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // The provenance graph is labgraph's own.
    let reply = send(
        &app,
        update("DROP GRAPH <https://w3id.org/labgraph/id/graph/imports>"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    // CLEAR and DROP of ALL or NAMED act, as the standard says, on every graph of the
    // user's dataset; the provenance graph stands outside it and survives them.
    for clear in ["CLEAR ALL", "DROP NAMED", "CLEAR SILENT NAMED"] {
        let app = app_with(writable());
        let reply = send(&app, update(clear)).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{clear}: {}",
            reply.text()
        );
        let left = count_query("GRAPH <https://w3id.org/labgraph/id/graph/imports> { ?s ?p ?o }");
        assert!(
            first_number(&send(&app, get(&query_uri(&left))).await) > 0,
            "{clear}"
        );
        let data = count_query("GRAPH <https://w3id.org/labgraph/id/graph/themes> { ?s ?p ?o }");
        assert_eq!(
            first_number(&send(&app, get(&query_uri(&data))).await),
            0,
            "{clear}"
        );
    }
    // Nor through a variable, which names no graph in the update's text.
    let imports = count_query("GRAPH <https://w3id.org/labgraph/id/graph/imports> { ?s ?p ?o }");
    let before = first_number(&send(&app, get(&query_uri(&imports))).await);
    let reply = send(
        &app,
        update(
            "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g = <https://w3id.org/labgraph/id/graph/imports>) }",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert!(reply.text().contains("graph/imports"), "{}", reply.text());
    assert_eq!(
        first_number(&send(&app, get(&query_uri(&imports))).await),
        before
    );
    let reply = send(&app, get(&query_uri(&count_query("?s ?p ?o")))).await;
    assert!(first_number(&reply) > 10_000, "nothing was cleared");
    // using-graph-uri with an update that has its own USING: 400.
    let reply = send(
        &app,
        authorized(
            Method::POST,
            "/sparql?using-graph-uri=graph%2Fsdg",
            "application/sparql-update",
            "DELETE { ?s ?p ?o } USING <urn:x> WHERE { ?s ?p ?o }",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // A good update, by form, is recorded in the provenance graph.
    let reply = send(
        &app,
        authorized(
            Method::POST,
            "/sparql",
            "application/x-www-form-urlencoded",
            format!(
                "update={}",
                encode("INSERT DATA { GRAPH <https://w3id.org/labgraph/id/graph/notes> { <urn:a> <urn:b> \"c\" } }")
            ),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let reply = send(
        &app,
        get(&query_uri(
            "SELECT ?source ?n WHERE { GRAPH <https://w3id.org/labgraph/id/graph/imports> { <https://w3id.org/labgraph/id/graph/notes> dct:source ?source ; void:triples ?n ; prov:wasGeneratedBy ?a . ?a prov:endedAtTime ?t } }",
        )),
    )
    .await;
    let rows = reply.rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["source"]["value"], "SPARQL 1.1 Update (HTTP)");
    assert_eq!(rows[0]["n"]["value"], "1");
    // A graph reached through a variable is recorded too, with its new size.
    let reply = send(
        &app,
        update(
            "INSERT { GRAPH ?g { <urn:a> <urn:b> \"d\" } } WHERE { BIND(<https://w3id.org/labgraph/id/graph/notes> AS ?g) }",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let reply = send(
        &app,
        get(&query_uri(
            "SELECT ?n WHERE { GRAPH <https://w3id.org/labgraph/id/graph/imports> { <https://w3id.org/labgraph/id/graph/notes> void:triples ?n } }",
        )),
    )
    .await;
    assert_eq!(reply.rows()[0]["n"]["value"], "2", "{}", reply.text());
}

#[tokio::test]
async fn graph_store_protocol() {
    let app = app_with(writable());
    let target = "/store?graph=https%3A%2F%2Fw3id.org%2Flabgraph%2Fid%2Fgraph%2Fnotes";
    // GET of a graph that does not exist: 404.
    assert_eq!(send(&app, get(target)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, authorized(Method::DELETE, target, "text/turtle", ""))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // PUT creates: 201, with the graph's IRI; PUT again replaces: 204.
    let first = "<urn:a> <urn:b> \"un\"@fr , \"one\"@en .";
    let reply = send(&app, authorized(Method::PUT, target, "text/turtle", first)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!(
        reply.header(header::LOCATION),
        "https://w3id.org/labgraph/id/graph/notes"
    );
    // POST to the store itself creates a new graph and says where (GSP 5.5).
    let reply = send(
        &app,
        authorized(Method::POST, "/store", "text/turtle", "<urn:n> <urn:p> 1 ."),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let created = reply.header(header::LOCATION).to_owned();
    assert!(
        created.starts_with("https://w3id.org/labgraph/id/graph/upload-"),
        "{created}"
    );
    let reply = send(
        &app,
        get_accept(
            &format!("/store?graph={}", encode(&created)),
            "application/n-triples",
        ),
    )
    .await;
    assert_eq!(
        reply.text().trim(),
        "<urn:n> <urn:p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> ."
    );
    let reply = send(
        &app,
        authorized(
            Method::PUT,
            target,
            "application/n-triples",
            "<urn:a> <urn:b> <urn:c> .\n",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = send(&app, get_accept(target, "application/n-triples")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text().trim(), "<urn:a> <urn:b> <urn:c> .");
    // POST merges.
    let reply = send(
        &app,
        authorized(
            Method::POST,
            target,
            "application/ld+json",
            r#"{"@id": "urn:a", "urn:d": "e"}"#,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let reply = send(&app, get(target)).await;
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "text/turtle; charset=utf-8"
    );
    assert_eq!(parse_graph(&reply.body, RdfFormat::Turtle).len(), 2);
    // HEAD: the headers of GET, no body.
    let head = send(&app, Request::head(target).body(Body::empty()).unwrap()).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header(header::ETAG), reply.header(header::ETAG));
    // Every graph format.
    for (accept, format) in [
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            labgraph::format::Rdf::JsonLd.oxigraph(),
        ),
        ("application/n-triples", RdfFormat::NTriples),
    ] {
        let reply = send(&app, get_accept(target, accept)).await;
        assert_eq!(parse_graph(&reply.body, format).len(), 2, "{accept}");
    }
    // The write is recorded.
    let reply = send(
        &app,
        get(&query_uri("SELECT ?source WHERE { <https://w3id.org/labgraph/id/graph/notes> dct:source ?source }")),
    )
    .await;
    assert_eq!(
        reply.rows()[0]["source"]["value"],
        "Graph Store Protocol POST"
    );
    // Malformed body: 400 naming line and column; the graph is unchanged.
    let before = send(&app, get_accept(target, "application/n-triples"))
        .await
        .body;
    let reply = send(
        &app,
        authorized(
            Method::PUT,
            target,
            "text/turtle",
            "<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> .\n",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("the request body:2:"),
        "{}",
        reply.text()
    );
    assert_eq!(
        send(&app, get_accept(target, "application/n-triples"))
            .await
            .body,
        before
    );
    // Unsupported body type: 415.
    let reply = send(
        &app,
        authorized(Method::PUT, target, "application/pdf", "%PDF"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Target errors.
    let reply = send(&app, authorized(Method::PUT, "/store", "text/turtle", "")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = send(&app, get("/store?default&graph=urn:x")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // The provenance graph cannot be written.
    let reply = send(
        &app,
        authorized(Method::PUT, "/store?graph=graph/imports", "text/turtle", ""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // The default graph (empty: the data lives in named graphs) takes writes too.
    let reply = send(
        &app,
        authorized(
            Method::PUT,
            "/store?default",
            "text/turtle",
            "<urn:x> <urn:y> <urn:z> .",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = send(&app, get_accept("/store?default", "application/n-triples")).await;
    assert_eq!(reply.text().trim(), "<urn:x> <urn:y> <urn:z> .");
    // DELETE: 204, then 404.
    let reply = send(&app, authorized(Method::DELETE, target, "text/turtle", "")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(send(&app, get(target)).await.status, StatusCode::NOT_FOUND);
    // The whole dataset, in a quad format.
    let reply = send(&app, get("/store")).await;
    assert_eq!(reply.header(header::CONTENT_TYPE), "application/n-quads");
    assert!(reply.text().lines().count() > 10_000);
    let reply = send(&app, get_accept("/store", "text/turtle")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    // Other methods: 405.
    let reply = send(&app, Request::patch(target).body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn writes_over_http_go_through_the_shacl_gate() {
    let app = app_with(writable());
    let dump = |app: Router| async move {
        let reply = send(&app, get_accept("/store", "application/n-quads")).await;
        let mut lines: Vec<String> = reply
            .text()
            .lines()
            .filter(|l| !l.contains("/graph/imports>"))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    let before = dump(app.clone()).await;
    // A seminar with no name nor date, organised by an institution that does not exist.
    let broken = "<seminar/x> a <https://w3id.org/labgraph/def#Seminar>, <http://schema.org/Event> ; \
                  <http://schema.org/organizer> <org/nowhere> .";
    let target = "/store?graph=https%3A%2F%2Fw3id.org%2Flabgraph%2Fid%2Fgraph%2Fnotes";
    for (method, uri, content_type, body) in [
        (Method::PUT, target, "text/turtle", broken.to_owned()),
        (Method::POST, target, "text/turtle", broken.to_owned()),
        (
            Method::POST,
            "/sparql",
            "application/sparql-update",
            format!("INSERT DATA {{ GRAPH <graph/notes> {{ {broken} }} }}"),
        ),
    ] {
        let reply = send(&app, authorized(method.clone(), uri, content_type, body)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {uri}: {}",
            reply.text()
        );
        let text = reply.text();
        assert!(
            text.contains("formes SHACL") && text.contains("SHACL shapes"),
            "{text}"
        );
        assert!(
            text.contains("seminar/x") && text.contains("fr:") && text.contains("en:"),
            "{text}"
        );
    }
    // Deleting what the rest of the store references is refused too.
    let reply = send(
        &app,
        authorized(
            Method::DELETE,
            "/store?graph=https%3A%2F%2Fw3id.org%2Flabgraph%2Fid%2Fgraph%2Finstitutions",
            "text/turtle",
            "",
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("org/irev"), "{}", reply.text());
    assert_eq!(dump(app.clone()).await, before, "nothing was written");
}

#[tokio::test]
async fn bodies_over_the_limits_get_413() {
    let app = app_with(Options {
        max_query_bytes: 1000,
        max_upload_bytes: 2000,
        ..writable()
    });
    let long = format!("ASK {{ }} # {}", "x".repeat(2000));
    let reply = send(&app, post("/sparql", "application/sparql-query", long)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let big = "<urn:a> <urn:b> \"x\" .\n".repeat(200);
    let reply = send(
        &app,
        authorized(
            Method::PUT,
            "/store?graph=urn:g",
            "application/n-triples",
            big,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn result_cap_and_complexity_bound() {
    let app = app_with(Options {
        max_results: 5,
        max_graph_triples: 5,
        ..Options::default()
    });
    let reply = send(&app, get(&query_uri("SELECT * WHERE { ?s ?p ?o }"))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.text().contains("more than 5 rows"),
        "{}",
        reply.text()
    );
    let reply = send(&app, get(&query_uri("SELECT * WHERE { ?s ?p ?o } LIMIT 5"))).await;
    assert_eq!(reply.rows().len(), 5);
    let reply = send(&app, get(&query_uri("CONSTRUCT WHERE { ?s ?p ?o }"))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The graph store's reads are capped alike.
    for uri in ["/store", "/store?graph=graph%2Fthemes"] {
        let reply = send(&app, get(uri)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert!(
            reply.text().contains("more than 5 triples"),
            "{}",
            reply.text()
        );
    }
    let values: String = (0..300).map(|i| format!("{i} ")).collect();
    let cube = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} VALUES ?c {{ {values} }} }}"
    );
    let reply = send(&app, get(&query_uri(&cube))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().contains("27000000"), "{}", reply.text());
    // A cartesian product that could not be cancelled: refused before it starts.
    let reply = send(
        &app,
        get(&query_uri(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.text().contains("cartesian product"),
        "{}",
        reply.text()
    );
    let metrics = send(&app, get("/metrics")).await.text();
    assert!(
        metrics.contains("labgraph_queries_total{outcome=\"refused\"} 2"),
        "{metrics}"
    );
}

/// Walks every path of the graph from every node, reading the store at each step: about
/// 4 s on the bundled data, longer than the budgets below, and cancellable at any step.
const SLOW: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:none>)+ ?b . ?b ?p ?c }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_over_its_time_budget_is_cancelled() {
    let app = app_with(Options {
        timeout: Duration::from_millis(300),
        ..Options::default()
    });
    let started = std::time::Instant::now();
    let reply = send(&app, get(&query_uri(SLOW))).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.text().contains("budget"), "{}", reply.text());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let metrics = send(&app, get("/metrics")).await.text();
    assert!(
        metrics.contains("labgraph_queries_total{outcome=\"cancelled\"} 1"),
        "{metrics}"
    );
    // The server still answers.
    assert_eq!(
        send(&app, get(&query_uri("ASK {}"))).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_answers_503_with_retry_after() {
    let app = app_with(Options {
        timeout: Duration::from_millis(1500),
        max_concurrent: 1,
        ..Options::default()
    });
    let slow = tokio::spawn({
        let app = app.clone();
        async move { send(&app, get(&query_uri(SLOW))).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = send(&app, get(&query_uri("ASK {}"))).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header(header::RETRY_AFTER), "1");
    assert_eq!(slow.await.unwrap().status, StatusCode::SERVICE_UNAVAILABLE);
    // Once the slow query is cancelled, the permit is back.
    assert_eq!(
        send(&app, get(&query_uri("ASK {}"))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cors_allows_reads_from_anywhere_but_not_writes() {
    let app = app_with(writable());
    let reply = send(
        &app,
        Request::get(query_uri("ASK {}"))
            .header(header::ORIGIN, "https://partner.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let preflight = |method: &str, headers: &str| {
        Request::options("/sparql")
            .header(header::ORIGIN, "https://partner.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
            .body(Body::empty())
            .unwrap()
    };
    let reply = send(&app, preflight("POST", "content-type")).await;
    assert!(reply.status.is_success());
    assert!(
        reply
            .header(header::ACCESS_CONTROL_ALLOW_METHODS)
            .contains("POST")
    );
    assert!(
        !reply
            .header(header::ACCESS_CONTROL_ALLOW_METHODS)
            .contains("PUT")
    );
    assert!(
        !reply
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS)
            .to_ascii_lowercase()
            .contains("authorization")
    );
}

#[tokio::test]
async fn responses_are_compressed_on_request() {
    let app = app();
    let uri = query_uri("SELECT * WHERE { ?s a skos:Concept ; skos:prefLabel ?l }");
    let plain = send(&app, get(&uri)).await;
    for (encoding, decode) in [
        (
            "gzip",
            (|b: &[u8]| {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(b)
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }) as fn(&[u8]) -> Vec<u8>,
        ),
        ("br", |b: &[u8]| {
            let mut out = Vec::new();
            brotli::Decompressor::new(b, 4096)
                .read_to_end(&mut out)
                .unwrap();
            out
        }),
    ] {
        let reply = send(
            &app,
            Request::get(&uri)
                .header(header::ACCEPT_ENCODING, encoding)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(reply.header(header::CONTENT_ENCODING), encoding);
        assert!(reply.body.len() < plain.body.len() / 3, "{encoding}");
        assert_eq!(decode(&reply.body), plain.body.to_vec(), "{encoding}");
    }
}

#[tokio::test]
async fn health_and_metrics() {
    let app = app();
    let health = send(&app, get("/healthz")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["status"], "ok");
    send(&app, get(&query_uri("ASK {}"))).await;
    send(&app, get(&query_uri("ASK {}"))).await;
    // The Service Description is cached like query results, and counted alike.
    send(&app, get("/sparql")).await;
    send(&app, get("/sparql")).await;
    let metrics = send(&app, get("/metrics")).await;
    assert!(
        metrics
            .header(header::CONTENT_TYPE)
            .contains("openmetrics-text")
    );
    let text = metrics.text();
    for needle in [
        "labgraph_http_requests_total{method=\"GET\",route=\"/sparql\",status=\"200\"} 4",
        "labgraph_http_request_duration_seconds_bucket{le=",
        "labgraph_cache_hits_total 2",
        "labgraph_cache_misses_total 2",
        "labgraph_queries_total{outcome=\"ok\"} 1",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_whose_client_goes_away_stops() {
    let app = app_with(Options {
        timeout: Duration::from_secs(60),
        max_concurrent: 1,
        ..Options::default()
    });
    let slow = tokio::spawn({
        let app = app.clone();
        async move { send(&app, get(&query_uri(SLOW))).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        send(&app, get(&query_uri("ASK {}"))).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The client disconnects: its request future is dropped.
    slow.abort();
    let started = std::time::Instant::now();
    loop {
        let reply = send(&app, get(&query_uri("ASK {}"))).await;
        if reply.status == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the abandoned query still holds its permit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client of the real server, as `labgraph serve` runs it (accept loop, a thread per
/// connection, hyper): HTTP/1.1 over a loopback socket, one connection kept alive.
struct Wire {
    reader: std::io::BufReader<std::net::TcpStream>,
}

struct WireReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl WireReply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Wire {
    fn connect(address: std::net::SocketAddr) -> Self {
        let stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Self {
            reader: std::io::BufReader::new(stream),
        }
    }

    /// Sends a request (`head` without its final blank line) and reads the response.
    fn send(&mut self, head: &str, body: &str) -> WireReply {
        use std::io::{BufRead, Write};
        let request = format!(
            "{head}\r\nHost: labgraph.test\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 "), "not a response: {line:?}");
        let status = line[9..12].parse().unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let mut reply = WireReply {
            status,
            headers,
            body: Vec::new(),
        };
        if reply.header("transfer-encoding") == "chunked" {
            loop {
                line.clear();
                self.reader.read_line(&mut line).unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                reply.body.extend_from_slice(&chunk[..size]);
            }
        } else {
            let length: usize = reply.header("content-length").parse().unwrap_or(0);
            reply.body = vec![0; length];
            self.reader.read_exact(&mut reply.body).unwrap();
        }
        reply
    }
}

/// A server on a loopback port chosen by the system, served as `labgraph serve` serves;
/// it stops when dropped.
fn served(options: Options) -> http::Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    http::spawn(
        labgraph::import::in_memory(base()).unwrap(),
        options,
        listener,
    )
    .unwrap()
}

#[test]
fn the_served_path_answers_queries_304_and_writes_on_one_kept_alive_connection() {
    let server = served(writable());
    let mut wire = Wire::connect(server.address());
    let count = format!(
        "GET /sparql?query={} HTTP/1.1\r\nAccept: application/sparql-results+json",
        encode("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:test:wire> { ?s ?p ?o } }")
    );
    let number = |reply: &WireReply| -> String {
        assert_eq!(reply.status, 200, "{}", reply.text());
        let json: Value = serde_json::from_slice(&reply.body).unwrap();
        json["results"]["bindings"][0]["n"]["value"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // A query.
    let first = wire.send(&count, "");
    assert_eq!(number(&first), "0");
    assert_eq!(first.header("x-labgraph-cache"), "miss");
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    // A second request on the same connection: the client's copy is current.
    let again = wire.send(&format!("{count}\r\nIf-None-Match: {etag}"), "");
    assert_eq!(again.status, 304, "{}", again.text());
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    // A write without the token is refused; with it, it is made.
    let update = "INSERT DATA { GRAPH <urn:test:wire> { <urn:test:s> <urn:test:p> 1 } }";
    let refused = wire.send(
        "POST /sparql HTTP/1.1\r\nContent-Type: application/sparql-update",
        update,
    );
    assert_eq!(refused.status, 401, "{}", refused.text());
    let written = wire.send(
        &format!(
            "POST /sparql HTTP/1.1\r\nContent-Type: application/sparql-update\r\nAuthorization: Bearer {TOKEN}"
        ),
        update,
    );
    assert_eq!(written.status, 204, "{}", written.text());
    // The next read sees it: the old ETag no longer matches.
    let after = wire.send(&format!("{count}\r\nIf-None-Match: {etag}"), "");
    assert_eq!(number(&after), "1");
    assert_ne!(after.header("etag"), etag);
    // So does a Graph Store read, over another connection.
    let mut other = Wire::connect(server.address());
    let graph = other.send(
        "GET /store?graph=urn:test:wire HTTP/1.1\r\nAccept: application/n-triples",
        "",
    );
    assert_eq!(graph.status, 200, "{}", graph.text());
    assert_eq!(
        graph.text(),
        "<urn:test:s> <urn:test:p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
    );
    server.shutdown();
}

#[test]
fn the_served_path_stops_when_asked_with_an_idle_connection_open() {
    let server = served(Options::default());
    let address = server.address();
    let mut idle = Wire::connect(address);
    assert_eq!(idle.send("GET /healthz HTTP/1.1", "").status, 200);
    let started = std::time::Instant::now();
    server.shutdown();
    // The idle connection does not hold the server for the grace period of requests.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The kept-alive connection was closed, and no new one is accepted.
    let mut rest = Vec::new();
    let read = idle.reader.read_to_end(&mut rest);
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?} {rest:?}");
    assert!(std::net::TcpStream::connect(address).is_err());
}

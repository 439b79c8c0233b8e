//! The server against hostile and careless requests, in-process: queries shaped to
//! overflow a stack, queries and updates that would never stop, uploads that expand
//! without bound, ill-formed values, and the headers every response carries. Each case
//! was reported against an earlier version (issue 10) and failed there.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::http::{TOKEN, app_with, send, writable};
use labgraph::http::Options;

fn query(text: &str) -> Request<Body> {
    Request::post("/sparql")
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body(Body::from(text.to_owned()))
        .unwrap()
}

fn update(text: &str) -> Request<Body> {
    Request::post("/sparql")
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(text.to_owned()))
        .unwrap()
}

fn put(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(Method::PUT)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(body.into())
        .unwrap()
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

/// The query shapes that aborted the server with a stack overflow, at the sizes reported.
fn overflowing_queries() -> Vec<(&'static str, String)> {
    let union = vec!["{ ?s ?p ?o }"; 966].join(" UNION ");
    let or = (0..1_944)
        .map(|i| format!("?o = {i}"))
        .collect::<Vec<_>>()
        .join(" || ");
    let bgp = (0..1_455)
        .map(|i| format!("?s <urn:p> ?o{i} ."))
        .collect::<String>();
    let plus = vec!["1"; 50_000].join("+");
    vec![
        (
            "855 nested braces",
            format!("SELECT * WHERE {}", nested("{", "?s ?p ?o", "}", 855)),
        ),
        (
            "382 nested sub-SELECTs",
            format!(
                "SELECT * WHERE {}",
                nested("{ SELECT * WHERE ", "{ ?s ?p ?o }", " }", 382)
            ),
        ),
        (
            "2,000 nested parentheses in a FILTER",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER({}) }}",
                nested("(", "?o", ")", 2_000)
            ),
        ),
        (
            "nested OPTIONALs",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                nested("OPTIONAL { ?s ?p ?o ", "", "}", 600)
            ),
        ),
        (
            "a UNION of 966 branches",
            format!("SELECT * WHERE {{ {union} }}"),
        ),
        (
            "an OR chain of 1,944 terms",
            format!("SELECT * WHERE {{ ?s ?p ?o FILTER({or}) }}"),
        ),
        (
            "a BGP of 1,455 patterns",
            format!("SELECT * WHERE {{ {bgp} }}"),
        ),
        (
            "BIND(1+1+…) of 50,000 terms",
            format!("SELECT * WHERE {{ BIND({plus} AS ?x) }}"),
        ),
        (
            "nested EXISTS",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER {} }}",
                nested("EXISTS { ?s ?p ?o FILTER ", "(true)", "}", 700)
            ),
        ),
        (
            "a property path of 3,000 steps",
            format!(
                "SELECT * WHERE {{ ?s {} ?o }}",
                vec!["<urn:p>"; 3_000].join("/")
            ),
        ),
        (
            "nested property path parentheses",
            format!(
                "SELECT * WHERE {{ ?s {} ?o }}",
                nested("(", "<urn:p>", ")*", 1_000)
            ),
        ),
        (
            "nested GRAPH patterns",
            format!(
                "SELECT * WHERE {}",
                nested("{ GRAPH ?g ", "{ ?s ?p ?o }", "}", 900)
            ),
        ),
        (
            // Not a stack overflow, but minutes of planning that cannot be cancelled.
            "a group of 200 triple patterns",
            format!(
                "SELECT * WHERE {{ {} }}",
                (0..200)
                    .map(|i| format!("?s <urn:p> ?o{i} . "))
                    .collect::<String>()
            ),
        ),
        (
            // Nor this: 20 s of parsing in 438 bytes.
            "22 nested REPLACE",
            format!(
                "SELECT ?x WHERE {{ BIND({}\"a\"{} AS ?x) }}",
                "REPLACE(".repeat(22),
                ", \"a\", \"b\")".repeat(22)
            ),
        ),
        (
            // Found by review: what the scanner took for an IRI is a comparison.
            "50,000 parentheses behind a less-than",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER(?o<{}1{}&&?o>0) }}",
                "(".repeat(50_000),
                ")".repeat(50_000)
            ),
        ),
        (
            // Found by review: an escaped quote in a name is no string.
            "parentheses behind an escaped quote",
            format!(
                "PREFIX ex: <urn:x:> SELECT * WHERE {{ ?s ?p ?o FILTER(ex:a\\' || {}1{} = 'x') }}",
                "(".repeat(50_000),
                ")".repeat(50_000)
            ),
        ),
        (
            "22 nested REPLACE with comments",
            format!(
                "SELECT ?x WHERE {{ BIND({}\"a\"{} AS ?x) }}",
                "REPLACE#\n(".repeat(22),
                ", \"a\", \"b\")".repeat(22)
            ),
        ),
        (
            "a chain of 5,000 BINDs",
            format!(
                "SELECT * WHERE {{ {} }}",
                (0..5_000)
                    .map(|i| format!("BIND({i} AS ?v{i}) "))
                    .collect::<String>()
            ),
        ),
    ]
}

#[tokio::test]
async fn queries_shaped_to_overflow_a_stack_are_refused_with_400() {
    let app = app_with(Options::default());
    for (shape, text) in overflowing_queries() {
        let reply = send(&app, query(&text)).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{shape}: {}",
            reply.text()
        );
        assert!(
            reply.text().contains("limit of labgraph"),
            "{shape}: the message names the limit: {}",
            reply.text()
        );
    }
    // The same shapes in an update are refused alike.
    let deep = format!(
        "INSERT {{ GRAPH <urn:g> {{ <urn:s> <urn:p> 1 }} }} WHERE {}",
        nested("{", "?s ?p ?o", "}", 855)
    );
    let writable = app_with(writable());
    let reply = send(&writable, update(&deep)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    // The server still answers.
    let reply = send(&app, query("ASK {}")).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn large_queries_within_the_bounds_still_answer() {
    let app = app_with(Options::default());
    let union = vec!["{ ?s a lg:Seminar }"; 400].join(" UNION ");
    let bgp = (0..60)
        .map(|i| format!("?s schema:name ?n{i} . "))
        .collect::<String>();
    let plus = vec!["1"; 400].join("+");
    let or = (0..400)
        .map(|i| format!("?n = {i}"))
        .collect::<Vec<_>>()
        .join(" || ");
    for (shape, text) in [
        (
            "a UNION of 400 branches",
            format!("SELECT (COUNT(*) AS ?n) WHERE {{ {union} }}"),
        ),
        (
            "a group of 60 triple patterns",
            format!("SELECT ?s WHERE {{ ?s a lg:Seminar . {bgp} }} LIMIT 1"),
        ),
        (
            "a sum of 400 terms",
            format!("SELECT ?x WHERE {{ BIND({plus} AS ?x) }}"),
        ),
        (
            "an OR of 400 terms",
            format!("SELECT * WHERE {{ VALUES ?n {{ 1 2 }} FILTER({or}) }}"),
        ),
        (
            "60 nested groups",
            format!("SELECT * WHERE {}", nested("{", "?s a lg:Seminar", "}", 60)),
        ),
    ] {
        let reply = send(&app, query(&text)).await;
        assert_eq!(reply.status, StatusCode::OK, "{shape}: {}", reply.text());
    }
}

#[tokio::test]
async fn sorted_cartesian_products_and_costly_inline_data_are_refused() {
    let app = app_with(Options::default());
    // Ran 207 s past a 2 s budget: the sort of a product cannot be cancelled.
    let reply = send(
        &app,
        query("SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    // 999 × 999 rows hashed three times each: 2.1 GB and 33 s.
    let values = |v: &str| {
        format!(
            "VALUES ?{v} {{ {} }}",
            (0..999)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let hashed = format!(
        "SELECT ?h WHERE {{ {} {} BIND(SHA512(SHA512(SHA512(STR(?a)))) AS ?h) }} ORDER BY ?h",
        values("a"),
        values("b")
    );
    let reply = send(&app, query(&hashed)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("expressions"), "{}", reply.text());
}

#[tokio::test]
async fn a_sort_cancelled_at_its_budget_answers_503_and_is_counted() {
    // This query made the sort panic when its budget ran out: an empty reply.
    let app = app_with(Options {
        timeout: std::time::Duration::from_millis(300),
        ..Options::default()
    });
    let started = std::time::Instant::now();
    let reply = send(
        &app,
        query("SELECT ?s ?o WHERE { ?s (<https://x/p>|!<https://x/p>)* ?o } ORDER BY ?o LIMIT 1"),
    )
    .await;
    // The sort itself looks at the budget: it stops soon after (it used to run on for
    // seconds once the rows were gathered). A loose bound, for a loaded machine.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    let metrics = send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert!(
        metrics
            .text()
            .contains("labgraph_queries_total{outcome=\"cancelled\"} 1"),
        "{}",
        metrics.text()
    );
}

#[tokio::test]
async fn an_update_stops_at_its_budget_and_writes_nothing() {
    let app = app_with(Options {
        timeout: std::time::Duration::from_millis(200),
        ..writable()
    });
    let before = send(&app, query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")).await;
    // (The WHERE of an update reads the real default graph, empty here: name the graphs.)
    let slow = "INSERT { GRAPH <urn:g> { ?a <urn:p> ?b } } WHERE { GRAPH ?g { ?a (!<urn:none>)+ ?b . ?b ?p ?c } }";
    let started = std::time::Instant::now();
    let reply = send(&app, update(slow)).await;
    eprintln!(
        "the slow update answered {} after {:?}",
        reply.status,
        started.elapsed()
    );
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.text()
    );
    let after = send(&app, query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")).await;
    assert_eq!(
        before.body, after.body,
        "a cancelled update wrote something"
    );
}

#[tokio::test]
async fn uploads_that_nest_or_expand_without_bound_are_refused() {
    let app = app_with(writable());
    // JSON-LD nested 10,000 deep aborted the server.
    let deep = format!(
        "{{\"@id\": \"urn:s\", \"urn:p\": {}}}",
        nested("{\"urn:p\": ", "1", "}", 10_000)
    );
    let reply = send(&app, put("/store?graph=urn:g", "application/ld+json", deep)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(
        reply.text().contains(":1:"),
        "the position: {}",
        reply.text()
    );
    // A 593-byte "billion laughs" took 3 GB.
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="urn:s"><rdf:value>&d;&d;&d;&d;</rdf:value></rdf:Description>
</rdf:RDF>"#;
    let reply = send(
        &app,
        put("/store?graph=urn:g", "application/rdf+xml", laughs),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(reply.text().contains("entity"), "{}", reply.text());
    assert!(
        reply.text().contains(":3:"),
        "the position: {}",
        reply.text()
    );
    // Entities hidden behind a `]` in a comment of the document type.
    let hidden = r#"<?xml version="1.0"?>
<!DOCTYPE r [ <!-- ] --> <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="urn:s"><rdf:value>&b;&b;&b;&b;</rdf:value></rdf:Description>
</rdf:RDF>"#;
    let reply = send(
        &app,
        put("/store?graph=urn:g", "application/rdf+xml", hidden),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    // Turtle nested 100,000 deep.
    let turtle = format!(
        "<urn:s> <urn:p> {} .",
        nested("[ <urn:p> ", "1", " ]", 100_000)
    );
    let reply = send(&app, put("/store?graph=urn:g", "text/turtle", turtle)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    // Nothing was written.
    let reply = send(
        &app,
        Request::get("/store?graph=urn:g")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_write_of_more_triples_than_the_limit_gets_413() {
    let app = app_with(Options {
        max_upload_triples: 10,
        ..writable()
    });
    let eleven: String = (0..11)
        .map(|i| format!("<urn:s{i}> <urn:p> \"{i}\" .\n"))
        .collect();
    let reply = send(
        &app,
        put("/store?graph=urn:g", "application/n-triples", eleven),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    assert!(
        reply.text().contains("--max-upload-triples"),
        "{}",
        reply.text()
    );
    let ten: String = (0..10)
        .map(|i| format!("<urn:s{i}> <urn:p> \"{i}\" .\n"))
        .collect();
    let reply = send(
        &app,
        put("/store?graph=urn:g", "application/n-triples", ten),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
}

#[tokio::test]
async fn rdf_xml_errors_name_their_line_and_column() {
    let app = app_with(writable());
    let broken = "<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"urn:s\">\n    <rdf:value>1</rdf:valu>\n  </rdf:Description>\n</rdf:RDF>\n";
    let reply = send(
        &app,
        put("/store?graph=urn:g", "application/rdf+xml", broken),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(
        reply.text().contains("the request body:4:"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn an_ill_formed_date_is_refused_by_the_gate() {
    let app = app_with(writable());
    let seminar = "@prefix schema: <http://schema.org/> .
@prefix lg: <https://w3id.org/labgraph/def#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/labgraph/id/seminar/x> a lg:Seminar ;
  schema:name \"Séminaire\"@fr ;
  schema:startDate \"abc\"^^xsd:date .
";
    let reply = send(&app, put("/store?graph=graph/x", "text/turtle", seminar)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("xsd:date"), "{}", reply.text());
}

#[tokio::test]
async fn drop_all_drops_every_data_graph_keeps_the_provenance_and_records_it() {
    let app = app_with(writable());
    let reply = send(&app, update("DROP ALL")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let graphs = send(
        &app,
        query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
    )
    .await;
    let text = graphs.text();
    assert!(text.contains("graph/imports"), "{text}");
    assert_eq!(
        text.matches("\"g\"").count(),
        2,
        "only the provenance graph is left: {text}"
    );
    // Every dropped graph is recorded: emptied by this update.
    let recorded = send(
        &app,
        query(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <graph/imports> { <graph/themes> void:triples 0 ; dct:source \"SPARQL 1.1 Update (HTTP)\" ; prov:wasGeneratedBy ?a } }",
        ),
    )
    .await;
    assert!(
        recorded.text().contains("\"value\":\"1\""),
        "{}",
        recorded.text()
    );
    // Graphs made earlier in the same request are dropped too: the operations run in
    // order.
    let reply = send(
        &app,
        update("INSERT DATA { GRAPH <urn:x:new> { <urn:s> <urn:p> 1 } } ; DROP ALL"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    let left = send(&app, query("ASK { GRAPH <urn:x:new> { ?s ?p ?o } }")).await;
    assert!(left.text().contains("false"), "{}", left.text());
    // CLEAR NAMED too, and the provenance graph still cannot be written directly.
    assert_eq!(
        send(&app, update("CLEAR NAMED")).await.status,
        StatusCode::NO_CONTENT
    );
    let reply = send(&app, update("CLEAR GRAPH <graph/imports>")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = app_with(Options::default());
    for request in [
        Request::get("/sparql")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap(),
        query("ASK {}"),
        Request::get("/healthz").body(Body::empty()).unwrap(),
        Request::get("/nowhere").body(Body::empty()).unwrap(),
    ] {
        let reply = send(&app, request).await;
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(reply.headers[header::REFERRER_POLICY], "no-referrer");
        let csp = reply.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("frame-ancestors 'self'") || csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("frame-ancestors *"), "{csp}");
    }
}

#[tokio::test]
async fn multipart_parts_take_the_upload_limit_and_direct_urls_stay_under_the_base() {
    let app = app_with(writable());
    // A part of 3 MB: over the multipart extractor's own default of 2 MiB.
    let part: String = (0..60_000)
        .map(|i| format!("<urn:s{i}> <urn:p> \"a value of a few words {i}\" .\n"))
        .collect();
    assert!(part.len() > 3_000_000);
    let body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.nt\"\r\nContent-Type: application/n-triples\r\n\r\n{part}\r\n--b--\r\n"
    );
    let request = Request::post("/store?graph=urn:big")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(body))
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    // `/id/` names graphs under the base IRI only, whatever the path spells.
    let reply = send(
        &app,
        put(
            "/id/http:%2F%2Fexample.org%2Fother",
            "text/turtle",
            "<urn:s> <urn:p> 1 .",
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let other = send(
        &app,
        query("ASK { GRAPH <http://example.org/other> { ?s ?p ?o } }"),
    )
    .await;
    assert!(other.text().contains("false"), "{}", other.text());
}

//! Every IRI resolves (issue 13): `/id/{path}` answers for `<base>{path}` by content
//! negotiation, suffix or `?format=`; a named graph answers as the Graph Store Protocol's
//! direct identification; what the store does not describe is a 404; hostile labels are
//! escaped in the page, its attributes and its embedded JSON-LD; links are paged; 304s.
//! In-process, on the bundled data.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::http::*;
use oxigraph::io::RdfFormat;

const SEMINAR_PATH: &str = "/id/seminar/pma-artois-2022-12-01";
const SEMINAR_NAME: &str =
    "Séminaire territorial du Lab des transitions - Pôle Métropolitain de l'Artois";
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn has_name(triples: &[oxigraph::model::Triple]) -> bool {
    triples.iter().any(|t| {
        t.subject.to_string() == format!("<{SEMINAR}>")
            && t.predicate.as_str() == "http://schema.org/name"
            && matches!(&t.object, oxigraph::model::Term::Literal(l) if l.value() == SEMINAR_NAME)
    })
}

const SEMINAR: &str = "https://w3id.org/labgraph/id/seminar/pma-artois-2022-12-01";

/// The licence `data/catalog.ttl` gives the dataset (data.gouv.fr's URL of Licence
/// Ouverte 2.0).
const LICENSE: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence";

#[tokio::test]
async fn a_resource_answers_in_every_format_by_accept_suffix_and_format() {
    let app = app();
    // (Accept, suffix, ?format=) → the RDF syntax of the answer.
    let cases: [(&str, RdfFormat); 4] = [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
        ),
    ];
    let suffixes = ["ttl", "nt", "rdf", "jsonld"];
    let formats = ["turtle", "ntriples", "rdfxml", "jsonld"];
    for (((accept, format), suffix), name) in cases.into_iter().zip(suffixes).zip(formats) {
        for request in [
            get_accept(SEMINAR_PATH, accept),
            get(&format!("{SEMINAR_PATH}.{suffix}")),
            get(&format!("{SEMINAR_PATH}?format={name}")),
        ] {
            let uri = request.uri().to_string();
            let reply = send(&app, request).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text());
            let triples = parse_graph(&reply.body, format);
            assert!(has_name(&triples), "{uri}: the seminar's name");
            assert_eq!(
                reply.header(header::CONTENT_LOCATION),
                format!("{SEMINAR_PATH}.{suffix}"),
                "{uri}"
            );
            assert!(reply.header(header::LINK).contains("rel=\"alternate\""));
            // The licence the catalogue gives the data, in every format.
            assert!(
                reply.headers.get_all(header::LINK).iter().any(|v| v
                    .to_str()
                    .unwrap()
                    .contains(&format!("<{LICENSE}>; rel=\"license\""))),
                "{uri}"
            );
            assert!(
                reply
                    .headers
                    .get_all(header::VARY)
                    .iter()
                    .any(|v| v.to_str().unwrap().contains("Accept-Language")),
                "{uri}"
            );
        }
    }
    // No Accept, or */*: Turtle. A browser: HTML.
    for request in [get(SEMINAR_PATH), get_accept(SEMINAR_PATH, "*/*")] {
        let reply = send(&app, request).await;
        assert!(
            reply
                .header(header::CONTENT_TYPE)
                .starts_with("text/turtle")
        );
    }
    for request in [
        get_accept(SEMINAR_PATH, BROWSER),
        get(&format!("{SEMINAR_PATH}.html")),
        get(&format!("{SEMINAR_PATH}?format=html")),
    ] {
        let reply = send(&app, request).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
        let page = reply.text();
        assert!(page.contains("<html lang=\"fr\">"));
        assert!(
            page.contains("rel=\"license\">Licence des données</a>"),
            "{page}"
        );
        assert!(page.contains("<h1>Séminaire territorial du Lab des transitions - Pôle Métropolitain de l&#x27;Artois</h1>"));
        // Linked IRIs show their labels and lead to their own pages.
        assert!(
            page.contains("<a href=\"&#x2f;id&#x2f;person&#x2f;benoit-brocq\">Benoît Brocq</a>"),
            "{page}"
        );
        assert!(
            reply
                .header(header::CONTENT_SECURITY_POLICY)
                .contains("default-src 'none'")
        );
    }
}

#[tokio::test]
async fn bad_formats_and_unknown_resources_get_their_status() {
    let app = app();
    let reply = send(&app, get(&format!("{SEMINAR_PATH}?format=bogus"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    assert!(reply.text().contains("unknown format 'bogus'"));
    let reply = send(&app, get_accept(SEMINAR_PATH, "image/png")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    let reply = send(&app, get_accept(SEMINAR_PATH, "garbage;;;q=x")).await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE, "{}", reply.text());
    // An IRI the store does not describe: a page for a browser, text for a program.
    let reply = send(&app, get_accept("/id/seminar/nowhere", BROWSER)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert!(reply.text().contains("Ressource inconnue"));
    assert!(reply.text().contains("role=\"search\""));
    let reply = send(&app, get("/id/seminar/nowhere")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.text().contains("unknown resource"));
    // A suffix that is not a format is part of the IRI: unknown.
    let reply = send(&app, get(&format!("{SEMINAR_PATH}.xyz"))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // Paths that try to leave the base, or that no IRI can hold.
    for (path, status) in [
        ("/id/..%2F..%2Fetc%2Fpasswd", StatusCode::NOT_FOUND),
        ("/id/seminar/%3Cscript%3E", StatusCode::BAD_REQUEST),
        ("/id/a%20b", StatusCode::BAD_REQUEST),
        ("/id/th%C3%A9%C3%A2tre", StatusCode::NOT_FOUND),
    ] {
        let reply = send(&app, get(path)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }
    let reply = send(&app, get(&format!("{SEMINAR_PATH}?page=0"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_named_graph_answers_at_its_iri_and_takes_writes_with_the_token() {
    let app = app_with(writable());
    let reply = send(&app, get_accept("/id/graph/themes", "text/turtle")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.text().contains("theme/scheme") || reply.text().contains("Thèmes de la transition")
    );
    let turtle = "<https://w3id.org/labgraph/id/note/a> <http://schema.org/name> \"Une note\" .";
    let put = |auth: bool| {
        let mut request = Request::builder()
            .method(Method::PUT)
            .uri("/id/graph/notes")
            .header(header::CONTENT_TYPE, "text/turtle");
        if auth {
            request = request.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        }
        request.body(Body::from(turtle)).unwrap()
    };
    let reply = send(&app, put(false)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = send(&app, put(true)).await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let reply = send(&app, get_accept("/id/graph/notes", "application/n-triples")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("Une note"));
    // The resource the graph describes has its own page.
    let reply = send(&app, get_accept("/id/note/a", BROWSER)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("<h1>Une note</h1>"));
    let head = Request::head("/id/note/a").body(Body::empty()).unwrap();
    let reply = send(&app, head).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn hostile_labels_are_escaped_in_the_page_its_attributes_and_its_json_ld() {
    let app = app_with(writable());
    let hostile = r#"<script>alert(1)</script>"><img src=x onerror=alert(1)>"#;
    let turtle = format!(
        "<https://w3id.org/labgraph/id/note/x> a <http://schema.org/CreativeWork> ; <http://schema.org/name> {:?} ; <http://schema.org/about> <https://w3id.org/labgraph/id/note/y> .\n<https://w3id.org/labgraph/id/note/y> <http://schema.org/name> {:?} .",
        hostile, hostile
    );
    let reply = send(
        &app,
        authorized(Method::PUT, "/id/graph/hostile", "text/turtle", turtle),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let reply = send(&app, get_accept("/id/note/x", BROWSER)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.text();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    // The embedded JSON-LD holds the name, with `<` escaped, and parses.
    let start = page.find("<script type=\"application/ld+json\">").unwrap();
    let json = &page[start + "<script type=\"application/ld+json\">".len()..];
    let json = &json[..json.find("</script>").unwrap()];
    assert!(!json.contains('<'), "{json}");
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert!(value.to_string().contains("alert(1)"));
    // In attributes (the label of a linked IRI is a link text, its IRI an attribute).
    let reply = send(&app, get_accept("/id/note/y", BROWSER)).await;
    assert!(!reply.text().contains("<img src=x"));
}

#[tokio::test]
async fn links_to_a_resource_are_paged_and_pages_are_cached() {
    let app = app_with(writable());
    let turtle: String = (0..250)
        .map(|i| format!("<https://w3id.org/labgraph/id/note/n{i}> <http://schema.org/about> <https://w3id.org/labgraph/id/note/popular> .\n"))
        .collect();
    let reply = send(
        &app,
        authorized(Method::PUT, "/id/graph/many", "text/turtle", turtle),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let first = send(
        &app,
        get_accept("/id/note/popular", "application/n-triples"),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.text().lines().count(), 100);
    assert!(
        first
            .header(header::LINK)
            .contains("</id/note/popular?page=2>; rel=\"next\"")
    );
    let last = send(
        &app,
        get_accept("/id/note/popular?page=3", "application/n-triples"),
    )
    .await;
    assert_eq!(last.text().lines().count(), 50);
    assert!(!last.header(header::LINK).contains("rel=\"next\""));
    let page = send(&app, get_accept("/id/note/popular", BROWSER)).await;
    assert!(page.text().contains("Page 1 sur 3"));
    assert!(page.text().contains("rel=\"next\""));
    // 304 for the ETag the client holds.
    let etag = first.header(header::ETAG).to_owned();
    let again = Request::get("/id/note/popular")
        .header(header::ACCEPT, "application/n-triples")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, again).await.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_page_prints_the_host_a_proxy_names_but_never_rewrites_iris() {
    let app = app();
    let request = Request::get(SEMINAR_PATH)
        .header(header::ACCEPT, BROWSER)
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "referentiel.example.org")
        .body(Body::empty())
        .unwrap();
    let page = send(&app, request).await.text();
    assert!(page.contains("<link rel=\"canonical\" href=\"https:&#x2f;&#x2f;referentiel.example.org&#x2f;id&#x2f;seminar&#x2f;pma-artois-2022-12-01\">"), "{page}");
    assert!(page.contains(
        "https:&#x2f;&#x2f;w3id.org&#x2f;labgraph&#x2f;id&#x2f;seminar&#x2f;pma-artois-2022-12-01"
    ));
    // A hostile host header is not printed.
    let request = Request::get(SEMINAR_PATH)
        .header(header::ACCEPT, BROWSER)
        .header("x-forwarded-host", "\"><script>")
        .body(Body::empty())
        .unwrap();
    assert!(!send(&app, request).await.text().contains("<script>"));
}

#[tokio::test]
async fn an_iri_the_data_says_is_replaced_moves_permanently() {
    let app = app_with(writable());
    let turtle = "<https://w3id.org/labgraph/id/org/ancienne> <http://purl.org/dc/terms/isReplacedBy> <https://w3id.org/labgraph/id/org/nouvelle> .\n<https://w3id.org/labgraph/id/org/nouvelle> <http://schema.org/name> \"Nouvelle\" .";
    let reply = send(
        &app,
        authorized(Method::PUT, "/id/graph/renamed", "text/turtle", turtle),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let reply = send(&app, get_accept("/id/org/ancienne", BROWSER)).await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.header(header::LOCATION), "/id/org/nouvelle");
}

#[tokio::test]
async fn pages_of_known_classes_show_the_answers_of_their_named_queries() {
    let app = app();
    let page = send(&app, get_accept(SEMINAR_PATH, BROWSER)).await.text();
    // The seminar: its programme with speakers, job titles and institutions, linked.
    assert!(page.contains("Programme et intervenants"), "{page}");
    assert!(
        page.contains("<a href=\"&#x2f;id&#x2f;org&#x2f;pma\">"),
        "{page}"
    );
    assert!(page.contains("Documents partagés"));
    assert!(page.contains("Recommandations des ateliers"));
    assert!(page.contains("Aucune recommandation enregistrée pour cet atelier"));
    // A territory: its seminars and SDG coverage, by scale.
    let page = send(&app, get_accept("/id/territory/epci/246200299", BROWSER))
        .await
        .text();
    assert!(page.contains("Séminaires sur ce territoire"));
    assert!(page.contains("actions à une échelle plus large"));
    // A theme: what addresses it, and its SDG mapping with its status (proposed).
    let page = send(&app, get_accept("/id/theme/ilots-de-chaleur", BROWSER))
        .await
        .text();
    assert!(page.contains("Ce qui traite de ce thème"));
    assert!(page.contains("proposé"), "{page}");
    // A class with no section: the generic view alone.
    let page = send(&app, get_accept("/id/place/louvre-lens-vallee", BROWSER))
        .await
        .text();
    assert!(!page.contains("id=\"vue-1\""));
    assert!(page.contains("Description"));
}

#[tokio::test]
async fn every_class_of_the_model_has_its_domain_view() {
    let app = app();
    // (page, what its domain view must show)
    let cases: [(&str, &[&str]); 7] = [
        (
            SEMINAR_PATH,
            &[
                "Dans la série",
                "Séminaire territorial du Lab des transitions - Communauté urbaine de Dunkerque",
                "Objectifs et cibles ODD de ses thèmes",
                "Objectifs et cibles ODD des actions qui y ont été présentées",
                "Étude de surchauffe urbaine de l&#x27;AULA",
                "Questions posées aux ateliers",
                "implication citoyenne",
                // The summary: the date as French writes it, the place, the organiser.
                "1er décembre 2022",
                "Louvre Lens Vallée",
            ],
        ),
        (
            "/id/person/sandrine-joffres",
            &["Interventions", "Atelier B"],
        ),
        (
            "/id/org/cabbalr",
            &["Intervenants pour cette institution", "Sandrine Joffres"],
        ),
        (
            "/id/action/pat-cabbalr",
            &["Objectifs et cibles ODD de cette action", "déduit"],
        ),
        (
            "/id/territory/epci/200072460",
            &[
                "Sur ce territoire",
                "Projet alimentaire territorial (PAT) de la CABBALR",
                "QPV",
            ],
        ),
        (
            "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F2",
            &[
                "Ce qui est relié à cet objectif ou à ses cibles",
                "Correspondance proposée entre les thèmes de la transition et les cibles ODD",
                "Actions liées à cet objectif, en détail",
            ],
        ),
        (
            "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F2.4",
            &["Ce qui est relié à cette cible", "déduit", "proposé"],
        ),
    ];
    for (path, shown) in cases {
        let reply = send(&app, get_accept(path, BROWSER)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let page = reply.text();
        for text in shown {
            assert!(page.contains(text), "{path}: no {text:?} in\n{page}");
        }
        // Each section opens its query, bound as the page ran it, in the query page.
        assert!(page.contains("&#x2f;sparql#query="), "{path}");
    }
}

#[tokio::test]
async fn iris_outside_the_base_that_the_store_describes_have_pages_too() {
    let app = app();
    let target = "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F2.4";
    // The territory's page links an SDG goal to its page here, not to the UN's server.
    let page = send(&app, get_accept("/id/territory/epci/200072460", BROWSER))
        .await
        .text();
    assert!(
        page.contains("&#x2f;resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F2\""),
        "{page}"
    );
    // The UN's texts in French and English.
    let reply = send(&app, get_accept(target, BROWSER)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.text();
    assert!(
        page.contains("Cible 2.4") && page.contains("Target 2.4"),
        "{page}"
    );
    // Its RDF, by ?format= (no suffix on a query string).
    let reply = send(&app, get(&format!("{target}&format=ttl"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.header(header::CONTENT_LOCATION),
        format!("{target}&format=ttl")
    );
    let triples = parse_graph(&reply.body, RdfFormat::Turtle);
    assert!(
        triples
            .iter()
            .any(|t| t.predicate.as_str() == "http://www.w3.org/2004/02/skos/core#notation")
    );
    // An IRI under the base moves to its /id/ path; the others get their status.
    let reply = send(&app, get(&format!("/resource?iri={}", encode(SEMINAR)))).await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.header(header::LOCATION), SEMINAR_PATH);
    for (uri, status) in [
        ("/resource", StatusCode::BAD_REQUEST),
        ("/resource?iri=not%20an%20iri", StatusCode::BAD_REQUEST),
        (
            "/resource?iri=http%3A%2F%2Fexample.org%2Fnothing",
            StatusCode::NOT_FOUND,
        ),
        (&format!("{target}&format=docx"), StatusCode::BAD_REQUEST),
    ] {
        let reply = send(&app, get_accept(uri, BROWSER)).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.text());
    }
}

#[tokio::test]
async fn the_home_page_leads_to_paged_lists() {
    let app = app();
    let home = send(&app, get_accept("/", BROWSER)).await.text();
    for list in ["seminars", "institutions", "territories", "themes", "sdg"] {
        assert!(home.contains(&format!("href=\"/lists/{list}\"")), "{home}");
        let reply = send(&app, get_accept(&format!("/lists/{list}"), BROWSER)).await;
        assert_eq!(reply.status, StatusCode::OK, "{list}");
        assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
    }
    // The 17 goals, in their order, each linked to its page here.
    let sdg = send(&app, get_accept("/lists/sdg", BROWSER)).await.text();
    assert_eq!(sdg.matches("<tr>").count(), 1 + 17, "{sdg}");
    let first = sdg.find("Pas de pauvreté").unwrap();
    let last = sdg
        .find("Partenariats pour la réalisation des objectifs")
        .unwrap();
    assert!(first < last);
    // Seminars, latest first, linked to their pages.
    let seminars = send(&app, get_accept("/lists/seminars", BROWSER))
        .await
        .text();
    assert!(seminars.contains(SEMINAR_NAME.replace('\'', "&#x27;").as_str()));
    assert!(seminars.contains("&#x2f;id&#x2f;seminar&#x2f;pma-artois-2022-12-01"));
    // Territories run to several pages: rel="next", then the next page, then no more.
    let reply = send(&app, get_accept("/lists/territories", BROWSER)).await;
    assert!(
        reply
            .header(header::LINK)
            .contains("</lists/territories?page=2>; rel=\"next\""),
        "{:?}",
        reply.headers
    );
    let etag = reply.header(header::ETAG).to_owned();
    let again = axum::http::Request::builder()
        .uri("/lists/territories")
        .header(header::ACCEPT, BROWSER)
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, again).await.status, StatusCode::NOT_MODIFIED);
    let second = send(&app, get_accept("/lists/territories?page=2", BROWSER)).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.text().contains("Page 2 sur"));
    for (uri, status) in [
        ("/lists/territories?page=99999", StatusCode::NOT_FOUND),
        ("/lists/territories?page=0", StatusCode::BAD_REQUEST),
        ("/lists/nothing", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            send(&app, get_accept(uri, BROWSER)).await.status,
            status,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn last_modified_answers_if_modified_since_and_moves_with_every_write() {
    let app = app_with(writable());
    let ask = |since: Option<&str>| {
        let mut request = Request::builder()
            .uri(SEMINAR_PATH)
            .header(header::ACCEPT, "text/turtle");
        if let Some(since) = since {
            request = request.header(header::IF_MODIFIED_SINCE, since);
        }
        request.body(Body::empty()).unwrap()
    };
    let reply = send(&app, ask(None)).await;
    let modified = reply.header(header::LAST_MODIFIED).to_owned();
    assert!(modified.ends_with(" GMT"), "{modified}");
    // The same date back: not modified, with the validators; an older one: the body.
    let reply = send(&app, ask(Some(&modified))).await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(reply.header(header::LAST_MODIFIED), modified);
    let reply = send(&app, ask(Some("Sat, 01 Jan 2000 00:00:00 GMT"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    // A 404 is never "not modified".
    let missing = Request::builder()
        .uri("/id/seminar/nothing-here")
        .header(header::IF_MODIFIED_SINCE, &modified)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, missing).await.status, StatusCode::NOT_FOUND);
    // After a write, even within the same second, the old date no longer matches.
    let turtle = "<https://w3id.org/labgraph/id/note/b> <http://schema.org/name> \"Une note\" .";
    let reply = send(
        &app,
        authorized(Method::PUT, "/id/graph/notes", "text/turtle", turtle),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.text());
    let reply = send(&app, ask(Some(&modified))).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn json_ld_is_compacted_with_the_context_and_reads_back_to_the_same_triples() {
    let app = app();
    for path in [
        SEMINAR_PATH,
        "/id/person/guy-chautard",
        "/id/territory/epci/200072460",
        "/resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F2.4",
    ] {
        let jsonld = send(&app, get_accept(path, "application/ld+json")).await;
        assert_eq!(jsonld.status, StatusCode::OK, "{path}");
        let turtle = send(&app, get_accept(path, "text/turtle")).await;
        let from_jsonld = parse_graph(
            &jsonld.body,
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
        );
        let from_turtle = parse_graph(&turtle.body, RdfFormat::Turtle);
        // The same triples (blank nodes aside, whose labels are the parser's).
        let named = |triples: &[oxigraph::model::Triple]| {
            let mut lines: Vec<String> = triples
                .iter()
                .filter(|t| {
                    !t.subject.is_blank_node()
                        && !matches!(t.object, oxigraph::model::Term::BlankNode(_))
                })
                .map(ToString::to_string)
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(from_jsonld.len(), from_turtle.len(), "{path}");
        assert_eq!(named(&from_jsonld), named(&from_turtle), "{path}");
    }
    // The keys are the context's terms, as in the records.
    let json = send(&app, get_accept(SEMINAR_PATH, "application/ld+json"))
        .await
        .json();
    let seminar = json["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["id"] == SEMINAR)
        .unwrap();
    assert_eq!(seminar["startDate"], "2022-12-01");
    assert_eq!(seminar["name"], SEMINAR_NAME);
    assert!(
        seminar["type"]
            .as_array()
            .unwrap()
            .contains(&"Seminar".into())
    );
    assert_eq!(json["@context"]["@language"], "fr");
}

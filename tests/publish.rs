//! What the store publishes as files (issue 16): the dumps (checksums, a round trip of the
//! whole dataset compared by its RDFC-1.0 canonical form), VoID (every figure against a
//! SPARQL COUNT), the catalogue, the sitemap and the feeds over HTTP, in process. The
//! SEMIC shapes, the harvester's fetch, the iCalendar and Atom parsers run against a live
//! server in tests/clients/publish.py (tests/live.rs).

mod common;

use std::io::Read;

use axum::http::{Request, StatusCode, header};
use common::http::{get, get_accept, send};
use labgraph::publish::Publication;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{Dataset, NamedNode, Quad, Term};
use sha2::{Digest, Sha256};

const VOID: &str = "http://rdfs.org/ns/void#";
const SEMINAR: &str = "https://w3id.org/labgraph/id/seminar/pma-artois-2022-12-01";
const DUNKERQUE: &str = "https://w3id.org/labgraph/id/seminar/cud-dunkerque";

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a dataset's RDFC-1.0 canonical N-Quads (sorted lines).
fn rdfc_hash(quads: impl IntoIterator<Item = Quad>) -> (String, usize) {
    let mut dataset: Dataset = quads.into_iter().collect();
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort();
    (hex(&Sha256::digest(lines.concat().as_bytes())), lines.len())
}

#[test]
fn every_dump_matches_its_checksum_and_the_whole_dataset_round_trips() {
    let store = common::store();
    let publication = Publication::of(&store).unwrap();
    let generation = publication.ensure().unwrap();
    let files = &generation.manifest.files;
    let dumps: Vec<&String> = files.keys().filter(|k| k.starts_with("dumps/")).collect();
    // The whole dataset in two formats, and each named graph in two.
    let graphs = store.graphs().unwrap();
    assert_eq!(dumps.len(), 2 + 2 * graphs.len(), "{dumps:?}");
    for (name, info) in files {
        let bytes = std::fs::read(generation.dir.join(name)).unwrap();
        assert_eq!(bytes.len() as u64, info.size, "{name}");
        assert_eq!(hex(&Sha256::digest(&bytes)), info.sha256, "{name}");
        if name.ends_with(".gz") {
            let text = gunzip(&bytes);
            let format = if name.ends_with(".nq.gz") {
                RdfFormat::NQuads
            } else if name.ends_with(".trig.gz") {
                RdfFormat::TriG
            } else {
                RdfFormat::Turtle
            };
            let parsed: Vec<Quad> = RdfParser::from_format(format)
                .for_slice(&text)
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!parsed.is_empty(), "{name} is empty");
            if let Some(graph) = &info.graph {
                let count = graphs
                    .iter()
                    .find(|g| g.graph.to_string() == format!("<{graph}>"))
                    .unwrap()
                    .triples;
                assert_eq!(parsed.len(), count, "{name}");
            }
        }
    }

    // The whole dump, loaded into a fresh Oxigraph store, is the source dataset.
    let whole = gunzip(&std::fs::read(generation.dir.join("dumps/labgraph.nq.gz")).unwrap());
    let fresh = oxigraph::store::Store::new().unwrap();
    fresh
        .load_from_slice(RdfFormat::NQuads, whole.as_slice())
        .unwrap();
    let reloaded = fresh.iter().map(Result::unwrap);
    let source = store.dataset_quads().unwrap().map(Result::unwrap);
    let (source_hash, source_count) = rdfc_hash(source);
    let (reloaded_hash, reloaded_count) = rdfc_hash(reloaded);
    assert_eq!(source_count, reloaded_count);
    assert_eq!(source_hash, reloaded_hash, "RDFC-1.0 hashes differ");
    // The TriG dump is the same dataset.
    let trig = gunzip(&std::fs::read(generation.dir.join("dumps/labgraph.trig.gz")).unwrap());
    let from_trig = RdfParser::from_format(RdfFormat::TriG)
        .for_slice(&trig)
        .map(Result::unwrap);
    assert_eq!(rdfc_hash(from_trig).0, source_hash);
}

/// A number of the VoID description.
fn number(void: &[oxigraph::model::Triple], subject: &Term, property: &str) -> u64 {
    void.iter()
        .find(|t| {
            Term::from(t.subject.clone()) == *subject
                && t.predicate.as_str() == format!("{VOID}{property}")
        })
        .and_then(|t| match &t.object {
            Term::Literal(l) => l.value().parse().ok(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no void:{property} on {subject}"))
}

fn objects(void: &[oxigraph::model::Triple], subject: &Term, property: &str) -> Vec<Term> {
    void.iter()
        .filter(|t| Term::from(t.subject.clone()) == *subject && t.predicate.as_str() == property)
        .map(|t| t.object.clone())
        .collect()
}

fn count(store: &labgraph::store::GraphStore, query: &str) -> u64 {
    let rows = common::select(store, query);
    match rows[0].get("n") {
        Some(Term::Literal(l)) => l.value().parse().unwrap(),
        other => panic!("{other:?} for {query}"),
    }
}

#[test]
fn every_figure_of_void_is_what_a_sparql_count_says() {
    let store = common::store();
    let generation = Publication::of(&store).unwrap().ensure().unwrap();
    let text = std::fs::read(generation.dir.join("void.ttl")).unwrap();
    let void: Vec<oxigraph::model::Triple> = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(&text)
        .map(|q| q.unwrap().into())
        .collect();
    let dataset = Term::from(NamedNode::new_unchecked(
        "https://w3id.org/labgraph/id/dataset/labgraph",
    ));
    let base = store.base().as_str().to_owned();
    // The store's default graph is empty: every quad is in a named graph.
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        ),
        number(&void, &dataset, "triples")
    );
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(ISIRI(?s) && STRSTARTS(STR(?s), \"{base}\")) }}"
            )
        ),
        number(&void, &dataset, "entities")
    );
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        ),
        number(&void, &dataset, "distinctSubjects")
    );
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        ),
        number(&void, &dataset, "properties")
    );
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?s a ?c } }"
        ),
        number(&void, &dataset, "classes")
    );
    let partitions = objects(&void, &dataset, &format!("{VOID}classPartition"));
    assert_eq!(partitions.len() as u64, number(&void, &dataset, "classes"));
    for partition in &partitions {
        let Term::NamedNode(class) = &objects(&void, partition, &format!("{VOID}class"))[0] else {
            panic!()
        };
        assert_eq!(
            count(
                &store,
                &format!(
                    "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a {class} }} }}"
                )
            ),
            number(&void, partition, "entities"),
            "{class}"
        );
    }
    let partitions = objects(&void, &dataset, &format!("{VOID}propertyPartition"));
    assert!(partitions.len() > 50);
    for partition in &partitions {
        let Term::NamedNode(property) = &objects(&void, partition, &format!("{VOID}property"))[0]
        else {
            panic!()
        };
        assert_eq!(
            count(
                &store,
                &format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s {property} ?o }} }}")
            ),
            number(&void, partition, "triples"),
            "{property}"
        );
    }
    // A subset per named graph; the linksets, the UN SDG KOS among them.
    let mut linksets = 0;
    let mut sdg = 0;
    for subset in objects(&void, &dataset, &format!("{VOID}subset")) {
        let kind = objects(&void, &subset, rdf::TYPE.as_str());
        if kind.contains(&Term::from(NamedNode::new_unchecked(format!(
            "{VOID}Linkset"
        )))) {
            linksets += 1;
            let Term::NamedNode(target) =
                &objects(&void, &subset, &format!("{VOID}objectsTarget"))[0]
            else {
                panic!()
            };
            let Term::NamedNode(property) =
                &objects(&void, &subset, &format!("{VOID}linkPredicate"))[0]
            else {
                panic!()
            };
            if target.as_str() == "http://metadata.un.org/sdg/" {
                sdg += 1;
            }
            // VoID's linkset: triples whose subject is in this dataset's URI space and
            // whose object is in the target's, from the data (the provenance, the ontology
            // and the shapes aside), a vocabulary's terms aside.
            let vocabularies: String = labgraph::vocab::PREFIXES
                .iter()
                .filter(|(_, ns)| !ns.is_empty() && *ns != target.as_str())
                .map(|(_, ns)| format!(" && !STRSTARTS(STR(?o), \"{ns}\")"))
                .collect();
            let expected = count(
                &store,
                &format!(
                    "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s {property} ?o }} FILTER(?g NOT IN (<{base}graph/imports>, <{base}graph/ontology>, <{base}graph/shapes>) && STRSTARTS(STR(?s), \"{base}\") && ISIRI(?o) && STRSTARTS(STR(?o), \"{}\") && !STRSTARTS(STR(?o), \"{base}\"){vocabularies}) }}",
                    target.as_str()
                ),
            );
            assert_eq!(
                expected,
                number(&void, &subset, "triples"),
                "{target} {property}"
            );
        } else {
            let Term::NamedNode(graph) = &objects(
                &void,
                &subset,
                "http://www.w3.org/ns/sparql-service-description#name",
            )[0] else {
                panic!()
            };
            assert_eq!(
                count(
                    &store,
                    &format!("SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
                ),
                number(&void, &subset, "triples"),
                "{graph}"
            );
        }
    }
    assert!(sdg >= 2, "the links to the UN SDG KOS are a linkset");
    assert!(linksets > sdg);
    assert!(!objects(&void, &dataset, &format!("{VOID}sparqlEndpoint")).is_empty());
    assert_eq!(
        objects(&void, &dataset, &format!("{VOID}dataDump")).len(),
        2
    );
}

fn app() -> (axum::Router, std::sync::Arc<Publication>) {
    let store = common::store();
    let publication = Publication::of(&store).unwrap();
    let app = labgraph::http::app(store, labgraph::http::Options::default()).unwrap();
    (app, publication)
}

#[tokio::test]
async fn the_catalogue_answers_200_whatever_accept_says_and_never_redirects() {
    let (app, _) = app();
    for (path, media) in [
        ("/catalog.ttl", "text/turtle"),
        ("/catalog.jsonld", "application/ld+json"),
        ("/catalog.rdf", "application/rdf+xml"),
    ] {
        for accept in [
            None,
            Some("text/html"),
            Some("application/json"),
            Some("*/*"),
        ] {
            let request = match accept {
                Some(a) => get_accept(path, a),
                None => get(path),
            };
            let reply = send(&app, request).await;
            assert_eq!(reply.status, StatusCode::OK, "{path} {accept:?}");
            assert!(
                reply.header(header::CONTENT_TYPE).starts_with(media),
                "{path}"
            );
            assert!(reply.headers.get(header::LOCATION).is_none());
        }
        // Its URLs name the server a client reached.
        let reply = send(
            &app,
            Request::get(path)
                .header(header::HOST, "data.example.org")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        let text = reply.text();
        assert!(
            text.contains("http://data.example.org/dumps/labgraph.nq.gz"),
            "{path}"
        );
        assert!(!text.contains(labgraph::publish::ORIGIN));
        // The client's copy is still good: 304.
        let etag = reply.header(header::ETAG).to_owned();
        let again = send(
            &app,
            Request::get(path)
                .header(header::HOST, "data.example.org")
                .header(header::IF_NONE_MATCH, &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    }
    // Every dataset of the Turtle catalogue has an identifier, a title, a landing page and
    // distributions that download.
    let reply = send(&app, get("/catalog.ttl")).await;
    let triples = common::http::parse_graph(&reply.body, RdfFormat::Turtle);
    let datasets: Vec<_> = triples
        .iter()
        .filter(|t| {
            t.predicate == rdf::TYPE
                && t.object.to_string() == "<http://www.w3.org/ns/dcat#Dataset>"
        })
        .map(|t| t.subject.clone())
        .collect();
    assert_eq!(datasets.len(), 7);
    let value = |s: &oxigraph::model::NamedOrBlankNode, p: &str| -> Vec<Term> {
        triples
            .iter()
            .filter(|t| t.subject == *s && t.predicate.as_str() == p)
            .map(|t| t.object.clone())
            .collect()
    };
    for dataset in &datasets {
        assert_eq!(
            value(dataset, "http://purl.org/dc/terms/identifier").len(),
            1,
            "{dataset}"
        );
        assert_eq!(
            value(dataset, "http://purl.org/dc/terms/title").len(),
            2,
            "{dataset}"
        );
        assert_eq!(
            value(dataset, "http://purl.org/dc/terms/modified").len(),
            1,
            "{dataset}"
        );
        assert_eq!(
            value(dataset, "http://www.w3.org/ns/dcat#landingPage").len(),
            1,
            "{dataset}"
        );
        let distributions = value(dataset, "http://www.w3.org/ns/dcat#distribution");
        assert!(distributions.len() >= 3, "{dataset}");
        for distribution in distributions {
            let Term::NamedNode(d) = distribution else {
                panic!()
            };
            let d = oxigraph::model::NamedOrBlankNode::from(d);
            let Term::NamedNode(url) = &value(&d, "http://www.w3.org/ns/dcat#accessURL")[0] else {
                panic!()
            };
            let path = url.as_str().strip_prefix("http://localhost").unwrap();
            if path.starts_with("/dumps/") {
                let dump = send(&app, get(path)).await;
                assert_eq!(dump.status, StatusCode::OK, "{path}");
                let Term::Literal(size) = &value(&d, "http://www.w3.org/ns/dcat#byteSize")[0]
                else {
                    panic!()
                };
                assert_eq!(dump.body.len().to_string(), size.value(), "{path}");
            }
        }
    }
}

#[tokio::test]
async fn a_dump_is_served_by_ranges_with_its_digest_and_validators() {
    let (app, publication) = app();
    let whole = send(&app, get("/dumps/graph/themes.ttl.gz")).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.header(header::CONTENT_TYPE), "application/gzip");
    let digest = hex(&Sha256::digest(&whole.body));
    assert_eq!(whole.header(header::ETAG), format!("\"{digest}\""));
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&whole.body));
    assert_eq!(
        whole.header(header::HeaderName::from_static("repr-digest")),
        format!("sha-256=:{b64}:")
    );
    assert!(!whole.header(header::LAST_MODIFIED).is_empty());
    let info = &publication.current().unwrap().manifest.files["dumps/graph/themes.ttl.gz"];
    assert_eq!(info.sha256, digest);
    // A range.
    let part = send(
        &app,
        Request::get("/dumps/graph/themes.ttl.gz")
            .header(header::RANGE, "bytes=10-19")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&part.body[..], &whole.body[10..20]);
    assert!(
        part.header(header::CONTENT_RANGE)
            .starts_with("bytes 10-19/")
    );
    // The client's copy: 304, by ETag or by date.
    let cached = send(
        &app,
        Request::get("/dumps/graph/themes.ttl.gz")
            .header(header::IF_NONE_MATCH, format!("\"{digest}\""))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    let since = send(
        &app,
        Request::get("/dumps/graph/themes.ttl.gz")
            .header(
                header::IF_MODIFIED_SINCE,
                whole.header(header::LAST_MODIFIED),
            )
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(since.status, StatusCode::NOT_MODIFIED);
    let conditional = |headers: &[(header::HeaderName, String)]| {
        let mut request = Request::get("/dumps/graph/themes.ttl.gz");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.body(axum::body::Body::empty()).unwrap()
    };
    // A download resumed on another version gets the whole file; on this one, the rest.
    let stale = send(
        &app,
        conditional(&[
            (header::RANGE, "bytes=10-19".into()),
            (header::IF_RANGE, "\"0000\"".into()),
        ]),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body, whole.body);
    let fresh = send(
        &app,
        conditional(&[
            (header::RANGE, "bytes=10-19".into()),
            (header::IF_RANGE, format!("\"{digest}\"")),
        ]),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::PARTIAL_CONTENT);
    let dated = send(
        &app,
        conditional(&[
            (header::RANGE, "bytes=10-19".into()),
            (header::IF_RANGE, "Mon, 01 Jan 2001 00:00:00 GMT".into()),
        ]),
    )
    .await;
    assert_eq!(dated.status, StatusCode::OK);
    // If-Match on another version: 412. If-None-Match on another version: the file,
    // whatever If-Modified-Since says.
    let other = send(&app, conditional(&[(header::IF_MATCH, "\"0000\"".into())])).await;
    assert_eq!(other.status, StatusCode::PRECONDITION_FAILED);
    let changed = send(
        &app,
        conditional(&[
            (header::IF_NONE_MATCH, "\"0000\"".into()),
            (
                header::IF_MODIFIED_SINCE,
                whole.header(header::LAST_MODIFIED).to_owned(),
            ),
        ]),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    // An unknown dump names the real ones.
    let missing = send(&app, get("/dumps/graph/nothing.ttl.gz")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.text().contains("graph/themes.ttl.gz"),
        "{}",
        missing.text()
    );
}

#[test]
fn a_write_publishes_new_files_and_keeps_the_previous_ones_until_the_next() {
    let store = common::store();
    let publication = Publication::of(&store).unwrap();
    let first = publication.ensure().unwrap();
    let graph = NamedNode::new_unchecked("https://w3id.org/labgraph/id/graph/extra");
    let write = |n: u32| {
        store
            .store_graph(
                graph.as_ref().into(),
                vec![oxigraph::model::Triple::new(
                    NamedNode::new_unchecked(format!("https://w3id.org/labgraph/id/note/{n}")),
                    NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#label"),
                    oxigraph::model::Literal::new_simple_literal(format!("note {n}")),
                )],
                false,
                "test",
            )
            .unwrap()
    };
    write(1);
    publication.settle();
    let second = publication.current().unwrap();
    assert_ne!(first.dir, second.dir);
    assert!(
        second
            .manifest
            .files
            .contains_key("dumps/graph/extra.nq.gz")
    );
    assert!(second.manifest.modified > first.manifest.modified);
    // The previous generation is still on disk (a request that took it just before the
    // switch finds its files).
    assert!(first.dir.join("dumps/labgraph.nq.gz").exists());
    // Each page's lastmod is its own graphs': the seminar's has not moved, the new
    // resource's is the write's.
    let lastmod = |dir: &std::path::Path, page: &str| -> String {
        let sitemap = std::fs::read_to_string(dir.join("sitemap.xml")).unwrap();
        let at = sitemap
            .find(&format!("/id/{page}</loc><lastmod>"))
            .unwrap_or_else(|| panic!("{page} is not in the sitemap"));
        let rest = &sitemap[at..];
        let start = rest.find("<lastmod>").unwrap() + "<lastmod>".len();
        rest[start..start + rest[start..].find('<').unwrap()].to_owned()
    };
    let seminar = "seminar/pma-artois-2022-12-01";
    assert_eq!(lastmod(&first.dir, seminar), lastmod(&second.dir, seminar));
    assert!(lastmod(&second.dir, seminar) < second.manifest.modified);
    assert_eq!(lastmod(&second.dir, "note/1"), second.manifest.modified);
    write(2);
    publication.settle();
    let third = publication.current().unwrap();
    assert!(
        !first.dir.exists(),
        "the generation before the previous is removed"
    );
    assert!(second.dir.exists());
    assert!(third.dir.exists());
}

#[tokio::test]
async fn void_is_negotiated_and_the_service_description_points_to_it() {
    let (app, _) = app();
    for (accept, media) in [
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
    ] {
        let reply = send(&app, get_accept("/.well-known/void", accept)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert!(
            reply.header(header::CONTENT_TYPE).starts_with(media),
            "{accept}"
        );
        assert_eq!(reply.header(header::VARY), "Accept");
    }
    let described = send(&app, get_accept("/sparql", "text/turtle")).await;
    assert!(
        described.text().contains("/.well-known/void>"),
        "{}",
        described.text()
    );
}

#[tokio::test]
async fn the_sitemap_lists_every_seminar_page_with_its_modification_and_robots_names_it() {
    let (app, publication) = app();
    let reply = send(&app, get("/sitemap.xml")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = reply.text();
    for seminar in [SEMINAR, DUNKERQUE] {
        let page = seminar.replace("https://w3id.org/labgraph/id/", "http://localhost/id/");
        assert!(
            text.contains(&format!("<loc>{page}</loc><lastmod>")),
            "{page}"
        );
    }
    let modified = &publication.current().unwrap().manifest.modified;
    assert!(text.contains(&format!("<lastmod>{modified}</lastmod>")));
    let robots = send(&app, get("/robots.txt")).await.text();
    assert!(robots.contains("Sitemap: http://localhost/sitemap.xml"));
    assert!(robots.contains("Disallow: /sparql"));
}

#[tokio::test]
async fn the_calendars_follow_territories_themes_and_goals_and_refuse_unknown_ones() {
    let (app, _) = app();
    let events = |text: &str| text.matches("BEGIN:VEVENT").count();
    let all = send(&app, get("/feeds/seminaires.ics")).await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(
        all.header(header::CONTENT_TYPE)
            .starts_with("text/calendar")
    );
    let text = all.text();
    assert_eq!(events(&text), 1, "{text}");
    assert!(text.contains(&format!("UID:{SEMINAR}")));
    assert!(text.contains("DTSTART;VALUE=DATE:20221201"));
    assert!(!text.contains("TZID"));
    // Dunkerque has no date: left out, and said so.
    assert!(!text.contains(&format!("UID:{DUNKERQUE}")));
    // (The calendar's own description, not an event's: the seminar's text names
    // Dunkerque too.)
    let unfolded = text.replace("\r\n ", "");
    let description = unfolded
        .lines()
        .find(|l| l.starts_with("X-WR-CALDESC:"))
        .unwrap();
    assert!(
        description.contains("Left out for want of a known date"),
        "{description}"
    );
    assert!(
        description.contains("/id/seminar/cud-dunkerque"),
        "{description}"
    );
    // The same bytes at the next fetch: stable UID and DTSTAMP.
    let again = send(
        &app,
        Request::get("/feeds/seminaires.ics")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.body, all.body);
    for (path, expected) in [
        // Lens, in the Pôle métropolitain de l'Artois; the Hauts-de-France region, which
        // contains it; Paris, which does neither.
        ("/feeds/seminaires/territoire/commune/62498.ics", 1),
        ("/feeds/seminaires/territoire/region/32.ics", 1),
        ("/feeds/seminaires/territoire/commune/75056.ics", 0),
        ("/feeds/seminaires/theme/sante.ics", 1),
        ("/feeds/seminaires/odd/11.ics", 1),
        ("/feeds/seminaires/odd/5.ics", 0),
    ] {
        let reply = send(&app, get(path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(events(&reply.text()), expected, "{path}");
    }
    for (path, says) in [
        (
            "/feeds/seminaires/territoire/commune/99999.ics",
            "territory/commune/99999",
        ),
        ("/feeds/seminaires/theme/nothing.ics", "theme/nothing"),
        ("/feeds/seminaires/odd/18.ics", "sdg/18"),
        ("/feeds/seminaires/odd/1.1.ics", "sdg/1.1"),
        ("/feeds/nothing.ics", "the feeds are"),
        ("/feeds/seminaires/place/lens.ics", "the feeds are"),
    ] {
        let reply = send(&app, get(path)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.text().contains(says), "{path}: {}", reply.text());
    }
    // A seminar's page, as a calendar.
    let path = SEMINAR.replace("https://w3id.org/labgraph/id/", "/id/");
    for request in [
        get(&format!("{path}.ics")),
        get(&format!("{path}?format=ics")),
        get_accept(&path, "text/calendar, text/html;q=0.5"),
    ] {
        let reply = send(&app, request).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply
                .header(header::CONTENT_TYPE)
                .starts_with("text/calendar")
        );
        assert_eq!(events(&reply.text()), 1);
    }
    let not_a_seminar = send(&app, get("/id/org/irev.ics")).await;
    assert_eq!(not_a_seminar.status, StatusCode::NOT_FOUND);
    let html = send(&app, get_accept(&path, "text/html")).await;
    assert!(html.header(header::CONTENT_TYPE).starts_with("text/html"));
}

#[tokio::test]
async fn the_atom_feed_lists_what_was_imported() {
    let (app, _) = app();
    let reply = send(&app, get("/feeds/nouveautes.atom")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header(header::CONTENT_TYPE)
            .starts_with("application/atom+xml")
    );
    let feed: atom_syndication::Feed = reply.text().parse().unwrap();
    let ids: Vec<&str> = feed.entries().iter().map(|e| e.id()).collect();
    assert!(ids.contains(&SEMINAR), "{ids:?}");
    assert!(ids.iter().any(|id| id.contains("/resource/")), "{ids:?}");
    assert!(feed.links().iter().any(|l| l.rel() == "self"));
}

#[test]
fn a_seminar_record_joins_the_seminars_and_a_person_record_the_actors() {
    let store = common::store_without_gate();
    let base = "https://w3id.org/labgraph/id/";
    let a = |s: &str, class: &str| {
        oxigraph::model::Triple::new(
            NamedNode::new_unchecked(format!("{base}{s}")),
            rdf::TYPE,
            NamedNode::new_unchecked(class),
        )
    };
    let write = |graph: &str, triples: Vec<oxigraph::model::Triple>| {
        let graph = NamedNode::new_unchecked(format!("{base}graph/{graph}"));
        store
            .store_graph(graph.as_ref().into(), triples, false, "test")
            .unwrap();
    };
    // One seminar with one institution: a seminar's record.
    write(
        "seminaire-x",
        vec![
            a("seminar/x", "https://w3id.org/labgraph/def#Seminar"),
            a("org/x", "http://schema.org/Organization"),
        ],
    );
    write(
        "personne-y",
        vec![a("person/y", "http://schema.org/Person")],
    );
    let generation = Publication::of(&store).unwrap().ensure().unwrap();
    let text = std::fs::read(generation.dir.join("catalog.nt")).unwrap();
    let catalog: Vec<oxigraph::model::Triple> = RdfParser::from_format(RdfFormat::NTriples)
        .for_slice(&text)
        .map(|q| q.unwrap().into())
        .collect();
    let distributions_of = |dataset: &str| -> Vec<String> {
        catalog
            .iter()
            .filter(|t| {
                t.subject.to_string() == format!("<{base}dataset/{dataset}>")
                    && t.predicate.as_str() == "http://www.w3.org/ns/dcat#distribution"
            })
            .map(|t| t.object.to_string())
            .collect()
    };
    let has = |dataset: &str, dump: &str| {
        distributions_of(dataset)
            .iter()
            .any(|d| d.contains(&format!("/dumps/graph/{dump}.nq.gz")))
    };
    assert!(has("seminaires", "seminaire-x"));
    assert!(!has("acteurs", "seminaire-x"));
    assert!(has("acteurs", "personne-y"));
    assert!(!has("seminaires", "personne-y"));
}

//! The text index: French and English words as people type them, every kind of write
//! followed, `SERVICE lg:search` joined with the rest of a query.

mod common;

use common::{select, store};
use labgraph::search::{Request, TextIndex};
use labgraph::store::GraphStore;

fn found(store: &GraphStore, text: &str) -> Vec<String> {
    TextIndex::of(store)
        .unwrap()
        .search(&Request::new(text, 20))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.iri.trim_start_matches(store.base().as_str()).to_owned())
        .collect()
}

#[test]
fn accents_case_plurals_and_elisions_are_one_word() {
    let store = store();
    for text in [
        "îlots de chaleur",
        "ILOTS DE CHALEUR",
        "îlot de chaleur",
        "ilots chaleur",
    ] {
        let hits = found(&store, text);
        assert_eq!(
            hits.first().map(String::as_str),
            Some("theme/ilots-de-chaleur"),
            "{text}: {hits:?}"
        );
    }
    // One word: the theme, and the QPV "Quartier 3 ilôts" (its accent misplaced).
    let hits = found(&store, "ilot");
    assert!(
        hits[..3].contains(&"theme/ilots-de-chaleur".to_owned()),
        "{hits:?}"
    );
    assert!(
        hits.contains(&"territory/qpv/QN06209M".to_owned()),
        "{hits:?}"
    );
    // Words, not substrings: "PAT" is not in "participation".
    assert!(
        found(&store, "PAT").iter().all(|h| !h.contains("particip")),
        "{:?}",
        found(&store, "PAT")
    );
    let hits = found(&store, "mobilités");
    assert!(hits.iter().any(|h| h == "theme/mobilite"), "{hits:?}");
    // "l'énergie", with either apostrophe, finds the texts on energy.
    for text in ["l'énergie", "l’energie", "énergie"] {
        let hits = found(&store, text);
        assert!(
            hits.iter().any(|h| h.ends_with("sdg/7.2")),
            "{text}: {hits:?}"
        );
    }
}

/// Every kind of write is followed: an import, a SPARQL INSERT and DELETE, a Graph Store
/// PUT and DELETE, a rollback, a bulk load; and the index records the generation it
/// reflects.
#[test]
fn the_index_follows_every_kind_of_write() {
    // On disk: a rollback reads the kept content of versions, and the index is a folder.
    let folder = tempfile::tempdir().unwrap();
    let store = labgraph::import::open(&folder.path().join("store"), common::base()).unwrap();
    let index = TextIndex::of(&store).unwrap();
    // Built at its first use, in the store's folder.
    assert_eq!(index.generation().unwrap(), store.generation().unwrap());
    assert!(
        folder
            .path()
            .join("store")
            .join(labgraph::search::FOLDER)
            .is_dir()
    );
    let update = |text: &str| {
        store
            .update(store.prepare_update(text).unwrap(), None, "test", None)
            .unwrap();
    };
    let name = |who: &str, name: &str| {
        format!(
            "INSERT DATA {{ GRAPH <graph/{who}> {{ <person/{who}> a schema:Person ; schema:name \"{name}\" ; dct:source <https://example.org/{who}> }} }}"
        )
    };
    // SPARQL Update: INSERT, then DELETE.
    update(&name("w1", "Zéphyrine Quenouille"));
    assert_eq!(found(&store, "zephyrine"), ["person/w1"]);
    assert_eq!(index.generation().unwrap(), store.generation().unwrap());
    update("DELETE WHERE { GRAPH <graph/w1> { ?s ?p ?o } }");
    assert!(found(&store, "zephyrine").is_empty());
    // The Graph Store Protocol: PUT, then DELETE.
    let graph = store.base().local("graph/w2");
    let triples = vec![oxigraph::model::Triple::new(
        store.base().local("person/w2"),
        oxigraph::model::NamedNode::new("http://schema.org/name").unwrap(),
        oxigraph::model::Literal::new_language_tagged_literal("Anatole Verveine", "fr").unwrap(),
    )];
    store
        .store_graph(graph.as_ref().into(), triples, true, "test")
        .unwrap();
    assert_eq!(found(&store, "verveine"), ["person/w2"]);
    store.delete_graph(graph.as_ref().into(), "test").unwrap();
    assert!(found(&store, "verveine").is_empty());
    // An import, a second one that changes the name, and the rollback to the first.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w3.ttl");
    let import = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let sources =
            labgraph::import::plan(std::slice::from_ref(&file), None, None, store.base()).unwrap();
        let parsed = labgraph::import::parse_all(sources, store.base()).unwrap();
        store.replace_graphs(&parsed, Default::default()).unwrap();
    };
    let person = |name: &str| {
        format!(
            "<https://w3id.org/labgraph/id/person/w3> a <http://schema.org/Person> ; <http://schema.org/name> \"{name}\" ; <http://purl.org/dc/terms/source> <https://example.org/w3> .\n"
        )
    };
    import(&person("Clothilde Marjolaine"));
    assert_eq!(found(&store, "marjolaine"), ["person/w3"]);
    import(&person("Clothilde Pimprenelle"));
    assert!(found(&store, "marjolaine").is_empty());
    assert_eq!(found(&store, "pimprenelle"), ["person/w3"]);
    store
        .rollback(&store.base().local("graph/w3"), true)
        .unwrap();
    assert_eq!(found(&store, "marjolaine"), ["person/w3"]);
    assert!(found(&store, "pimprenelle").is_empty());
    // The bulk path.
    let nt = dir.path().join("w4.nt");
    std::fs::write(
        &nt,
        "<https://w3id.org/labgraph/id/person/w4> <http://schema.org/name> \"Barnabé Zinzolin\" .\n",
    )
    .unwrap();
    let sources =
        labgraph::import::plan(std::slice::from_ref(&nt), None, None, store.base()).unwrap();
    store.bulk_load(&sources, &Default::default()).unwrap();
    assert_eq!(found(&store, "zinzolin"), ["person/w4"]);
    assert_eq!(index.generation().unwrap(), store.generation().unwrap());
    // Opened again, the index reflects the store and is kept; written to while it was not
    // attached (a store written by another tool), it is rebuilt.
    let path = folder.path().join("store");
    drop((index, store));
    let store = labgraph::import::open(&path, common::base()).unwrap();
    assert_eq!(found(&store, "zinzolin"), ["person/w4"]);
    drop(store);
    let raw = labgraph::store::GraphStore::open(&path, common::base()).unwrap();
    raw.update(
        raw.prepare_update(&name("w5", "Philémon Capucine"))
            .unwrap(),
        None,
        "test",
        None,
    )
    .unwrap();
    drop(raw);
    let store = labgraph::import::open(&path, common::base()).unwrap();
    assert_eq!(found(&store, "capucine"), ["person/w5"]);
}

/// A text of a blank node (a speaker's role) belongs to the resource that reaches it, and
/// leaves with it.
#[test]
fn the_text_of_a_blank_node_is_its_owner_s() {
    let store = store();
    let update = |text: &str| {
        store
            .update(store.prepare_update(text).unwrap(), None, "test", None)
            .unwrap();
    };
    update(
        "INSERT DATA { GRAPH <graph/b1> { <person/b1> a schema:Person ; schema:name \"B1\" ; dct:source <https://example.org/b1> ; schema:description [ schema:text \"rapporteuse des ateliers de vannerie\" ] } }",
    );
    assert_eq!(found(&store, "vannerie"), ["person/b1"]);
    update("DELETE WHERE { GRAPH <graph/b1> { ?s ?p ?o } }");
    assert!(found(&store, "vannerie").is_empty());
}

/// The SERVICE's results join the rest of the query: the SDG targets of the theme found
/// by words, through its mapping.
#[test]
fn the_search_service_joins_the_rest_of_a_query() {
    let store = store();
    let rows = select(
        &store,
        r#"SELECT ?theme ?score ?target WHERE {
             SERVICE lg:search { ?theme lg:query "îlots de chaleur" ; lg:score ?score ;
                                 lg:type skos:Concept ; lg:limit 3 }
             ?theme lg:sdgMapping/lg:sdgConcept ?target .
           } ORDER BY DESC(?score) ?target"#,
    );
    let theme = store.base().local("theme/ilots-de-chaleur");
    let targets: Vec<String> = rows
        .iter()
        .filter(|r| r["theme"] == theme.clone().into())
        .map(|r| r["target"].to_string())
        .collect();
    assert!(
        targets.contains(&"<http://metadata.un.org/sdg/11.7>".to_owned()),
        "{rows:?}"
    );
    // The words must be in the pattern: a variable is an error that says so.
    let prepared = store
        .prepare("SELECT * WHERE { BIND(\"x\" AS ?q) SERVICE lg:search { ?r lg:query ?q } }")
        .unwrap();
    let error = match store.evaluate(prepared, Vec::new()) {
        Ok(oxigraph::sparql::QueryResults::Solutions(mut s)) => {
            s.next().unwrap().unwrap_err().to_string()
        }
        Ok(_) => panic!("solutions expected"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("must be written in the pattern"), "{error}");
}

/// The named query `search` (CQ11) asks the text index: its example finds the theme first,
/// with its label and the passage found, and a resource only once.
#[test]
fn the_named_query_search_asks_the_index() {
    let store = store();
    let query = labgraph::queries::find("search").unwrap();
    let bindings = query.bindings(&query.example, store.base()).unwrap();
    let prepared = store.prepare(query.text).unwrap();
    let oxigraph::sparql::QueryResults::Solutions(solutions) =
        store.evaluate(prepared, bindings).unwrap()
    else {
        panic!("solutions expected")
    };
    let rows: Vec<_> = solutions.map(Result::unwrap).collect();
    let theme = store.base().local("theme/ilots-de-chaleur");
    assert_eq!(rows[0].get("resource"), Some(&theme.into()));
    assert_eq!(
        rows[0].get("label").map(ToString::to_string).as_deref(),
        Some("\"Îlots de chaleur et surchauffe urbaine\"@fr")
    );
    let snippet = rows[0].get("snippet").unwrap().to_string();
    assert!(snippet.contains("<b>"), "{snippet}");
    let mut resources: Vec<_> = rows
        .iter()
        .map(|r| r.get("resource").unwrap().to_string())
        .collect();
    let all = resources.len();
    resources.sort();
    resources.dedup();
    assert_eq!(resources.len(), all, "one row per resource");
    // Shapes and ontology terms are not the data's.
    assert!(
        rows.iter()
            .all(|r| !r.get("resource").unwrap().to_string().contains("/def#"))
    );
}

mod web {
    use super::common::http::*;
    use axum::http::{Method, StatusCode};

    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    fn search(q: &str) -> String {
        format!("/search?q={}", encode(q))
    }

    #[tokio::test]
    async fn search_answers_json_for_programs_and_a_page_for_browsers() {
        let app = app();
        let reply = send(&app, get(&search("îlots de chaleur"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(
            reply
                .header(axum::http::header::CONTENT_TYPE)
                .starts_with("application/json")
        );
        let json = reply.json();
        let first = &json["results"][0];
        assert_eq!(
            first["iri"],
            "https://w3id.org/labgraph/id/theme/ilots-de-chaleur"
        );
        assert_eq!(first["page"], "/id/theme/ilots-de-chaleur");
        assert!(first["snippet"].as_str().unwrap().contains("<b>"), "{json}");
        assert!(json["total"].as_u64().unwrap() >= 5, "{json}");
        // Paged: the second page starts where the first ends.
        let one = send(
            &app,
            get(&format!("{}&limit=2", search("îlots de chaleur"))),
        )
        .await
        .json();
        let two = send(
            &app,
            get(&format!("{}&limit=2&page=2", search("îlots de chaleur"))),
        )
        .await
        .json();
        assert_eq!(one["results"][1]["iri"], json["results"][1]["iri"]);
        assert_eq!(two["results"][0]["iri"], json["results"][2]["iri"]);
        // Filters: a class; a goal by its number (the resources linked to it or its targets).
        let concepts = send(
            &app,
            get(&format!("{}&type=skos:Concept", search("chaleur"))),
        )
        .await
        .json();
        assert_eq!(concepts["results"][0]["iri"], first["iri"]);
        assert!(concepts["results"].as_array().unwrap().iter().all(|r| {
            r["types"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "http://www.w3.org/2004/02/skos/core#Concept")
        }));
        let goal = send(&app, get(&format!("{}&goal=13", search("chaleur"))))
            .await
            .json();
        assert!(goal["total"].as_u64().unwrap() >= 1, "{goal}");
        let none = send(&app, get(&format!("{}&goal=14", search("chaleur"))))
            .await
            .json();
        assert!(
            none["total"].as_u64().unwrap() < goal["total"].as_u64().unwrap(),
            "{none}"
        );
        // A browser gets the page, with the words in the search box and links to the pages.
        let reply = send(&app, get_accept(&search("îlots de chaleur"), BROWSER)).await;
        assert_eq!(reply.status, StatusCode::OK);
        let page = reply.text();
        assert!(page.contains("<html lang=\"fr\">"));
        assert!(page.contains("<a href=\"&#x2f;id&#x2f;theme&#x2f;ilots-de-chaleur\">Îlots de chaleur et surchauffe urbaine</a>"), "{page}");
        assert!(page.contains("value=\"îlots de chaleur\""), "{page}");
        // Every page's search box leads here.
        let home = send(&app, get_accept("/id/theme/sante", BROWSER))
            .await
            .text();
        assert!(home.contains("action=\"/search\""), "{home}");
    }

    #[tokio::test]
    async fn suggest_answers_json_and_refuses_what_it_cannot_read() {
        let app = app();
        let body = r#"{"title": "Végétaliser les cours d'école", "description": "rafraîchir le quartier pendant les vagues de chaleur"}"#;
        let reply = send(&app, post("/suggest", "application/json", body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let json = reply.json();
        assert!(
            json["suggestions"][0]["target"]
                .as_str()
                .unwrap()
                .starts_with("http://metadata.un.org/sdg/"),
            "{json}"
        );
        assert!(
            json["suggestions"][0]["reasons"][0]["kind"].is_string(),
            "{json}"
        );
        for (content_type, body, status) in [
            (
                "text/plain",
                body.to_owned(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                "application/json",
                "{not json".to_owned(),
                StatusCode::BAD_REQUEST,
            ),
            ("application/json", "{}".to_owned(), StatusCode::BAD_REQUEST),
            (
                "application/json",
                r#"{"title": 3}"#.to_owned(),
                StatusCode::BAD_REQUEST,
            ),
            (
                "application/json",
                r#"{"title": "x", "themes": ["theme/nowhere"]}"#.to_owned(),
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let reply = send(&app, post("/suggest", content_type, body.clone())).await;
            assert_eq!(reply.status, status, "{body}: {}", reply.text());
        }
        // The proposed links of an action, as Turtle.
        let reply = send(
            &app,
            post(
                "/suggest?format=turtle",
                "application/json",
                r#"{"action": "action/ilots-de-chaleur-adulm"}"#,
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(reply.text().contains("lg:assertionMethod lg:suggested"));
    }

    #[tokio::test]
    async fn the_openapi_document_names_every_named_query_and_the_api_page_shows_it() {
        let app = app();
        let doc = send(&app, get("/openapi.json")).await.json();
        assert_eq!(doc["openapi"], "3.1.0");
        for path in [
            "/queries/seminar-speakers",
            "/queries/search",
            "/search",
            "/reconcile",
            "/suggest",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        let speakers = &doc["paths"]["/queries/seminar-speakers"]["get"];
        assert_eq!(speakers["parameters"][0]["name"], "seminar");
        assert_eq!(
            speakers["parameters"][0]["example"],
            "seminar/pma-artois-2022-12-01"
        );
        let page = send(&app, get("/api")).await.text();
        assert!(page.contains("<html lang=\"fr\">"));
        assert!(
            page.contains("<h2><code>GET &#x2f;queries&#x2f;seminar-speakers</code></h2>"),
            "{page}"
        );
    }

    #[tokio::test]
    async fn bad_searches_get_a_400_that_says_why() {
        let app = app();
        for (uri, why) in [
            ("/search".to_owned(), "q is missing"),
            (search("   "), "q is missing"),
            (search(&"é".repeat(10_000)), "longer than 1000"),
            (format!("{}&lang=de", search("x")), "lang is fr or en"),
            (
                format!("{}&theme=theme/nowhere", search("x")),
                "does not describe",
            ),
            (format!("{}&limit=0", search("x")), "limit must be"),
            (format!("{}&kind=everything", search("x")), "kind is data"),
            (format!("{}&format=xml", search("x")), "unknown format"),
        ] {
            let reply = send(&app, get(&uri)).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
            assert!(reply.text().contains(why), "{uri}: {}", reply.text());
        }
        // Query syntax is words like any other: quotes, brackets, operators.
        for q in [
            "\"îlots (de",
            "chaleur AND NOT:*",
            "+-&&||!(){}[]^\"~*?:\\/",
            "l'",
            "de la",
        ] {
            let reply = send(&app, get(&search(q))).await;
            assert_eq!(reply.status, StatusCode::OK, "{q}: {}", reply.text());
        }
    }

    #[tokio::test]
    async fn hostile_labels_are_escaped_in_results_and_snippets() {
        let app = app_with(writable());
        let hostile = r#"Vannerie <script>alert(1)</script>"><img src=x onerror=alert(1)>"#;
        let turtle = format!(
            "<https://w3id.org/labgraph/id/note/x> a <http://schema.org/CreativeWork> ; <http://schema.org/name> {hostile:?} ; <http://schema.org/description> {hostile:?} ."
        );
        let reply = send(
            &app,
            authorized(Method::PUT, "/id/graph/hostile", "text/turtle", turtle),
        )
        .await;
        assert!(reply.status.is_success(), "{}", reply.text());
        let page = send(&app, get_accept(&search("vannerie"), BROWSER))
            .await
            .text();
        assert!(page.contains("note&#x2f;x"), "{page}");
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        let json = send(&app, get(&search("vannerie"))).await.json();
        let snippet = json["results"][0]["snippet"].as_str().unwrap();
        assert!(
            snippet.starts_with("<b>Vannerie</b> &lt;script&gt;"),
            "{snippet}"
        );
    }
}

/// SDG targets suggested for an action, with reasons; nothing for words no target text,
/// theme or action knows; English words find the English texts; proposed links pass the
/// gate as proposals that name the suggester.
#[test]
fn suggestions_come_with_their_reasons_and_are_imported_only_as_proposals() {
    use labgraph::search::suggest::{self, Action, Reason};
    let store = store();
    let index = TextIndex::of(&store).unwrap();
    let ask = |title: &str, description: &str| {
        suggest::suggest(
            &store,
            &index,
            &Action {
                title: title.into(),
                description: description.into(),
                themes_by_words: true,
                ..Action::default()
            },
            10,
        )
        .unwrap()
    };
    let heat = ask(
        "Végétaliser les cours d'école",
        "Planter des arbres et désimperméabiliser pour rafraîchir le quartier pendant les vagues de chaleur",
    );
    let targets: Vec<&str> = heat.suggestions.iter().map(|s| s.target.as_str()).collect();
    assert!(
        targets[..3]
            .iter()
            .any(|t| t.ends_with("/11.7") || t.ends_with("/13.1") || t.ends_with("/11.6")),
        "{targets:?}"
    );
    let first = &heat.suggestions[0];
    assert!(!first.label.is_empty());
    assert!(
        first
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::Theme { status, .. } if status == "proposed")),
        "{first:?}"
    );
    // Words of the UN texts, named.
    let water = ask("Eau potable", "Accès à l'eau potable et à l'assainissement");
    let words = water
        .suggestions
        .iter()
        .flat_map(|s| &s.reasons)
        .find_map(|r| match r {
            Reason::Words { words, .. } => Some(words.clone()),
            _ => None,
        });
    assert!(words.is_some_and(|w| !w.is_empty()), "{water:?}");
    // In English.
    let english = ask(
        "Safe drinking water",
        "universal access to safe and affordable drinking water",
    );
    assert!(
        english
            .suggestions
            .iter()
            .any(|s| s.target.ends_with("/6.1")),
        "{english:?}"
    );
    // Nothing to say: an empty answer that says so.
    let nothing = ask("Réunion", "Xylophone zébré");
    assert!(nothing.suggestions.is_empty(), "{nothing:?}");
    assert!(nothing.note.unwrap().contains("Aucune cible"));
    // The proposed links of an action: imported through the gate as proposals.
    let action = store.base().local("action/ilots-de-chaleur-adulm");
    let (title, description, _) = suggest::read_action(&store, &action).unwrap();
    let suggested = suggest::suggest(
        &store,
        &index,
        &Action {
            title,
            description,
            except: Some(action.clone()),
            ..Action::default()
        },
        10,
    )
    .unwrap();
    let turtle = suggest::proposed_links(&store, &action, &suggested, 3).unwrap();
    assert!(turtle.contains("lg:status lg:proposed"), "{turtle}");
    assert!(
        turtle.contains("lg:assertionMethod lg:suggested"),
        "{turtle}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("propositions.ttl");
    std::fs::write(&file, &turtle).unwrap();
    let sources =
        labgraph::import::plan(std::slice::from_ref(&file), None, None, store.base()).unwrap();
    let parsed = labgraph::import::parse_all(sources, store.base()).unwrap();
    let options = labgraph::store::ImportOptions {
        validated: true,
        dry_run: false,
        shared: true,
    };
    store
        .replace_graphs(&parsed, options)
        .unwrap_or_else(|e| panic!("{e}\n{turtle}"));
    let rows = select(
        &store,
        "SELECT ?t WHERE { GRAPH <graph/propositions> { ?l lg:status lg:proposed ; lg:assertionMethod lg:suggested ; prov:wasAttributedTo <agent/labgraph-suggester> ; lg:sdgConcept ?t } }",
    );
    assert!(!rows.is_empty() && rows.len() <= 3, "{rows:?}");
}

/// A search during a write sees the store before it or after it, never a mixture: 40
/// people renamed together by one update are found all under the old name or all under
/// the new one.
#[test]
fn a_search_during_a_write_sees_it_whole_or_not_at_all() {
    let store = std::sync::Arc::new(store());
    let index = TextIndex::of(&store).unwrap();
    let people: String = (0..40)
        .map(|i| format!("<person/c{i}> a schema:Person ; schema:name \"Ambroisine Alpha {i}\" ; dct:source <https://example.org/c> . "))
        .collect();
    store
        .update(
            store
                .prepare_update(&format!("INSERT DATA {{ GRAPH <graph/c> {{ {people} }} }}"))
                .unwrap(),
            None,
            "test",
            None,
        )
        .unwrap();
    let count = |word: &str| index.search(&Request::new(word, 100)).unwrap().total;
    assert_eq!(count("alpha"), 40);
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for round in 0..12 {
                let (from, to) = if round % 2 == 0 {
                    ("Alpha", "Omega")
                } else {
                    ("Omega", "Alpha")
                };
                let update = format!(
                    "DELETE {{ GRAPH <graph/c> {{ ?p schema:name ?n }} }} INSERT {{ GRAPH <graph/c> {{ ?p schema:name ?m }} }} WHERE {{ GRAPH <graph/c> {{ ?p schema:name ?n FILTER(CONTAINS(?n, \"{from}\")) BIND(REPLACE(?n, \"{from}\", \"{to}\") AS ?m) }} }}"
                );
                store
                    .update(store.prepare_update(&update).unwrap(), None, "test", None)
                    .unwrap();
            }
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    while !writer.is_finished() {
        // One searcher per search: each sees one commit.
        let (alpha, omega) = (count("alpha"), count("omega"));
        assert!([0, 40].contains(&alpha), "alpha {alpha}");
        assert!([0, 40].contains(&omega), "omega {omega}");
        seen.insert(alpha);
    }
    writer.join().unwrap();
    assert_eq!(count("alpha"), 40);
}

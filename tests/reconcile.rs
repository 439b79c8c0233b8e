//! `/reconcile`: the W3C Entity Reconciliation API as OpenRefine speaks it — a recorded
//! exchange replayed, the manifest, suggest, preview, data extension, and bad batches.

mod common;

use axum::http::StatusCode;
use common::http::*;
use serde_json::Value;

fn form(field: &str, value: &Value) -> String {
    format!("{field}={}", encode(&value.to_string()))
}

#[tokio::test]
async fn an_openrefine_exchange_is_answered_as_recorded() {
    let app = app();
    let exchange: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/openrefine/exchange.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let reply = send(
        &app,
        post(
            "/reconcile",
            "application/x-www-form-urlencoded",
            form("queries", &exchange["request"]),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let answers = reply.json();
    for (key, expected) in exchange["expected"].as_object().unwrap() {
        let result = answers[key]["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {answers}"));
        // The shape OpenRefine reads: id, name, type [{id, name}], score, match.
        for candidate in result {
            assert!(
                candidate["id"].is_string() && candidate["name"].is_string(),
                "{candidate}"
            );
            assert!(
                candidate["score"].is_number() && candidate["match"].is_boolean(),
                "{candidate}"
            );
            assert!(
                candidate["type"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|t| t["id"].is_string() && t["name"].is_string())
            );
        }
        match expected["id"].as_str() {
            Some(id) => {
                assert_eq!(result[0]["id"], id, "{key}: {result:#?}");
                assert_eq!(result[0]["match"], expected["match"], "{key}: {result:#?}");
            }
            None => assert!(
                result.iter().all(|c| c["match"] == false),
                "{key}: {result:#?}"
            ),
        }
    }
    // The same batch as a JSON body (the draft toward 1.0) gets the same answers.
    let reply = send(
        &app,
        post(
            "/reconcile",
            "application/json",
            serde_json::json!({"queries": exchange["request"]}).to_string(),
        ),
    )
    .await;
    assert_eq!(reply.json(), answers);
}

#[tokio::test]
async fn the_manifest_suggest_preview_and_extension_answer() {
    let app = app();
    let manifest = send(&app, get("/reconcile")).await.json();
    assert_eq!(manifest["versions"][0], "0.2");
    assert_eq!(manifest["identifierSpace"], "https://w3id.org/labgraph/id/");
    let types: Vec<&str> = manifest["defaultTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for t in [
        "institution",
        "person",
        "epci",
        "commune",
        "qpv",
        "theme",
        "sdg-goal",
        "sdg-target",
    ] {
        assert!(types.contains(&t), "{t}: {types:?}");
    }
    assert!(
        manifest["preview"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/reconcile/preview?id={{id}}")
    );
    // Suggest, as one types: "îlots de ch" completes to the theme.
    let found = send(
        &app,
        get(&format!(
            "/reconcile/suggest/entity?prefix={}&type=theme",
            encode("îlots de ch")
        )),
    )
    .await
    .json();
    assert_eq!(
        found["result"][0]["id"], "https://w3id.org/labgraph/id/theme/ilots-de-chaleur",
        "{found}"
    );
    let found = send(&app, get("/reconcile/suggest/type?prefix=commu"))
        .await
        .json();
    assert_eq!(found["result"][0]["id"], "commune");
    // The preview: a page OpenRefine may frame.
    let reply = send(
        &app,
        get(&format!(
            "/reconcile/preview?id={}",
            encode("https://w3id.org/labgraph/id/territory/commune/62498")
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.text().contains("Lens") && reply.text().contains("62498"),
        "{}",
        reply.text()
    );
    assert!(
        reply
            .header(axum::http::header::CONTENT_SECURITY_POLICY)
            .contains("frame-ancestors *")
    );
    // Data extension: a commune's code and what it is in, with names; a theme's SDG
    // targets with the status of each link.
    let request = serde_json::json!({
        "ids": ["https://w3id.org/labgraph/id/territory/commune/62498", "https://w3id.org/labgraph/id/theme/mobilite"],
        "properties": [{"id": "code"}, {"id": "in"}, {"id": "sdg"}]
    });
    let reply = send(
        &app,
        post(
            "/reconcile",
            "application/x-www-form-urlencoded",
            form("extend", &request),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let extended = reply.json();
    let lens = &extended["rows"]["https://w3id.org/labgraph/id/territory/commune/62498"];
    assert_eq!(lens["code"][0]["str"], "62498");
    assert_eq!(
        lens["in"][0]["id"],
        "https://w3id.org/labgraph/id/territory/epci/246200364"
    );
    assert_eq!(lens["in"][0]["name"], "CA de Lens - Liévin");
    let mobility = &extended["rows"]["https://w3id.org/labgraph/id/theme/mobilite"];
    assert_eq!(
        mobility["sdg"][0]["id"], "http://metadata.un.org/sdg/11.2",
        "{extended}"
    );
    assert_eq!(mobility["sdg"][0]["status"], "proposed");
    assert_eq!(extended["meta"][0]["id"], "code");
    let properties = send(&app, get("/reconcile/properties?type=commune"))
        .await
        .json();
    assert!(properties["properties"].as_array().unwrap().len() >= 5);
}

#[tokio::test]
async fn bad_batches_get_a_clear_status() {
    let app = app();
    let batch = |n: usize| {
        let queries: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    format!("q{i}"),
                    serde_json::json!({"query": format!("Lens {i}"), "type": "commune"}),
                )
            })
            .collect();
        form("queries", &Value::Object(queries))
    };
    // 10,000 rows: 413, with how to send them.
    let reply = send(
        &app,
        post(
            "/reconcile",
            "application/x-www-form-urlencoded",
            batch(10_000),
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("at most 1000"), "{}", reply.text());
    for (body, why) in [
        ("queries=%7Bnot json".to_owned(), "does not parse"),
        (
            form("queries", &serde_json::json!({"q0": {"type": "commune"}})),
            "needs \"query\"",
        ),
        (
            form(
                "queries",
                &serde_json::json!({"q0": {"query": "x", "type": "planet"}}),
            ),
            "unknown type",
        ),
        (
            form(
                "queries",
                &serde_json::json!({"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}),
            ),
            "unknown property",
        ),
        (
            form(
                "extend",
                &serde_json::json!({"ids": ["https://w3id.org/labgraph/id/org/pma"], "properties": [{"id": "colour"}]}),
            ),
            "unknown property",
        ),
    ] {
        let reply = send(
            &app,
            post(
                "/reconcile",
                "application/x-www-form-urlencoded",
                body.clone(),
            ),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text()
        );
        assert!(reply.text().contains(why), "{body}: {}", reply.text());
    }
    // A thousand rows are answered.
    let reply = send(
        &app,
        post(
            "/reconcile",
            "application/x-www-form-urlencoded",
            batch(1_000),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json().as_object().unwrap().len(), 1_000);
}

/// The command line and OpenRefine agree: what `labgraph find` puts first is what
/// `/reconcile` matches, for names, acronyms and codes.
#[tokio::test]
async fn labgraph_find_and_the_reconciliation_service_agree() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let find = |kind: &str, text: &str| -> String {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_labgraph"))
            .arg("--store")
            .arg(&store)
            .args(["find", kind, text])
            .env_remove("LABGRAPH_STORE")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "find {kind} {text}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let first = String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap()
            .to_owned();
        let short = first.split_whitespace().next().unwrap().to_owned();
        match short.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            Some(relative) if !relative.contains(':') => {
                format!("https://w3id.org/labgraph/id/{relative}")
            }
            Some(absolute) => absolute.to_owned(),
            None => short.replacen("sdg:", "http://metadata.un.org/sdg/", 1),
        }
    };
    let app = app();
    for (kind, reconcile_type, text) in [
        ("institution", "institution", "PMA"),
        (
            "institution",
            "institution",
            "Pôle métropolitain de l’Artois",
        ),
        ("institution", "institution", "cerdd"),
        ("territory", "territory", "62498"),
        ("territory", "epci", "CA de Lens - Liévin"),
        ("theme", "theme", "Mobilité"),
    ] {
        let found = find(kind, text);
        let queries = serde_json::json!({"q0": {"query": text, "type": reconcile_type}});
        let answer = send(
            &app,
            post(
                "/reconcile",
                "application/x-www-form-urlencoded",
                form("queries", &queries),
            ),
        )
        .await
        .json();
        let first = &answer["q0"]["result"][0];
        assert_eq!(first["id"], found.as_str(), "{kind} {text}: {answer}");
        assert_eq!(first["match"], true, "{kind} {text}: {answer}");
    }
}

//! `/openapi.json`: the référentiel's API as an OpenAPI 3.1 document, generated from the
//! named queries (each a `GET /queries/{name}` with its typed parameters, its example and
//! its result formats) and the routes of search, reconciliation and suggestion; and `/api`,
//! the same document as a page, readable without JavaScript.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ApiError, Shared};
use crate::format::{Kind, SYNTAXES};
use crate::queries::{self, ParamType};

/// `GET /openapi.json`.
pub async fn document(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let origin = super::resource::origin(&headers);
    let license = state.store.license().ok().flatten();
    let doc = build(&origin, license.as_ref().map(|l| l.as_str()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        doc.to_string(),
    )
        .into_response())
}

/// `GET /api`: the document as a page.
pub async fn page(State(state): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    let origin = super::resource::origin(&headers);
    let license = state.store.license().ok().flatten();
    let doc = build(&origin, license.as_ref().map(|l| l.as_str()))?;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let parameters: Vec<Value> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    json!({
                        "name": p["name"],
                        "type": p["schema"]["type"],
                        "required": p["required"].as_bool().unwrap_or(false),
                        "description": p["description"],
                        "example": p["example"],
                    })
                })
                .collect();
            let example = op["x-example-url"].as_str().map(str::to_owned);
            operations.push(minijinja::context! {
                method => method.to_uppercase(),
                path,
                summary => op["summary"].as_str().unwrap_or_default(),
                description => op["description"].as_str().unwrap_or_default(),
                parameters,
                example,
                body => op["requestBody"]["content"]["application/json"]["example"].to_string(),
                has_body => !op["requestBody"].is_null(),
            });
        }
    }
    let html = crate::pages::api_page(minijinja::context! {
        operations,
        version => env!("CARGO_PKG_VERSION"),
        license => license.map(|l| l.as_str().to_owned()),
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'",
            ),
        ],
        html,
    )
        .into_response())
}

fn kind_schema(kind: ParamType) -> Value {
    match kind {
        ParamType::Iri => json!({ "type": "string", "format": "iri-reference" }),
        ParamType::String => json!({ "type": "string", "minLength": 1, "maxLength": 1000 }),
        ParamType::Date => json!({ "type": "string", "format": "date" }),
        ParamType::Integer => json!({ "type": "integer" }),
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "text/plain": { "schema": { "type": "string" } } }
    })
}

/// The document, for clients reaching this server at `origin`.
pub fn build(origin: &str, license: Option<&str>) -> crate::error::Result<Value> {
    let results: serde_json::Map<String, Value> = SYNTAXES
        .iter()
        .filter(|s| matches!(s.kind, Kind::Results(_)))
        .map(|s| {
            (
                s.media_types[0].to_owned(),
                json!({ "schema": { "type": "string" } }),
            )
        })
        .collect();
    let result_names: Vec<&str> = SYNTAXES
        .iter()
        .filter(|s| matches!(s.kind, Kind::Results(_)))
        .map(|s| s.names[0])
        .collect();
    let mut paths = serde_json::Map::new();
    for q in queries::all()? {
        let mut parameters: Vec<Value> = q
            .params
            .iter()
            .map(|p| {
                let mut param = json!({
                    "name": p.name,
                    "in": "query",
                    "required": false,
                    "description": p.description,
                    "schema": kind_schema(p.kind),
                });
                if let Some((_, v)) = q.example.iter().find(|(k, _)| *k == p.name) {
                    param["example"] = Value::from(v.clone());
                }
                param
            })
            .collect();
        parameters.push(json!({
            "name": "format", "in": "query", "required": false,
            "description": "le format des résultats / the results format (else by Accept)",
            "schema": { "type": "string", "enum": result_names },
        }));
        let example = {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &q.example {
                query.append_pair(k, v);
            }
            let query = query.finish();
            format!(
                "/queries/{}{}{query}",
                q.name,
                if query.is_empty() { "" } else { "?" }
            )
        };
        paths.insert(
            format!("/queries/{}", q.name),
            json!({ "get": {
                "operationId": format!("query-{}", q.name),
                "tags": ["requêtes nommées / named queries"],
                "summary": q.title,
                "description": format!("{}{}\n\n```sparql\n{}\n```",
                    q.title_en.as_deref().map(|t| format!("{t}. ")).unwrap_or_default(),
                    q.answers.as_deref().unwrap_or_default(),
                    q.text.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n").trim()),
                "parameters": parameters,
                "x-example-url": example,
                "responses": {
                    "200": { "description": "les solutions / the solutions", "content": results.clone() },
                    "400": error_response("paramètre invalide / bad parameter"),
                    "406": error_response("format non proposé / format not offered"),
                    "503": error_response("budget de temps dépassé / time budget exceeded"),
                },
            }}),
        );
    }
    let text_param = |name: &str, description: &str, example: Option<&str>| {
        let mut p = json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string", "maxLength": 1000 } });
        if let Some(e) = example {
            p["example"] = Value::from(e);
        }
        p
    };
    let mut q = text_param(
        "q",
        "les mots cherchés / the words",
        Some("îlots de chaleur"),
    );
    q["required"] = Value::Bool(true);
    q["schema"]["minLength"] = Value::from(1);
    paths.insert("/search".into(), json!({ "get": {
        "operationId": "search",
        "tags": ["recherche / search"],
        "summary": "Rechercher par mots",
        "description": "Full-text search: French and English words, accents, case, plurals and elisions ignored; identifiers whole. JSON for programs, a page for browsers (format=html).",
        "parameters": [
            q,
            text_param("type", "une classe (IRI ou lg:Seminar…) / a class", Some("skos:Concept")),
            text_param("theme", "lié à ce thème / linked to this theme", None),
            text_param("territory", "lié à ce territoire ou à ce qu'il contient / linked to this territory", None),
            text_param("goal", "lié à cet ODD (numéro ou IRI) / linked to this SDG", Some("13")),
            { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["data", "ontology", "shapes"] } },
            { "name": "lang", "in": "query", "schema": { "type": "string", "enum": ["fr", "en"] } },
            { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 10000 } },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } },
            { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "html"] } },
        ],
        "x-example-url": "/search?q=%C3%AElots+de+chaleur",
        "responses": {
            "200": { "description": "les résultats / the results", "content": {
                "application/json": { "schema": { "$ref": "#/components/schemas/SearchResults" } },
                "text/html": { "schema": { "type": "string" } },
            }},
            "400": error_response("requête invalide / bad request"),
        },
    }}));
    paths.insert("/reconcile".into(), json!({
        "get": {
            "operationId": "reconcile-manifest",
            "tags": ["réconciliation / reconciliation"],
            "summary": "Manifeste du service de réconciliation (API W3C 0.2), ou les réponses de queries",
            "description": "W3C Entity Reconciliation API 0.2, as OpenRefine speaks it.",
            "parameters": [ text_param("queries", "un lot JSON {\"q0\": {\"query\": …}} / a JSON batch", None) ],
            "x-example-url": "/reconcile",
            "responses": {
                "200": { "description": "le manifeste ou les candidats / the manifest or the candidates", "content": { "application/json": { "schema": { "type": "object" } } } },
                "400": error_response("lot invalide / bad batch"),
                "413": error_response("lot trop grand / batch too large"),
            },
        },
        "post": {
            "operationId": "reconcile",
            "tags": ["réconciliation / reconciliation"],
            "summary": "Réconcilier un lot (queries) ou étendre des données (extend)",
            "requestBody": { "content": {
                "application/x-www-form-urlencoded": { "schema": { "type": "object", "properties": {
                    "queries": { "type": "string", "description": "{\"q0\": {\"query\": \"Lens\", \"type\": \"commune\"}}" },
                    "extend": { "type": "string", "description": "{\"ids\": [IRI], \"properties\": [{\"id\": \"code\"}]}" },
                } } },
                "application/json": { "schema": { "type": "object" }, "example": { "queries": { "q0": { "query": "Lens", "type": "commune", "limit": 3 } } } },
            } },
            "responses": {
                "200": { "description": "les candidats ou les valeurs / candidates or values", "content": { "application/json": { "schema": { "type": "object" } } } },
                "400": error_response("lot invalide / bad batch"),
                "413": error_response("lot trop grand / batch too large"),
            },
        },
    }));
    paths.insert("/reconcile/suggest/{kind}".into(), json!({ "get": {
        "operationId": "reconcile-suggest",
        "tags": ["réconciliation / reconciliation"],
        "summary": "Suggestions à la frappe (entité, type, propriété)",
        "parameters": [
            { "name": "kind", "in": "path", "required": true, "schema": { "type": "string", "enum": ["entity", "type", "property"] } },
            text_param("prefix", "le début tapé / what was typed", Some("îlots de ch")),
            text_param("type", "un type de la réconciliation / a reconciliation type", Some("theme")),
        ],
        "x-example-url": "/reconcile/suggest/entity?prefix=%C3%AElots+de+ch&type=theme",
        "responses": {
            "200": { "description": "les suggestions / the suggestions", "content": { "application/json": { "schema": { "type": "object" } } } },
            "400": error_response("requête invalide / bad request"),
            "404": error_response("service inconnu / unknown service"),
        },
    }}));
    paths.insert("/reconcile/preview".into(), json!({ "get": {
        "operationId": "reconcile-preview",
        "tags": ["réconciliation / reconciliation"],
        "summary": "Aperçu d'une ressource pour OpenRefine",
        "parameters": [ { "name": "id", "in": "query", "required": true, "schema": { "type": "string", "format": "iri" }, "example": format!("{}theme/sante", crate::vocab::DEFAULT_BASE_IRI) } ],
        "x-example-url": "/reconcile/preview?id=https%3A%2F%2Fw3id.org%2Flabgraph%2Fid%2Ftheme%2Fsante",
        "responses": {
            "200": { "description": "l'aperçu / the preview", "content": { "text/html": { "schema": { "type": "string" } } } },
            "400": error_response("requête invalide / bad request"),
            "404": error_response("ressource inconnue / unknown resource"),
        },
    }}));
    paths.insert("/reconcile/properties".into(), json!({ "get": {
        "operationId": "reconcile-properties",
        "tags": ["réconciliation / reconciliation"],
        "summary": "Propriétés de l'extension de données",
        "parameters": [ text_param("type", "un type de la réconciliation / a reconciliation type", Some("commune")) ],
        "x-example-url": "/reconcile/properties?type=commune",
        "responses": {
            "200": { "description": "les propriétés / the properties", "content": { "application/json": { "schema": { "type": "object" } } } },
            "400": error_response("type inconnu / unknown type"),
        },
    }}));
    paths.insert("/suggest".into(), json!({ "post": {
        "operationId": "suggest",
        "tags": ["suggestion ODD / SDG suggestion"],
        "summary": "Cibles ODD suggérées pour une action, avec leurs raisons",
        "description": "Ranked SDG targets, each with why: the words found in the UN text, the theme mapping (with its status), similar actions. Never written: format=turtle gives the proposed links of an action of the référentiel, to import through the gate.",
        "parameters": [ { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "turtle"] } } ],
        "requestBody": { "required": true, "content": { "application/json": {
            "schema": { "$ref": "#/components/schemas/Action" },
            "example": { "title": "Végétaliser les cours d'école", "description": "Désimperméabiliser et planter pour rafraîchir le quartier pendant les vagues de chaleur" },
        } } },
        "responses": {
            "200": { "description": "les cibles suggérées / the suggested targets", "content": {
                "application/json": { "schema": { "type": "object" } },
                "text/turtle": { "schema": { "type": "string" } },
            } },
            "400": error_response("action invalide / bad action"),
            "415": error_response("envoyer du JSON / send JSON"),
        },
    }}));
    let mut info = json!({
        "title": "labgraph — API du référentiel du Lab des transitions (IREV)",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Requêtes nommées (les questions de compétence), recherche, réconciliation (OpenRefine) et suggestion de cibles ODD. / Named queries (the competency questions), search, reconciliation (OpenRefine) and SDG target suggestion.",
    });
    if let Some(license) = license {
        info["license"] = json!({ "name": "Licence Ouverte / Open Licence 2.0", "url": license });
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": info,
        "servers": [ { "url": origin } ],
        "paths": paths,
        "components": { "schemas": {
            "SearchResults": {
                "type": "object",
                "required": ["q", "total", "page", "pages", "limit", "results"],
                "properties": {
                    "q": { "type": "string" },
                    "total": { "type": "integer" },
                    "page": { "type": "integer" },
                    "pages": { "type": "integer" },
                    "limit": { "type": "integer" },
                    "results": { "type": "array", "items": {
                        "type": "object",
                        "required": ["iri", "label", "types", "score", "snippet", "page"],
                        "properties": {
                            "iri": { "type": "string" },
                            "label": { "type": "string" },
                            "language": { "type": "string" },
                            "types": { "type": "array", "items": { "type": "string" } },
                            "score": { "type": "number" },
                            "snippet": { "type": "string", "description": "HTML: escaped text, the matched words in <b>" },
                            "exact": { "type": "boolean" },
                            "page": { "type": "string" },
                        },
                    } },
                },
            },
            "Action": {
                "type": "object",
                "properties": {
                    "title": { "type": "string" },
                    "description": { "type": "string" },
                    "themes": { "type": "array", "items": { "type": "string" } },
                    "action": { "type": "string", "description": "an action of the référentiel (IRI)" },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 50 },
                },
            },
        } },
    }))
}

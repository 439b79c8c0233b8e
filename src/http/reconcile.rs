//! `/reconcile`: the W3C Entity Reconciliation API (version 0.2, the one OpenRefine
//! speaks), so that a partner's spreadsheet of actors, territories and themes is matched
//! to the référentiel's IRIs in OpenRefine.
//!
//! - `GET /reconcile`: the service manifest (types, preview, suggest, extension);
//! - `GET` or `POST /reconcile` with `queries={"q0": {"query": …, "type": …, "limit": …,
//!   "properties": [{"pid": …, "v": …}]}, …}` (a form field, as OpenRefine sends it, or
//!   a JSON body): the candidates of each query;
//! - `POST /reconcile` with `extend={"ids": […], "properties": [{"id": …}]}`: data
//!   extension;
//! - `GET /reconcile/suggest/{entity,type,property}?prefix=…`, `GET
//!   /reconcile/preview?id=…`, `GET /reconcile/properties?type=…`.
//!
//! The matching is `search::reconcile`'s: the text index for candidates, the import
//! pipeline's rules (identifier, acronym, normalised name) for what is a match.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::read_body;
use super::params::Params;
use super::{ApiError, Shared, run};
use crate::search::TextIndex;
use crate::search::reconcile::{self, CONDITIONS, EXTENSIONS, Query, TYPES};

/// The most queries of one batch: beyond, 413 (OpenRefine sends 10 a batch by default).
pub const MOST_QUERIES: usize = 1_000;

/// The largest request body, in bytes.
const LARGEST_BODY: usize = 4 * 1024 * 1024;

fn json_response(value: &Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        value.to_string(),
    )
        .into_response()
}

/// `GET /reconcile`: the manifest, or the answers of `queries`.
pub async fn get(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    answer(&state, &params, &headers).await
}

/// `POST /reconcile`: `queries` or `extend`, as a form (OpenRefine) or a JSON body.
pub async fn post(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(body, LARGEST_BODY).await?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let params = if is_json {
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("the JSON body does not parse: {e}")))?;
        let mut pairs = Vec::new();
        for key in ["queries", "extend"] {
            if let Some(v) = value.get(key) {
                pairs.push((key.to_owned(), v.to_string()));
            }
        }
        if pairs.is_empty() {
            // A bare batch of queries.
            pairs.push(("queries".to_owned(), value.to_string()));
        }
        Params(pairs)
    } else {
        Params::parse(&bytes)
    };
    answer(&state, &params, &headers).await
}

async fn answer(
    state: &Shared,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(queries) = params.one("queries")? {
        let queries = parse_queries(queries)?;
        let budget = Some(state.options.timeout);
        let permit = run::slot(state)?;
        let answers = run::read(state, budget, move |store, token| {
            let _permit = permit;
            let index = TextIndex::of(store)?;
            let mut answers = serde_json::Map::new();
            for (key, query) in queries {
                if token.is_cancelled() {
                    return Err(crate::error::Error::Cancelled);
                }
                let result = reconcile::reconcile(store, &index, &query)?;
                answers.insert(key, json!({ "result": result }));
            }
            Ok(Value::Object(answers))
        })
        .await?;
        return Ok(json_response(&answers));
    }
    if let Some(extend) = params.one("extend")? {
        let request: Value = serde_json::from_str(extend)
            .map_err(|e| ApiError::bad_request(format!("extend does not parse as JSON: {e}")))?;
        let ids: Vec<String> = request["ids"]
            .as_array()
            .ok_or_else(|| ApiError::bad_request("extend needs \"ids\": [IRI, …]"))?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if ids.len() > MOST_QUERIES {
            return Err(too_many(ids.len()));
        }
        let properties: Vec<String> = request["properties"]
            .as_array()
            .ok_or_else(|| ApiError::bad_request("extend needs \"properties\": [{\"id\": …}]"))?
            .iter()
            .filter_map(|p| p["id"].as_str().map(str::to_owned))
            .collect();
        let meta: Vec<Value> = properties
            .iter()
            .map(|p| {
                let name = EXTENSIONS
                    .iter()
                    .find(|e| e.id == p)
                    .map_or(p.as_str(), |e| e.fr);
                json!({ "id": p, "name": name })
            })
            .collect();
        let rows = run::read(state, Some(state.options.timeout), move |store, _| {
            reconcile::extend(store, &ids, &properties)
        })
        .await?;
        return Ok(json_response(&json!({ "meta": meta, "rows": rows })));
    }
    Ok(json_response(&manifest(&super::resource::origin(headers))))
}

fn too_many(count: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "lot trop grand",
        "batch too large",
        format!(
            "{count} queries in one batch; at most {MOST_QUERIES}: send the rows in batches (OpenRefine sends 10 at a time)"
        ),
    )
}

/// The queries of a batch, in order.
fn parse_queries(text: &str) -> Result<Vec<(String, Query)>, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("queries does not parse as JSON: {e}")))?;
    // An object keyed q0, q1… (0.2), or a list (the draft toward 1.0).
    let entries: Vec<(String, Value)> = match value {
        Value::Object(map) => map.into_iter().collect(),
        Value::Array(list) => list
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("q{i}"), v))
            .collect(),
        _ => {
            return Err(ApiError::bad_request(
                "queries is an object {\"q0\": {\"query\": …}, …}",
            ));
        }
    };
    if entries.len() > MOST_QUERIES {
        return Err(too_many(entries.len()));
    }
    entries
        .into_iter()
        .map(|(key, q)| {
            let text = match &q {
                Value::String(s) => s.clone(),
                _ => q["query"].as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_request(format!("{key}: a query needs \"query\": \"text\""))
                })?,
            };
            if text.chars().count() > crate::search::LONGEST_QUERY {
                return Err(ApiError::bad_request(format!(
                    "{key}: the query is longer than {} characters",
                    crate::search::LONGEST_QUERY
                )));
            }
            let types = match &q["type"] {
                Value::String(t) => vec![t.clone()],
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            for t in &types {
                reconcile::type_of(t).map_err(|e| ApiError::bad_request(format!("{key}: {e}")))?;
            }
            let limit = q["limit"].as_u64().map_or(3, |l| l.clamp(1, 100) as usize);
            let mut conditions = Vec::new();
            for p in q["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(q["conditions"].as_array().into_iter().flatten())
            {
                let pid = p["pid"].as_str().unwrap_or_default().to_owned();
                let values = match &p["v"] {
                    Value::Array(vs) => vs.clone(),
                    v => vec![v.clone()],
                };
                for v in values {
                    let v = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Object(o) => o
                            .get("id")
                            .and_then(|i| i.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        _ => continue,
                    };
                    conditions.push((pid.clone(), v));
                }
            }
            Ok((
                key,
                Query {
                    text,
                    types,
                    limit,
                    conditions,
                },
            ))
        })
        .collect()
}

/// The service manifest (Reconciliation API 0.2).
fn manifest(origin: &str) -> Value {
    let service = |path: &str| json!({ "service_url": origin, "service_path": path });
    json!({
        "versions": ["0.2"],
        "name": "labgraph — référentiel du Lab des transitions (IREV)",
        "identifierSpace": crate::vocab::DEFAULT_BASE_IRI,
        "schemaSpace": crate::vocab::LG,
        "defaultTypes": TYPES.iter().map(|t| json!({ "id": t.id, "name": t.fr })).collect::<Vec<_>>(),
        "view": { "url": format!("{origin}/resource?iri={{{{id}}}}") },
        "preview": { "url": format!("{origin}/reconcile/preview?id={{{{id}}}}"), "width": 430, "height": 220 },
        "suggest": {
            "entity": service("/reconcile/suggest/entity"),
            "type": service("/reconcile/suggest/type"),
            "property": service("/reconcile/suggest/property"),
        },
        "extend": {
            "propose_properties": service("/reconcile/properties"),
            "property_settings": [],
        },
        "batchSize": MOST_QUERIES,
    })
}

/// `GET /reconcile/suggest/{entity,type,property}?prefix=…`.
pub async fn suggest(
    State(state): State<Shared>,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let prefix = params.one("prefix")?.unwrap_or_default().to_owned();
    let folded = crate::text::normalise(&prefix);
    let starts = |fr: &str, en: &str, id: &str| {
        [fr, en, id]
            .iter()
            .any(|s| crate::text::normalise(s).starts_with(&folded))
    };
    let result: Vec<Value> = match kind.as_str() {
        "entity" => {
            let types: Vec<String> = params.all("type").map(str::to_owned).collect();
            let found = run::read(&state, Some(state.options.timeout), move |store, _| {
                if prefix.trim().is_empty() {
                    return Ok(Vec::new());
                }
                reconcile::suggest(&*TextIndex::of(store)?, &prefix, &types, 10)
            })
            .await?;
            found
                .into_iter()
                .map(|(id, name, description)| json!({ "id": id, "name": name, "description": description }))
                .collect()
        }
        "type" => TYPES
            .iter()
            .filter(|t| starts(t.fr, t.en, t.id))
            .map(|t| json!({ "id": t.id, "name": t.fr, "description": t.en }))
            .collect(),
        "property" => CONDITIONS
            .iter()
            .chain(EXTENSIONS)
            .filter(|p| starts(p.fr, p.en, p.id))
            .map(|p| json!({ "id": p.id, "name": p.fr, "description": p.en }))
            .collect(),
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "service inconnu",
                "unknown service",
                format!("no suggest service '{other}': entity, type, property"),
            ));
        }
    };
    Ok(json_response(&json!({ "result": result })))
}

/// `GET /reconcile/properties?type=…`: what data extension offers.
pub async fn properties(RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let kind = params.one("type")?.unwrap_or_default().to_owned();
    if !kind.is_empty() {
        reconcile::type_of(&kind)?;
    }
    let properties: Vec<Value> = EXTENSIONS
        .iter()
        .map(|p| json!({ "id": p.id, "name": p.fr }))
        .collect();
    Ok(json_response(
        &json!({ "type": kind, "properties": properties }),
    ))
}

/// `GET /reconcile/preview?id=IRI`: a small page for OpenRefine's preview pane.
pub async fn preview(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let id = params
        .one("id")?
        .ok_or_else(|| ApiError::bad_request("id is missing: /reconcile/preview?id=IRI"))?
        .to_owned();
    let iri = oxigraph::model::NamedNode::new(id.clone())
        .map_err(|e| ApiError::bad_request(format!("id is not an IRI: {e}")))?;
    let html = run::read(&state, Some(state.options.timeout), move |store, _| {
        if !store.describes(&iri)? {
            return Ok(None);
        }
        let rows = reconcile::extend(
            store,
            std::slice::from_ref(&id),
            &[
                "label".into(),
                "type".into(),
                "code".into(),
                "in".into(),
                "page".into(),
            ],
        )?;
        let row = rows.get(&id).cloned().unwrap_or_default();
        let text = |p: &str| -> Vec<String> {
            row.get(p)
                .into_iter()
                .flatten()
                .filter_map(|v| v["str"].as_str().or(v["name"].as_str()).map(str::to_owned))
                .collect()
        };
        crate::pages::preview_page(minijinja::context! {
            label => text("label").first().cloned().unwrap_or_else(|| id.clone()),
            types => text("type").join(", "),
            codes => text("code").join(", "),
            within => text("in").join(", "),
            page => text("page").first().cloned(),
            iri => id,
        })
        .map(Some)
    })
    .await?;
    match html {
        // OpenRefine shows it in a frame of its own page.
        Some(html) => Ok((
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors *",
                ),
            ],
            html,
        )
            .into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ressource inconnue",
            "unknown resource",
            "the référentiel does not describe this IRI".to_owned(),
        )),
    }
}

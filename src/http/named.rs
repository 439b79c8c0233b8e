//! `/queries`: the named queries of `queries/` as a REST API — the list, with their
//! parameters and examples, as JSON; and each query at its own URL, its parameters typed
//! and bound from the query string, answered like any query (`query.rs`).

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::cache::Entry;
use super::params::Params;
use super::query::{Job, answer};
use super::respond::{self, Tag};
use super::{ApiError, Shared};
use crate::queries;

/// `GET /queries`: the named queries, their parameters and examples, as JSON.
pub async fn list_named(
    State(state): State<Shared>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tag = Tag::new(&state, "named-queries");
    respond::cached(&state, &headers, tag, async { list() }).await
}

/// The list of named queries, as JSON.
fn list() -> Result<Entry, ApiError> {
    let list = queries::all()?
        .into_iter()
        .map(|q| {
            serde_json::json!({
                "name": q.name,
                "title": q.title,
                "title_en": q.title_en,
                "answers": q.answers,
                "parameters": q.params.iter().map(|p| serde_json::json!({
                    "name": p.name,
                    "type": format!("{:?}", p.kind).to_lowercase(),
                    "description": p.description,
                })).collect::<Vec<_>>(),
                "example": q.example.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                "url": format!("/queries/{}", q.name),
                "sparql": q.text,
            })
        })
        .collect::<Vec<_>>();
    let body = serde_json::to_vec(&list)
        .map_err(|e| ApiError::internal(&format_args!("the list of named queries: {e}")))?;
    Ok(Entry {
        body: body.into(),
        content_type: "application/json",
        link: None,
    })
}

/// `GET /queries/{name}?param=value…`: a named query with typed parameters.
pub async fn named(
    State(state): State<Shared>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let named = queries::find(&name)?;
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let mut values: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| k != "format")
        .cloned()
        .collect();
    values.sort();
    let bindings = named.bindings(&values, state.store.base())?;
    let job = Job {
        identity: format!("named:{name}?{values:?}"),
        text: named.text.to_owned(),
        bindings,
        dataset: None,
        format: params.format()?.map(str::to_owned),
    };
    answer(&state, job, &headers).await
}

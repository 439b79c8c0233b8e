//! `/sparql`: the SPARQL 1.1 Protocol (query by GET, POST form and POST direct; update
//! by POST), the Service Description, and `/queries`: the named queries as a REST API.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::{CancellationToken, QueryResults, Variable};
use spargebra::GraphUpdateOperation;

use super::body::read_body;
use super::metrics::Outcome;
use super::negotiate::{self, Repr};
use super::params::Params;
use super::{ApiError, AppState, CACHE_HEADER, Shared, auth, cache, page};
use crate::error::Error;
use crate::queries;
use crate::results;
use crate::store::{Controls, DatasetSpec, GraphStore, Prepared};

/// A query to answer: its text (parsed only when the cache cannot answer), parameters,
/// dataset, and the text that identifies it in cache keys and ETags.
struct Job {
    identity: String,
    text: String,
    bindings: Vec<(Variable, Term)>,
    dataset: Option<DatasetSpec>,
    format: Option<String>,
}

/// `GET /sparql`: a query, else the query page for browsers, else the Service Description.
pub async fn get(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    if params.has("update") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "une mise à jour se fait par POST",
            "updates are sent by POST",
            "SPARQL 1.1 Protocol: send the update as application/sparql-update or as a form field 'update' in a POST".into(),
        ));
    }
    match params.one("query")? {
        Some(query) => {
            let query = query.to_owned();
            query_response(&state, &params, query, &headers).await
        }
        // A `format` asks for the Service Description in that format, even from a browser.
        None if !params.has("format") && negotiate::prefers_html(accept(&headers)) => {
            Ok(page::query_page(&state.page))
        }
        None => super::description::service_description(&state, &params, &headers).await,
    }
}

/// `POST /sparql`: a query or an update, as a form or directly in the body.
pub async fn post(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(raw.unwrap_or_default().as_bytes());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(negotiate::content_essence);
    // SPARQL texts are UTF-8 (SPARQL 1.1 Protocol 2.1.2 and 2.2.2); a body declared in
    // another charset is refused rather than misread.
    if let Some(charset) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
        })
        .filter(|c| c != "utf-8" && c != "utf8")
    {
        return Err(ApiError::unsupported_media_type(format!(
            "the body is declared in '{charset}': SPARQL requests are sent in UTF-8"
        )));
    }
    let body = read_body(body, state.options.max_query_bytes).await?;
    let text = |body: Bytes| {
        String::from_utf8(body.to_vec())
            .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))
    };
    match content_type.as_deref() {
        Some("application/x-www-form-urlencoded") => {
            params.extend(Params::parse(&body));
            match (params.one("query")?, params.one("update")?) {
                (Some(_), Some(_)) => Err(ApiError::bad_request(
                    "a request carries a query or an update, not both",
                )),
                (Some(query), None) => {
                    let query = query.to_owned();
                    query_response(&state, &params, query, &headers).await
                }
                (None, Some(update)) => {
                    let update = update.to_owned();
                    update_response(&state, &params, update, &headers).await
                }
                (None, None) => Err(ApiError::bad_request(
                    "the form has neither a 'query' nor an 'update' field",
                )),
            }
        }
        Some("application/sparql-query") => {
            if params.has("query") {
                return Err(ApiError::bad_request(
                    "a query sent in the body cannot also be given as a 'query' parameter",
                ));
            }
            query_response(&state, &params, text(body)?, &headers).await
        }
        Some("application/sparql-update") => {
            update_response(&state, &params, text(body)?, &headers).await
        }
        Some(other) => Err(ApiError::unsupported_media_type(format!(
            "'{other}': a SPARQL request is application/sparql-query, application/sparql-update or application/x-www-form-urlencoded"
        ))),
        None => Err(ApiError::unsupported_media_type(
            "the request has no Content-Type: use application/sparql-query, application/sparql-update or application/x-www-form-urlencoded",
        )),
    }
}

/// `GET /queries`: the named queries, their parameters and examples, as JSON.
pub async fn list_named() -> Result<Response, ApiError> {
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
    Ok(axum::Json(list).into_response())
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

async fn query_response(
    state: &Shared,
    params: &Params,
    text: String,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let dataset = dataset(state, params, "default-graph-uri", "named-graph-uri")?;
    let job = Job {
        identity: format!("query:{text}"),
        text,
        bindings: Vec::new(),
        dataset,
        format: params.format()?.map(str::to_owned),
    };
    answer(state, job, headers).await
}

/// The dataset named by the protocol's parameters, if any.
fn dataset(
    state: &AppState,
    params: &Params,
    default: &str,
    named: &str,
) -> Result<Option<DatasetSpec>, ApiError> {
    let resolve = |name: &str| -> Result<Vec<NamedNode>, ApiError> {
        params
            .all(name)
            .map(|iri| state.store.base().resolve(iri).map_err(ApiError::from))
            .collect()
    };
    let spec = DatasetSpec {
        default: resolve(default)?,
        named: resolve(named)?,
    };
    Ok((params.has(default) || params.has(named)).then_some(spec))
}

/// Checks the ETag and the cache, then parses, negotiates and evaluates under the time
/// budget. The key is taken from the request as sent (query, dataset, `Accept`, `format`),
/// so that a cached answer costs no parsing.
async fn answer(state: &Shared, job: Job, headers: &HeaderMap) -> Result<Response, ApiError> {
    let key = cache::key((
        state.epoch,
        state.generation(),
        &job.identity,
        &job.dataset,
        accept(headers),
        &job.format,
    ));
    let etag = cache::etag(key);
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    // A client holding this very ETag got a successful answer to this request at this
    // generation: 304 before any work. `*` must wait for the answer to be a success.
    let unmodified = |etag: &str, known: fn(&str, &str) -> bool| {
        if_none_match.is_some_and(|inm| known(inm, etag))
    };
    if unmodified(&etag, cache::names) {
        return Ok(not_modified(&etag));
    }
    // `Cache-Control: no-cache` (or `no-store`) from the client asks for a fresh answer.
    let fresh = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-cache") || v.contains("no-store"));
    if let Some(entry) = (!fresh).then(|| state.cache.get(key)).flatten() {
        state.metrics.cache(true);
        if unmodified(&etag, cache::matches) {
            return Ok(not_modified(&etag));
        }
        return Ok(ok(entry.body, entry.content_type, &etag, "hit"));
    }
    state.metrics.cache(false);
    let prepared = state.store.prepare(&job.text)?;
    let offered: Vec<Repr> = if prepared.returns_graph() {
        negotiate::graphs().to_vec()
    } else {
        negotiate::RESULTS.to_vec()
    };
    let repr = negotiate::choose(&offered, accept(headers), job.format.as_deref())
        .ok_or_else(|| ApiError::not_acceptable(&offered))?;
    if let Err(reason) = super::limits::check(prepared.query(), state.options.max_inline_rows) {
        state.metrics.query(Outcome::Refused);
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "requête trop coûteuse",
            "query too expensive",
            format!("the query is refused: {reason}"),
        ));
    }
    let body = evaluate(state, prepared, job.bindings, job.dataset, repr).await?;
    let response = computed(state, key, &etag, body, repr.media_type());
    if unmodified(&etag, cache::matches) {
        return Ok(not_modified(&etag));
    }
    Ok(response)
}

/// Runs a query with a permit of the concurrency limit, cancelled when its time budget
/// runs out or its client goes away: on the connection's own thread when there is one,
/// else on tokio's blocking pool. The whole response is written before anything is sent.
async fn evaluate(
    state: &Shared,
    prepared: Prepared,
    bindings: Vec<(Variable, Term)>,
    dataset: Option<DatasetSpec>,
    repr: Repr,
) -> Result<Bytes, ApiError> {
    let permit = slot(state)?;
    let token = CancellationToken::new();
    let timeout = state.options.timeout;
    let cap = state.options.max_results;
    // On a connection's own thread, the query runs right there: blocking it holds up
    // only this client. The watchdog enforces the budget and notices a departed client.
    if let Some(client) = super::connections::own_client() {
        let _watch = state.watchdog.watch(token.clone(), timeout, Some(client));
        let outcome = run(&state.store, prepared, bindings, dataset, repr, cap, &token);
        drop(permit);
        return finish(state, outcome);
    }
    let cancel = token.clone();
    let store = Arc::clone(&state.store);
    let task = tokio::task::spawn_blocking(move || {
        // The permit is held until the evaluation really ends.
        let _permit = permit;
        crate::bounds::on_large_stack(|| {
            run(&store, prepared, bindings, dataset, repr, cap, &token)
        })
    });
    // A client that goes away drops this future: the query stops too.
    let _abandoned = CancelOnDrop(cancel.clone());
    // When the budget runs out, the token stops a query at its next read of the store; a
    // grace period covers the rest, which the bounds of limits.rs keep short.
    tokio::pin!(task);
    let outcome = tokio::select! {
        done = &mut task => done,
        () = tokio::time::sleep(timeout) => {
            cancel.cancel();
            tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .unwrap_or(Ok(Err(Error::Cancelled)))
        }
    };
    match outcome {
        Ok(outcome) => finish(state, outcome),
        Err(join) => {
            state.metrics.query(Outcome::Failed);
            Err(join.into())
        }
    }
}

/// A permit of the limit on concurrent queries, or 503 with `Retry-After`.
pub(super) fn slot(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    state.queries.clone().try_acquire_owned().map_err(|_| {
        state.metrics.query(Outcome::Busy);
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serveur occupé : trop de requêtes en cours",
            "server busy: too many queries running",
            format!(
                "{} queries are running; retry in a moment",
                state.options.max_concurrent
            ),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    })
}

/// Evaluates a query and writes its whole response in the negotiated format.
fn run(
    store: &GraphStore,
    prepared: Prepared,
    bindings: Vec<(Variable, Term)>,
    dataset: Option<DatasetSpec>,
    repr: Repr,
    cap: usize,
    token: &CancellationToken,
) -> crate::Result<Bytes> {
    let controls = Controls {
        dataset,
        cancel: Some(token.clone()),
    };
    // A panic in the evaluator (Oxigraph's sort panics on some cancelled queries) is
    // caught here: the client gets an answer, and the metrics count it.
    let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        write_results(store, prepared, bindings, &controls, repr, cap)
    }));
    let body = match evaluated {
        Ok(body) => body,
        // The sort's check of the budget (`store::watch_sorts`), or any panic once the
        // budget has run out.
        Err(_) if token.is_cancelled() => return Err(Error::Cancelled),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Err(Error::Panicked(message));
        }
    };
    // A query whose budget ran out never answers, even if its last rows came in
    // meanwhile: whatever produced them, a cancelled evaluation is not trusted.
    if token.is_cancelled() {
        return Err(Error::Cancelled);
    }
    Ok(Bytes::from(body?))
}

/// Evaluates a query and serialises all its results.
fn write_results(
    store: &GraphStore,
    prepared: Prepared,
    bindings: Vec<(Variable, Term)>,
    controls: &Controls,
    repr: Repr,
    cap: usize,
) -> crate::Result<Vec<u8>> {
    let results = store.evaluate_with(prepared, bindings, controls)?;
    let mut body = Vec::new();
    const TARGET: &str = "the response";
    match (results, repr) {
        (QueryResults::Solutions(solutions), Repr::Results(format)) => {
            results::write_solutions(solutions, format, &mut body, Some(cap), TARGET)?
        }
        (QueryResults::Boolean(value), Repr::Results(format)) => {
            results::write_boolean(value, format, &mut body, TARGET)?
        }
        (QueryResults::Graph(triples), Repr::Graph(format)) => {
            results::write_graph(triples, format, &mut body, Some(cap), TARGET)?
        }
        _ => {
            return Err(Error::Usage(
                "the negotiated format does not fit the query's results".into(),
            ));
        }
    }
    Ok(body)
}

/// Counts a query's outcome.
fn finish(state: &AppState, outcome: crate::Result<Bytes>) -> Result<Bytes, ApiError> {
    state.metrics.query(match &outcome {
        Ok(_) => Outcome::Ok,
        Err(Error::Cancelled) => Outcome::Cancelled,
        Err(Error::TooLarge { .. }) => Outcome::TooLarge,
        Err(_) => Outcome::Failed,
    });
    Ok(outcome?)
}

/// Cancels a query or a write when dropped.
pub(super) struct CancelOnDrop(pub(super) CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

async fn update_response(
    state: &Shared,
    params: &Params,
    text: String,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    auth::authorize(state, headers)?;
    let update = state.store.prepare_update(&text)?;
    if let Err(reason) = super::limits::check_update(&update, state.options.max_inline_rows) {
        state.metrics.query(Outcome::Refused);
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mise à jour trop coûteuse",
            "update too expensive",
            format!("the update is refused: {reason}"),
        ));
    }
    let dataset = dataset(state, params, "using-graph-uri", "using-named-graph-uri")?;
    if dataset.is_some()
        && update.operations.iter().any(|op| {
            matches!(
                op,
                GraphUpdateOperation::DeleteInsert { using: Some(_), .. }
            )
        })
    {
        return Err(ApiError::bad_request(
            "the update has its own USING or WITH clause: it cannot also take using-graph-uri or using-named-graph-uri",
        ));
    }
    // An update has the time budget of a query: past it, or when its client hangs up,
    // its evaluation is cancelled and nothing is written (503).
    let report = super::write(state, Some(state.options.timeout), move |store, token| {
        store.update(
            update,
            dataset.as_ref(),
            "SPARQL 1.1 Update (HTTP)",
            Some(token),
        )
    })
    .await;
    let report = match report {
        Err(Error::Cancelled) => {
            state.metrics.query(Outcome::Cancelled);
            return Err(Error::Cancelled.into());
        }
        other => other?,
    };
    if let Some(activity) = &report.activity {
        tracing::info!(target: "labgraph::serve", %activity, "update committed");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

pub(super) fn ok(
    body: Bytes,
    content_type: &'static str,
    etag: &str,
    cache: &'static str,
) -> Response {
    validators(
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (CACHE_HEADER, HeaderValue::from_static(cache)),
            ],
            body,
        )
            .into_response(),
        etag,
    )
}

/// Keeps a computed answer in the cache, and sends it.
pub(super) fn computed(
    state: &AppState,
    key: u64,
    etag: &str,
    body: Bytes,
    content_type: &'static str,
) -> Response {
    state.cache.put(
        key,
        cache::Entry {
            body: body.clone(),
            content_type,
        },
    );
    ok(body, content_type, etag, "miss")
}

/// 304, with the headers the 200 would have had that bear on caching (RFC 9110, 15.4.5).
pub(super) fn not_modified(etag: &str) -> Response {
    validators(
        (
            StatusCode::NOT_MODIFIED,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        )
            .into_response(),
        etag,
    )
}

/// The ETag of a response, and `Vary: Accept` (the representation depends on it).
pub(super) fn validators(mut response: Response, etag: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

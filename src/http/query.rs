//! Answering a SPARQL query (from `/sparql` or a named query): the ETag and the cache,
//! then parsing, negotiation, the bounds of `limits.rs`, and evaluation under the time
//! budget with a permit of the limit on concurrent queries; the whole response is
//! serialised before anything is sent, so an error is a status and never a truncated body.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, Variable};

use super::cache::Entry;
use super::metrics::Outcome;
use super::negotiate::{self, Repr, accept};
use super::params::Params;
use super::respond::{self, Tag};
use super::sparql::dataset;
use super::{ApiError, AppState, Shared, run};
use crate::error::Error;
use crate::results;
use crate::store::{Controls, DatasetSpec, GraphStore, Prepared};

/// A query to answer: its text (parsed only when the cache cannot answer), parameters,
/// dataset, and the text that identifies it in cache keys and ETags.
pub(super) struct Job {
    pub(super) identity: String,
    pub(super) text: String,
    pub(super) bindings: Vec<(Variable, Term)>,
    pub(super) dataset: Option<DatasetSpec>,
    pub(super) format: Option<String>,
}

/// A query sent through the protocol, with its dataset parameters.
pub(super) async fn query_response(
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

/// Checks the ETag and the cache, then parses, negotiates and evaluates under the time
/// budget. The key is taken from the request as sent (query, dataset, `Accept`, `format`),
/// so that a cached answer costs no parsing.
pub(super) async fn answer(
    state: &Shared,
    job: Job,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let tag = Tag::new(
        state,
        (&job.identity, &job.dataset, accept(headers), &job.format),
    );
    respond::cached(state, headers, tag, async {
        let text = job.text;
        let prepared = run::read(state, None, move |store, _| store.prepare(&text)).await?;
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
        Ok(Entry {
            body,
            content_type: repr.media_type(),
            link: None,
        })
    })
    .await
}

/// Runs a query with a permit of the concurrency limit, cancelled when its time budget
/// runs out or its client goes away (`run.rs`). The whole response is written before
/// anything is sent.
async fn evaluate(
    state: &Shared,
    prepared: Prepared,
    bindings: Vec<(Variable, Term)>,
    dataset: Option<DatasetSpec>,
    repr: Repr,
) -> Result<Bytes, ApiError> {
    let permit = run::slot(state)?;
    let cap = state.options.max_results;
    let outcome = run::read(state, Some(state.options.timeout), move |store, token| {
        // The permit is held until the evaluation really ends.
        let _permit = permit;
        let controls = Controls {
            dataset,
            cancel: Some(token.clone()),
        };
        let body = write_results(store, prepared, bindings, &controls, repr, cap);
        // A query whose budget ran out never answers, even if its last rows came in
        // meanwhile: whatever produced them, a cancelled evaluation is not trusted.
        if token.is_cancelled() {
            return Err(Error::Cancelled);
        }
        Ok(Bytes::from(body?))
    })
    .await;
    finish(state, outcome)
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

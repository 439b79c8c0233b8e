//! SPARQL 1.1 Update over the protocol: with the admin token, within the bounds of
//! `limits.rs` and the time budget of a query, through the one write path (`run::write`),
//! recorded in the provenance graph by the store.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use spargebra::GraphUpdateOperation;

use super::metrics::Outcome;
use super::params::Params;
use super::sparql::dataset;
use super::{ApiError, Shared, auth, run};
use crate::error::Error;

pub(super) async fn update_response(
    state: &Shared,
    params: &Params,
    text: String,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    auth::authorize(state, headers)?;
    let update = run::read(state, None, move |store, _| store.prepare_update(&text)).await?;
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
    let report = run::write(state, Some(state.options.timeout), move |store, token| {
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

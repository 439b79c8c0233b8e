//! `/healthz`: whether the store answers a query, with the write generation, whether the
//! server takes writes, and the version; never cached.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, Shared, run};

/// `GET /healthz`: 200 with a JSON summary, or 503 when the store does not answer.
pub(super) async fn healthz(State(state): State<Shared>) -> Response {
    let probe = run::read(&state, None, |store, _| {
        store
            .prepare("ASK {}")
            .and_then(|q| store.evaluate(q, Vec::new()).map(drop))
    })
    .await;
    match probe {
        Ok(()) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            axum::Json(serde_json::json!({
                "status": "ok",
                "generation": state.generation(),
                "writable": state.writable(),
                "version": env!("CARGO_PKG_VERSION"),
            })),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(target: "labgraph::serve", "health check failed: {error}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "le magasin ne répond pas",
                "the store does not answer",
                String::new(),
            )
            .into_response()
        }
    }
}

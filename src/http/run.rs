//! How a handler runs blocking work: anything that reads or writes the store, parses a
//! query or an upload, or serialises results. One function, [`blocking`], runs it all,
//! with two faces: [`read`] and [`write`].
//!
//! A read runs on the connection's own thread when the request came through one (it then
//! holds up only its own client, as `connections.rs` explains), else on tokio's blocking
//! pool. A write always runs on the blocking pool, serialised through the writer lock, to
//! its end whatever becomes of the request; after it succeeds, every ETag changes and the
//! cache is emptied. Either way the work runs on a thread with the large stack of
//! `crate::bounds`, a panic is caught and answered as an error, and with a time budget the
//! watchdog cancels the work's token when the budget runs out or the client hangs up; so
//! does dropping the request. The permits of the limit on concurrent queries are here too.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use oxigraph::sparql::CancellationToken;
use tokio::sync::OwnedSemaphorePermit;

use super::metrics::Outcome;
use super::{ApiError, AppState, Shared, connections};
use crate::error::{Error, Result};
use crate::store::GraphStore;

/// How long a read past its budget may take to stop before its client is answered
/// anyway: the bounds of `limits.rs` keep what cannot be cancelled shorter than this.
const GRACE: Duration = Duration::from_secs(5);

/// Where blocking work runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// On the thread of the request's connection when there is one, else on the pool.
    Here,
    /// On the blocking pool, awaited to its end.
    Pool,
}

/// Runs a read: `work` gets the store and a token that is cancelled when `budget` (if
/// any) runs out, when the client of the connection hangs up, or when the request is
/// dropped. Past the budget, the caller gets [`Error::Cancelled`] at most [`GRACE`] later.
pub(super) async fn read<T: Send + 'static>(
    state: &Shared,
    budget: Option<Duration>,
    work: impl FnOnce(&GraphStore, &CancellationToken) -> Result<T> + Send + 'static,
) -> Result<T> {
    blocking(state, Place::Here, budget, work).await
}

/// Runs a write on the blocking pool, serialised with every other write, within `budget`
/// when given (counted from when the writer's lock is taken; the watchdog cancels
/// `work`'s token then, and when the client of the connection hangs up; so does dropping
/// the request). Whatever becomes of the request, the write runs to its end with the
/// writer's lock held; its commit changes every ETag and empties the cache (an observer
/// of the store's write path, `state.rs`).
pub(super) async fn write<T: Send + 'static>(
    state: &Shared,
    budget: Option<Duration>,
    work: impl FnOnce(&GraphStore, CancellationToken) -> Result<T> + Send + 'static,
) -> Result<T> {
    let client = connections::own_client();
    let shared = Arc::clone(state);
    blocking(state, Place::Pool, None, move |store, token| {
        let _writing = shared.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let _watch = budget.map(|budget| shared.watchdog.watch(token.clone(), budget, client));
        let outcome = work(store, token.clone());
        if outcome.is_ok() {
            // The ETags and the cache follow the store's commits (an observer, state.rs).
            shared.metrics.write();
        }
        outcome
    })
    .await
}

/// The one place blocking work is handed off: see the module's documentation.
async fn blocking<T: Send + 'static>(
    state: &Shared,
    place: Place,
    budget: Option<Duration>,
    work: impl FnOnce(&GraphStore, &CancellationToken) -> Result<T> + Send + 'static,
) -> Result<T> {
    let token = CancellationToken::new();
    let client = connections::own_client();
    // The budget counts from the request, a wait for a thread of the pool included.
    let _watch = budget.map(|budget| state.watchdog.watch(token.clone(), budget, client.clone()));
    if place == Place::Here && client.is_some() {
        // A connection's own thread has the large stack already.
        return guarded(&state.store, &token, work);
    }
    // A client that goes away drops this future: the work is cancelled too.
    let _abandoned = CancelOnDrop(token.clone());
    let store = Arc::clone(&state.store);
    let task = tokio::task::spawn_blocking(move || {
        crate::bounds::on_large_stack(|| guarded(&store, &token, work))
    });
    let joined = match budget {
        Some(budget) => tokio::time::timeout(budget + GRACE, task)
            .await
            .unwrap_or(Ok(Err(Error::Cancelled))),
        None => task.await,
    };
    joined.unwrap_or_else(|join| Err(Error::Panicked(join.to_string())))
}

/// Runs `work`, catching a panic (Oxigraph's sort panics on some cancelled queries): the
/// client gets an answer, and the metrics count it. A panic once the token is cancelled
/// (the sort's check of the budget, `store::watch_sorts`) is a cancellation.
fn guarded<T>(
    store: &GraphStore,
    token: &CancellationToken,
    work: impl FnOnce(&GraphStore, &CancellationToken) -> Result<T>,
) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(store, token))) {
        Ok(outcome) => outcome,
        Err(_) if token.is_cancelled() => Err(Error::Cancelled),
        Err(panic) => Err(Error::Panicked(
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        )),
    }
}

/// Cancels a query or a write when dropped.
struct CancelOnDrop(CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A permit of the limit on concurrent queries, or 503 with `Retry-After`.
pub(super) fn slot(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
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

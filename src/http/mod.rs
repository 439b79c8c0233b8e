//! `labgraph serve`: the SPARQL 1.1 endpoint (Protocol, Update, Graph Store Protocol),
//! the query page, named queries as a REST API, health and metrics, on axum.
//!
//! - `routes.rs`: the route table ([`ROUTES`](routes::ROUTES)), read by the router, the
//!   metrics, the pages and the Service Description; the middleware.
//! - `state.rs`: the [`Options`] and what every handler shares.
//! - `error.rs`: the one error type, [`ApiError`], and its status table.
//! - `respond.rs`: the one way a read is answered (ETag, 304, `no-cache`, the cache).
//! - `run.rs`: the one way blocking work runs (large stacks, budgets, panics), and the
//!   one write path.
//! - `server.rs`, `connections.rs`, `watchdog.rs`: the listener, a thread per connection
//!   (where queries run, under the watchdog's budgets), shutdown.
//! - One file per family of routes: `sparql.rs` (the protocol's requests), `query.rs`,
//!   `update.rs`, `named.rs`, `description.rs`, `gsp.rs` and `upload.rs`, `page.rs`,
//!   `health.rs`, `metrics.rs`; and their helpers: `negotiate.rs`, `params.rs`,
//!   `body.rs`, `auth.rs`, `limits.rs`, `cache.rs`.
//!
//! Queries run under a time budget (Oxigraph's cancellation token, cancelled by the
//! watchdog) and a cap on result rows; responses are serialised in full before they are
//! sent, so an error is a status code and never a truncated body. Each response to a
//! read carries an ETag derived from the store's write generation and the request, and
//! recent results are cached in memory until the next write.

mod admin;
mod auth;
mod body;
mod cache;
mod catalog;
mod connections;
mod description;
mod error;
mod feeds;
mod gsp;
mod health;
pub mod limits;
mod metrics;
mod named;
pub mod negotiate;
mod openapi;
mod page;
mod params;
mod query;
mod reconcile;
mod resource;
mod respond;
mod routes;
mod run;
mod search;
mod server;
mod sparql;
mod state;
mod suggest;
mod update;
mod upload;
mod watchdog;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderName;

use crate::error::Result;
use crate::store::GraphStore;

pub use auth::AdminToken;
pub use error::ApiError;
pub use page::{Example, examples, with_example_values};
pub use server::{Server, runtime, serve, spawn, stop_runtime};
pub use state::Options;
use state::{AppState, Shared};

/// Says whether a response came from the result cache (`hit`) or was computed (`miss`).
pub const CACHE_HEADER: HeaderName = HeaderName::from_static("x-labgraph-cache");

/// The application: every route with its middleware. Tests drive it without a socket
/// (`Router::oneshot`); [`spawn`] serves it on a listener as the binary does.
pub fn app(store: GraphStore, options: Options) -> Result<Router> {
    Ok(routes::router(Arc::new(AppState::new(store, options)?)))
}

//! `labgraph serve`: the SPARQL 1.1 endpoint (Protocol, Update, Graph Store Protocol),
//! the query page, named queries as a REST API, health and metrics, on axum.
//!
//! Each connection has its own thread (see `connections`), where its queries run under a
//! time budget (Oxigraph's cancellation token, cancelled from a tokio timer: the
//! watchdog thread's, or the request's own when the application runs without a socket,
//! on tokio's blocking pool) and
//! a cap on result rows; responses are serialised in full before they are sent, so an
//! error is a status code and never a truncated body. Each response
//! carries an ETag derived from the store's write generation and the request, and recent
//! results are cached in memory until the next write.

mod auth;
mod body;
mod cache;
mod connections;
mod description;
mod error;
mod gsp;
pub mod limits;
mod metrics;
mod named;
pub mod negotiate;
mod page;
mod params;
mod query;
mod respond;
mod run;
mod sparql;
mod state;
mod update;
mod watchdog;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::{Error, Result};
use crate::store::GraphStore;

pub use auth::AdminToken;
pub use error::ApiError;
pub use page::{Example, examples, with_example_values};
pub use state::Options;
use state::{AppState, Shared};

/// The application: every route with its middleware. Tests drive it without a socket.
pub fn app(store: GraphStore, options: Options) -> Result<Router> {
    Ok(router(Arc::new(AppState::new(store, options)?)))
}

fn router(state: Shared) -> Router {
    // CORS for reads: any origin may query; writes need the Authorization header, which
    // is not allowed cross-origin, so browsers on other sites cannot write.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::ACCEPT,
            header::CACHE_CONTROL,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([header::ETAG, header::RETRY_AFTER, CACHE_HEADER])
        .max_age(Duration::from_secs(86_400))
        // Any origin gets the same answer, preflight or not: nothing varies by `Origin`.
        .vary([]);
    Router::new()
        .route("/", get(page::home))
        .route(
            "/sparql",
            get(sparql::get).post(sparql::post).options(preflight),
        )
        .route(
            "/store",
            get(gsp::handle)
                .put(gsp::handle)
                .post(gsp::handle)
                .delete(gsp::handle)
                .head(gsp::handle),
        )
        // Direct graph identification: a graph at its own URL (`<base>path`).
        .route(
            "/id/{*path}",
            get(gsp::direct)
                .put(gsp::direct)
                .post(gsp::direct)
                .delete(gsp::direct)
                .head(gsp::direct),
        )
        .route("/queries", get(named::list_named))
        .route("/queries/{name}", get(named::named))
        .route("/assets/{file}", get(page::asset))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        // On every response: no content sniffing, no referrer sent on, and, unless the
        // response is a page with its own policy, a policy that allows nothing (a result
        // opened in a browser runs no script and cannot be framed).
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(cors)
        .with_state(state)
}

/// Serves until SIGTERM or Ctrl-C, then lets the requests in flight finish.
pub async fn serve(store: GraphStore, options: Options, bind: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Error::Io {
            path: format!("address {bind}").into(),
            source: e,
        })?;
    let address = listener.local_addr().map_err(|e| Error::Io {
        path: format!("address {bind}").into(),
        source: e,
    })?;
    let writable = options.admin_token.is_some();
    let max_connections = options.max_connections;
    let state: Shared = Arc::new(AppState::new(store, options)?);
    let app = router(state);
    tracing::info!(
        target: "labgraph::serve",
        %address,
        writable,
        "labgraph écoute sur http://{address}/sparql (listening)"
    );
    eprintln!(
        "labgraph: point d'accès SPARQL sur http://{address}/sparql — SPARQL endpoint at http://{address}/sparql ({})",
        if writable {
            "écriture avec le jeton d'administration / writes with the admin token"
        } else {
            "lecture seule / read-only"
        }
    );
    connections::run(listener, app, max_connections, shutdown_signal()).await;
    eprintln!("labgraph: arrêté proprement / stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(target: "labgraph::serve", "signal received: finishing the requests in flight");
}

/// The routes, as metrics and logs name them.
const ROUTES: [&str; 9] = [
    "/",
    "/sparql",
    "/store",
    "/id/{*path}",
    "/queries",
    "/queries/{name}",
    "/assets/{file}",
    "/healthz",
    "/metrics",
];

/// Request metrics and one structured log line per request.
async fn observe(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| ROUTES.iter().find(|r| **r == m.as_str()))
        .copied()
        .unwrap_or("other");
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.request(method, route, status, elapsed);
    let cache = response
        .headers()
        .get(CACHE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info!(
        target: "labgraph::access",
        method = %method,
        path = %uri.path(),
        route = %route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        cache,
        "request"
    );
    response
}

/// Says whether a response came from the result cache (`hit`) or was computed (`miss`).
pub const CACHE_HEADER: HeaderName = HeaderName::from_static("x-labgraph-cache");

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn healthz(State(state): State<Shared>) -> Response {
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
        _ => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "le magasin ne répond pas",
            "the store does not answer",
            String::new(),
        )
        .into_response(),
    }
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "cette adresse n'existe pas",
        "no such resource",
        format!(
            "{} — see / for what this server offers (/sparql, /store, /id/…, /queries, /healthz, /metrics)",
            request.uri().path()
        ),
    )
}

//! Prometheus metrics: requests by route and status, latencies, query outcomes, cache
//! hits, in the text exposition format at `/metrics`; and the middleware that counts
//! each request and writes its line in the access log.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::{CACHE_HEADER, Shared, routes};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms,
    queries: Family<OutcomeLabels, Counter>,
    cache_hits: Counter,
    cache_misses: Counter,
    writes: Counter,
}

/// What became of a query.
#[derive(Clone, Copy)]
pub enum Outcome {
    Ok,
    Failed,
    Cancelled,
    TooLarge,
    Refused,
    Busy,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("labgraph");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        let latency: Histograms =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.000_25, 2.0, 18)));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        let queries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "queries",
            "SPARQL queries evaluated, by outcome (ok, failed, cancelled, too_large, refused, busy)",
            queries.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "cache_hits",
            "Results served from the cache",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "cache_misses",
            "Results computed (not in the cache)",
            cache_misses.clone(),
        );
        let writes = Counter::default();
        registry.register(
            "writes",
            "Writes committed (update, graph store)",
            writes.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            queries,
            cache_hits,
            cache_misses,
            writes,
        }
    }

    /// Counts a request; the labels are static strings, so counting allocates nothing.
    pub fn request(
        &self,
        method: &'static str,
        route: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    pub fn query(&self, outcome: Outcome) {
        let outcome = match outcome {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::TooLarge => "too_large",
            Outcome::Refused => "refused",
            Outcome::Busy => "busy",
        };
        self.queries.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn cache(&self, hit: bool) {
        if hit {
            self.cache_hits.inc();
        } else {
            self.cache_misses.inc();
        }
    }

    pub fn write(&self) {
        self.writes.inc();
    }
}

pub async fn render(State(state): State<Shared>) -> Response {
    let mut text = String::new();
    if encode(&mut text, &state.metrics.registry).is_err() {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Request metrics and one structured log line per request. A request is labelled by
/// its route's path in the route table (`other` for none).
pub(super) async fn observe(State(state): State<Shared>, request: Request, next: Next) -> Response {
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
        .and_then(|m| routes::find(m.as_str()))
        .map_or("other", |route| route.path);
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

//! In-process HTTP helpers shared by the server's test suites: an app on the bundled data,
//! requests, and their replies.

use std::io::Read;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use labgraph::config::BaseIri;
use labgraph::http::{self, AdminToken, Options};
use labgraph::vocab;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Triple;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use serde_json::Value;
use tower::ServiceExt as _;

pub const TOKEN: &str = "test-admin-token-0123456789";

pub fn base() -> BaseIri {
    BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap()
}

pub fn app_with(options: Options) -> Router {
    http::app(labgraph::import::in_memory(base()).unwrap(), options).unwrap()
}

pub fn app() -> Router {
    app_with(Options::default())
}

pub fn writable() -> Options {
    Options {
        admin_token: Some(AdminToken::new(TOKEN, "test").unwrap()),
        ..Options::default()
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    /// The rows of a SPARQL JSON result.
    pub fn rows(&self) -> Vec<Value> {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text());
        self.json()["results"]["bindings"]
            .as_array()
            .unwrap()
            .clone()
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn get_accept(uri: &str, accept: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap()
}

pub fn query_uri(query: &str) -> String {
    format!("/sparql?query={}", encode(query))
}

pub fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

pub fn authorized(
    method: Method,
    uri: &str,
    content_type: &str,
    body: impl Into<Body>,
) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(body.into())
        .unwrap()
}

pub fn count_query(graph_pattern: &str) -> String {
    format!("SELECT (COUNT(*) AS ?n) WHERE {{ {graph_pattern} }}")
}

pub fn first_number(reply: &Reply) -> u64 {
    reply.rows()[0]["n"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

pub fn parse_graph(body: &[u8], format: RdfFormat) -> Vec<Triple> {
    RdfParser::from_format(format)
        .for_slice(body)
        .map(|q| Triple::from(q.unwrap_or_else(|e| panic!("{format}: {e}"))))
        .collect()
}

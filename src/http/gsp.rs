//! `/store`: the SPARQL 1.1 Graph Store HTTP Protocol, with indirect graph identification
//! (`?default`, `?graph=IRI`). Reads are public; PUT, POST and DELETE need the admin token,
//! are serialised with every other write and recorded in the provenance graph.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{GraphName, NamedNode};

use super::cache::Entry;
use super::negotiate::{self, Repr, accept};
use super::params::Params;
use super::respond::{self, Tag};
use super::{ApiError, AppState, Shared, auth, routes, run, upload};
use crate::error::Error;

/// The graph a request names.
enum Target {
    Graph(GraphName),
    /// `GET /store` with no target: the whole dataset.
    Dataset,
}

/// `/id/{path}`: direct graph identification (GSP §4.1). The graph whose IRI is the base
/// IRI followed by `path` is read and written at its own URL, as it is at
/// `/store?graph=IRI`.
pub async fn direct(
    State(state): State<Shared>,
    Path(path): Path<String>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    if params.has("graph") || params.has("default") {
        return Err(ApiError::bad_request(
            "a graph's own URL names it already: ?graph and ?default belong to /store",
        ));
    }
    // The base IRI followed by the path, never another IRI (`/id/http:%2F%2F…`).
    let iri = format!("{}{path}", state.store.base().as_str());
    let graph = NamedNode::new(&iri).map_err(|e| Error::Iri {
        iri,
        message: e.to_string(),
    })?;
    dispatch(
        &state,
        Target::Graph(graph.into()),
        method,
        &params,
        &headers,
        body,
    )
    .await
}

pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let target = match (params.has("default"), params.one("graph")?) {
        (true, Some(_)) => {
            return Err(ApiError::bad_request(
                "name one graph: either ?default or ?graph=IRI, not both",
            ));
        }
        (true, None) => Target::Graph(GraphName::DefaultGraph),
        (false, Some(iri)) => Target::Graph(state.store.base().resolve(iri)?.into()),
        (false, None) if method == Method::GET || method == Method::HEAD => Target::Dataset,
        // POST to the graph store itself creates a new graph (GSP 5.5).
        (false, None) if method == Method::POST => Target::Graph(new_graph(&state).into()),
        (false, None) => {
            return Err(ApiError::bad_request(
                "name the graph to write: ?default or ?graph=IRI",
            ));
        }
    };
    dispatch(&state, target, method, &params, &headers, body).await
}

async fn dispatch(
    state: &Shared,
    target: Target,
    method: Method,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    match method {
        Method::GET | Method::HEAD => read(state, target, params, headers, method).await,
        Method::PUT | Method::POST | Method::DELETE => {
            auth::authorize(state, headers)?;
            let Target::Graph(graph) = target else {
                unreachable!("writes always name a graph")
            };
            write(state, graph, headers, body, method).await
        }
        _ => Err(routes::method_not_allowed(
            "the graph store",
            routes::GRAPH_STORE,
        )),
    }
}

async fn read(
    state: &Shared,
    target: Target,
    params: &Params,
    headers: &HeaderMap,
    method: Method,
) -> Result<Response, ApiError> {
    let offered: Vec<Repr> = match target {
        Target::Graph(_) => negotiate::graphs().to_vec(),
        Target::Dataset => negotiate::datasets().to_vec(),
    };
    let repr = negotiate::choose(&offered, accept(headers), params.format()?)
        .ok_or_else(|| ApiError::not_acceptable(&offered))?;
    let Repr::Graph(format) = repr else {
        return Err(ApiError::not_acceptable(&offered));
    };
    let graph = match &target {
        Target::Graph(g) => Some(g.clone()),
        Target::Dataset => None,
    };
    // GET and HEAD share their entity tag.
    let tag = Tag::new(state, ("store", &graph, repr.media_type()));
    let response = respond::cached(state, headers, tag, async {
        // A read takes a query slot, and is as bounded as a query's result.
        let permit = run::slot(state)?;
        // A dump of the dataset or of a graph: the bundled one alone is 190,000 triples.
        let cap = state.options.max_graph_triples;
        let body = run::read(state, None, move |store, _| {
            let _permit = permit;
            let mut body = Vec::new();
            if let Some(graph) = &graph
                && !store.has_graph(graph.as_ref())?
            {
                return Ok(None);
            }
            store.write_quads(graph.as_ref().map(GraphName::as_ref), format, &mut body, cap)?;
            Ok(Some(body))
        })
        .await
        .map_err(|error| match error {
            Error::TooLarge { limit } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "résultat trop grand",
                "result too large",
                format!(
                    "more than {limit} triples (--max-graph-triples): query them in pages through /sparql (LIMIT, OFFSET), or export the store with `labgraph export`"
                ),
            ),
            other => other.into(),
        })?;
        let Some(body) = body else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "ce graphe n'existe pas",
                "no such graph",
                format!(
                    "the store has no graph {}; GET /store lists everything, /sparql describes the named graphs",
                    params.one("graph")?.unwrap_or_default()
                ),
            ));
        };
        Ok(Entry {
            body: body.into(),
            content_type: repr.media_type(),
            link: None,
        })
    })
    .await?;
    Ok(if method == Method::HEAD {
        respond::head(response)
    } else {
        response
    })
}

async fn write(
    state: &Shared,
    graph: GraphName,
    headers: &HeaderMap,
    body: Body,
    method: Method,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let triples = if method == Method::DELETE {
        Vec::new()
    } else {
        upload::triples(state, &method, content_type, body).await?
    };
    let deleting = method == Method::DELETE;
    let location = match &graph {
        GraphName::NamedNode(g) => HeaderValue::from_str(g.as_str()).ok(),
        _ => None,
    };
    let source = format!("Graph Store Protocol {method}");
    let outcome = run::write(state, None, move |store, _| match method {
        Method::DELETE => store.delete_graph(graph.as_ref(), &source),
        ref m => store.store_graph(graph.as_ref(), triples, *m == Method::PUT, &source),
    })
    .await?;
    Ok(match (deleting, outcome) {
        // DELETE of a graph that does not exist.
        (true, false) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "ce graphe n'existe pas",
                "no such graph",
                String::new(),
            ));
        }
        (true, true) => StatusCode::NO_CONTENT,
        // PUT or POST: 201 when the graph is new, with its IRI.
        (false, true) => {
            let mut response = StatusCode::CREATED.into_response();
            if let Some(location) = location {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return Ok(response);
        }
        (false, false) => StatusCode::NO_CONTENT,
    }
    .into_response())
}

/// A fresh graph IRI for a POST to the graph store: `<base>graph/upload-<time>-<random>`.
fn new_graph(state: &AppState) -> NamedNode {
    use std::hash::{BuildHasher, Hasher};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // std's hasher keys are random per process: a cheap unpredictable suffix.
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    state.store.base().local(&format!(
        "graph/upload-{}-{:08x}",
        now.as_secs(),
        hasher.finish() as u32
    ))
}

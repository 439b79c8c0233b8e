//! How every read is answered, once: [`cached`] gives the response its ETag (from the
//! process's epoch, the store's write generation and what identifies the request),
//! answers `If-None-Match` with 304, skips the result cache when the client sends
//! `Cache-Control: no-cache` or `no-store`, serves a cached answer or computes and keeps
//! a new one, and says which in [`CACHE_HEADER`]. Every read route goes through it: SPARQL
//! queries (GET and POST), named queries and their list, the Service Description, and
//! Graph Store reads (GET and HEAD).

use std::future::Future;
use std::hash::Hash;

use axum::body::{Body, HttpBody as _};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::cache::{self, Entry};
use super::{ApiError, AppState, CACHE_HEADER};

/// What identifies a response: its cache key and entity tag.
pub(super) struct Tag {
    key: u64,
    etag: String,
}

impl Tag {
    /// The tag of a request at the store's current write generation; `identity` holds
    /// everything else that decides the response (the query, the dataset, `Accept`,
    /// `format`, the graph…).
    pub(super) fn new(state: &AppState, identity: impl Hash) -> Self {
        let key = cache::key((state.epoch, state.generation(), identity));
        Self {
            key,
            etag: cache::etag(key),
        }
    }
}

/// Answers a read whose body `compute` produces (it runs only when neither the client's
/// copy nor the cache will do): 304 when the client holds this very entity, else the
/// cached body unless the client asked for a fresh one, else the computed body, kept in
/// the cache. `*` in `If-None-Match` matches only an answer that is a success (RFC 9110,
/// 13.1.2), so it is checked once the answer is known.
pub(super) async fn cached(
    state: &AppState,
    headers: &HeaderMap,
    tag: Tag,
    compute: impl Future<Output = Result<Entry, ApiError>>,
) -> Result<Response, ApiError> {
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let unmodified =
        |known: fn(&str, &str) -> bool| if_none_match.is_some_and(|inm| known(inm, &tag.etag));
    // A client holding this very ETag got a successful answer to this request at this
    // generation: 304 before any work.
    if unmodified(cache::names) {
        return Ok(not_modified(&tag.etag));
    }
    if !wants_fresh(headers)
        && let Some(entry) = state.cache.get(tag.key)
    {
        state.metrics.cache(true);
        if unmodified(cache::matches) {
            return Ok(not_modified(&tag.etag));
        }
        return Ok(ok(entry, &tag.etag, "hit"));
    }
    state.metrics.cache(false);
    let entry = compute.await?;
    state.cache.put(tag.key, entry.clone());
    if unmodified(cache::matches) {
        return Ok(not_modified(&tag.etag));
    }
    Ok(ok(entry, &tag.etag, "miss"))
}

/// Whether the client asks for a fresh answer: `Cache-Control: no-cache` or `no-store`.
fn wants_fresh(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-cache") || v.contains("no-store"))
}

/// The answer to HEAD: the headers of GET, with the length of its body, and no body.
pub(super) fn head(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(length) = body.size_hint().exact() {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    Response::from_parts(parts, Body::empty())
}

fn ok(entry: Entry, etag: &str, cache: &'static str) -> Response {
    let mut response = validators(
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(entry.content_type),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (CACHE_HEADER, HeaderValue::from_static(cache)),
            ],
            entry.body,
        )
            .into_response(),
        etag,
    );
    if let Some(link) = entry.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().append(header::LINK, link);
    }
    response
}

/// 304, with the headers the 200 would have had that bear on caching (RFC 9110, 15.4.5).
fn not_modified(etag: &str) -> Response {
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
fn validators(mut response: Response, etag: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

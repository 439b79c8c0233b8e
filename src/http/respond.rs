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
    /// `Last-Modified`: when the store last changed, or the server started.
    modified: u64,
}

impl Tag {
    /// The tag of a request at the store's current write generation; `identity` holds
    /// everything else that decides the response (the query, the dataset, `Accept`,
    /// `format`, the graph…).
    pub(super) fn new(state: &AppState, identity: impl Hash) -> Self {
        let modified = state.changed.load(std::sync::atomic::Ordering::SeqCst);
        let key = cache::key((state.epoch, state.generation(), identity));
        Self {
            key,
            etag: cache::etag(key),
            modified,
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
    // `If-Modified-Since` counts only without `If-None-Match` (RFC 9110, 13.1.3), and once
    // the answer is known to be a success.
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .filter(|_| if_none_match.is_none())
        .is_some_and(|since| since.as_secs() >= tag.modified);
    // `answered`: the answer is known, and a success.
    let unmodified = |known: fn(&str, &str) -> bool, answered: bool| {
        if_none_match.is_some_and(|inm| known(inm, &tag.etag)) || (since && answered)
    };
    // A client holding this very ETag got a successful answer to this request at this
    // generation: 304 before any work.
    if unmodified(cache::names, false) {
        return Ok(not_modified(&tag));
    }
    if !wants_fresh(headers)
        && let Some(entry) = state.cache.get(tag.key)
    {
        state.metrics.cache(true);
        if unmodified(cache::matches, true) {
            return Ok(not_modified(&tag));
        }
        return Ok(ok(entry, &tag, "hit"));
    }
    state.metrics.cache(false);
    let entry = compute.await?;
    state.cache.put(tag.key, entry.clone());
    if unmodified(cache::matches, true) {
        return Ok(not_modified(&tag));
    }
    Ok(ok(entry, &tag, "miss"))
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

fn ok(entry: Entry, tag: &Tag, cache: &'static str) -> Response {
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
        tag,
    );
    if let Some(link) = entry.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().append(header::LINK, link);
    }
    response
}

/// 304, with the headers the 200 would have had that bear on caching (RFC 9110, 15.4.5).
fn not_modified(tag: &Tag) -> Response {
    validators(
        (
            StatusCode::NOT_MODIFIED,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        )
            .into_response(),
        tag,
    )
}

/// The ETag and `Last-Modified` of a response, and `Vary: Accept` (the representation
/// depends on it).
fn validators(mut response: Response, tag: &Tag) -> Response {
    if let Ok(value) = HeaderValue::from_str(&tag.etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    // Never later than now (RFC 9110, 8.8.2.1): a commit within the second after the
    // last one is dated a second later, and shown as now until then.
    let shown = tag.modified.min(super::state::now_secs());
    let modified = std::time::UNIX_EPOCH + std::time::Duration::from_secs(shown);
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        response.headers_mut().insert(header::LAST_MODIFIED, value);
    }
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

//! How a read is answered: the ETag, `If-None-Match` and 304, and the result cache.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, CACHE_HEADER, cache};

pub(super) fn ok(
    body: Bytes,
    content_type: &'static str,
    etag: &str,
    cache: &'static str,
) -> Response {
    validators(
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (CACHE_HEADER, HeaderValue::from_static(cache)),
            ],
            body,
        )
            .into_response(),
        etag,
    )
}

/// Keeps a computed answer in the cache, and sends it.
pub(super) fn computed(
    state: &AppState,
    key: u64,
    etag: &str,
    body: Bytes,
    content_type: &'static str,
) -> Response {
    state.cache.put(
        key,
        cache::Entry {
            body: body.clone(),
            content_type,
        },
    );
    ok(body, content_type, etag, "miss")
}

/// 304, with the headers the 200 would have had that bear on caching (RFC 9110, 15.4.5).
pub(super) fn not_modified(etag: &str) -> Response {
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
pub(super) fn validators(mut response: Response, etag: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

//! Reading request bodies within a size limit and deadlines.

use std::time::Duration;

use axum::body::{Body, Bytes};

use super::ApiError;

/// How long a client may send nothing while its request body is expected.
pub(super) const BODY_IDLE: Duration = Duration::from_secs(10);
/// After this long, a body must have come at [`BODY_MIN_RATE`] on average.
const BODY_GRACE: Duration = Duration::from_secs(10);
/// The slowest average a request body may come at, past [`BODY_GRACE`]: 16 KiB/s.
const BODY_MIN_RATE: f64 = 16.0 * 1024.0;

/// Reads a request body of at most `limit` bytes: 413 beyond (at once when its declared
/// length says so), 408 when the client sends nothing for [`BODY_IDLE`] or sends slower
/// than [`BODY_MIN_RATE`] on average past [`BODY_GRACE`]: a slow client cannot hold a
/// connection, nor the memory of a large upload, for long.
pub(super) async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    read_body_within(body, limit, BODY_IDLE).await
}

pub(super) async fn read_body_within(
    mut body: Body,
    limit: usize,
    idle: Duration,
) -> Result<Bytes, ApiError> {
    use axum::body::HttpBody as _;
    if body.size_hint().lower() > limit as u64 {
        return Err(ApiError::too_large(limit));
    }
    let _evictable = super::connections::ReadingBody::begin();
    let started = std::time::Instant::now();
    let mut bytes = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let frame = match tokio::time::timeout(idle, frame).await {
            Err(_) => {
                return Err(ApiError::timeout(format!(
                    "nothing came for {} s while the request body was expected ({} bytes received)",
                    idle.as_secs(),
                    bytes.len()
                )));
            }
            Ok(None) => break,
            Ok(Some(Err(error))) => {
                return Err(ApiError::bad_request(format!(
                    "the request body could not be read: {error}"
                )));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(ApiError::too_large(limit));
            }
            bytes.extend_from_slice(&data);
        }
        let elapsed = started.elapsed();
        if elapsed > BODY_GRACE && (bytes.len() as f64) < BODY_MIN_RATE * elapsed.as_secs_f64() {
            return Err(ApiError::timeout(format!(
                "the request body comes too slowly ({} bytes in {} s; at least {} KiB/s on average)",
                bytes.len(),
                elapsed.as_secs(),
                BODY_MIN_RATE as u64 / 1024
            )));
        }
    }
    Ok(Bytes::from(bytes))
}

//! The one error type of the HTTP interface, [`ApiError`], and its one status table: how
//! each library error ([`crate::Error`]) is answered. A client error (4xx) says what was
//! wrong in French and English, with the detail a client needs to fix its request. A
//! server error (5xx from a fault, not from a limit) is logged with its cause and a short
//! reference, and the client gets that reference and nothing else: no store path, no
//! internal error text.

use std::fmt::Display;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::negotiate;
use crate::error::Error;

/// An error response: a status, a one-line summary in French and English, the detail,
/// as `text/plain`, and any header the status calls for (`Allow`, `Retry-After`…).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    fr: &'static str,
    en: &'static str,
    detail: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// A page for people, sent instead of the text (a resource page's 404).
    page: Option<String>,
}

impl ApiError {
    pub(super) fn new(
        status: StatusCode,
        fr: &'static str,
        en: &'static str,
        detail: String,
    ) -> Self {
        Self {
            status,
            fr,
            en,
            detail,
            headers: Vec::new(),
            page: None,
        }
    }

    /// Answered with this HTML page instead of the text.
    pub(super) fn with_page(mut self, page: String) -> Self {
        self.page = Some(page);
        self
    }

    pub(super) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Its one-line summary ("fr / en") and its detail, for a page that shows it.
    pub(super) fn texts(&self) -> (String, &str) {
        (format!("{} / {}", self.fr, self.en), &self.detail)
    }

    pub(super) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "requête invalide",
            "bad request",
            detail.into(),
        )
    }

    pub(super) fn not_acceptable(offered: &[negotiate::Repr]) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "aucun format demandé n'est disponible",
            "none of the requested formats is available",
            format!(
                "this response can be {}; ask with Accept or the format parameter",
                offered
                    .iter()
                    .map(|r| r.media_type().split(';').next().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }

    pub(super) fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type de contenu non pris en charge",
            "unsupported content type",
            detail.into(),
        )
    }

    pub(super) fn timeout(detail: String) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "requête trop lente",
            "request timeout",
            detail,
        )
        .with_header(header::CONNECTION, HeaderValue::from_static("close"))
    }

    pub(super) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "corps de requête trop grand",
            "request body too large",
            format!("the limit is {limit} bytes"),
        )
    }

    /// A fault of the server (or of the store beneath it): the cause goes to the log
    /// with a short reference; the client gets only the reference, to quote when it
    /// reports the problem.
    pub(super) fn internal(cause: &dyn Display) -> Self {
        let reference = reference();
        tracing::error!(target: "labgraph::serve", reference = %reference, "internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "erreur interne du serveur",
            "internal server error",
            format!("référence / reference: {reference}"),
        )
    }
}

/// The status table: every library error a request can meet, and its answer.
impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let (status, fr, en) = match &error {
            Error::Cancelled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "requête interrompue : budget de temps dépassé",
                "query cancelled: time budget exceeded",
            ),
            Error::TooLarge { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "résultat trop grand",
                "result too large",
            ),
            Error::Rejected { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "écriture refusée par les formes SHACL",
                "write refused by the SHACL shapes",
            ),
            Error::Refused(_) => (
                StatusCode::CONFLICT,
                "refusé dans l'état du store",
                "refused in the store's state",
            ),
            Error::Protected(_) => (
                StatusCode::FORBIDDEN,
                "graphe géré par labgraph",
                "graph managed by labgraph",
            ),
            Error::Query { .. }
            | Error::Limit { .. }
            | Error::Usage(_)
            | Error::Iri { .. }
            | Error::Syntax { .. }
            | Error::Parameter { .. } => {
                (StatusCode::BAD_REQUEST, "requête invalide", "bad request")
            }
            Error::UnknownQuery { .. } => (
                StatusCode::NOT_FOUND,
                "requête nommée inconnue",
                "unknown named query",
            ),
            // The store, a file, the SHACL engine, a panic: the server's fault.
            Error::Io { .. }
            | Error::Store { .. }
            | Error::Panicked(_)
            | Error::Invalid { .. }
            | Error::Shacl(_)
            | Error::Render(_) => return Self::internal(&error),
        };
        Self::new(status, fr, en, error.to_string())
    }
}

/// A task of the blocking pool that panicked or was cancelled: the server's fault.
impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::internal(&format_args!("a blocking task failed: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = if self.detail.is_empty() {
            format!("{} / {}\n", self.fr, self.en)
        } else {
            format!("{} / {}\n{}\n", self.fr, self.en, self.detail)
        };
        let (content_type, body) = match self.page {
            Some(page) => ("text/html; charset=utf-8", page),
            None => ("text/plain; charset=utf-8", body),
        };
        let mut response = (
            self.status,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// A short reference for an internal error, unique enough to find its line in the log.
fn reference() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
    format!("{:08x}", hasher.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(error: ApiError) -> (StatusCode, String) {
        let response = error.into_response();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn server_errors_say_little() {
        let faults = [
            Error::Store {
                path: "/srv/labgraph/secret-store".into(),
                message: "IO error: No space left on device: /srv/labgraph/secret-store/000042.sst"
                    .into(),
            },
            Error::Io {
                path: "/srv/labgraph/secret-store/LOCK".into(),
                source: std::io::Error::other("permission denied"),
            },
            Error::Panicked("index out of bounds at src/secret.rs:12".into()),
        ];
        for fault in faults {
            let (status, body) = text(fault.into()).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(body.starts_with("erreur interne du serveur / internal server error\n"));
            for secret in ["secret", "/srv", "space", "permission", "bounds"] {
                assert!(!body.contains(secret), "{secret} in {body}");
            }
            let reference = body.lines().nth(1).unwrap();
            assert!(reference.starts_with("référence / reference: "), "{body}");
            assert_eq!(reference.rsplit(' ').next().unwrap().len(), 8, "{body}");
        }
        // Client errors keep their detail.
        let (status, body) = text(Error::Usage("the parameter 'x' is wrong".into()).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("the parameter 'x' is wrong"), "{body}");
    }
}

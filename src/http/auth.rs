//! The admin bearer token that guards writes. Only its SHA-256 is kept, and a presented
//! token is compared with it in constant time (`subtle`), so neither the content nor the
//! length of the token leaks through timing.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::error::{Error, Result};

/// Shortest token accepted: a guessable token would make writes public.
pub const MIN_LENGTH: usize = 16;

/// The admin token, as its SHA-256 digest.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl AdminToken {
    /// A token from its text (a file's content or an environment variable; surrounding
    /// white space is dropped).
    pub fn new(token: &str, origin: &str) -> Result<Self> {
        let token = token.trim();
        if token.chars().count() < MIN_LENGTH {
            return Err(Error::Usage(format!(
                "the admin token from {origin} is {} characters long; use at least {MIN_LENGTH} (for example `openssl rand -hex 32`)",
                token.chars().count()
            )));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Usage(format!(
                "the admin token from {origin} contains white space or control characters; an HTTP bearer token cannot"
            )));
        }
        Ok(Self(digest(token)))
    }

    fn matches(&self, presented: &str) -> bool {
        digest(presented).ct_eq(&self.0).into()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Lets a write through only with the admin token: 403 when the server is read-only or
/// the token is wrong, 401 (with `WWW-Authenticate`) when none is presented.
pub(super) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.options.admin_token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ce serveur est en lecture seule",
            "this server is read-only",
            "start it with --admin-token-file or LABGRAPH_ADMIN_TOKEN to accept writes".into(),
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match presented {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "écriture réservée : jeton d'administration requis",
            "writes need the admin token",
            "send it as `Authorization: Bearer <token>`".into(),
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"labgraph\""),
        )),
        Some(token) if expected.matches(token) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "jeton d'administration refusé",
            "wrong admin token",
            String::new(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(AdminToken::new("short", "test").is_err());
        assert!(AdminToken::new("a token with spaces inside", "test").is_err());
        let token = AdminToken::new("  0123456789abcdef0123\n", "test").unwrap();
        assert!(token.matches("0123456789abcdef0123"));
        assert!(!token.matches("0123456789abcdef0124"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "AdminToken(…)");
    }
}

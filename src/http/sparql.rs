//! `/sparql`: the SPARQL 1.1 Protocol's ways to send a request — a query by GET, by POST
//! as a form or directly in the body, an update by POST as a form or directly — checked
//! and handed to `query.rs` or `update.rs`; a GET without a query gets the query page (a
//! browser) or the Service Description (`description.rs`).

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use oxigraph::model::NamedNode;

use super::body::read_body;
use super::negotiate::{self, accept};
use super::params::Params;
use super::query::query_response;
use super::update::update_response;
use super::{ApiError, AppState, Shared, page};
use crate::store::DatasetSpec;

/// `GET /sparql`: a query, else the query page for browsers, else the Service Description.
pub async fn get(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    if params.has("update") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "une mise à jour se fait par POST",
            "updates are sent by POST",
            "SPARQL 1.1 Protocol: send the update as application/sparql-update or as a form field 'update' in a POST".into(),
        ));
    }
    match params.one("query")? {
        Some(query) => {
            let query = query.to_owned();
            query_response(&state, &params, query, &headers).await
        }
        // A `format` asks for the Service Description in that format, even from a browser.
        None if !params.has("format") && negotiate::prefers_html(accept(&headers)) => {
            Ok(page::query_page(&state.page))
        }
        None => super::description::service_description(&state, &params, &headers).await,
    }
}

/// `POST /sparql`: a query or an update, as a form or directly in the body.
pub async fn post(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let mut params = Params::parse(raw.unwrap_or_default().as_bytes());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(negotiate::content_essence);
    // SPARQL texts are UTF-8 (SPARQL 1.1 Protocol 2.1.2 and 2.2.2); a body declared in
    // another charset is refused rather than misread.
    if let Some(charset) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
        })
        .filter(|c| c != "utf-8" && c != "utf8")
    {
        return Err(ApiError::unsupported_media_type(format!(
            "the body is declared in '{charset}': SPARQL requests are sent in UTF-8"
        )));
    }
    let body = read_body(body, state.options.max_query_bytes).await?;
    let text = |body: Bytes| {
        String::from_utf8(body.to_vec())
            .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))
    };
    match content_type.as_deref() {
        Some("application/x-www-form-urlencoded") => {
            params.extend(Params::parse(&body));
            match (params.one("query")?, params.one("update")?) {
                (Some(_), Some(_)) => Err(ApiError::bad_request(
                    "a request carries a query or an update, not both",
                )),
                (Some(query), None) => {
                    let query = query.to_owned();
                    query_response(&state, &params, query, &headers).await
                }
                (None, Some(update)) => {
                    let update = update.to_owned();
                    update_response(&state, &params, update, &headers).await
                }
                (None, None) => Err(ApiError::bad_request(
                    "the form has neither a 'query' nor an 'update' field",
                )),
            }
        }
        Some("application/sparql-query") => {
            if params.has("query") {
                return Err(ApiError::bad_request(
                    "a query sent in the body cannot also be given as a 'query' parameter",
                ));
            }
            query_response(&state, &params, text(body)?, &headers).await
        }
        Some("application/sparql-update") => {
            update_response(&state, &params, text(body)?, &headers).await
        }
        Some(other) => Err(ApiError::unsupported_media_type(format!(
            "'{other}': a SPARQL request is application/sparql-query, application/sparql-update or application/x-www-form-urlencoded"
        ))),
        None => Err(ApiError::unsupported_media_type(
            "the request has no Content-Type: use application/sparql-query, application/sparql-update or application/x-www-form-urlencoded",
        )),
    }
}

/// The dataset named by the protocol's parameters, if any.
pub(super) fn dataset(
    state: &AppState,
    params: &Params,
    default: &str,
    named: &str,
) -> Result<Option<DatasetSpec>, ApiError> {
    let resolve = |name: &str| -> Result<Vec<NamedNode>, ApiError> {
        params
            .all(name)
            .map(|iri| state.store.base().resolve(iri).map_err(ApiError::from))
            .collect()
    };
    let spec = DatasetSpec {
        default: resolve(default)?,
        named: resolve(named)?,
    };
    Ok((params.has(default) || params.has(named)).then_some(spec))
}

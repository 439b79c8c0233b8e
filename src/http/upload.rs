//! Graph Store uploads: the body of a PUT or POST, read within `--max-upload-mib` and
//! parsed into at most `--max-upload-triples` triples (413 beyond) — one RDF document in
//! the format of its `Content-Type`, or the parts of a `multipart/form-data` body (GSP
//! §5.5). Every document is scanned for the bounds of `crate::bounds` before it is
//! parsed, and a syntax error names its line and column.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use oxigraph::io::RdfParser;
use oxigraph::model::Triple;

use super::body::read_body;
use super::negotiate;
use super::{ApiError, Shared, run};
use crate::error::Error;

/// The triples a PUT or POST sends.
pub(super) async fn triples(
    state: &Shared,
    method: &Method,
    content_type: &str,
    body: Body,
) -> Result<Vec<Triple>, ApiError> {
    let limit = state.options.max_upload_bytes;
    let base = state.store.base().as_str().to_owned();
    let cap = state.options.max_upload_triples;
    if *method == Method::POST && negotiate::content_essence(content_type) == "multipart/form-data"
    {
        let parts = multipart(content_type, read_body(body, limit).await?, limit).await?;
        return run::read(state, None, move |_, _| {
            let mut triples = Vec::new();
            for (name, format, bytes) in parts {
                let cap = cap.saturating_sub(triples.len());
                triples.extend(parse(&bytes, format, &base, cap).map_err(|e| match e {
                    Error::Syntax {
                        message, position, ..
                    } => Error::Syntax {
                        source_name: format!("the part '{name}' of the request body"),
                        position,
                        message,
                    },
                    other => other,
                })?);
            }
            Ok(triples)
        })
        .await
        .map_err(upload_error);
    }
    let format = negotiate::rdf_content_type(content_type).ok_or_else(|| {
        ApiError::unsupported_media_type(format!(
            "'{content_type}': send a graph as text/turtle, application/n-triples, application/rdf+xml or application/ld+json"
        ))
    })?;
    let bytes = read_body(body, limit).await?;
    run::read(state, None, move |_, _| parse(&bytes, format, &base, cap))
        .await
        .map_err(upload_error)
}

/// The RDF documents of a `multipart/form-data` body (GSP §5.5): each part's name, RDF
/// format (from its own `Content-Type`, else its file name's extension) and bytes.
async fn multipart(
    content_type: &str,
    body: axum::body::Bytes,
    limit: usize,
) -> Result<Vec<(String, oxigraph::io::RdfFormat, axum::body::Bytes)>, ApiError> {
    use axum::extract::FromRequest as _;
    use tower::{Layer as _, ServiceExt as _};
    let request = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    // The body is read already, within `--max-upload-mib`: the extractor's own default
    // limit (2 MiB) must not apply a second, smaller one.
    let extract = axum::extract::DefaultBodyLimit::max(limit).layer(tower::service_fn(
        |request: axum::http::Request<Body>| async move {
            Ok::<_, std::convert::Infallible>(
                axum::extract::Multipart::from_request(request, &()).await,
            )
        },
    ));
    let mut form = match extract.oneshot(request).await {
        Ok(form) => form,
        Err(never) => match never {},
    }
    .map_err(|e| ApiError::bad_request(format!("the multipart body is malformed: {e}")))?;
    let mut parts = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("the multipart body is malformed: {e}")))?
    {
        let name = field
            .file_name()
            .or(field.name())
            .unwrap_or("unnamed")
            .to_owned();
        let format = field
            .content_type()
            .and_then(negotiate::rdf_content_type)
            .or_else(|| {
                field
                    .file_name()
                    .and_then(|f| crate::format::Rdf::from_path(std::path::Path::new(f)))
                    .map(|f| f.oxigraph())
            })
            .ok_or_else(|| {
                ApiError::unsupported_media_type(format!(
                    "the part '{name}' is not RDF: give it a Content-Type such as text/turtle, or a file name ending in .ttl, .nt, .rdf or .jsonld"
                ))
            })?;
        let bytes = field.bytes().await.map_err(|e| {
            ApiError::bad_request(format!("the part '{name}' could not be read: {e}"))
        })?;
        parts.push((name, format, bytes));
    }
    if parts.is_empty() {
        return Err(ApiError::bad_request("the multipart body holds no part"));
    }
    Ok(parts)
}

/// An upload refused: 413 for too many triples, else as the error says.
fn upload_error(error: Error) -> ApiError {
    match error {
        Error::Usage(message) if message.starts_with(TOO_MANY_TRIPLES) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "trop de triplets dans une écriture",
            "too many triples in one write",
            message,
        ),
        other => other.into(),
    }
}

/// How the message about an upload of too many triples starts.
const TOO_MANY_TRIPLES: &str = "the upload holds more triples than the limit of ";

/// Parses an uploaded graph of at most `cap` triples; a syntax error names its line and
/// column.
fn parse(
    bytes: &[u8],
    format: oxigraph::io::RdfFormat,
    base: &str,
    cap: usize,
) -> crate::Result<Vec<Triple>> {
    crate::bounds::scan_rdf(bytes, format, "the request body")?;
    let parser = RdfParser::from_format(format)
        .with_base_iri(base)
        .map_err(|e| Error::Iri {
            iri: base.to_owned(),
            message: e.to_string(),
        })?;
    parser
        .for_slice(bytes)
        .enumerate()
        .map(|(n, quad)| {
            if n >= cap {
                return Err(Error::Usage(format!(
                    "{TOO_MANY_TRIPLES}{cap} (--max-upload-triples): import a larger graph with `labgraph import`"
                )));
            }
            let quad = quad.map_err(|e| {
                crate::source::with_rdfxml_position(
                    crate::source::syntax_error("the request body", e.into()),
                    bytes,
                    format,
                )
            })?;
            if !quad.graph_name.is_default_graph() {
                return Err(Error::Usage(
                    "the body holds named graphs; the Graph Store Protocol sends one graph".into(),
                ));
            }
            Ok(Triple::from(quad))
        })
        .collect()
}

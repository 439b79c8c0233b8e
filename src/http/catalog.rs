//! The files the store publishes (`crate::publish`), served as they were written: the
//! DCAT-AP catalogue at `/catalog.ttl|.jsonld|.rdf` (200 whatever `Accept` says, and no
//! redirect: data.gouv.fr's harvester sends no `Accept` and follows none), VoID at
//! `/.well-known/void` by content negotiation, the dumps at `/dumps/…` (with range
//! requests, `Last-Modified`, an ETag that is the file's SHA-256, and `Repr-Digest`), the
//! sitemap, and `robots.txt`.
//!
//! Serving them is a file read: the files name this server by a placeholder origin,
//! replaced by the origin the client reached, and are otherwise sent as written.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use tower::ServiceExt as _;

use super::negotiate::{self, Repr, accept};
use super::params::Params;
use super::{ApiError, Shared, run};
use crate::publish::{Generation, ORIGIN, Publication};

/// The generation to serve (the first is written now if there is none).
async fn generation(state: &Shared) -> Result<Arc<Generation>, ApiError> {
    run::read(state, None, |store, _| Publication::of(store)?.serve())
        .await
        .map_err(|e| {
            tracing::error!("publication: {e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "le catalogue et les fichiers ne sont pas prêts",
                "the catalogue and the dumps are not ready",
                "they could not be written; they will be at the next write (see the server's log)"
                    .into(),
            )
        })
}

pub(super) async fn catalog_ttl(state: State<Shared>, headers: HeaderMap) -> Response {
    catalog(state, headers, "catalog.ttl").await
}

pub(super) async fn catalog_jsonld(state: State<Shared>, headers: HeaderMap) -> Response {
    catalog(state, headers, "catalog.jsonld").await
}

pub(super) async fn catalog_rdf(state: State<Shared>, headers: HeaderMap) -> Response {
    catalog(state, headers, "catalog.rdf").await
}

async fn catalog(State(state): State<Shared>, headers: HeaderMap, name: &str) -> Response {
    match generation(&state).await {
        Ok(generation) => text_file(&generation, name, &headers, false).await,
        Err(e) => e.into_response(),
    }
}

/// VoID, in the RDF format the client prefers (Turtle by default).
pub(super) async fn void(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref().unwrap_or_default().as_bytes());
    let offered = [
        Repr::Graph(oxigraph::io::RdfFormat::Turtle),
        Repr::Graph(oxigraph::io::RdfFormat::NTriples),
        Repr::Graph(oxigraph::io::RdfFormat::RdfXml),
        Repr::Graph(oxigraph::io::RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        }),
    ];
    let chosen = negotiate::choose(&offered, accept(&headers), params.format()?)
        .ok_or_else(|| ApiError::not_acceptable(&offered))?;
    let name = match chosen {
        Repr::Graph(oxigraph::io::RdfFormat::NTriples) => "void.nt",
        Repr::Graph(oxigraph::io::RdfFormat::RdfXml) => "void.rdf",
        Repr::Graph(oxigraph::io::RdfFormat::JsonLd { .. }) => "void.jsonld",
        _ => "void.ttl",
    };
    let generation = generation(&state).await?;
    Ok(text_file(&generation, name, &headers, true).await)
}

/// The sitemap, or its index.
pub(super) async fn sitemap(State(state): State<Shared>, headers: HeaderMap) -> Response {
    match generation(&state).await {
        Ok(generation) => text_file(&generation, "sitemap.xml", &headers, false).await,
        Err(e) => e.into_response(),
    }
}

/// One file of a sitemap index.
pub(super) async fn sitemap_part(
    State(state): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    match generation(&state).await {
        Ok(generation) => {
            text_file(&generation, &format!("sitemaps/{name}"), &headers, false).await
        }
        Err(e) => e.into_response(),
    }
}

/// `robots.txt`: the sitemap, and crawlers kept off the SPARQL endpoint, the named
/// queries' results and the other formats of the pages (`?format=`, the RDF suffixes).
pub(super) async fn robots(headers: HeaderMap) -> Response {
    let origin = super::resource::origin(&headers);
    let body = format!(
        "# labgraph: the pages are for crawlers; the SPARQL endpoint, the API's results and\n\
         # the other formats of each page (the dumps list them all) are not.\n\
         User-agent: *\n\
         Disallow: /sparql\n\
         Disallow: /queries/\n\
         Disallow: /store\n\
         Disallow: /search\n\
         Disallow: /reconcile\n\
         Disallow: /suggest\n\
         Disallow: /admin/\n\
         Disallow: /dumps/\n\
         Disallow: /*?format=\n\
         Disallow: /*.ttl$\n\
         Disallow: /*.nt$\n\
         Disallow: /*.rdf$\n\
         Disallow: /*.jsonld$\n\
         Disallow: /*.ics$\n\
         Allow: /catalog.ttl\n\
         Allow: /catalog.rdf\n\
         Allow: /catalog.jsonld\n\
         \n\
         Sitemap: {origin}/sitemap.xml\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// A dump: the file itself, by ranges if asked.
pub(super) async fn dump(
    State(state): State<Shared>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let generation = generation(&state).await?;
    let name = format!("dumps/{path}");
    let Some((file, info)) = generation.file(&name) else {
        return Err(unknown_dump(&path, &generation));
    };
    let etag = format!("\"{}\"", info.sha256);
    let (mut parts, body) = request.into_parts();
    let names = |name: header::HeaderName| -> Option<Vec<String>> {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').map(|t| t.trim().to_owned()).collect())
    };
    let matches = |tags: &[String]| tags.iter().any(|t| *t == etag || t == "*");
    // If-Match: a client that holds another version changes nothing here (412).
    if names(header::IF_MATCH).is_some_and(|tags| !matches(&tags)) {
        let mut response = StatusCode::PRECONDITION_FAILED.into_response();
        set(&mut response, header::ETAG, &etag);
        return Ok(response);
    }
    // If-None-Match: 304 for the client's own copy; when present, `If-Modified-Since`
    // does not count (RFC 9110, 13.1.3), so the file service does not see it.
    if let Some(tags) = names(header::IF_NONE_MATCH) {
        if matches(&tags) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            set(&mut response, header::ETAG, &etag);
            return Ok(response);
        }
        parts.headers.remove(header::IF_MODIFIED_SINCE);
    }
    // If-Range: a download resumed on a dump that has changed since gets the whole new
    // file, never the rest of another (RFC 9110, 13.1.5).
    if let Some(validator) = parts
        .headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
    {
        let same = if validator.starts_with('"') || validator.starts_with("W/") {
            validator == etag
        } else {
            let modified = crate::publish::epoch_seconds(&info.modified);
            httpdate::parse_http_date(validator)
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .is_some_and(|t| Some(t.as_secs()) == modified)
        };
        if !same {
            parts.headers.remove(header::RANGE);
        }
    }
    let request = Request::from_parts(parts, body);
    // Ranges, `If-Modified-Since`, `If-Unmodified-Since` and HEAD: tower-http's file
    // service (the file's time is the data's, set when it was written).
    let served = match tower_http::services::ServeFile::new(&file)
        .oneshot(request)
        .await
    {
        Ok(served) => served,
        Err(never) => match never {},
    };
    let mut response = served.map(Body::new);
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        set(&mut response, header::ETAG, &etag);
        set(&mut response, header::CACHE_CONTROL, "no-cache");
        if response.status().is_success() {
            let digest = hex_to_bytes(&info.sha256);
            set(
                &mut response,
                "repr-digest",
                &format!(
                    "sha-256=:{}:",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                ),
            );
            set(&mut response, header::CONTENT_TYPE, &info.media_type);
            let file_name = path.rsplit('/').next().unwrap_or(&path);
            set(
                &mut response,
                header::CONTENT_DISPOSITION,
                &format!("attachment; filename=\"{file_name}\""),
            );
        }
    }
    Ok(response)
}

fn unknown_dump(path: &str, generation: &Generation) -> ApiError {
    let known: Vec<&str> = generation
        .manifest
        .files
        .keys()
        .filter_map(|k| k.strip_prefix("dumps/"))
        .collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ce fichier n'existe pas",
        "no such dump",
        format!(
            "/dumps/{path} is not a dump of this dataset; the dumps are: {}",
            known.join(", ")
        ),
    )
}

/// A text file of the generation, its placeholder origin replaced by the client's; 304
/// when the client holds it. `vary`: the file was chosen by `Accept`.
async fn text_file(
    generation: &Arc<Generation>,
    name: &str,
    headers: &HeaderMap,
    vary: bool,
) -> Response {
    let Some((path, info)) = generation.file(name) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "ce fichier n'existe pas",
            "no such file",
            format!("/{name} is not published"),
        )
        .into_response();
    };
    let origin = super::resource::origin(headers);
    // The entity depends on the file and on the origin written into it.
    let etag = format!(
        "\"{}-{}\"",
        &info.sha256[..32],
        crate::publish::short_digest(&origin)
    );
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let read = tokio::fs::read(&path).await;
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(e) => {
                return ApiError::from(crate::error::Error::Io { path, source: e }).into_response();
            }
        };
        let body = String::from_utf8_lossy(&bytes).replace(ORIGIN, &origin);
        let media_type = if info.media_type.contains("charset") || info.media_type.contains("json")
        {
            info.media_type.clone()
        } else {
            format!("{}; charset=utf-8", info.media_type)
        };
        let mut response = body.into_response();
        set(&mut response, header::CONTENT_TYPE, &media_type);
        response
    };
    set(&mut response, header::ETAG, &etag);
    set(&mut response, header::CACHE_CONTROL, "no-cache");
    if let Some(modified) = http_date(&info.modified) {
        set(&mut response, header::LAST_MODIFIED, &modified);
    }
    if vary {
        set(&mut response, header::VARY, "Accept");
    }
    response
}

/// An `xsd:dateTime` as an HTTP date.
fn http_date(date_time: &str) -> Option<String> {
    let seconds = crate::publish::epoch_seconds(date_time)?;
    Some(httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds),
    ))
}

fn set(response: &mut Response, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

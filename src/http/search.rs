//! `GET /search?q=…`: the text index, as JSON for programs and as a page for browsers
//! (the search box of every page leads here).
//!
//! Parameters: `q` (the words, up to 1,000 characters), `type` (a class: an IRI, a
//! prefixed name such as `lg:Seminar`, repeatable: any of them), `theme`, `territory`,
//! `goal` (the resources linked to it or to something in it; an IRI, a path under the
//! base such as `theme/sante`, or for a goal its number; each repeatable: any of them),
//! `kind` (`data` unless said, `ontology`, `shapes`), `lang` (`fr`, `en`: the texts in
//! that language only, and its labels first), `page` (from 1), `limit` (20 unless said,
//! at most 100), `format` (`json`, `html`).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use oxigraph::model::NamedNode;

use super::cache::Entry;
use super::negotiate::{self, Repr};
use super::params::Params;
use super::respond::{self, Tag};
use super::{ApiError, Shared, run};
use crate::iri::BaseIri;
use crate::pages;
use crate::search::{Found, Kind, Request, TextIndex};
use crate::vocab;

/// Results per page unless `limit` says, and at most.
const PAGE: usize = 20;
const MOST: usize = 100;

/// `GET /search`.
pub async fn search(
    State(state): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let raw = raw.unwrap_or_default();
    let params = Params::parse(raw.as_bytes());
    let html = match params.format()? {
        Some("html") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown format '{other}': a search answers in json or html"
            )));
        }
        None => negotiate::prefers_html(negotiate::accept(&headers)),
    };
    let (request, page) = request(&params, state.store.base())?;
    // The other pages of the same search keep its parameters.
    let same: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| k != "page" && k != "format")
        .cloned()
        .collect();
    let tag = Tag::new(&state, ("search", &raw, html));
    let compute = {
        let state = state.clone();
        async move {
            let permit = run::slot(&state)?;
            let budget = Some(state.options.timeout);
            let body = run::read(&state, budget, move |store, _| {
                let _permit = permit;
                // Filters name what the store describes.
                for group in &request.within {
                    for iri in group {
                        if !store.describes(iri)? {
                            return Err(crate::error::Error::Usage(format!(
                                "le référentiel ne décrit pas {iri} / the référentiel does not describe {iri}"
                            )));
                        }
                    }
                }
                let found = TextIndex::of(store)?.search(&request)?;
                let license = store.license()?;
                if html {
                    page_of(store.base(), &request, page, &found, &same, license)
                } else {
                    Ok(json(store.base(), &request, page, &found))
                }
            })
            .await?;
            Ok(Entry {
                body: body.into_bytes().into(),
                content_type: if html {
                    Repr::Html.media_type()
                } else {
                    "application/json"
                },
                link: None,
            })
        }
    };
    let mut response = respond::cached(&state, &headers, tag, compute).await?;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(if method == Method::HEAD {
        respond::head(response)
    } else {
        response
    })
}

/// The search a query string asks for, and its page.
fn request(params: &Params, base: &BaseIri) -> Result<(Request, usize), ApiError> {
    let q = params
        .one("q")?
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("q is missing or empty: /search?q=îlots de chaleur")
        })?;
    if q.chars().count() > crate::search::LONGEST_QUERY {
        return Err(ApiError::bad_request(format!(
            "q is longer than {} characters",
            crate::search::LONGEST_QUERY
        )));
    }
    let number = |name: &str, default: usize, most: usize| -> Result<usize, ApiError> {
        match params.one(name)? {
            None => Ok(default),
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=most).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name} must be a number from 1 to {most}, not '{v}'"
                    ))
                }),
        }
    };
    let limit = number("limit", PAGE, MOST)?;
    let page = number("page", 1, 10_000)?;
    let mut request = Request::new(q, limit);
    request.offset = (page - 1) * limit;
    for value in params.all("type") {
        request.types.push(iri(value, base, "type")?);
    }
    for name in ["theme", "territory", "goal"] {
        let group = params
            .all(name)
            .map(|v| {
                if name == "goal" && !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
                    Ok(NamedNode::new_unchecked(format!("{}{v}", vocab::SDG)))
                } else {
                    iri(v, base, name)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !group.is_empty() {
            request.within.push(group);
        }
    }
    let kinds = params
        .all("kind")
        .map(|k| match k {
            "data" => Ok(Kind::Data),
            "ontology" => Ok(Kind::Ontology),
            "shapes" => Ok(Kind::Shapes),
            other => Err(ApiError::bad_request(format!(
                "kind is data, ontology or shapes, not '{other}'"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !kinds.is_empty() {
        request.kinds = kinds;
    }
    request.language = match params.one("lang")? {
        None | Some("") => None,
        Some(l @ ("fr" | "en")) => Some(l.to_owned()),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "lang is fr or en (the languages of the texts), not '{other}'"
            )));
        }
    };
    Ok((request, page))
}

/// An IRI from a parameter: absolute, a prefixed name of the project's prefixes, or a
/// path under the base IRI.
fn iri(value: &str, base: &BaseIri, name: &str) -> Result<NamedNode, ApiError> {
    let bad = |why: &str| ApiError::bad_request(format!("{name}='{value}': {why}"));
    if value.is_empty() {
        return Err(bad("empty"));
    }
    if let Some((prefix, local)) = value.split_once(':')
        && let Some((_, namespace)) = vocab::PREFIXES.iter().find(|(p, _)| *p == prefix)
    {
        return NamedNode::new(format!("{namespace}{local}")).map_err(|e| bad(&e.to_string()));
    }
    if value.contains("://") {
        return NamedNode::new(value).map_err(|e| bad(&e.to_string()));
    }
    base.resolve(value).map_err(|e| bad(&e.to_string()))
}

fn url(params: &[(String, String)], page: usize, format: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    query.append_pair("format", format);
    format!("/search?{}", query.finish())
}

fn json(base: &BaseIri, request: &Request, page: usize, found: &Found) -> String {
    let pages = found.total.div_ceil(request.limit).max(1);
    let results: Vec<_> = found
        .hits
        .iter()
        .map(|h| {
            serde_json::json!({
                "iri": h.iri,
                "label": h.label,
                "language": h.language,
                "types": h.types,
                "score": h.score,
                "snippet": h.snippet,
                "exact": h.exact,
                "page": pages::href(base, &h.iri, true),
            })
        })
        .collect();
    serde_json::json!({
        "q": request.text,
        "total": found.total,
        "page": page,
        "pages": pages,
        "limit": request.limit,
        "results": results,
    })
    .to_string()
}

fn page_of(
    base: &BaseIri,
    request: &Request,
    page: usize,
    found: &Found,
    params: &[(String, String)],
    license: Option<NamedNode>,
) -> crate::error::Result<String> {
    let pages = found.total.div_ceil(request.limit).max(1);
    let hits: Vec<_> = found
        .hits
        .iter()
        .map(|h| {
            minijinja::context! {
                href => pages::href(base, &h.iri, true),
                label => h.label,
                language => h.language,
                type => h.types.first().map(|t| vocab::prefixed(t)),
                snippet => h.snippet,
            }
        })
        .collect();
    let filters = request
        .types
        .iter()
        .chain(request.within.iter().flatten())
        .map(|t| vocab::prefixed(t.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    pages::search_page(minijinja::context! {
        q => request.text,
        total => found.total,
        page,
        pages,
        first => request.offset + 1,
        hits,
        filters,
        previous => (page > 1).then(|| url(params, page - 1, "html")),
        next => (page < pages).then(|| url(params, page + 1, "html")),
        json => url(params, page, "json"),
        version => env!("CARGO_PKG_VERSION"),
        license => license.map(|l| l.as_str().to_owned()),
    })
}

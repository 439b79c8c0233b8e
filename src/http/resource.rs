//! `/id/{path}`: every IRI under the base IRI resolves here (`<base>seminar/x` →
//! `/id/seminar/x`). A named graph answers with the graph itself (the Graph Store
//! Protocol's direct identification, writes included); any other resource the store
//! describes answers with its description, by content negotiation — HTML for browsers,
//! Turtle, JSON-LD, N-Triples or RDF/XML for programs — or by suffix (`.ttl`, `.jsonld`,
//! `.nt`, `.rdf`, `.html`) or `?format=`. Its links are paged (`?page=N`, `Link:
//! rel="next"`). An IRI the store does not describe is a 404, a page for browsers.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::NamedNode;

use super::cache::Entry;
use super::negotiate::{self, Repr, accept};
use super::params::Params;
use super::respond::{self, Tag};
use super::{ApiError, Shared, gsp, run};
use crate::error::Error;
use crate::format::Rdf;
use crate::pages::{self, Alternate};
use crate::store::Description;
use crate::vocab;

/// The formats of a resource, in the server's order of preference for `*/*`, with the
/// suffix that names each.
fn offered() -> [(Repr, &'static str, &'static str); 5] {
    [
        (Repr::Graph(RdfFormat::Turtle), "ttl", "Turtle"),
        (Repr::Graph(Rdf::JsonLd.oxigraph()), "jsonld", "JSON-LD"),
        (Repr::Graph(RdfFormat::NTriples), "nt", "N-Triples"),
        (Repr::Graph(RdfFormat::RdfXml), "rdf", "RDF/XML"),
        (Repr::Html, "html", "HTML"),
    ]
}

pub async fn handle(
    State(state): State<Shared>,
    Path(path): Path<String>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // A seminar's page is also its calendar (`.ics`, or `text/calendar` first in Accept).
    if (method == Method::GET || method == Method::HEAD)
        && let Some((resource, named)) =
            super::feeds::wants_calendar(&path, raw.as_deref(), &headers)
        && let Some(response) = super::feeds::seminar(&state, resource, named, &headers).await?
    {
        return Ok(if method == Method::HEAD {
            super::respond::head(response)
        } else {
            response
        });
    }
    // A suffix names the format: `/id/seminar/x.ttl` is `/id/seminar/x` in Turtle.
    let suffixed = offered().into_iter().find_map(|(repr, suffix, _)| {
        path.strip_suffix(&format!(".{suffix}"))
            .filter(|rest| !rest.is_empty())
            .map(|rest| (rest.to_owned(), repr))
    });
    let (resource_path, forced) = match suffixed {
        Some((rest, repr)) => (rest, Some(repr)),
        None => (path.clone(), None),
    };
    let base = state.store.base().as_str();
    let iri = format!("{base}{resource_path}");
    let subject = NamedNode::new(&iri);
    // Writes, and reads of a named graph, are the Graph Store Protocol's. For a read, one
    // trip to the store before anything else: whether the path names a graph, and
    // whether the data says another IRI replaces the resource.
    let writes = method != Method::GET && method != Method::HEAD;
    let (is_graph, replaced) = if writes {
        (false, None)
    } else {
        let store = state.store.clone();
        let graph = NamedNode::new(format!("{base}{path}")).ok();
        let subject = subject.as_ref().ok().cloned();
        tokio::task::spawn_blocking(move || -> crate::error::Result<_> {
            let is_graph = match graph {
                Some(g) => store.has_graph(g.as_ref().into())?,
                None => false,
            };
            let replaced = match subject {
                Some(s) if !is_graph => store.replaced_by(&s)?,
                _ => None,
            };
            Ok((is_graph, replaced))
        })
        .await??
    };
    if writes || is_graph {
        return gsp::direct(
            State(state),
            Path(path),
            method,
            RawQuery(raw),
            headers,
            body,
        )
        .await;
    }
    let subject = subject.map_err(|e| Error::Iri {
        iri: iri.clone(),
        message: e.to_string(),
    })?;
    serve(
        &state,
        &method,
        &headers,
        raw.as_deref(),
        Address::Local(resource_path),
        forced,
        replaced,
        subject,
    )
    .await
}

/// `/resource?iri=…`: the page and the RDF of an IRI outside the base IRI that the store
/// describes (an SDG goal, target or indicator of the UN; a term of the ontology), the
/// same as `/id/…` for the IRIs it mints. An IRI under the base moves to its `/id/` path.
pub async fn external(
    State(state): State<Shared>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref().unwrap_or_default().as_bytes());
    let Some(iri) = params.one("iri")? else {
        return Err(ApiError::bad_request(
            "?iri= names the resource: /resource?iri=http%3A%2F%2Fmetadata.un.org%2Fsdg%2F11",
        ));
    };
    let subject = NamedNode::new(iri)
        .map_err(|e| ApiError::bad_request(format!("?iri={iri} is not an absolute IRI: {e}")))?;
    if let Some(location) = pages::local_path(state.store.base(), subject.as_str()) {
        return Ok(moved(&location, subject.as_str()));
    }
    let replaced = {
        let store = state.store.clone();
        let subject = subject.clone();
        tokio::task::spawn_blocking(move || store.replaced_by(&subject)).await??
    };
    serve(
        &state,
        &method,
        &headers,
        raw.as_deref(),
        Address::External(subject.as_str().to_owned()),
        None,
        replaced,
        subject,
    )
    .await
}

/// Where a resource's page is on this server: `/id/{path}` for an IRI under the base,
/// `/resource?iri=…` for another.
enum Address {
    Local(String),
    External(String),
}

impl Address {
    /// The page's URL, whatever the format.
    fn own(&self) -> String {
        match self {
            Address::Local(path) => format!("/id/{path}"),
            Address::External(iri) => pages::external_path(iri),
        }
    }

    /// Its URL in the format of `suffix`.
    fn in_format(&self, suffix: &str) -> String {
        match self {
            Address::Local(_) => format!("{}.{suffix}", self.own()),
            Address::External(_) => format!("{}&format={suffix}", self.own()),
        }
    }

    /// The prefix of the URLs of its pages of links, to which a page number is added.
    fn pager(&self) -> String {
        match self {
            Address::Local(_) => format!("{}?page=", self.own()),
            Address::External(_) => format!("{}&page=", self.own()),
        }
    }
}

/// 301 to `location`, the page of `target`.
fn moved(location: &str, target: &str) -> Response {
    let mut response = Response::new(Body::from(format!(
        "remplacée par / replaced by <{target}>\n"
    )));
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The description of `subject` at `address`, in the format asked for.
#[allow(clippy::too_many_arguments)]
async fn serve(
    state: &Shared,
    method: &Method,
    headers: &HeaderMap,
    raw: Option<&str>,
    address: Address,
    forced: Option<Repr>,
    replaced: Option<NamedNode>,
    subject: NamedNode,
) -> Result<Response, ApiError> {
    let iri = subject.as_str().to_owned();
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let page = page_number(&params)?;
    // Where the data says another IRI replaces this one: 301 to its page.
    if let Some(target) = replaced {
        let location = pages::href(state.store.base(), target.as_str(), true);
        return Ok(moved(&location, target.as_str()));
    }
    let reprs: Vec<Repr> = offered().iter().map(|(r, _, _)| *r).collect();
    let repr = match (forced, params.format()?) {
        (Some(repr), _) => repr,
        (None, Some(format)) => {
            let format = format.trim();
            match offered().iter().find(|(_, suffix, _)| *suffix == format) {
                Some((repr, _, _)) => *repr,
                None if format == "text/html" => Repr::Html,
                // A format that names none of the offers is an error, not a wish Accept
                // decides.
                None => negotiate::choose(&reprs, Some("x-none/x-none"), Some(format)).ok_or_else(
                    || {
                        ApiError::bad_request(format!(
                            "unknown format '{format}': a resource is offered as {}",
                            names()
                        ))
                    },
                )?,
            }
        }
        (None, None) => negotiate::choose(&reprs, accept(headers), None)
            .ok_or_else(|| ApiError::not_acceptable(&reprs))?,
    };
    let own = address.own();
    let pager = address.pager();
    let alternates: Vec<Alternate> = offered()
        .iter()
        .map(|(r, suffix, name)| Alternate {
            name,
            media_type: r.media_type(),
            href: address.in_format(suffix),
        })
        .collect();
    let suffix = offered()
        .iter()
        .find(|(r, _, _)| *r == repr)
        .map_or("ttl", |(_, s, _)| *s);
    let origin = origin(headers);
    let tag = Tag::new(state, ("resource", &iri, repr.media_type(), page, &origin));
    let compute = {
        let state = state.clone();
        let alternates = alternates.clone();
        let own = own.clone();
        async move {
            let permit = run::slot(&state)?;
            // Within the server's time budget, like a query: the domain view runs named
            // queries.
            let budget = Some(state.options.timeout);
            let found = run::read(&state, budget, move |store, token| {
                let _permit = permit;
                let Some(description) = store.describe(&subject, page)? else {
                    return Ok(None);
                };
                let license = store.license()?;
                let body = match repr {
                    Repr::Html => {
                        // The labels and the provenance are read while the domain view's
                        // queries run.
                        let (labels, versions, sections) = std::thread::scope(|scope| {
                            let side =
                                crate::bounds::spawn_large(scope, || -> crate::error::Result<_> {
                                    let labels =
                                        store.labels(&description.iris(), &pages::LANGUAGES)?;
                                    // The versions of the graphs that hold the resource, not all.
                                    let mut versions = Vec::new();
                                    for graph in &description.graphs {
                                        versions.extend(store.versions(Some(graph))?);
                                    }
                                    Ok((labels, versions))
                                });
                            let sections = pages::domain::sections(
                                store,
                                &description.subject,
                                &description.types(),
                                token,
                            );
                            let (labels, versions) = side.join().unwrap_or_else(|_| {
                                Err(Error::Render("reading the labels panicked".into()))
                            })?;
                            Ok::<_, Error>((labels, versions, sections?))
                        })?;
                        // A seminar's page is also its calendar.
                        let mut alternates = alternates.clone();
                        if description
                            .types()
                            .iter()
                            .any(|t| t.as_ref() == crate::vocab::lg::SEMINAR)
                        {
                            alternates.push(Alternate {
                                name: "iCalendar",
                                media_type: "text/calendar",
                                href: format!("{own}.ics"),
                            });
                        }
                        pages::resource(
                            &description,
                            &pages::Context {
                                base: store.base(),
                                labels: &labels,
                                versions: &versions,
                                path: &own,
                                pager: &pager,
                                alternates: &alternates,
                                origin: &origin,
                                license: license.as_ref().map(|l| l.as_str()),
                                sections: &sections,
                            },
                        )?
                        .into_bytes()
                    }
                    Repr::Graph(format) => serialize(&description, format)?,
                    Repr::Results(_) => unreachable!("a resource is not offered as results"),
                };
                // The next page of links, and the licence of the data.
                let links: Vec<String> = description
                    .has_next()
                    .then(|| format!("<{pager}{}>; rel=\"next\"", page + 1))
                    .into_iter()
                    .chain(
                        license
                            .filter(|l| l.as_str().is_ascii())
                            .map(|l| format!("<{}>; rel=\"license\"", l.as_str())),
                    )
                    .collect();
                Ok(Some((body, (!links.is_empty()).then(|| links.join(", ")))))
            })
            .await?;
            match found {
                Some((body, next)) => Ok(Entry {
                    body: body.into(),
                    content_type: repr.media_type(),
                    link: next,
                }),
                None => Err(not_found(&iri, repr)?),
            }
        }
    };
    let mut response = respond::cached(state, headers, tag, compute).await?;
    let links: Vec<String> = alternates
        .iter()
        .map(|a| format!("<{}>; rel=\"alternate\"; type=\"{}\"", a.href, a.media_type))
        .collect();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    if let Ok(location) = HeaderValue::from_str(&address.in_format(suffix)) {
        response_headers.insert(header::CONTENT_LOCATION, location);
    }
    // One Link header: the alternates, then what the body adds (the next page of links,
    // the licence), since many clients read only the first.
    let links: Vec<String> = links
        .into_iter()
        .chain(
            response_headers
                .get_all(header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned)),
        )
        .collect();
    if let Ok(links) = HeaderValue::from_str(&links.join(", ")) {
        response_headers.insert(header::LINK, links);
    }
    if repr == Repr::Html {
        response_headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
    }
    Ok(if *method == Method::HEAD {
        respond::head(response)
    } else {
        response
    })
}

/// `?page=N`, from 1 (the first when absent).
fn page_number(params: &Params) -> Result<usize, ApiError> {
    match params.one("page")? {
        None => Ok(1),
        Some(p) => p.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
            ApiError::bad_request(format!("?page must be a number from 1, not '{p}'"))
        }),
    }
}

/// `GET /lists/{name}`: an index page (seminars, institutions, territories, themes, the
/// SDGs), a page at a time (`?page=N`, `Link: rel="next"`), cached like a query.
pub async fn list(
    State(state): State<Shared>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(list) = pages::lists::find(&name) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "liste inconnue",
            "unknown list",
            format!(
                "no list '{name}': the lists are {}",
                pages::lists::LISTS
                    .iter()
                    .map(|l| format!("/lists/{}", l.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let params = Params::parse(raw.as_deref().unwrap_or_default().as_bytes());
    let page = page_number(&params)?;
    let path = format!("/lists/{}", list.name);
    let origin = origin(&headers);
    let tag = Tag::new(&state, ("list", list.name, page, &origin));
    let compute = {
        let state = state.clone();
        async move {
            let permit = run::slot(&state)?;
            let budget = Some(state.options.timeout);
            let (body, next) = run::read(&state, budget, move |store, token| {
                let _permit = permit;
                let content = pages::lists::page(store, list, page, token)?;
                let pages_in_all = content.total.div_ceil(pages::LIST_PAGE).max(1);
                if page > pages_in_all {
                    return Ok((None, None));
                }
                let next = (page < pages_in_all)
                    .then(|| format!("<{path}?page={}>; rel=\"next\"", page + 1));
                let license = store.license()?;
                let body = pages::list(
                    list,
                    page,
                    &content,
                    &path,
                    &origin,
                    license.as_ref().map(|l| l.as_str()),
                )?;
                Ok((Some(body), next))
            })
            .await?;
            match body {
                Some(body) => Ok(Entry {
                    body: body.into_bytes().into(),
                    content_type: Repr::Html.media_type(),
                    link: next,
                }),
                None => Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "page inexistante",
                    "no such page",
                    format!("the list {} has fewer than {page} pages", list.name),
                )),
            }
        }
    };
    let mut response = respond::cached(&state, &headers, tag, compute).await?;
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    Ok(if method == Method::HEAD {
        respond::head(response)
    } else {
        response
    })
}

/// A page loads its style from this server and nothing else; its JSON-LD is data.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

fn names() -> String {
    offered()
        .iter()
        .map(|(_, suffix, _)| *suffix)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scheme and host clients reach this server by, for the absolute links a page
/// prints: `X-Forwarded-Proto` and `X-Forwarded-Host` when a proxy sets them, else
/// `Host`. The IRIs of the data are never rewritten.
pub(super) fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
            .filter(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
            })
    };
    let scheme = get("x-forwarded-proto")
        .filter(|s| s == "http" || s == "https")
        .unwrap_or_else(|| "http".to_owned());
    let host = get("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// The description in an RDF syntax, with the prefixes of the model; JSON-LD compacted
/// with the project's context.
fn serialize(description: &Description, format: RdfFormat) -> crate::error::Result<Vec<u8>> {
    if matches!(format, RdfFormat::JsonLd { .. }) {
        let triples: Vec<_> = description
            .outgoing
            .iter()
            .chain(&description.incoming)
            .cloned()
            .collect();
        return serde_json::to_vec_pretty(&crate::jsonld::compact(&triples))
            .map_err(|e| Error::Render(e.to_string()));
    }
    let render = |e: std::io::Error| Error::Render(e.to_string());
    let mut serializer = RdfSerializer::from_format(format);
    for (prefix, namespace) in vocab::PREFIXES {
        serializer = serializer
            .with_prefix(*prefix, *namespace)
            .map_err(|e| Error::Render(e.to_string()))?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for triple in description.outgoing.iter().chain(&description.incoming) {
        writer.serialize_triple(triple.as_ref()).map_err(render)?;
    }
    writer.finish().map_err(render)
}

/// 404 for an IRI the store does not describe: a page for browsers, text for programs.
fn not_found(iri: &str, repr: Repr) -> Result<ApiError, ApiError> {
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        "ressource inconnue",
        "unknown resource",
        format!(
            "the store says nothing about <{iri}>; /sparql and /queries/search find what it holds"
        ),
    );
    Ok(if repr == Repr::Html {
        error.with_page(pages::not_found(iri)?)
    } else {
        error
    })
}

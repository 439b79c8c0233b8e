//! `/feeds/…`: the feeds of `queries/feeds/` (`crate::feeds`), answered like every read
//! (ETag, `If-None-Match`, the result cache until the next write). An unknown feed, or a
//! key naming no territory, theme or goal, is a 404 that says which.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cache::Entry;
use super::respond::{self, Tag};
use super::{ApiError, Shared, run};
use crate::feeds::{self, Kind, NotFound};

pub(super) async fn feed(
    State(state): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let origin = super::resource::origin(&headers);
    let tag = Tag::new(&state, ("feed", path.as_str(), origin.as_str()));
    let work_state = state.clone();
    respond::cached(&state, &headers, tag, async move {
        let url = format!("{origin}/feeds/{path}");
        let answer = run::read(&work_state, None, move |store, _| {
            let all = feeds::all()?;
            let selected = match feeds::select(store, all, &path)? {
                Ok(selected) => selected,
                Err(missing) => return Ok(Err(missing)),
            };
            let kind = selected.feed.kind;
            let body = match kind {
                Kind::Calendar => feeds::calendar(store, &selected, &origin, None)?,
                Kind::Atom => feeds::atom(store, &selected, &origin, &url)?,
            };
            Ok(Ok((kind, body)))
        })
        .await?;
        match answer {
            Ok((kind, body)) => Ok(Entry {
                body: body.into(),
                content_type: kind.media_type(),
                link: None,
            }),
            Err(missing) => Err(not_found(missing)),
        }
    })
    .await
}

fn not_found(missing: NotFound) -> ApiError {
    match missing {
        NotFound::Feed(message) => ApiError::new(
            StatusCode::NOT_FOUND,
            "ce flux n'existe pas",
            "no such feed",
            message,
        ),
        NotFound::Key { what, iri } => {
            let (fr, en, kind) = match what.as_str() {
                "territoire" => ("territoire inconnu", "unknown territory", "territory"),
                "theme" => ("thème inconnu", "unknown theme", "theme"),
                "odd" => (
                    "objectif de développement durable inconnu",
                    "unknown SDG goal",
                    "SDG goal",
                ),
                _ => ("clé inconnue", "unknown key", "key"),
            };
            ApiError::new(
                StatusCode::NOT_FOUND,
                fr,
                en,
                format!(
                    "<{iri}> is not a {kind} of the référentiel (e.g. /feeds/seminaires/territoire/pole-metropolitain/artois.ics, /feeds/seminaires/theme/sante.ics, /feeds/seminaires/odd/11.ics)"
                ),
            )
        }
    }
}

/// Whether a request for a resource's page asks for its calendar: the `.ics` suffix,
/// `?format=ics`, or `text/calendar` first in `Accept`. Gives the resource's path.
pub(super) fn wants_calendar(
    path: &str,
    raw: Option<&str>,
    headers: &HeaderMap,
) -> Option<(String, bool)> {
    if let Some(rest) = path.strip_suffix(".ics").filter(|r| !r.is_empty()) {
        return Some((rest.to_owned(), true));
    }
    let params = super::params::Params::parse(raw.unwrap_or_default().as_bytes());
    if matches!(params.format(), Ok(Some("ics" | "text/calendar"))) {
        return Some((path.to_owned(), true));
    }
    let accept = super::negotiate::accept(headers)?;
    // The media range with the highest weight, the first of equals.
    let mut best: Option<(f32, &str)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if best.is_none_or(|(b, _)| q > b) {
            best = Some((q, media));
        }
    }
    best.filter(|(q, media)| *q > 0.0 && media.eq_ignore_ascii_case("text/calendar"))
        .map(|_| (path.to_owned(), false))
}

/// The calendar of the seminar at `path` (under `/id/`). `None` when it is not a seminar
/// and the client only preferred a calendar (the page's other formats then answer); a
/// 404 when it asked for one by the suffix or `format`.
pub(super) async fn seminar(
    state: &Shared,
    path: String,
    named: bool,
    headers: &HeaderMap,
) -> Result<Option<Response>, ApiError> {
    let origin = super::resource::origin(headers);
    let iri = format!("{}{path}", state.store.base().as_str());
    let subject = oxigraph::model::NamedNode::new(&iri)
        .map_err(|e| ApiError::bad_request(format!("<{iri}> is not an IRI: {e}")))?;
    let seminar = {
        let subject = subject.clone();
        run::read(state, None, move |store, _| {
            feeds::is_seminar(store, &subject)
        })
        .await?
    };
    match seminar {
        true => {
            let tag = Tag::new(state, ("seminar-calendar", iri.as_str(), origin.as_str()));
            let work_state = state.clone();
            respond::cached(state, headers, tag, async move {
                let body = run::read(&work_state, None, move |store, _| {
                    feeds::seminar_calendar(store, &subject, &origin)
                })
                .await?;
                Ok(Entry {
                    body: body.into(),
                    content_type: Kind::Calendar.media_type(),
                    link: None,
                })
            })
            .await
            .map(Some)
        }
        false if named => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "pas d'agenda pour cette ressource",
            "no calendar for this resource",
            format!("<{iri}> is not a seminar: only a seminar's page has a calendar (.ics)"),
        )),
        false => Ok(None),
    }
}

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
        NotFound::Key { what, iri } => ApiError::new(
            StatusCode::NOT_FOUND,
            match what.as_str() {
                "territoire" => "territoire inconnu",
                "theme" => "thème inconnu",
                "odd" => "objectif de développement durable inconnu",
                _ => "clé inconnue",
            },
            "unknown key",
            format!(
                "<{iri}> is not a {what} the référentiel knows; the feed of {what} takes the path of one (e.g. /feeds/seminaires/territoire/pole-metropolitain/artois.ics)"
            ),
        ),
    }
}

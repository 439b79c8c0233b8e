//! `POST /suggest`: SDG targets for an action, each with its reasons (the words found in
//! the UN text, the theme mapping, the similar actions), as JSON. A suggestion is never
//! written: `?format=turtle` with the IRI of an action of the référentiel gives the
//! proposed links to import through the gate, each saying it came from the suggester.
//!
//! Body (JSON): `{"title": …, "description": …, "themes": [IRI or theme/x…],
//! "action": IRI (optional: an action of the référentiel, left out of the similar ones),
//! "limit": 10}`.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::NamedNode;
use serde_json::Value;

use super::body::read_body;
use super::params::Params;
use super::{ApiError, Shared, run};
use crate::search::TextIndex;
use crate::search::suggest::{self, Action};

/// The largest body, in bytes.
const LARGEST_BODY: usize = 256 * 1024;

pub async fn post(
    State(state): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.unwrap_or_default().as_bytes());
    let turtle = match params.format()? {
        None | Some("json") => false,
        Some("turtle" | "ttl") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown format '{other}': json, or turtle for the proposed links"
            )));
        }
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::unsupported_media_type(
            "send the action as application/json: {\"title\": …, \"description\": …}",
        ));
    }
    let bytes = read_body(body, LARGEST_BODY).await?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the JSON body does not parse: {e}")))?;
    let text = |key: &str| -> Result<String, ApiError> {
        match &value[key] {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s.clone()),
            other => Err(ApiError::bad_request(format!(
                "\"{key}\" is a string, not {other}"
            ))),
        }
    };
    let base = state.store.base().clone();
    let resolve = |v: &str| {
        base.resolve(v)
            .map_err(|e| ApiError::bad_request(format!("'{v}' is not an IRI: {e}")))
    };
    let mut action = Action {
        title: text("title")?,
        description: text("description")?,
        themes_by_words: true,
        ..Action::default()
    };
    for theme in value["themes"].as_array().into_iter().flatten() {
        let theme = theme
            .as_str()
            .ok_or_else(|| ApiError::bad_request("\"themes\" is a list of IRIs"))?;
        action.themes.push(resolve(theme)?);
    }
    let of: Option<NamedNode> = match value["action"].as_str() {
        Some(a) => Some(resolve(a)?),
        None => None,
    };
    action.except = of.clone();
    if turtle && of.is_none() {
        return Err(ApiError::bad_request(
            "the proposed links are those of an action of the référentiel: give \"action\": its IRI",
        ));
    }
    let limit = value["limit"]
        .as_u64()
        .map_or(10, |l| l.clamp(1, 50) as usize);
    let answer = run::read(&state, Some(state.options.timeout), move |store, _| {
        let mut action = action;
        // An action of the référentiel: what the request does not say is read from it.
        if let Some(iri) = &of {
            let (title, description, themes) = suggest::read_action(store, iri)?;
            if action.title.is_empty() {
                action.title = title;
            }
            if action.description.is_empty() {
                action.description = description;
            }
            if action.themes.is_empty() {
                action.themes = themes;
            }
        }
        for theme in &action.themes {
            if !store.describes(theme)? {
                return Err(crate::error::Error::Usage(format!(
                    "le référentiel ne décrit pas le thème {theme} / no such theme"
                )));
            }
        }
        let suggested = suggest::suggest(store, &*TextIndex::of(store)?, &action, limit)?;
        match of {
            Some(iri) if turtle => {
                if !store.describes(&iri)? {
                    return Err(crate::error::Error::Usage(format!(
                        "le référentiel ne décrit pas l'action {iri} / no such action"
                    )));
                }
                Ok((
                    "text/turtle; charset=utf-8",
                    suggest::proposed_links(store, &iri, &suggested, 3)?,
                ))
            }
            _ => Ok((
                "application/json",
                serde_json::to_string(&suggested)
                    .map_err(|e| crate::error::Error::Render(e.to_string()))?,
            )),
        }
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, answer.0)], answer.1).into_response())
}

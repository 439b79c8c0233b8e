//! The query page and the home page. Every asset is compiled into the binary and served
//! from this server, under a Content-Security-Policy that allows nothing else: the page
//! works offline.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::Term;

use super::routes::{ROUTES, SPARQL};
use crate::error::Result;
use crate::iri::BaseIri;
use crate::queries::{self, NamedQuery};
use crate::vocab;

const HTML: &str = include_str!("../../assets/sparql.html");
const SCRIPT: &str = include_str!("../../assets/sparql.js");
const STYLE: &str = include_str!("../../assets/sparql.css");
const PAGE_STYLE: &str = include_str!("../../assets/page.css");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

/// A named query as the page offers it: its text with its example values bound.
#[derive(Debug, serde::Serialize)]
pub struct Example {
    pub name: String,
    pub title: String,
    pub title_en: Option<String>,
    pub answers: Option<String>,
    pub sparql: String,
}

/// The page's examples: every named query, runnable as it stands.
pub fn examples(base: &BaseIri) -> Result<Vec<Example>> {
    queries::all()?
        .into_iter()
        .map(|q| {
            Ok(Example {
                sparql: with_example_values(&q, base)?,
                name: q.name,
                title: q.title,
                title_en: q.title_en,
                answers: q.answers,
            })
        })
        .collect()
}

/// A named query's text with its example parameter values as a `VALUES` row at the head
/// of its `WHERE` clause, so that the editor runs the example as written.
pub fn with_example_values(query: &NamedQuery, base: &BaseIri) -> Result<String> {
    let bindings = query.bindings(&query.example, base)?;
    if bindings.is_empty() {
        return Ok(query.text.to_owned());
    }
    let (variables, values): (Vec<String>, Vec<String>) = bindings
        .into_iter()
        .map(|(variable, value)| {
            let value = match value {
                Term::NamedNode(n) => n.to_string(),
                other => other.to_string(),
            };
            (variable.to_string(), value)
        })
        .unzip();
    let row = format!(
        "\n  VALUES ({}) {{ ({}) }}  # exemple / example",
        variables.join(" "),
        values.join(" ")
    );
    let text = query.text;
    // The first WHERE is the outer query's: subqueries come inside it.
    let position = text
        .to_ascii_uppercase()
        .find("WHERE {")
        .map(|i| i + "WHERE {".len());
    Ok(match position {
        Some(i) => format!("{}{row}{}", &text[..i], &text[i..]),
        None => text.to_owned(),
    })
}

/// The page's HTML with its examples and prefixes embedded as a JSON data block.
pub fn render(base: &BaseIri) -> Result<String> {
    let data = serde_json::json!({
        "prefixes": vocab::PREFIXES,
        "examples": examples(base)?,
    });
    // `</` cannot appear inside a script element.
    let json = data.to_string().replace("</", "<\\/");
    Ok(HTML.replace("<!--MENU-->", &menu()).replace(
        "<!--EXAMPLES-->",
        &format!("<script type=\"application/json\" id=\"lg-examples\">{json}</script>"),
    ))
}

/// The query page's menu: the routes the table puts in it, and the Service Description.
fn menu() -> String {
    ROUTES
        .iter()
        .filter(|route| route.menu && route.path != SPARQL)
        .map(|route| format!("<a href=\"{}\">{}</a>", route.path, route.fr))
        .chain([format!(
            "<a href=\"{SPARQL}?format=turtle\">Description du service</a>"
        )])
        .collect::<Vec<_>>()
        .join(" · ")
}

fn html(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (header::VARY, HeaderValue::from_static("Accept")),
        ],
        body,
    )
        .into_response()
}

/// `GET /sparql` for a browser.
pub fn query_page(page: &str) -> Response {
    html(page.to_owned())
}

/// `GET /`: every route of the table, with its description.
pub async fn home() -> Response {
    static HOME: LazyLock<String> = LazyLock::new(|| {
        let items: String = ROUTES
            .iter()
            .filter(|route| route.path != "/")
            .map(|route| {
                let name = if route.linkable() {
                    format!("<a href=\"{}\">{}</a>", route.path, route.fr)
                } else {
                    format!("<code>{}</code> {}", route.shown(), route.fr)
                };
                format!(
                    "<li>{name} <span class=\"en\" lang=\"en\">— {}</span></li>\n",
                    route.en
                )
            })
            .collect();
        let browse: String = crate::pages::lists::LISTS
            .iter()
            .map(|list| {
                format!(
                    "<li><a href=\"/lists/{}\">{}</a> <span class=\"en\" lang=\"en\">— {}</span></li>\n",
                    list.name, list.fr, list.en
                )
            })
            .collect();
        format!(
            r#"<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>labgraph — référentiel du Lab des transitions</title>
<link rel="stylesheet" href="/assets/sparql.css"></head>
<body>
<header><h1>labgraph — référentiel du Lab des transitions (IREV)</h1>
<p>Séminaires, acteurs, territoires (EPCI, communes, QPV), thèmes de la transition, ressources et actions de la Politique de la ville, reliés aux Objectifs de développement durable (ODD).</p>
<p lang="en" class="en">Seminars, actors, territories, transition themes, resources and Politique de la ville actions, related to the UN Sustainable Development Goals.</p></header>
<main>
<h2>Parcourir le référentiel <span class="en" lang="en">— browse</span></h2>
<ul>
{browse}</ul>
<h2>Services <span class="en" lang="en">— what this server offers</span></h2>
<ul>
{items}<li><a href="{SPARQL}?format=turtle">Description du service</a> <span class="en" lang="en">— SPARQL service description (Turtle)</span></li>
</ul><p class="en">labgraph {}</p></main>
</body></html>
"#,
            env!("CARGO_PKG_VERSION")
        )
    });
    html(HOME.clone())
}

/// `GET /assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "sparql.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "sparql.css" => (STYLE, "text/css; charset=utf-8"),
        "page.css" => (PAGE_STYLE, "text/css; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

//! The feeds: iCalendar (RFC 5545) calendars of the seminars and an Atom (RFC 4287) feed
//! of what was imported, each defined by a query of `queries/feeds/`. A new feed is a new
//! query file; its header names it, says what it writes, and which keys narrow it:
//!
//! ```text
//! # title: Agenda des séminaires du Lab des transitions
//! # title@en: Calendar of the Lab des transitions seminars
//! # feed: calendar
//! # description: …
//! # key: territoire territory territory/{} lg:Territory — what the key selects
//! ```
//!
//! A key is a path segment (`/feeds/seminaires/territoire/epci/246200364.ics`) that binds a
//! variable of the query to the IRI its template makes of the rest of the path, once that
//! IRI is known to be of the class the key names: an unknown territory, theme or goal is
//! refused with its IRI, never answered by an empty calendar.
//!
//! The calendar traps PUBLISHING.md lists are avoided: each event's `UID` is its IRI and
//! its `DTSTAMP` the time the data describing it last changed (two fetches give the same
//! bytes, and calendar clients do not duplicate events); dates are all-day dates, or UTC
//! times, never a `TZID` without its `VTIMEZONE`. A seminar the data gives no date is left
//! out of the calendar, and the calendar's description says which, rather than show it on
//! a day the sources do not give.

mod atom;
mod calendar;

use std::collections::BTreeMap;
use std::path::Path;

use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::{QueryResults, Variable};

use crate::error::{Error, Result};
use crate::store::GraphStore;

pub use atom::atom;
pub use calendar::{calendar, is_seminar, seminar_calendar};

/// What a feed writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Calendar,
    Atom,
}

impl Kind {
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Calendar => "ics",
            Kind::Atom => "atom",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Calendar => "text/calendar; charset=utf-8",
            Kind::Atom => "application/atom+xml; charset=utf-8",
        }
    }
}

/// A key that narrows a feed.
#[derive(Debug, Clone)]
pub struct Key {
    /// Its path segment (`territoire`).
    pub segment: String,
    /// The query variable it binds.
    pub variable: String,
    /// The IRI made of the rest of the path: `{}` stands for it; relative to the base IRI.
    pub template: String,
    /// The class the IRI must be an instance of.
    pub class: NamedNode,
    pub description: String,
}

/// A feed of `queries/feeds/`.
#[derive(Debug, Clone)]
pub struct Feed {
    pub name: String,
    pub title: String,
    pub title_en: String,
    pub kind: Kind,
    pub description: String,
    pub keys: Vec<Key>,
    text: &'static str,
}

/// Every bundled feed, sorted by name.
pub fn all() -> Result<&'static [Feed]> {
    static PARSED: std::sync::OnceLock<Vec<Feed>> = std::sync::OnceLock::new();
    if let Some(parsed) = PARSED.get() {
        return Ok(parsed);
    }
    let parsed = crate::bundled::FEEDS
        .iter()
        .map(|(path, text)| parse(path, text))
        .collect::<Result<Vec<_>>>()?;
    Ok(PARSED.get_or_init(|| parsed))
}

fn parse(path: &str, text: &'static str) -> Result<Feed> {
    let name = Path::new(path)
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let bad = |message: String| Error::Query {
        context: format!("header of {path}"),
        message,
    };
    let mut feed = Feed {
        title: name.clone(),
        title_en: name.clone(),
        name,
        kind: Kind::Calendar,
        description: String::new(),
        keys: Vec::new(),
        text,
    };
    for line in text.lines().map_while(|l| l.strip_prefix('#')) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "title" => feed.title = value.to_owned(),
            "title@en" => feed.title_en = value.to_owned(),
            "description" => feed.description = value.to_owned(),
            "feed" => {
                feed.kind = match value {
                    "calendar" => Kind::Calendar,
                    "atom" => Kind::Atom,
                    other => {
                        return Err(bad(format!("unknown feed kind '{other}' (calendar, atom)")));
                    }
                }
            }
            "key" => {
                let mut words = value.splitn(5, char::is_whitespace);
                let (Some(segment), Some(variable), Some(template), Some(class)) =
                    (words.next(), words.next(), words.next(), words.next())
                else {
                    return Err(bad(format!(
                        "'key: {value}' needs a segment, a variable, an IRI template and a class"
                    )));
                };
                if !template.contains("{}") {
                    return Err(bad(format!("the template '{template}' has no {{}}")));
                }
                let class = crate::vocab::expand(class)
                    .and_then(|iri| NamedNode::new(iri).ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "'{class}' is not a class of the project's prefixes"
                        ))
                    })?;
                feed.keys.push(Key {
                    segment: segment.to_owned(),
                    variable: variable.to_owned(),
                    template: template.to_owned(),
                    class,
                    description: words
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches(['—', '-', ' '])
                        .to_owned(),
                });
            }
            _ => {}
        }
    }
    Ok(feed)
}

/// Why a feed path is not answered: the path names no feed (or no key of it), or the key
/// names nothing the store knows as what it should be. Both are 404s that say which.
#[derive(Debug)]
pub enum NotFound {
    Feed(String),
    Key { what: String, iri: String },
}

/// A feed narrowed by a key, as a path names it.
pub struct Selected<'a> {
    pub feed: &'a Feed,
    pub key: Option<(&'a Key, NamedNode)>,
}

/// The feed a path names: `seminaires.ics`, `seminaires/territoire/epci/246200364.ics`.
pub fn select<'a>(
    store: &GraphStore,
    feeds: &'a [Feed],
    path: &str,
) -> Result<std::result::Result<Selected<'a>, NotFound>> {
    let listing = || {
        feeds
            .iter()
            .flat_map(|f| {
                std::iter::once(format!("/feeds/{}.{}", f.name, f.kind.extension())).chain(
                    f.keys.iter().map(move |k| {
                        format!("/feeds/{}/{}/….{}", f.name, k.segment, f.kind.extension())
                    }),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let unknown = || {
        Ok(Err(NotFound::Feed(format!(
            "/feeds/{path} is not a feed; the feeds are {}",
            listing()
        ))))
    };
    let (name, rest) = path.split_once('/').unwrap_or((path, ""));
    let stem_of = |s: &str, feed: &Feed| {
        s.strip_suffix(&format!(".{}", feed.kind.extension()))
            .map(str::to_owned)
    };
    if rest.is_empty() {
        for feed in feeds {
            if stem_of(name, feed).as_deref() == Some(feed.name.as_str()) {
                return Ok(Ok(Selected { feed, key: None }));
            }
        }
        return unknown();
    }
    let Some(feed) = feeds.iter().find(|f| f.name == name) else {
        return unknown();
    };
    let (segment, value) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(key) = feed.keys.iter().find(|k| k.segment == segment) else {
        return unknown();
    };
    let Some(value) = value.strip_suffix(&format!(".{}", feed.kind.extension())) else {
        return unknown();
    };
    let iri = key.template.replace("{}", value);
    let iri = match store.base().resolve(&iri) {
        Ok(iri) => iri,
        Err(_) => {
            return Ok(Err(NotFound::Key {
                what: key.segment.clone(),
                iri,
            }));
        }
    };
    if value.is_empty() || !is_a(store, &iri, &key.class)? {
        return Ok(Err(NotFound::Key {
            what: key.segment.clone(),
            iri: iri.into_string(),
        }));
    }
    Ok(Ok(Selected {
        feed,
        key: Some((key, iri)),
    }))
}

/// Whether the store says `iri` is an instance of `class` (or of a subclass of it).
pub(crate) fn is_a(store: &GraphStore, iri: &NamedNode, class: &NamedNode) -> Result<bool> {
    let query = store.prepare("ASK { ?x a/rdfs:subClassOf* ?class }")?;
    let answer = store.evaluate(
        query,
        vec![
            (Variable::new_unchecked("x"), iri.clone().into()),
            (Variable::new_unchecked("class"), class.clone().into()),
        ],
    )?;
    Ok(matches!(answer, QueryResults::Boolean(true)))
}

/// The rows of a feed's query, each a map of its bound variables.
pub(crate) fn rows(
    store: &GraphStore,
    selected: &Selected<'_>,
) -> Result<Vec<BTreeMap<String, Term>>> {
    let bindings = match &selected.key {
        Some((key, iri)) => vec![(
            Variable::new_unchecked(key.variable.as_str()),
            iri.clone().into(),
        )],
        None => Vec::new(),
    };
    let query = store.prepare(selected.feed.text)?;
    let QueryResults::Solutions(solutions) = store.evaluate(query, bindings)? else {
        return Err(Error::Query {
            context: format!("queries/feeds/{}.rq", selected.feed.name),
            message: "a feed's query is a SELECT".into(),
        });
    };
    let mut rows = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(crate::store::evaluation_error)?;
        rows.push(
            solution
                .iter()
                .map(|(v, t)| (v.as_str().to_owned(), t.clone()))
                .collect(),
        );
    }
    Ok(rows)
}

pub(crate) fn value(row: &BTreeMap<String, Term>, name: &str) -> Option<String> {
    row.get(name).map(|t| match t {
        Term::Literal(l) => l.value().to_owned(),
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => other.to_string(),
    })
}

/// The URL of a resource's page on this server (its IRI when outside the base IRI).
pub(crate) fn page(store: &GraphStore, origin: &str, iri: &str) -> String {
    match crate::pages::local_path(store.base(), iri) {
        Some(path) => format!("{origin}{path}"),
        None => iri.to_owned(),
    }
}

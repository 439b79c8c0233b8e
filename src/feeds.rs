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

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, EventLike, Property};
use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::{QueryResults, Variable};

use crate::error::{Error, Result};
use crate::store::GraphStore;

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
                let class = crate::vocab::PREFIXES
                    .iter()
                    .find_map(|(prefix, namespace)| {
                        class
                            .strip_prefix(prefix)
                            .and_then(|l| l.strip_prefix(':'))
                            .map(|local| format!("{namespace}{local}"))
                    })
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
fn is_a(store: &GraphStore, iri: &NamedNode, class: &NamedNode) -> Result<bool> {
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
fn rows(store: &GraphStore, selected: &Selected<'_>) -> Result<Vec<BTreeMap<String, Term>>> {
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

fn value(row: &BTreeMap<String, Term>, name: &str) -> Option<String> {
    row.get(name).map(|t| match t {
        Term::Literal(l) => l.value().to_owned(),
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => other.to_string(),
    })
}

/// A text of a row: taken if nothing was yet (`have` false), or if it is in French.
fn french(row: &BTreeMap<String, Term>, name: &str, have: bool) -> Option<String> {
    match row.get(name) {
        Some(Term::Literal(l)) if !have || l.language() == Some("fr") => Some(l.value().to_owned()),
        _ => None,
    }
}

/// The URL of a resource's page on this server (its IRI when outside the base IRI).
fn page(store: &GraphStore, origin: &str, iri: &str) -> String {
    match crate::pages::local_path(store.base(), iri) {
        Some(path) => format!("{origin}{path}"),
        None => iri.to_owned(),
    }
}

fn utc(date_time: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(date_time)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// An event of a calendar, gathered from its rows.
struct Seminar {
    iri: String,
    name: String,
    start: Option<String>,
    end: Option<String>,
    description: Option<String>,
    place: Vec<String>,
    organizers: Vec<(String, String)>,
    modified: Option<String>,
}

/// A calendar feed as iCalendar text. `only`: the calendar of one seminar (its page's
/// `text/calendar` format).
pub fn calendar(
    store: &GraphStore,
    selected: &Selected<'_>,
    origin: &str,
    only: Option<&NamedNode>,
) -> Result<String> {
    // One event per seminar, whatever the order and number of its rows: a text in French
    // rather than another language, its earliest start and latest end, every organiser.
    let mut by_iri: BTreeMap<String, Seminar> = BTreeMap::new();
    for row in rows(store, selected)? {
        let Some(Term::NamedNode(iri)) = row.get("event") else {
            continue;
        };
        if only.is_some_and(|o| o != iri) {
            continue;
        }
        let seminar = by_iri
            .entry(iri.as_str().to_owned())
            .or_insert_with(|| Seminar {
                iri: iri.as_str().to_owned(),
                name: iri.as_str().to_owned(),
                start: None,
                end: None,
                description: None,
                place: [value(&row, "placeName"), value(&row, "placeTown")]
                    .into_iter()
                    .flatten()
                    .collect(),
                organizers: Vec::new(),
                modified: value(&row, "modified"),
            });
        if let Some(name) = french(&row, "name", seminar.name != seminar.iri) {
            seminar.name = name;
        }
        if let Some(description) = french(&row, "description", seminar.description.is_some()) {
            seminar.description = Some(description);
        }
        if let Some(start) = value(&row, "start")
            && seminar.start.as_ref().is_none_or(|s| start < *s)
        {
            seminar.start = Some(start);
        }
        if let Some(end) = value(&row, "end")
            && seminar.end.as_ref().is_none_or(|e| end > *e)
        {
            seminar.end = Some(end);
        }
        if let (Some(organizer), name) = (value(&row, "organizer"), value(&row, "organizerName"))
            && !seminar.organizers.iter().any(|(o, _)| *o == organizer)
        {
            seminar
                .organizers
                .push((organizer.clone(), name.unwrap_or(organizer)));
        }
    }
    let mut seminars: Vec<Seminar> = by_iri.into_values().collect();
    seminars.sort_by(|a, b| (&a.start, &a.iri).cmp(&(&b.start, &b.iri)));
    let feed = selected.feed;
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            "-//IREV Lab des transitions//labgraph//FR",
        ))
        // No METHOD: with one, DTSTAMP would be the time the calendar was made (RFC 5545
        // 3.8.7.2); without, it is the time the data last changed, as here.
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    let mut title = format!("{} / {}", feed.title, feed.title_en);
    let mut description = feed.description.clone();
    if let Some((key, iri)) = &selected.key {
        let label = store
            .labels(std::slice::from_ref(iri), &["fr", "en"])?
            .remove(iri)
            .map_or_else(|| iri.as_str().to_owned(), |l| l.text);
        title = format!("{} — {label}", feed.title);
        description = format!("{description} {label} ({iri}) : {}.", key.description);
    }
    let undated: Vec<&Seminar> = seminars
        .iter()
        .filter(|s| day(s.start.as_deref()).is_none())
        .collect();
    if !undated.is_empty() {
        let names: Vec<String> = undated
            .iter()
            .map(|s| format!("{} ({})", s.name, page(store, origin, &s.iri)))
            .collect();
        description.push_str(&format!(
            " Absents de cet agenda faute de date connue (les sources n'en donnent pas) / Left out for want of a known date (the sources give none): {}.",
            names.join(" ; ")
        ));
    }
    calendar.name(&title).description(&description);
    calendar.append_property(
        Property::new("REFRESH-INTERVAL", "PT12H")
            .add_parameter("VALUE", "DURATION")
            .done(),
    );
    calendar.append_property(Property::new("X-PUBLISHED-TTL", "PT12H"));
    // Every event's stamp is the data's, so the calendar is the same bytes until the data
    // changes; a seminar no import recorded is stamped with the latest change there is.
    let latest = seminars
        .iter()
        .filter_map(|s| s.modified.as_deref())
        .filter_map(utc)
        .max();
    for seminar in &seminars {
        let Some(start) = day(seminar.start.as_deref()) else {
            continue;
        };
        let mut event = icalendar::Event::new();
        event
            .uid(&seminar.iri)
            .summary(&seminar.name)
            .url(&page(store, origin, &seminar.iri));
        let stamp = seminar
            .modified
            .as_deref()
            .and_then(utc)
            .or(latest)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        event.timestamp(stamp);
        event.append_property(Property::new(
            "LAST-MODIFIED",
            stamp.format("%Y%m%dT%H%M%SZ").to_string(),
        ));
        match seminar.start.as_deref().and_then(utc) {
            // A time with its offset: as UTC.
            Some(start_time) if seminar.start.as_deref().is_some_and(|s| s.len() > 10) => {
                event.starts(start_time);
                if let Some(end) = seminar.end.as_deref().and_then(utc) {
                    event.ends(end);
                }
            }
            // A day (or a time without an offset, whose zone the data does not give): an
            // all-day event, its end the day after its last (RFC 5545 3.6.1).
            _ => {
                let last = day(seminar.end.as_deref())
                    .filter(|e| *e >= start)
                    .unwrap_or(start);
                event.starts(start);
                event.ends(last.succ_opt().unwrap_or(last));
            }
        }
        let mut text = seminar.description.clone().unwrap_or_default();
        if seminar.organizers.len() > 1 {
            let names: Vec<&str> = seminar.organizers.iter().map(|(_, n)| n.as_str()).collect();
            text.push_str(&format!(
                "\n\nOrganisé par / organised by : {}",
                names.join(", ")
            ));
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&page(store, origin, &seminar.iri));
        event.description(&text);
        if !seminar.place.is_empty() {
            event.location(&seminar.place.join(", "));
        }
        // RFC 5545 gives an event one ORGANIZER: the first; the others are in its text.
        for (organizer, name) in seminar.organizers.iter().take(1) {
            event.append_property(
                Property::new("ORGANIZER", page(store, origin, organizer))
                    .add_parameter("CN", name)
                    .done(),
            );
        }
        calendar.push(event.done());
    }
    Ok(calendar.to_string())
}

/// The day of a date or date-time.
fn day(value: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value?.get(..10)?, "%Y-%m-%d").ok()
}

/// An Atom feed as XML. `self_url`: where it is served.
pub fn atom(
    store: &GraphStore,
    selected: &Selected<'_>,
    origin: &str,
    self_url: &str,
) -> Result<String> {
    use atom_syndication::{Entry, Feed as AtomFeed, FixedDateTime, Link, Person, Text};
    let fixed = |t: &str| -> FixedDateTime {
        DateTime::parse_from_rfc3339(t)
            .unwrap_or_else(|_| DateTime::<Utc>::UNIX_EPOCH.fixed_offset())
    };
    let mut entries = Vec::new();
    let mut updated: Option<FixedDateTime> = None;
    for row in rows(store, selected)? {
        let (Some(item), Some(title)) = (value(&row, "item"), value(&row, "title")) else {
            continue;
        };
        let when = fixed(&value(&row, "updated").unwrap_or_default());
        updated = updated.max(Some(when));
        let mut entry = Entry::default();
        entry.set_id(item.clone());
        entry.set_title(match value(&row, "kind") {
            Some(kind) => format!("{kind} : {title}"),
            None => title,
        });
        entry.set_updated(when);
        entry.set_published(value(&row, "published").map(|p| fixed(&p)));
        let mut link = Link::default();
        link.set_href(page(store, origin, &item));
        link.set_rel("alternate");
        link.set_mime_type(Some("text/html".to_owned()));
        entry.set_links(vec![link]);
        if let Some(summary) = value(&row, "summary") {
            entry.set_summary(Some(Text::plain(summary)));
        }
        entries.push(entry);
    }
    let feed = selected.feed;
    let mut atom = AtomFeed::default();
    atom.set_title(format!("{} / {}", feed.title, feed.title_en));
    atom.set_id(format!("{}feeds/{}", store.base().as_str(), feed.name));
    atom.set_updated(updated.unwrap_or_else(|| DateTime::<Utc>::UNIX_EPOCH.fixed_offset()));
    atom.set_subtitle(Some(Text::plain(feed.description.clone())));
    atom.set_lang(Some("fr".to_owned()));
    let mut author = Person::default();
    author.set_name("IREV - Institut Régional de la Ville");
    author.set_uri(Some("https://www.irev.fr/".to_owned()));
    atom.set_authors(vec![author]);
    let mut own = Link::default();
    own.set_href(self_url);
    own.set_rel("self");
    own.set_mime_type(Some("application/atom+xml".to_owned()));
    let mut home = Link::default();
    home.set_href(format!("{origin}/"));
    home.set_rel("alternate");
    home.set_mime_type(Some("text/html".to_owned()));
    atom.set_links(vec![own, home]);
    atom.set_entries(entries);
    Ok(atom.to_string())
}

/// Whether `iri` is a seminar (whose page is also a calendar).
pub fn is_seminar(store: &GraphStore, iri: &NamedNode) -> Result<bool> {
    is_a(store, iri, &crate::vocab::lg::SEMINAR.into_owned())
}

/// The calendar of one seminar (the `text/calendar` format of its page), from the first
/// calendar feed.
pub fn seminar_calendar(store: &GraphStore, iri: &NamedNode, origin: &str) -> Result<String> {
    let feed = all()?
        .iter()
        .find(|f| f.kind == Kind::Calendar)
        .ok_or_else(|| Error::Query {
            context: "queries/feeds/".into(),
            message: "no calendar feed".into(),
        })?;
    let selected = Selected { feed, key: None };
    calendar(store, &selected, origin, Some(iri))
}

//! The calendars: one VEVENT per dated seminar of a feed's rows, and the calendar of one
//! seminar (its page's `text/calendar` format).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, EventLike, Property};
use oxigraph::model::{NamedNode, Term};

use super::{Kind, Selected, all, is_a, page, rows, value};
use crate::error::{Error, Result};
use crate::store::GraphStore;

/// A text of a row: taken if nothing was yet (`have` false), or if it is in French.
fn french(row: &BTreeMap<String, Term>, name: &str, have: bool) -> Option<String> {
    match row.get(name) {
        Some(Term::Literal(l)) if !have || l.language() == Some("fr") => Some(l.value().to_owned()),
        _ => None,
    }
}

pub(super) fn utc(date_time: &str) -> Option<DateTime<Utc>> {
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

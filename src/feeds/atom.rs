//! The Atom feed (RFC 4287): one entry per row of the feed's query.

use chrono::{DateTime, Utc};

use super::{Selected, page, rows, value};
use crate::error::Result;
use crate::store::GraphStore;

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

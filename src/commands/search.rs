//! `labgraph search TEXT`: the text index from the command line, as `/search` answers;
//! `labgraph index`: the index rebuilt from the store.

use oxigraph::model::{NamedNode, Term};

use crate::cli::{SearchArgs, SuggestArgs};
use crate::error::{Error, Result};
use crate::render;
use crate::search::{Request, TextIndex};
use crate::store::GraphStore;

pub fn run(store: &GraphStore, args: &SearchArgs) -> Result<()> {
    let mut request = Request::new(args.text.clone(), usize::from(args.limit));
    request.language = args.lang.clone();
    for class in &args.types {
        request.types.push(class_iri(class, store)?);
    }
    let found = TextIndex::of(store)?.search(&request)?;
    if found.hits.is_empty() {
        return Err(Error::Refused(format!(
            "rien ne répond à « {} » / nothing matches",
            args.text
        )));
    }
    let mut text = String::new();
    for (rank, hit) in found.hits.iter().enumerate() {
        let short = render::short(
            &Term::from(NamedNode::new_unchecked(&hit.iri)),
            store.base(),
        );
        let kind = hit
            .types
            .first()
            .map(|t| format!("  [{}]", crate::vocab::prefixed(t)))
            .unwrap_or_default();
        text.push_str(&format!(
            "{:>2}. {}  {short}{kind}  ({:.2})\n",
            rank + 1,
            hit.label,
            hit.score
        ));
        if !hit.snippet.is_empty() {
            text.push_str(&format!("    {}\n", plain(&hit.snippet)));
        }
    }
    text.push_str(&format!(
        "{} sur {} / {} of {}\n",
        found.hits.len(),
        found.total,
        found.hits.len(),
        found.total
    ));
    super::print(&text)
}

pub fn rebuild(store: &GraphStore) -> Result<()> {
    let started = std::time::Instant::now();
    let count = TextIndex::of(store)?.rebuild()?;
    super::print(&format!(
        "index de texte reconstruit : {count} ressources en {:.1?} / text index rebuilt: {count} resources\n",
        started.elapsed()
    ))
}

/// A class given as an IRI or a prefixed name of the project's prefixes.
fn class_iri(class: &str, store: &GraphStore) -> Result<NamedNode> {
    if let Some(iri) = crate::vocab::expand(class) {
        return Ok(NamedNode::new_unchecked(iri));
    }
    store.base().resolve(class)
}

/// A snippet's HTML as terminal text: the matched words in [brackets].
fn plain(html: &str) -> String {
    html.replace("<b>", "[")
        .replace("</b>", "]")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

pub fn suggest(store: &GraphStore, args: &SuggestArgs) -> Result<()> {
    use crate::search::suggest::{self, Action, Reason};
    let mut action = Action {
        title: args.title.clone(),
        description: args.description.clone(),
        themes_by_words: true,
        ..Action::default()
    };
    for theme in &args.themes {
        action.themes.push(store.base().resolve(theme)?);
    }
    let of = match &args.action {
        Some(iri) => {
            let iri = store.base().resolve(iri)?;
            let (title, description, themes) = suggest::read_action(store, &iri)?;
            if action.title.is_empty() {
                action.title = title;
            }
            if action.description.is_empty() {
                action.description = description;
            }
            action.themes.extend(themes);
            action.except = Some(iri.clone());
            Some(iri)
        }
        None => None,
    };
    let suggested = suggest::suggest(
        store,
        &*TextIndex::of(store)?,
        &action,
        usize::from(args.limit),
    )?;
    if let (true, Some(iri)) = (args.turtle, &of) {
        return super::print(&suggest::proposed_links(store, iri, &suggested, 3)?);
    }
    if let Some(note) = &suggested.note {
        return Err(Error::Refused(note.clone()));
    }
    let mut text = String::new();
    for (rank, s) in suggested.suggestions.iter().enumerate() {
        text.push_str(&format!("{:>2}. {}  ({:.3})\n", rank + 1, s.label, s.score));
        for r in &s.reasons {
            let line = match r {
                Reason::Words { words, .. } => format!("mots / words: {}", words.join(", ")),
                Reason::Theme {
                    label,
                    status,
                    named,
                    ..
                } => format!(
                    "thème / theme « {label} » ({status}{})",
                    if *named { ", nommé / named" } else { "" }
                ),
                Reason::Action { label, status, .. } => {
                    format!("action semblable / similar action « {label} » ({status})")
                }
            };
            text.push_str(&format!("      {line}\n"));
        }
    }
    super::print(&text)
}

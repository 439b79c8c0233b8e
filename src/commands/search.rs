//! `labgraph search TEXT`: the text index from the command line, as `/search` answers;
//! `labgraph index`: the index rebuilt from the store.

use oxigraph::model::{NamedNode, Term};

use crate::cli::SearchArgs;
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
    let count = TextIndex::of(store)?.rebuild(store)?;
    super::print(&format!(
        "index de texte reconstruit : {count} ressources en {:.1?} / text index rebuilt: {count} resources\n",
        started.elapsed()
    ))
}

/// A class given as an IRI or a prefixed name of the project's prefixes.
fn class_iri(class: &str, store: &GraphStore) -> Result<NamedNode> {
    if let Some((prefix, local)) = class.split_once(':')
        && let Some((_, namespace)) = crate::vocab::PREFIXES.iter().find(|(p, _)| *p == prefix)
    {
        return Ok(NamedNode::new_unchecked(format!("{namespace}{local}")));
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

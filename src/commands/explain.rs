//! `labgraph explain KIND`: what a record must and should say about a kind of resource,
//! read from the SHACL shapes the gate applies (so the guide is the gate): each key, as
//! the record writes it, whether it is required, recommended or checked when given,
//! what value it takes, and the shape's own message in French and English.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::QueryResults;

use crate::cli::ExplainArgs;
use crate::error::{Error, Result};
use crate::jsonld;
use crate::store::GraphStore;

const QUERY: &str = include_str!("../../queries/internal/explain.rq");

/// One key of the guide.
#[derive(Default)]
struct Key {
    key: String,
    required: bool,
    recommended: bool,
    at_most_one: bool,
    expected: Vec<String>,
    messages: Vec<(String, String)>,
}

pub fn run(store: &GraphStore, args: &ExplainArgs) -> Result<()> {
    super::print(&guide(store, &args.kind)?)
}

/// The guide of the kind named `kind` (a class name of the context: `Seminar`, `Person`,
/// `Organization`…; any case).
pub fn guide(store: &GraphStore, kind: &str) -> Result<String> {
    let known = |name: &str| jsonld::expand(name).filter(|iri| !iri.contains("XMLSchema"));
    let class = KINDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(kind))
        .and_then(|(_, term)| known(term))
        .or_else(|| {
            let capitalised: String = kind
                .chars()
                .take(1)
                .flat_map(char::to_uppercase)
                .chain(kind.chars().skip(1))
                .collect();
            known(&capitalised)
        })
        .ok_or_else(|| {
            Error::Usage(format!(
                "unknown kind '{kind}': explain {} / type inconnu",
                KINDS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))
        })?;
    let class = NamedNode::new(class).map_err(|e| Error::Usage(e.to_string()))?;
    let prepared = store.prepare(QUERY)?;
    let QueryResults::Solutions(solutions) = store.evaluate(
        prepared,
        vec![(Variable::new_unchecked("class"), Term::from(class.clone()))],
    )?
    else {
        return Err(Error::Render("explain's query is a SELECT".into()));
    };
    let mut titles: Vec<String> = Vec::new();
    let mut keys: BTreeMap<String, Key> = BTreeMap::new();
    for solution in solutions {
        let solution = solution.map_err(crate::store::evaluation_error)?;
        let text = |name: &str| match solution.get(name) {
            Some(Term::Literal(l)) => Some(l.value().to_owned()),
            Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
            _ => None,
        };
        if let (Some(label), comment) = (text("label"), text("comment")) {
            let title = match comment {
                Some(c) => format!("{label} — {c}"),
                None => label,
            };
            if !titles.contains(&title) {
                titles.push(title);
            }
        }
        let Some(path) = text("path") else { continue };
        let key = jsonld::term(&path).unwrap_or_else(|| short(&path));
        let entry = keys.entry(key.clone()).or_insert_with(|| Key {
            key,
            ..Key::default()
        });
        let violation = text("severity").is_none_or(|s| s.ends_with("#Violation"));
        let min: usize = text("min").and_then(|m| m.parse().ok()).unwrap_or(0);
        if min > 0 && violation {
            entry.required = true;
        } else if min > 0 {
            entry.recommended = true;
        }
        if text("max").as_deref() == Some("1") {
            entry.at_most_one = true;
        }
        for expected in [text("expectedClass"), text("datatype")]
            .into_iter()
            .flatten()
        {
            let expected = jsonld::term(&expected).unwrap_or_else(|| short(&expected));
            if !entry.expected.contains(&expected) {
                entry.expected.push(expected);
            }
        }
        if let (Some(fr), Some(en)) = (text("messageFr"), text("messageEn"))
            && !entry.messages.iter().any(|(f, _)| *f == fr)
        {
            entry.messages.push((fr, en));
        }
    }
    if keys.is_empty() {
        return Err(Error::Refused(format!(
            "no shape targets {kind} ({class}): a record may describe it freely / aucune forme ne vise ce type"
        )));
    }
    let mut out = String::new();
    let _ = writeln!(out, "{kind} ({})", short(class.as_str()));
    for title in &titles {
        let _ = writeln!(out, "  {title}");
    }
    let mut keys: Vec<Key> = keys.into_values().collect();
    // Required first, then recommended, then the rest, each by key.
    keys.sort_by_key(|k| (!k.required, !k.recommended, k.key.clone()));
    for key in keys {
        let status = match (key.required, key.recommended) {
            (true, _) => "obligatoire / required",
            (false, true) => "recommandé / recommended",
            _ => "vérifié s'il est donné / checked when given",
        };
        let mut line = format!("\n{}: {status}", key.key);
        if key.at_most_one {
            line.push_str(", une seule valeur / one value");
        }
        if !key.expected.is_empty() {
            let _ = write!(line, " — {}", key.expected.join(" | "));
        }
        let _ = writeln!(out, "{line}");
        for (fr, en) in &key.messages {
            let _ = writeln!(out, "  fr: {fr}\n  en: {en}");
        }
    }
    Ok(out)
}

/// The kinds a record describes, as people name them, with the context's class name.
const KINDS: &[(&str, &str)] = &[
    ("seminar", "Seminar"),
    ("session", "Session"),
    ("talk", "Talk"),
    ("workshop", "Workshop"),
    ("series", "EventSeries"),
    ("speaker-role", "SpeakerRole"),
    ("person", "Person"),
    ("institution", "Organization"),
    ("place", "Place"),
    ("document", "PresentationDigitalDocument"),
    ("action", "Action"),
    ("theme", "Concept"),
    ("territory", "Territory"),
    ("recommendation", "Recommendation"),
];

/// An IRI with a known prefix as a prefixed name.
fn short(iri: &str) -> String {
    crate::vocab::PREFIXES
        .iter()
        .find_map(|(prefix, namespace)| {
            iri.strip_prefix(namespace)
                .map(|local| format!("{prefix}:{local}"))
        })
        .unwrap_or_else(|| iri.to_owned())
}

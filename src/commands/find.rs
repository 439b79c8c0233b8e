//! `labgraph find KIND TEXT`: the IRIs of the institutions, people, territories, themes,
//! series, seminars or SDG concepts a text names, and why each matched — the keys and the
//! normalisation of reconciliation (case, accents, punctuation and spacing do not count):
//! an identifier, acronym or notation given exactly, a name given exactly, every word of
//! the text in a name, or the text inside a name. Nothing found: the closest spellings,
//! and exit code 1.

use std::collections::BTreeMap;

use oxigraph::model::{NamedNode, Term, Variable};
use oxigraph::sparql::QueryResults;

use crate::cli::{FindArgs, FindKind};
use crate::error::{Error, Result};
use crate::render;
use crate::store::GraphStore;
use crate::text::normalise;
use crate::vocab::LG;

const INDEX: &str = include_str!("../../queries/internal/find-index.rq");

/// At most this many answers are printed.
const SHOWN: usize = 20;

/// The classes of a kind.
fn classes(kind: FindKind) -> Vec<String> {
    let lg = |local: &str| format!("{LG}{local}");
    match kind {
        FindKind::Institution => vec!["http://schema.org/Organization".into()],
        FindKind::Person => vec!["http://schema.org/Person".into()],
        FindKind::Territory => crate::vocab::TERRITORY_CLASSES
            .iter()
            .map(|c| lg(c))
            .collect(),
        FindKind::Theme => vec!["http://www.w3.org/2004/02/skos/core#Concept".into()],
        FindKind::Series => vec!["http://schema.org/EventSeries".into()],
        FindKind::Seminar => vec![lg("Seminar")],
        FindKind::Sdg => vec![lg("SDGGoal"), lg("SDGTarget")],
    }
}

/// Why a resource matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    Code,
    Name,
    Words,
    Inside,
}

impl Why {
    fn said(self) -> &'static str {
        match self {
            Why::Code => "code exact / exact code",
            Why::Name => "nom exact / exact name",
            Why::Words => "tous les mots / every word",
            Why::Inside => "contient le texte / contains the text",
        }
    }
}

/// What the store says of one resource: its keys, normalised, and a name to show.
#[derive(Default)]
struct Candidate {
    codes: Vec<String>,
    names: Vec<String>,
    shown: String,
    french: bool,
}

pub fn run(store: &GraphStore, args: &FindArgs) -> Result<()> {
    let wanted = normalise(&args.text);
    if wanted.is_empty() {
        return Err(Error::Usage(
            "find needs a text with letters or digits / find attend un texte".into(),
        ));
    }
    let words: Vec<&str> = wanted.split(' ').filter(|w| !w.is_empty()).collect();
    let mut candidates: BTreeMap<NamedNode, Candidate> = BTreeMap::new();
    let prepared = store.prepare(INDEX)?;
    for class in classes(args.kind) {
        let class = NamedNode::new(class).expect("the classes are IRIs");
        let bindings = vec![(Variable::new_unchecked("class"), Term::from(class))];
        let QueryResults::Solutions(solutions) = store.evaluate(prepared.clone(), bindings)? else {
            continue;
        };
        for solution in solutions {
            let solution = solution.map_err(crate::store::evaluation_error)?;
            let (Some(Term::NamedNode(r)), Some(Term::NamedNode(p)), Some(Term::Literal(v))) =
                (solution.get("r"), solution.get("p"), solution.get("v"))
            else {
                continue;
            };
            // Themes only: the SDG concepts, statuses and methods are concepts too.
            if args.kind == FindKind::Theme && !r.as_str().starts_with(store.base().as_str()) {
                continue;
            }
            let candidate = candidates.entry(r.clone()).or_default();
            let local = p.as_str().rsplit(['/', '#']).next().unwrap_or_default();
            let value = normalise(v.value());
            if ["identifier", "altLabel", "notation"].contains(&local) {
                candidate.codes.push(value);
            } else {
                candidate.names.push(value);
                let french = v.language().is_none_or(|l| l == "fr");
                if matches!(local, "name" | "prefLabel")
                    && (candidate.shown.is_empty() || (french && !candidate.french))
                {
                    candidate.shown = v.value().to_owned();
                    candidate.french = french;
                }
            }
        }
    }
    let mut found: Vec<(Why, String, &NamedNode)> = candidates
        .iter()
        .filter_map(|(iri, c)| {
            let why = if c.codes.contains(&wanted) {
                Why::Code
            } else if c.names.contains(&wanted) {
                Why::Name
            } else if c
                .names
                .iter()
                .any(|n| words.iter().all(|w| n.split(' ').any(|x| x == *w)))
            {
                Why::Words
            } else if c.names.iter().chain(&c.codes).any(|n| n.contains(&wanted)) {
                Why::Inside
            } else {
                return None;
            };
            Some((why, c.shown.clone(), iri))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        let names: Vec<&str> = candidates.values().map(|c| c.shown.as_str()).collect();
        let closest = crate::text::closest(&args.text, names.iter().copied())
            .map(|n| format!(" ; le plus proche / the closest: « {n} »"))
            .unwrap_or_default();
        return Err(Error::Refused(format!(
            "rien ne répond à « {} » parmi {} {} / nothing matches{closest}",
            args.text,
            candidates.len(),
            args.kind.plural()
        )));
    }
    let mut text = String::new();
    let width = found
        .iter()
        .take(SHOWN)
        .map(|(_, _, iri)| {
            render::short(&Term::from((*iri).clone()), store.base())
                .chars()
                .count()
        })
        .max()
        .unwrap_or(0);
    for (why, name, iri) in found.iter().take(SHOWN) {
        let short = render::short(&Term::from((*iri).clone()), store.base());
        text.push_str(&format!("{short:width$}  {name}  ({})\n", why.said()));
    }
    if found.len() > SHOWN {
        text.push_str(&format!(
            "… {} de plus / {} more: précisez le texte / say more\n",
            found.len() - SHOWN,
            found.len() - SHOWN
        ));
    }
    super::print(&text)
}

//! Reconciliation: a person or an institution that a file describes without an IRI (a
//! blank node typed `schema:Person` or `schema:Organization`, as a record writes
//! `{type: Organization, name: PMA}`) is matched against the people and institutions the
//! store already has, so that an import does not create duplicates under another
//! spelling.
//!
//! A match is certain when every key the file gives that finds anything finds the same
//! one resource: its identifier (`dct:identifier`, a SIREN), an acronym (`skos:altLabel`:
//! "PMA", "Cerdd" for "CERDD"), or a name (`schema:name`, `skos:prefLabel`, given and
//! family names) compared once normalised: case, accents, punctuation and spacing do not
//! count ("Pôle Métropolitain de l'Artois" is "Pôle métropolitain de l’Artois", "Alain
//! BAVAY" is "Alain Bavay"). The file's node then becomes a reference to that resource,
//! and its own description (the spelling it used) is dropped. When the keys point to
//! several resources, the import is refused with the candidates: the author writes the
//! IRI. When nothing matches, the resource is created under an IRI minted from its name
//! (`org/…`, `person/…`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use oxigraph::model::vocab::rdf;
use oxigraph::model::{BlankNode, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use oxigraph::sparql::QueryResults;

use super::Parsed;
use crate::error::{Error, Result};
use crate::store::GraphStore;
use crate::text::{normalise, slug};
use crate::vocab::{dct, schema, skos};

/// What a property gives reconciliation to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Identifier,
    Acronym,
    Given,
    Family,
    Name,
}

fn key(property: NamedNodeRef<'_>) -> Option<Key> {
    Some(if property == dct::IDENTIFIER {
        Key::Identifier
    } else if property == skos::ALT_LABEL {
        Key::Acronym
    } else if property == schema::GIVEN_NAME {
        Key::Given
    } else if property == schema::FAMILY_NAME {
        Key::Family
    } else if property == schema::NAME || property == skos::PREF_LABEL {
        Key::Name
    } else {
        return None;
    })
}

/// How a node was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Identifier,
    Acronym,
    Name,
}

impl By {
    fn label(self) -> &'static str {
        match self {
            By::Identifier => "identifiant / identifier",
            By::Acronym => "sigle / acronym",
            By::Name => "nom / name",
        }
    }
}

/// What reconciliation did, for the import's report.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Each node matched: what the file wrote, the resource, and how.
    pub matched: Vec<(String, NamedNode, By)>,
    /// Each resource created, under its minted IRI.
    pub created: Vec<NamedNode>,
}

impl Outcome {
    /// One line per match and per creation, in French and English.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for (written, iri, by) in &self.matched {
            text.push_str(&format!(
                "rapproché / matched: « {written} » → {iri} ({})\n",
                by.label()
            ));
        }
        for iri in &self.created {
            text.push_str(&format!("créé / created: {iri}\n"));
        }
        text
    }
}

/// The keys of the people and institutions of the store.
struct Index {
    identifiers: HashMap<String, BTreeSet<NamedNode>>,
    acronyms: HashMap<String, BTreeSet<NamedNode>>,
    names: HashMap<String, BTreeSet<NamedNode>>,
    /// Every IRI of the store's people and institutions (to mint new ones apart).
    known: BTreeSet<NamedNode>,
}

fn index(store: &GraphStore) -> Result<Index> {
    let query = include_str!("../../queries/internal/reconcile-index.rq");
    let QueryResults::Solutions(solutions) = store.evaluate(store.prepare(query)?, Vec::new())?
    else {
        unreachable!("a SELECT query gives solutions")
    };
    let mut index = Index {
        identifiers: HashMap::new(),
        acronyms: HashMap::new(),
        names: HashMap::new(),
        known: BTreeSet::new(),
    };
    // Given and family names, joined once both are known.
    let mut parts: BTreeMap<NamedNode, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for solution in solutions {
        let solution = solution.map_err(|e| Error::Query {
            context: "reconciliation".into(),
            message: e.to_string(),
        })?;
        let (
            Some(Term::NamedNode(resource)),
            Some(Term::NamedNode(property)),
            Some(Term::Literal(value)),
        ) = (solution.get("r"), solution.get("p"), solution.get("v"))
        else {
            continue;
        };
        index.known.insert(resource.clone());
        let value = value.value();
        let add = |map: &mut HashMap<String, BTreeSet<NamedNode>>, key: String| {
            if !key.is_empty() {
                map.entry(key).or_default().insert(resource.clone());
            }
        };
        match key(property.as_ref()) {
            Some(Key::Identifier) => add(&mut index.identifiers, value.trim().to_owned()),
            Some(Key::Acronym) => {
                add(&mut index.acronyms, normalise(value));
                add(&mut index.names, normalise(value));
            }
            Some(Key::Given) => parts
                .entry(resource.clone())
                .or_default()
                .0
                .push(value.to_owned()),
            Some(Key::Family) => parts
                .entry(resource.clone())
                .or_default()
                .1
                .push(value.to_owned()),
            Some(Key::Name) | None => add(&mut index.names, normalise(value)),
        }
    }
    for (resource, (given, family)) in parts {
        for g in &given {
            for f in &family {
                index
                    .names
                    .entry(normalise(&format!("{g} {f}")))
                    .or_default()
                    .insert(resource.clone());
            }
        }
    }
    Ok(index)
}

/// Matches the blank-node people and institutions of the parsed sources against the
/// store: matched ones become references, unmatched ones get an IRI, ambiguous ones
/// refuse the import.
pub fn reconcile(store: &GraphStore, parsed: &mut [Parsed]) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut ambiguous = Vec::new();
    let mut index: Option<Index> = None;
    for source in parsed.iter_mut() {
        let candidates = described(&source.quads);
        if candidates.is_empty() {
            continue;
        }
        let index = match &mut index {
            Some(index) => index,
            None => index.insert(self::index(store)?),
        };
        let mut replace: HashMap<BlankNode, (NamedNode, bool)> = HashMap::new();
        for (node, keys) in candidates {
            let written = keys.shown();
            match find(index, &keys) {
                Found::One(iri, by) => {
                    outcome.matched.push((written, iri.clone(), by));
                    replace.insert(node, (iri, true));
                }
                Found::Several(iris) => ambiguous.push(format!(
                    "{}: « {written} » could be / pourrait être {} — write the IRI / écrire l'IRI",
                    source.source.name,
                    iris.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Found::None => {
                    let iri = mint(store, index, &keys)?;
                    index.known.insert(iri.clone());
                    outcome.created.push(iri.clone());
                    replace.insert(node, (iri, false));
                }
            }
        }
        source.quads = std::mem::take(&mut source.quads)
            .into_iter()
            .filter_map(|quad| rewrite(quad, &replace))
            .collect();
    }
    if ambiguous.is_empty() {
        Ok(outcome)
    } else {
        Err(Error::Usage(format!(
            "ambiguous references, nothing was written / références ambiguës, rien n'a été écrit:\n  {}",
            ambiguous.join("\n  ")
        )))
    }
}

/// What a file says of one of its blank-node people or institutions.
#[derive(Debug, Default)]
struct Keys {
    person: bool,
    identifiers: Vec<String>,
    acronyms: Vec<String>,
    names: Vec<String>,
    given: Vec<String>,
    family: Vec<String>,
}

impl Keys {
    fn full_names(&self) -> Vec<String> {
        let mut names = self.names.clone();
        for g in &self.given {
            for f in &self.family {
                names.push(format!("{g} {f}"));
            }
        }
        names
    }

    /// How the file wrote it, for messages.
    fn shown(&self) -> String {
        self.full_names()
            .into_iter()
            .chain(self.acronyms.iter().cloned())
            .chain(self.identifiers.iter().cloned())
            .next()
            .unwrap_or_else(|| "(sans nom / no name)".into())
    }
}

fn described(quads: &[Quad]) -> Vec<(BlankNode, Keys)> {
    let mut typed: HashMap<BlankNode, Keys> = HashMap::new();
    for quad in quads {
        if let (NamedOrBlankNode::BlankNode(b), Term::NamedNode(t)) = (&quad.subject, &quad.object)
            && quad.predicate == rdf::TYPE
            && (*t == schema::PERSON || *t == schema::ORGANIZATION)
        {
            typed.entry(b.clone()).or_default().person |= *t == schema::PERSON;
        }
    }
    for quad in quads {
        let (NamedOrBlankNode::BlankNode(b), Term::Literal(value)) = (&quad.subject, &quad.object)
        else {
            continue;
        };
        let Some(keys) = typed.get_mut(b) else {
            continue;
        };
        let value = value.value().to_owned();
        match key(quad.predicate.as_ref()) {
            Some(Key::Identifier) => keys.identifiers.push(value),
            Some(Key::Acronym) => keys.acronyms.push(value),
            Some(Key::Given) => keys.given.push(value),
            Some(Key::Family) => keys.family.push(value),
            Some(Key::Name) => keys.names.push(value),
            None => {}
        }
    }
    // In a stable order (by name), so that minted IRIs do not depend on blank node labels.
    let mut typed: Vec<(BlankNode, Keys)> = typed.into_iter().collect();
    typed.sort_by_key(|(_, keys)| keys.shown());
    typed
}

enum Found {
    One(NamedNode, By),
    Several(BTreeSet<NamedNode>),
    None,
}

fn find(index: &Index, keys: &Keys) -> Found {
    let mut found: BTreeSet<NamedNode> = BTreeSet::new();
    let mut by = None;
    let mut look = |map: &HashMap<String, BTreeSet<NamedNode>>, key: String, how: By| {
        if let Some(iris) = map.get(&key) {
            found.extend(iris.iter().cloned());
            by.get_or_insert(how);
        }
    };
    for identifier in &keys.identifiers {
        look(
            &index.identifiers,
            identifier.trim().to_owned(),
            By::Identifier,
        );
    }
    for acronym in &keys.acronyms {
        look(&index.acronyms, normalise(acronym), By::Acronym);
    }
    for name in keys.full_names() {
        // A short name written in capitals may be an acronym ("PMA", "Cerdd").
        look(&index.acronyms, normalise(&name), By::Acronym);
        look(&index.names, normalise(&name), By::Name);
    }
    match (found.len(), by) {
        (0, _) | (_, None) => Found::None,
        (1, Some(by)) => Found::One(found.into_iter().next().expect("one"), by),
        _ => Found::Several(found),
    }
}

/// An IRI for a new person or institution, from its name, apart from every known one.
fn mint(store: &GraphStore, index: &Index, keys: &Keys) -> Result<NamedNode> {
    let prefix = if keys.person { "person/" } else { "org/" };
    let stem = slug(&keys.shown());
    let stem = if stem.is_empty() {
        "sans-nom".to_owned()
    } else {
        stem
    };
    for n in 1.. {
        let candidate = if n == 1 {
            format!("{prefix}{stem}")
        } else {
            format!("{prefix}{stem}-{n}")
        };
        let iri = store.base().resolve(&candidate)?;
        if !index.known.contains(&iri) && !store.describes(&iri)? {
            return Ok(iri);
        }
    }
    unreachable!("some suffix is free")
}

/// Replaces reconciled blank nodes: a matched node's own statements are dropped (the
/// store has its description), its references point to the resource; a created node
/// takes its new IRI everywhere.
fn rewrite(quad: Quad, replace: &HashMap<BlankNode, (NamedNode, bool)>) -> Option<Quad> {
    let mut quad = quad;
    if let NamedOrBlankNode::BlankNode(b) = &quad.subject
        && let Some((iri, matched)) = replace.get(b)
    {
        if *matched {
            return None;
        }
        quad.subject = iri.clone().into();
    }
    if let Term::BlankNode(b) = &quad.object
        && let Some((iri, _)) = replace.get(b)
    {
        quad.object = iri.clone().into();
    }
    Some(quad)
}

//! A resource as a document of the text index, read from the store: its labels, its
//! texts by language (those of the blank nodes it reaches too: a speaker's role, a
//! theme's mapping), its identifiers, its classes with their superclasses, and the IRIs
//! it links to with what those are in.

use std::collections::{HashMap, HashSet};

use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use tantivy::TantivyDocument;

use super::analysis::Fields;
use crate::error::Result;
use crate::store::GraphStore;
use crate::vocab::{local, schema, skos};

/// The properties read as labels, best first (as the pages read them).
const LABELS: [&str; 6] = [
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://schema.org/name",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://schema.org/alternateName",
];

/// A text longer than this is indexed by its beginning (a document, not a book).
const LONGEST_TEXT: usize = 20_000;

/// How far "is in" is followed (a commune, its EPCI, its département, its region).
const DEPTH: usize = 8;

/// What part of the store describes a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Data,
    Ontology,
    Shapes,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Data => "data",
            Kind::Ontology => "ontology",
            Kind::Shapes => "shapes",
        }
    }
}

/// Reads documents from a store, remembering the classes' superclasses and what linked
/// IRIs are in, which many resources share.
pub struct Reader<'a> {
    store: &'a GraphStore,
    fields: Fields,
    ontology: NamedNode,
    shapes: NamedNode,
    imports: NamedNode,
    superclasses: HashMap<NamedNode, Vec<NamedNode>>,
    within: HashMap<NamedNode, Vec<NamedNode>>,
}

impl<'a> Reader<'a> {
    pub fn new(store: &'a GraphStore, fields: Fields) -> Self {
        let base = store.base();
        Self {
            store,
            fields,
            ontology: base.local(local::ONTOLOGY_GRAPH),
            shapes: base.local(local::SHAPES_GRAPH),
            imports: base.local(local::IMPORTS_GRAPH),
            superclasses: HashMap::new(),
            within: HashMap::new(),
        }
    }

    /// The document of `subject`, or `None` when only the provenance graph (or nothing)
    /// describes it.
    pub fn document(&mut self, subject: &NamedNode) -> Result<Option<TantivyDocument>> {
        let (statements, graphs) = self.store.statements(subject)?;
        match self.kind(&graphs) {
            Some(kind) => self.build(subject, &statements, kind).map(Some),
            None => Ok(None),
        }
    }

    /// What part of the store describes a resource held by `graphs`.
    fn kind(&self, graphs: &[NamedNode]) -> Option<Kind> {
        if graphs
            .iter()
            .any(|g| *g != self.ontology && *g != self.shapes && *g != self.imports)
        {
            Some(Kind::Data)
        } else if graphs.contains(&self.ontology) {
            Some(Kind::Ontology)
        } else if graphs.contains(&self.shapes) {
            Some(Kind::Shapes)
        } else {
            None
        }
    }

    /// Every document of the store, read in one pass over the union graph (a lookup per
    /// resource costs a RocksDB iterator each: seconds for a store of France's
    /// territories): `add` is given each.
    pub fn all(&mut self, mut add: impl FnMut(TantivyDocument) -> Result<()>) -> Result<()> {
        use oxigraph::model::{BlankNode, Triple};
        // The resources the ontology, shapes and provenance graphs describe: their kind is
        // read from their graphs; every other resource is the data's.
        let mut special = HashSet::new();
        for graph in [&self.ontology, &self.shapes, &self.imports] {
            special.extend(self.store.graph_subjects(graph)?);
        }
        // One pass: a resource is indexed when its statements are read, unless it reaches
        // blank nodes, whose statements may come later in the pass: those wait for the end.
        let mut blanks: HashMap<BlankNode, Vec<Triple>> = HashMap::new();
        let mut waiting: Vec<(NamedNode, Vec<Triple>)> = Vec::new();
        let mut current: Option<NamedNode> = None;
        let mut statements: Vec<Triple> = Vec::new();
        let mut flush = |this: &mut Self,
                         subject: NamedNode,
                         mut statements: Vec<Triple>,
                         blanks: &HashMap<BlankNode, Vec<Triple>>|
         -> Result<()> {
            let mut reached: Vec<BlankNode> = statements
                .iter()
                .filter_map(|t| match &t.object {
                    Term::BlankNode(b) => Some(b.clone()),
                    _ => None,
                })
                .collect();
            let mut seen: HashSet<BlankNode> = reached.iter().cloned().collect();
            while let Some(b) = reached.pop() {
                for t in blanks.get(&b).into_iter().flatten() {
                    if let Term::BlankNode(o) = &t.object
                        && seen.insert(o.clone())
                    {
                        reached.push(o.clone());
                    }
                    statements.push(t.clone());
                }
            }
            let kind = if special.contains(&subject) {
                let (_, graphs) = this.store.statements(&subject)?;
                this.kind(&graphs)
            } else {
                Some(Kind::Data)
            };
            if let Some(kind) = kind {
                add(this.build(&subject, &statements, kind)?)?;
            }
            Ok(())
        };
        let empty = HashMap::new();
        let mut done = |this: &mut Self,
                        subject: NamedNode,
                        statements: Vec<Triple>,
                        waiting: &mut Vec<(NamedNode, Vec<Triple>)>|
         -> Result<()> {
            if statements.iter().any(|t| t.object.is_blank_node()) {
                waiting.push((subject, statements));
                Ok(())
            } else {
                flush(this, subject, statements, &empty)
            }
        };
        for triple in self.store.union_triples() {
            let triple = triple?;
            let subject = match &triple.subject {
                NamedOrBlankNode::NamedNode(s) => s.clone(),
                NamedOrBlankNode::BlankNode(b) => {
                    blanks.entry(b.clone()).or_default().push(triple);
                    continue;
                }
            };
            if current.as_ref() != Some(&subject) {
                if let Some(previous) = current.take() {
                    done(
                        self,
                        previous,
                        std::mem::take(&mut statements),
                        &mut waiting,
                    )?;
                }
                current = Some(subject);
            }
            statements.push(triple);
        }
        if let Some(previous) = current.take() {
            done(self, previous, statements, &mut waiting)?;
        }
        for (subject, statements) in waiting {
            flush(self, subject, statements, &blanks)?;
        }
        Ok(())
    }

    fn build(
        &mut self,
        subject: &NamedNode,
        statements: &[oxigraph::model::Triple],
        kind: Kind,
    ) -> Result<TantivyDocument> {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.iri, subject.as_str());
        doc.add_text(f.kind, kind.as_str());
        let own = NamedOrBlankNode::NamedNode(subject.clone());
        // (rank of the property, rank of the language, text, language)
        let mut best: Option<(usize, usize, String, String)> = None;
        let mut english: Option<(usize, String)> = None;
        let mut types = HashSet::new();
        let mut linked = Vec::new();
        let (mut fr, mut en) = (0, 0);
        for t in statements {
            match &t.object {
                Term::NamedNode(o) => {
                    if t.subject == own && t.predicate == rdf::TYPE {
                        for class in self.classes(o)? {
                            if types.insert(class.clone()) {
                                doc.add_text(f.types, class.as_str());
                            }
                        }
                    } else {
                        linked.push(o.clone());
                    }
                }
                Term::Literal(l) => {
                    let datatype = l.datatype();
                    if datatype != xsd::STRING && datatype != rdf::LANG_STRING {
                        continue;
                    }
                    let value = l.value();
                    let language = l.language().unwrap_or_default();
                    let label = LABELS
                        .iter()
                        .position(|p| t.subject == own && t.predicate.as_str() == *p);
                    if let Some(rank) = label {
                        doc.add_text(f.name, value);
                        doc.add_text(f.label_words, value);
                        let by_language = match language {
                            "fr" => 0,
                            "" => 1,
                            "en" => 2,
                            _ => 3,
                        };
                        if best
                            .as_ref()
                            .is_none_or(|(r, b, _, _)| (by_language, rank) < (*b, *r))
                        {
                            best = Some((rank, by_language, value.to_owned(), language.to_owned()));
                        }
                        if language == "en" && english.as_ref().is_none_or(|(r, _)| rank < *r) {
                            english = Some((rank, value.to_owned()));
                        }
                    }
                    if is_code(value) {
                        doc.add_text(f.code, value);
                    }
                    let value = cut(value);
                    match language {
                        "en" if en < LONGEST_TEXT => {
                            en += value.len();
                            doc.add_text(f.text_en, value);
                        }
                        "" | "fr" if fr < LONGEST_TEXT => {
                            fr += value.len();
                            doc.add_text(f.text_fr, value);
                        }
                        _ => {}
                    }
                    doc.add_text(f.folded, value);
                }
                _ => {}
            }
        }
        // The parts minted under the resource's IRI (`action/x/odd/13.2`, a link with its
        // status) are part of it: what they link to, it links to.
        let prefix = format!("{}/", subject.as_str());
        let mut parts = Vec::new();
        for o in &linked {
            if o.as_str().starts_with(&prefix) {
                parts.extend(
                    self.store
                        .objects(o, None)?
                        .into_iter()
                        .filter_map(|t| match t {
                            Term::NamedNode(n) => Some(n),
                            _ => None,
                        }),
                );
            }
        }
        let mut links = HashSet::new();
        for o in linked.iter().chain(&parts) {
            for place in self.within(o)? {
                if links.insert(place.clone()) {
                    doc.add_text(f.links, place.as_str());
                }
            }
        }
        match best {
            Some((_, _, text, language)) => {
                doc.add_text(f.label, text);
                doc.add_text(f.label_lang, language);
            }
            None => doc.add_text(f.label, subject.as_str()),
        }
        if let Some((_, text)) = english {
            doc.add_text(f.label_en, text);
        }
        Ok(doc)
    }

    /// A class and its superclasses (`rdfs:subClassOf`, transitively).
    fn classes(&mut self, class: &NamedNode) -> Result<Vec<NamedNode>> {
        if let Some(known) = self.superclasses.get(class) {
            return Ok(known.clone());
        }
        let found = self.closure(class, &[rdfs::SUB_CLASS_OF])?;
        self.superclasses.insert(class.clone(), found.clone());
        Ok(found)
    }

    /// An IRI and what it is in (`skos:broader`, `schema:containedInPlace`,
    /// transitively).
    fn within(&mut self, iri: &NamedNode) -> Result<Vec<NamedNode>> {
        if let Some(known) = self.within.get(iri) {
            return Ok(known.clone());
        }
        let found = self.closure(iri, &[skos::BROADER, schema::CONTAINED_IN_PLACE])?;
        self.within.insert(iri.clone(), found.clone());
        Ok(found)
    }

    fn closure(&self, start: &NamedNode, via: &[NamedNodeRef<'_>]) -> Result<Vec<NamedNode>> {
        let mut found = vec![start.clone()];
        let mut frontier = vec![start.clone()];
        for _ in 0..DEPTH {
            let mut next = Vec::new();
            for node in &frontier {
                for p in via {
                    for o in self.store.objects(node, Some(*p))? {
                        if let Term::NamedNode(o) = o
                            && !found.contains(&o)
                        {
                            found.push(o.clone());
                            next.push(o);
                        }
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        Ok(found)
    }
}

/// Whether a text reads as an identifier: one word of at most 24 characters with a digit
/// ("59350", "200093201", "QN06201M", "11.6").
fn is_code(text: &str) -> bool {
    text.len() <= 24
        && !text.is_empty()
        && !text.contains(char::is_whitespace)
        && text.chars().any(|c| c.is_ascii_digit())
}

/// The beginning of a long text, cut at a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= LONGEST_TEXT {
        return text;
    }
    let mut end = LONGEST_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

//! What the store says about one resource, for its page and its RDF: its own statements
//! with the blank nodes they reach, the links that point at it (a page at a time, never
//! truncated silently), the named graphs that hold its statements, and a label for every
//! IRI all of these name.
//!
//! Lookups go to the store's indexes directly: `(s, ?, ?)` reads the subject's quads in
//! SPOG order and `(?, ?, o)` the links in OSPG order, so a triple held by several graphs
//! comes out in adjacent quads and is kept once without a set of them all. Memory stays
//! that of one page whatever the number of links.

use std::collections::{BTreeMap, HashSet};

use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{
    GraphName, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, TermRef, Triple,
};

use super::GraphStore;
use crate::error::Result;
use crate::vocab::{dct, schema, skos};

/// Links pointing at a resource, per page.
pub const INCOMING_PAGE: usize = 100;

/// Statements reached through blank nodes, at most (a description is not a dump).
const MAX_NESTED: usize = 10_000;

/// What the store says about a resource.
#[derive(Debug, Clone)]
pub struct Description {
    pub subject: NamedNode,
    /// Its own statements, then those of the blank nodes they reach.
    pub outgoing: Vec<Triple>,
    /// One page of the statements whose object it is.
    pub incoming: Vec<Triple>,
    /// How many statements point at it, in all.
    pub incoming_total: usize,
    /// The page of `incoming` (from 1).
    pub page: usize,
    /// The named graphs that hold its own statements.
    pub graphs: Vec<NamedNode>,
}

impl Description {
    /// Whether another page of links follows.
    pub fn has_next(&self) -> bool {
        self.page * INCOMING_PAGE < self.incoming_total
    }

    /// The classes of the resource (`rdf:type`).
    pub fn types(&self) -> Vec<NamedNode> {
        let subject = NamedOrBlankNode::NamedNode(self.subject.clone());
        self.outgoing
            .iter()
            .filter(|t| t.subject == subject && t.predicate == rdf::TYPE)
            .filter_map(|t| match &t.object {
                Term::NamedNode(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// The IRIs every statement names, for their labels.
    pub fn iris(&self) -> Vec<NamedNode> {
        let mut seen = HashSet::new();
        let mut iris = Vec::new();
        let mut add = |n: &NamedNode| {
            if seen.insert(n.clone()) {
                iris.push(n.clone());
            }
        };
        for t in self.outgoing.iter().chain(&self.incoming) {
            if let NamedOrBlankNode::NamedNode(s) = &t.subject {
                add(s);
            }
            add(&t.predicate);
            if let Term::NamedNode(o) = &t.object {
                add(o);
            }
        }
        iris
    }
}

/// A label: its text and language tag (empty when it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub text: String,
    pub language: String,
}

/// The properties read as labels, best first.
const LABELS: [NamedNodeRef<'static>; 5] = [
    skos::PREF_LABEL,
    schema::NAME,
    rdfs::LABEL,
    dct::TITLE,
    schema::ALTERNATE_NAME,
];

impl GraphStore {
    /// The description of `subject`, with the links pointing at it of page `page` (from
    /// 1); `None` when the store says nothing about it.
    pub fn describe(&self, subject: &NamedNode, page: usize) -> Result<Option<Description>> {
        let page = page.max(1);
        let (outgoing, graphs) = self.statements(subject)?;
        let (incoming, incoming_total) = self.links_to(subject, page)?;
        if outgoing.is_empty() && incoming_total == 0 {
            return Ok(None);
        }
        Ok(Some(Description {
            subject: subject.clone(),
            outgoing,
            incoming,
            incoming_total,
            page,
            graphs,
        }))
    }

    /// A resource's own statements, then those of the blank nodes they reach (breadth
    /// first, each once), and the named graphs that hold its own statements; the union
    /// graph's copies are left out, and a triple held by several graphs comes once.
    pub fn statements(&self, subject: &NamedNode) -> Result<(Vec<Triple>, Vec<NamedNode>)> {
        let mut outgoing = Vec::new();
        let mut graphs = Vec::new();
        let mut nested: Vec<NamedOrBlankNode> = Vec::new();
        let mut last: Option<Triple> = None;
        for quad in self
            .store
            .quads_for_pattern(Some(subject.into()), None, None, None)
        {
            let quad = quad.map_err(|e| self.storage(e))?;
            // The union graph's copies: each triple is read from the graphs that state it.
            if super::union::is_union(&quad.graph_name) {
                continue;
            }
            if let GraphName::NamedNode(g) = &quad.graph_name
                && !graphs.contains(g)
            {
                graphs.push(g.clone());
            }
            let triple = Triple::from(quad);
            if last.as_ref() != Some(&triple) {
                if let Term::BlankNode(b) = &triple.object {
                    nested.push(b.clone().into());
                }
                outgoing.push(triple.clone());
                last = Some(triple);
            }
        }
        // The blank nodes reached, breadth first, each once.
        let mut seen: HashSet<NamedOrBlankNode> = nested.iter().cloned().collect();
        let mut reached = 0;
        while let Some(node) = nested.pop() {
            let mut last: Option<Triple> = None;
            for quad in self
                .store
                .quads_for_pattern(Some(node.as_ref()), None, None, None)
            {
                let quad = quad.map_err(|e| self.storage(e))?;
                if super::union::is_union(&quad.graph_name) {
                    continue;
                }
                let triple = Triple::from(quad);
                if last.as_ref() == Some(&triple) || reached >= MAX_NESTED {
                    continue;
                }
                if let Term::BlankNode(b) = &triple.object
                    && seen.insert(b.clone().into())
                {
                    nested.push(b.clone().into());
                }
                reached += 1;
                outgoing.push(triple.clone());
                last = Some(triple);
            }
        }
        Ok((outgoing, graphs))
    }

    /// Every triple of the union of the graphs, grouped by subject.
    pub fn union_triples(&self) -> impl Iterator<Item = Result<Triple>> + '_ {
        self.store
            .quads_for_pattern(None, None, None, Some(super::UNION_GRAPH.into()))
            .map(|q| q.map(Triple::from).map_err(|e| self.storage(e)))
    }

    /// The subjects of a named graph's statements.
    pub fn graph_subjects(&self, graph: &NamedNode) -> Result<HashSet<NamedNode>> {
        let mut subjects = HashSet::new();
        for quad in self
            .store
            .quads_for_pattern(None, None, None, Some(graph.into()))
        {
            if let NamedOrBlankNode::NamedNode(s) = quad.map_err(|e| self.storage(e))?.subject {
                subjects.insert(s);
            }
        }
        Ok(subjects)
    }

    /// The nodes with a statement whose object is `node`, in the union of the graphs.
    pub fn parents(&self, node: &NamedOrBlankNode) -> Result<Vec<NamedOrBlankNode>> {
        let object: Term = node.clone().into();
        self.store
            .quads_for_pattern(
                None,
                None,
                Some(object.as_ref()),
                Some(super::UNION_GRAPH.into()),
            )
            .map(|q| q.map(|q| q.subject).map_err(|e| self.storage(e)))
            .collect()
    }

    /// The objects of `(subject, predicate)`, or of every statement of `subject`, in the
    /// union of the graphs.
    pub fn objects(
        &self,
        subject: &NamedNode,
        predicate: Option<NamedNodeRef<'_>>,
    ) -> Result<Vec<Term>> {
        self.store
            .quads_for_pattern(
                Some(subject.into()),
                predicate,
                None,
                Some(super::UNION_GRAPH.into()),
            )
            .map(|q| q.map(|q| q.object).map_err(|e| self.storage(e)))
            .collect()
    }

    /// The IRI that replaces `subject` (`dct:isReplacedBy`), when the data says one does.
    pub fn replaced_by(&self, subject: &NamedNode) -> Result<Option<NamedNode>> {
        for quad in self.store.quads_for_pattern(
            Some(subject.into()),
            Some(dct::IS_REPLACED_BY),
            None,
            None,
        ) {
            if let Term::NamedNode(n) = quad.map_err(|e| self.storage(e))?.object {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// One page of the statements whose object is `object`, and how many there are.
    fn links_to(&self, object: &NamedNode, page: usize) -> Result<(Vec<Triple>, usize)> {
        let first = (page - 1) * INCOMING_PAGE;
        let mut links = Vec::new();
        let mut total = 0;
        let mut last: Option<Quad> = None;
        for quad in self
            .store
            .quads_for_pattern(None, None, Some(object.into()), None)
        {
            let quad = quad.map_err(|e| self.storage(e))?;
            if super::union::is_union(&quad.graph_name) {
                continue;
            }
            let repeated = last
                .as_ref()
                .is_some_and(|l| l.subject == quad.subject && l.predicate == quad.predicate);
            if !repeated {
                if (first..first + INCOMING_PAGE).contains(&total) {
                    links.push(Triple::from(quad.clone()));
                }
                total += 1;
            }
            last = Some(quad);
        }
        Ok((links, total))
    }

    /// A label per IRI, in the first language of `languages` that has one, else in
    /// any language (the first property of the label properties that gives one wins).
    pub fn labels(
        &self,
        iris: &[NamedNode],
        languages: &[&str],
    ) -> Result<BTreeMap<NamedNode, Label>> {
        let mut labels = BTreeMap::new();
        for iri in iris {
            let mut best: Option<(usize, Label)> = None;
            for property in LABELS {
                for quad in
                    self.store
                        .quads_for_pattern(Some(iri.into()), Some(property), None, None)
                {
                    let quad = quad.map_err(|e| self.storage(e))?;
                    let TermRef::Literal(literal) = quad.object.as_ref() else {
                        continue;
                    };
                    let language = literal.language().unwrap_or_default();
                    let rank = languages
                        .iter()
                        .position(|l| language.eq_ignore_ascii_case(l))
                        .unwrap_or(languages.len() + usize::from(!language.is_empty()));
                    if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                        best = Some((
                            rank,
                            Label {
                                text: literal.value().to_owned(),
                                language: language.to_owned(),
                            },
                        ));
                    }
                }
                if best.as_ref().is_some_and(|(r, _)| *r == 0) {
                    break;
                }
            }
            if let Some((_, label)) = best {
                labels.insert(iri.clone(), label);
            }
        }
        Ok(labels)
    }
}

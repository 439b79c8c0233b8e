//! The SHACL gate: one check, installed on the store's write path, that every checked
//! write goes through — CLI imports, dry runs and `validate`, SPARQL Update and the Graph
//! Store Protocol alike.
//!
//! It validates the resources a write concerns with what they reference, not the whole
//! store: a small write on a large store stays small. The resources concerned are the
//! nodes of the quads added or removed, and every node of a graph replaced whole by a
//! source. The data handed to the engine is, for each of them, its own statements (with
//! the blank nodes it nests, for `sh:node`) and the types of what they point at (for
//! `sh:class`); for the resources the write describes, the statements that point at them
//! and their subjects' types (so that a reference the write breaks elsewhere is caught);
//! and the class hierarchy. Findings about other
//! resources — what was already wrong elsewhere — neither show nor block the write.

use std::collections::{BTreeSet, HashMap, HashSet};

use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{NamedOrBlankNode, Quad, Term, Triple};

use crate::error::Result;
use crate::shacl::{Level, Shapes, mention};
use crate::store::{Change, Check, Findings, View};
use crate::vocab::local;

/// The gate; install it with [`crate::store::GraphStore::add_check`].
pub struct Gate;

impl Check for Gate {
    fn check(&self, view: &View<'_>, change: &Change) -> Result<Findings> {
        let shapes_graph = view.base().local(local::SHAPES_GRAPH);
        let mut concerned: Vec<Quad> = Vec::new();
        for graph in &change.replaced {
            concerned.extend(view.graph(graph)?);
        }
        concerned.extend(change.added.iter().cloned());
        concerned.extend(change.removed.iter().cloned());
        // A change to the shapes graph itself concerns no resource.
        concerned.retain(|q| !matches!(&q.graph_name, oxigraph::model::GraphName::NamedNode(g) if *g == shapes_graph));
        if concerned.is_empty() {
            return Ok(Findings::default());
        }
        let mut mentioned = HashSet::new();
        let mut described: HashSet<NamedOrBlankNode> = HashSet::new();
        let mut referenced: HashSet<NamedOrBlankNode> = HashSet::new();
        for quad in &concerned {
            mention(quad.subject.as_ref().into(), &mut mentioned);
            mention(quad.object.as_ref(), &mut mentioned);
            described.insert(quad.subject.clone());
            if let Some(node) = node(&quad.object) {
                referenced.insert(node);
            }
        }
        let data = Neighbourhood::new(view, &shapes_graph).around(&described, &referenced)?;
        let mut report = Shapes::bundled()?.validate(data)?;
        report.only_about(&mentioned);
        // Which source describes each resource at fault: the file an administrator opens
        // to fix it.
        let mut sources: HashMap<String, BTreeSet<&str>> = HashMap::new();
        for quad in &concerned {
            if let oxigraph::model::GraphName::NamedNode(g) = &quad.graph_name
                && let Some(source) = change.sources.get(g)
            {
                let mut subject = HashSet::new();
                mention(quad.subject.as_ref().into(), &mut subject);
                for s in subject {
                    sources.entry(s).or_default().insert(source);
                }
            }
        }
        for finding in &mut report.findings {
            if let Some(files) = sources.get(&finding.focus) {
                finding.sources = files.iter().map(|s| (*s).to_owned()).collect();
            }
        }
        Ok(Findings {
            violations: report.count(Level::Violation),
            warnings: report.count(Level::Warning),
            text: report.text(),
        })
    }
}

/// The node a term is, if it is not a literal.
fn node(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// The statements around some resources, gathered once each.
struct Neighbourhood<'a, 'v> {
    view: &'a View<'v>,
    shapes: &'a oxigraph::model::NamedNode,
    triples: HashSet<Triple>,
    expanded: HashSet<NamedOrBlankNode>,
}

impl<'a, 'v> Neighbourhood<'a, 'v> {
    fn new(view: &'a View<'v>, shapes: &'a oxigraph::model::NamedNode) -> Self {
        Self {
            view,
            shapes,
            triples: HashSet::new(),
            expanded: HashSet::new(),
        }
    }

    fn add(&mut self, quads: Vec<Quad>) -> Vec<Quad> {
        let quads: Vec<Quad> = quads
            .into_iter()
            .filter(|q| !matches!(&q.graph_name, oxigraph::model::GraphName::NamedNode(g) if g == self.shapes))
            .collect();
        self.triples.extend(quads.iter().cloned().map(Triple::from));
        quads
    }

    /// A node's own statements, and (for blank nodes, which shapes nest with `sh:node`)
    /// those of the blank nodes it points at. Returns the nodes it points at.
    fn describe(&mut self, subject: &NamedOrBlankNode) -> Result<Vec<NamedOrBlankNode>> {
        if !self.expanded.insert(subject.clone()) {
            return Ok(Vec::new());
        }
        let quads = self.view.quads(Some(subject.as_ref()), None, None)?;
        let objects: Vec<NamedOrBlankNode> = self
            .add(quads)
            .iter()
            .filter_map(|q| node(&q.object))
            .collect();
        for object in &objects {
            if matches!(object, NamedOrBlankNode::BlankNode(_)) {
                self.describe(object)?;
            }
        }
        Ok(objects)
    }

    /// The types of a node (for `sh:class` and the shapes' targets).
    fn types(&mut self, node: &NamedOrBlankNode) -> Result<()> {
        let quads = self
            .view
            .quads(Some(node.as_ref()), Some(rdf::TYPE), None)?;
        self.add(quads);
        Ok(())
    }

    fn around(
        mut self,
        described: &HashSet<NamedOrBlankNode>,
        referenced: &HashSet<NamedOrBlankNode>,
    ) -> Result<Vec<Triple>> {
        let mut pointed = HashSet::new();
        for node in described.iter().chain(referenced) {
            pointed.extend(self.describe(node)?);
        }
        // Who points at a resource the write describes: a reference the write breaks is
        // caught there (its subject's type makes it a focus of the shapes).
        for subject in described {
            let incoming = self.view.quads(None, None, Some(subject.as_ref().into()))?;
            for quad in self.add(incoming) {
                self.types(&quad.subject)?;
            }
        }
        // The types of what they point at (`sh:class`).
        for node in &pointed {
            self.types(node)?;
        }
        // The class hierarchy (an lg:Seminar is a schema:Event).
        let hierarchy = self.view.quads(None, Some(rdfs::SUB_CLASS_OF), None)?;
        self.add(hierarchy);
        Ok(self.triples.into_iter().collect())
    }
}

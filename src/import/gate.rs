//! The SHACL gate: one check, installed on the store's write path, that every checked
//! write goes through — CLI imports, dry runs and `validate`, SPARQL Update and the Graph
//! Store Protocol alike.
//!
//! It validates the resources a write concerns with what they reference, not the whole
//! store, so that a small write on a large store stays small. The quads concerned are
//! those added or removed, and every quad of a graph replaced whole by a source. Their
//! subjects — and the objects of the properties that shapes target with
//! `sh:targetObjectsOf` — are the write's *focus*: each comes with its own statements
//! (and the blank nodes it nests, for `sh:node`). What they point at comes with its types
//! (for `sh:class`); what points at a resource the write describes comes with the link
//! and its subject's types, so that a reference the write breaks elsewhere is caught;
//! and the class hierarchy comes whole.
//!
//! The report keeps the findings about a focus, and those whose value is a resource the
//! write describes (a reference it breaks). What was already wrong elsewhere in the store
//! neither shows nor blocks the write. (The shapes use no inverse paths: a resource's findings depend on
//! its own statements and the types of their values only.)

use std::collections::{BTreeSet, HashMap, HashSet};

use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple};

use crate::error::Result;
use crate::shacl::{Finding, Level, Report, Shapes, mention};
use crate::store::{Change, Check, Findings, View};
use crate::vocab::{local, sh};

/// The gate; install it with [`crate::store::GraphStore::add_check`].
pub struct Gate;

impl Check for Gate {
    fn check(&self, view: &View<'_>, change: &Change) -> Result<Findings> {
        let shapes_graph = view.base().local(local::SHAPES_GRAPH);
        // The properties whose objects the shapes target.
        let targeting: HashSet<NamedNode> = view
            .quads(None, Some(sh::TARGET_OBJECTS_OF), None)?
            .into_iter()
            .filter_map(|q| match q.object {
                Term::NamedNode(p) => Some(p),
                _ => None,
            })
            .collect();
        let mut concerned = Concerned {
            shapes_graph: &shapes_graph,
            targeting: &targeting,
            change,
            subjects: HashMap::new(),
            sources: HashMap::new(),
        };
        // Every quad of a replaced graph (which holds the quads added there), and the
        // quads added elsewhere or removed.
        for graph in &change.replaced {
            for quad in view.graph(graph)? {
                concerned.add(&quad);
            }
        }
        for quad in &change.added {
            if !matches!(&quad.graph_name, GraphName::NamedNode(g) if change.replaced.contains(g)) {
                concerned.add(quad);
            }
        }
        for quad in &change.removed {
            concerned.add(quad);
        }
        let Concerned {
            subjects, sources, ..
        } = concerned;
        let shapes = Shapes::bundled()?;
        let mut findings = Vec::new();
        // The resources described are validated by batches, each with its own
        // neighbourhood: the validator's memory stays that of a batch, whatever the
        // size of the write. A finding depends only on its focus's neighbourhood, so the
        // batches find what one validation of them all would; a finding two batches
        // both see is kept once.
        let subjects: Vec<(NamedOrBlankNode, Links)> = subjects.into_iter().collect();
        for batch in subjects.chunks(BATCH) {
            findings.extend(validate(view, &shapes, &shapes_graph, batch)?);
        }
        let mut seen = HashSet::new();
        findings.retain(|f| seen.insert(f.to_string()));
        findings.sort_by(|a, b| (a.level, &a.focus, &a.path).cmp(&(b.level, &b.focus, &b.path)));
        let mut report = Report {
            conforms: !findings.iter().any(|f| f.level == Level::Violation),
            findings,
        };
        for finding in &mut report.findings {
            if let Some(files) = sources.get(&finding.focus) {
                finding.sources = files.iter().map(|s| (*s).to_owned()).collect();
            }
            locate(view, change, finding)?;
        }
        Ok(Findings {
            violations: report.count(Level::Violation),
            warnings: report.count(Level::Warning),
            text: report.text(),
        })
    }
}

/// Points a finding at what a person opens to fix it: a blank node is described by its
/// path from a named resource (its labels change at every parse); and where the sources'
/// positions are known, the file names the line and column of the key (a record) or the
/// statement (Turtle) — of the property that fails, else of the resource.
fn locate(view: &View<'_>, change: &Change, finding: &mut Finding) -> Result<()> {
    let strip = |s: &str| s.trim_start_matches('<').trim_end_matches('>').to_owned();
    let property = finding.path.as_deref().map(strip).unwrap_or_default();
    let (subject, property) = match finding.focus.strip_prefix("_:") {
        Some(label) => {
            let Ok(node) = oxigraph::model::BlankNode::new(label) else {
                return Ok(());
            };
            match parent(view, &node.into(), 3)? {
                Some((described, subject, via)) => {
                    finding.described = Some(described);
                    (subject, via)
                }
                None => return Ok(()),
            }
        }
        None => (finding.focus.clone(), property),
    };
    let at = change
        .positions
        .get(&(subject.clone(), property))
        .or_else(|| change.positions.get(&(subject, String::new())));
    if let Some(at) = at {
        finding.sources = vec![at.clone()];
    }
    Ok(())
}

/// A blank node's path from the nearest named resource (at most `depth` steps up), as
/// "the P of <S> « name »", with that resource's IRI and the property that leads down.
fn parent(
    view: &View<'_>,
    node: &NamedOrBlankNode,
    depth: usize,
) -> Result<Option<(String, String, String)>> {
    let Some(quad) = view
        .quads(None, None, Some(node.as_ref().into()))?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let base = view.base();
    let property = crate::render::short(&quad.predicate.clone().into(), base);
    // What distinguishes it among its siblings: the person of a speaker role, its name.
    let own = [
        crate::vocab::prov::AGENT,
        crate::vocab::schema::NAME,
        rdf::VALUE,
    ]
    .iter()
    .find_map(|p| {
        view.quads(Some(node.as_ref()), Some(*p), None)
            .ok()?
            .into_iter()
            .next()
            .map(|q| crate::render::short(&q.object, base))
    });
    let own = own.map(|o| format!(" ({o})")).unwrap_or_default();
    match &quad.subject {
        NamedOrBlankNode::NamedNode(subject) => {
            let name = view
                .quads(
                    Some(subject.as_ref().into()),
                    Some(crate::vocab::schema::NAME),
                    None,
                )?
                .into_iter()
                .find_map(|q| match q.object {
                    Term::Literal(l) => Some(format!(" « {} »", l.value())),
                    _ => None,
                })
                .unwrap_or_default();
            let shown = crate::render::short(&subject.clone().into(), base);
            Ok(Some((
                format!("le {property}{own} de {shown}{name} / the {property}{own} of {shown}"),
                subject.as_str().to_owned(),
                quad.predicate.as_str().to_owned(),
            )))
        }
        blank if depth > 1 => Ok(parent(view, blank, depth - 1)?
            .map(|(described, s, p)| (format!("le {property}{own} dans {described}"), s, p))),
        _ => Ok(None),
    }
}

/// Resources described per batch of the validator. A seminar record describes four; a
/// batch of 500 holds a few thousand triples.
const BATCH: usize = 500;

/// Validates some resources a write describes, with their neighbourhood; keeps the
/// findings about them, or about a reference to them.
fn validate(
    view: &View<'_>,
    shapes: &Shapes,
    shapes_graph: &NamedNode,
    batch: &[(NamedOrBlankNode, Links)],
) -> Result<Vec<Finding>> {
    let described: HashSet<NamedOrBlankNode> = batch.iter().map(|(s, _)| s.clone()).collect();
    let mut focus = described.clone();
    let mut referenced = HashSet::new();
    for (_, links) in batch {
        focus.extend(links.targeted.iter().cloned());
        referenced.extend(links.objects.iter().cloned());
    }
    let started = std::time::Instant::now();
    let mut around = Neighbourhood::new(view, shapes_graph);
    around.gather(&described, &focus, &referenced)?;
    let data: Vec<Triple> = around.triples.drain().collect();
    drop(around);
    let gathered = (data.len(), started.elapsed());
    let mut report = shapes.validate(data)?;
    tracing::debug!(
        "gate: {} triples around {} resources gathered in {:?}, validated in {:?}",
        gathered.0,
        focus.len(),
        gathered.1,
        started.elapsed() - gathered.1
    );
    let (mut focus_names, mut described_names) = (HashSet::new(), HashSet::new());
    for node in &focus {
        mention(node.as_ref().into(), &mut focus_names);
    }
    for node in &described {
        mention(node.as_ref().into(), &mut described_names);
    }
    report.findings.retain(|f| {
        focus_names.contains(&f.focus)
            || f.value
                .as_ref()
                .is_some_and(|v| described_names.contains(v))
    });
    Ok(report.findings)
}

/// The nodes a resource the write describes points at, in the quads concerned.
#[derive(Default)]
struct Links {
    /// Objects of properties the shapes target (`sh:targetObjectsOf`): validated too.
    targeted: Vec<NamedOrBlankNode>,
    /// Every object: what the write points at.
    objects: Vec<NamedOrBlankNode>,
}

/// What a write concerns, gathered quad by quad (without a copy of them).
struct Concerned<'a> {
    shapes_graph: &'a NamedNode,
    targeting: &'a HashSet<NamedNode>,
    change: &'a Change,
    /// The subjects of the quads concerned (the resources the write describes), with
    /// what they point at.
    subjects: HashMap<NamedOrBlankNode, Links>,
    /// Which source describes each resource (as the report names it): the file an
    /// administrator opens to fix it.
    sources: HashMap<String, BTreeSet<&'a str>>,
}

impl Concerned<'_> {
    fn add(&mut self, quad: &Quad) {
        // A change to the shapes graph itself concerns no resource.
        if in_graph(quad, self.shapes_graph) {
            return;
        }
        let links = self.subjects.entry(quad.subject.clone()).or_default();
        if let Some(object) = node(&quad.object) {
            if self.targeting.contains(&quad.predicate) {
                links.targeted.push(object.clone());
            }
            links.objects.push(object);
        }
        if let GraphName::NamedNode(g) = &quad.graph_name
            && let Some(source) = self.change.sources.get(g)
        {
            let mut subject = HashSet::new();
            mention(quad.subject.as_ref().into(), &mut subject);
            for s in subject {
                self.sources.entry(s).or_default().insert(source);
            }
        }
    }
}

fn in_graph(quad: &Quad, graph: &NamedNode) -> bool {
    matches!(&quad.graph_name, GraphName::NamedNode(g) if g == graph)
}

/// The node a term is, if it is not a literal.
fn node(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

/// The statements around some resources, each read once.
struct Neighbourhood<'a, 'v> {
    view: &'a View<'v>,
    shapes: &'a NamedNode,
    triples: HashSet<Triple>,
    described: HashSet<NamedOrBlankNode>,
    typed: HashSet<NamedOrBlankNode>,
}

impl<'a, 'v> Neighbourhood<'a, 'v> {
    fn new(view: &'a View<'v>, shapes: &'a NamedNode) -> Self {
        Self {
            view,
            shapes,
            triples: HashSet::new(),
            described: HashSet::new(),
            typed: HashSet::new(),
        }
    }

    /// Adds quads (outside the shapes graph) as triples; returns them.
    fn add(&mut self, quads: Vec<Quad>) -> Vec<Quad> {
        let quads: Vec<Quad> = quads
            .into_iter()
            .filter(|q| !in_graph(q, self.shapes))
            .collect();
        self.triples.extend(quads.iter().cloned().map(Triple::from));
        quads
    }

    /// A node's own statements, with those of the blank nodes it nests; returns the
    /// nodes they point at.
    fn describe(&mut self, subject: &NamedOrBlankNode) -> Result<Vec<NamedOrBlankNode>> {
        if !self.described.insert(subject.clone()) {
            return Ok(Vec::new());
        }
        let quads = self.view.quads(Some(subject.as_ref()), None, None)?;
        let mut pointed: Vec<NamedOrBlankNode> = self
            .add(quads)
            .iter()
            .filter_map(|q| node(&q.object))
            .collect();
        for object in pointed.clone() {
            if matches!(object, NamedOrBlankNode::BlankNode(_)) {
                pointed.extend(self.describe(&object)?);
            }
        }
        Ok(pointed)
    }

    /// A node's types.
    fn types(&mut self, node: &NamedOrBlankNode) -> Result<()> {
        if self.typed.insert(node.clone()) {
            let quads = self
                .view
                .quads(Some(node.as_ref()), Some(rdf::TYPE), None)?;
            self.add(quads);
        }
        Ok(())
    }

    fn gather(
        &mut self,
        described: &HashSet<NamedOrBlankNode>,
        focus: &HashSet<NamedOrBlankNode>,
        referenced: &HashSet<NamedOrBlankNode>,
    ) -> Result<()> {
        let mut pointed = Vec::new();
        for node in focus {
            pointed.extend(self.describe(node)?);
        }
        for node in referenced {
            match node {
                NamedOrBlankNode::BlankNode(_) => pointed.extend(self.describe(node)?),
                NamedOrBlankNode::NamedNode(_) => self.types(node)?,
            }
        }
        for node in &pointed {
            self.types(node)?;
        }
        // Who points at a resource the write describes: a reference the write breaks is
        // caught there (its subject's type makes it a focus of the shapes).
        for subject in described {
            let incoming = self.view.quads(None, None, Some(subject.as_ref().into()))?;
            for quad in self.add(incoming) {
                self.types(&quad.subject)?;
            }
        }
        // The class hierarchy (an lg:Seminar is a schema:Event).
        let hierarchy = self.view.quads(None, Some(rdfs::SUB_CLASS_OF), None)?;
        self.add(hierarchy);
        Ok(())
    }
}

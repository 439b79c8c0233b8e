//! The one write path. Every write of the store — an import, a rollback, a SPARQL
//! Update, a Graph Store PUT, POST or DELETE, a bulk load — is committed here, and
//! nowhere else:
//!
//! 1. the write runs in a transaction and says which graphs it may reach;
//! 2. the change is found by comparing those graphs before and after (never the whole
//!    store, unless the write reached graphs through a variable);
//! 3. the store's own rule: the provenance graph is labgraph's alone;
//! 4. the check hooks (the SHACL gate of the import pipeline) look at the store as the
//!    write leaves it, and their violations refuse it;
//! 5. the provenance of the write is added to the same transaction, which commits;
//! 6. the observers (the server's cache, a text index…) are told which graphs changed.
//!
//! A dry run stops after step 4 and drops the transaction: nothing is written.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, PoisonError};

use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, TermRef,
};
use oxigraph::store::{BulkLoader, Transaction};

use super::GraphStore;
use super::provenance::{NewVersion, now};
use crate::error::{Error, Result};
use crate::iri::BaseIri;

/// Which graphs a write may change: its change is looked for there only.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Named graphs the write names.
    pub named: BTreeSet<NamedNode>,
    /// Whether it may write the default graph.
    pub default_graph: bool,
    /// Whether it may reach graphs it does not name (a `GRAPH ?g` template): then every
    /// graph is compared.
    pub any: bool,
}

impl Reach {
    /// These named graphs.
    pub fn graphs(named: impl IntoIterator<Item = NamedNode>) -> Self {
        Self {
            named: named.into_iter().collect(),
            ..Self::default()
        }
    }

    /// One graph, named or default.
    pub fn graph(graph: GraphNameRef<'_>) -> Self {
        match graph {
            GraphNameRef::NamedNode(g) => Self::graphs([g.into_owned()]),
            _ => Self {
                default_graph: true,
                ..Self::default()
            },
        }
    }
}

/// What a write changed, as check hooks and observers see it.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The named graphs whose quads changed.
    pub graphs: BTreeSet<NamedNode>,
    /// Whether the default graph changed.
    pub default_graph: bool,
    /// The quads added and removed. A bulk load lists none: its graphs were empty, and
    /// are all in `graphs`.
    pub added: Vec<Quad>,
    pub removed: Vec<Quad>,
    /// Graphs replaced whole by a source (an import): every resource they mention is
    /// concerned by the write, not only the quads that differ.
    pub replaced: BTreeSet<NamedNode>,
    /// The source that wrote each graph, for messages (`dct:source`).
    pub sources: BTreeMap<NamedNode, String>,
    /// Where the sources state things, as `file:line:column` (see
    /// [`crate::source::Positions`]): the gate's findings point there.
    pub positions: HashMap<(String, String), String>,
    /// The activity that records the write in the provenance graph, once committed: a
    /// write that changes no data still adds its record there.
    pub activity: Option<NamedNode>,
}

impl Change {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.graphs.is_empty() && !self.default_graph
    }
}

/// What the check hooks found in a write: violations refuse it, warnings are reported.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub violations: usize,
    pub warnings: usize,
    /// Every finding, in French and English.
    pub text: String,
}

/// A check run on every write that asks for it, before its commit.
pub trait Check: Send + Sync {
    fn check(&self, view: &View<'_>, change: &Change) -> Result<Findings>;
}

/// Told of every commit, after it (in the writer's thread), with what changed and the
/// store as the commit left it.
pub trait Observer: Send + Sync {
    fn committed(&self, store: &GraphStore, change: &Change);
}

/// The store as a write leaves it, before the commit: what check hooks read.
///
/// It reads the store itself for the graphs the write left alone, and an index in memory
/// of the new content of the graphs it changed (which finding the change read anyway):
/// reading through the write's transaction would merge every pending quad into each
/// lookup, and a check makes thousands of them.
pub struct View<'a> {
    store: &'a oxigraph::store::Store,
    changed: &'a Changed,
    base: &'a BaseIri,
    imports: NamedNode,
}

impl View<'_> {
    /// The quads matching a pattern, outside labgraph's provenance graph.
    pub fn quads(
        &self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<oxigraph::model::NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
    ) -> Result<Vec<Quad>> {
        let mut quads = Vec::new();
        for quad in self
            .store
            .quads_for_pattern(subject, predicate, object, None)
        {
            let quad = quad.map_err(read_error)?;
            let provenance =
                matches!(&quad.graph_name, GraphName::NamedNode(g) if *g == self.imports);
            if !provenance
                && !super::union::is_union(&quad.graph_name)
                && !self.changed.graphs.contains_key(&quad.graph_name)
            {
                quads.push(quad);
            }
        }
        quads.extend(self.changed.matching(subject, predicate, object).cloned());
        Ok(quads)
    }

    /// The content of a named graph.
    pub fn graph(&self, graph: &NamedNode) -> Result<Vec<Quad>> {
        let name = GraphName::NamedNode(graph.clone());
        if let Some(at) = self.changed.graphs.get(&name) {
            return Ok(at.iter().map(|&i| self.changed.quads[i].clone()).collect());
        }
        self.store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .collect::<std::result::Result<_, _>>()
            .map_err(read_error)
    }

    /// The deployment's base IRI.
    pub fn base(&self) -> &BaseIri {
        self.base
    }
}

fn read_error(e: oxigraph::store::StorageError) -> Error {
    Error::Store {
        path: "(store)".into(),
        message: e.to_string(),
    }
}

/// The content after the write of the graphs it changed, indexed by graph, and by the
/// hash of each subject, predicate and object (positions in [`Changed::quads`]; a lookup
/// checks the terms themselves, so the index holds no copy of them).
#[derive(Default)]
struct Changed {
    quads: Vec<Quad>,
    graphs: HashMap<GraphName, Vec<usize>>,
    subjects: HashMap<u64, Vec<usize>>,
    predicates: HashMap<u64, Vec<usize>>,
    objects: HashMap<u64, Vec<usize>>,
}

fn hash_of(value: &impl std::hash::Hash) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(value)
}

impl Changed {
    /// Adds a graph's content after the write.
    fn insert(&mut self, graph: GraphName, content: HashSet<Quad>) {
        let at = self.graphs.entry(graph).or_default();
        for quad in content {
            let i = self.quads.len();
            at.push(i);
            self.subjects
                .entry(hash_of(&quad.subject))
                .or_default()
                .push(i);
            self.predicates
                .entry(hash_of(&quad.predicate))
                .or_default()
                .push(i);
            self.objects
                .entry(hash_of(&quad.object))
                .or_default()
                .push(i);
            self.quads.push(quad);
        }
    }

    fn matching<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<oxigraph::model::NamedNodeRef<'_>>,
        object: Option<TermRef<'_>>,
    ) -> impl Iterator<Item = &'a Quad> {
        let (subject, predicate, object) = (
            subject.map(NamedOrBlankNodeRef::into_owned),
            predicate.map(oxigraph::model::NamedNodeRef::into_owned),
            object.map(TermRef::into_owned),
        );
        // The narrowest index the pattern names; every position is then checked.
        let candidates: Option<&Vec<usize>> = match (&subject, &object, &predicate) {
            (Some(s), _, _) => Some(self.subjects.get(&hash_of(s)).unwrap_or(&NONE)),
            (None, Some(o), _) => Some(self.objects.get(&hash_of(o)).unwrap_or(&NONE)),
            (None, None, Some(p)) => Some(self.predicates.get(&hash_of(p)).unwrap_or(&NONE)),
            (None, None, None) => None,
        };
        let candidates: Box<dyn Iterator<Item = &'a Quad> + 'a> = match candidates {
            Some(at) => Box::new(at.iter().map(|&i| &self.quads[i])),
            None => Box::new(self.quads.iter()),
        };
        candidates.filter(move |q| {
            subject.as_ref().is_none_or(|s| q.subject == *s)
                && predicate.as_ref().is_none_or(|p| q.predicate == *p)
                && object.as_ref().is_none_or(|o| q.object == *o)
        })
    }
}

static NONE: Vec<usize> = Vec::new();

/// How a write goes through the path.
#[derive(Debug, Clone, Default)]
pub struct How {
    /// Whether the check hooks run (an administrator's `--no-validate` and a rollback
    /// skip them; HTTP writes never do).
    pub check: bool,
    /// Check, then write nothing.
    pub dry_run: bool,
    /// See [`Change::replaced`], [`Change::sources`] and [`Change::positions`].
    pub replaced: BTreeSet<NamedNode>,
    pub sources: BTreeMap<NamedNode, String>,
    pub positions: HashMap<(String, String), String>,
}

/// What the provenance of a write records: each graph written with its triple count and
/// source, and the versions of graphs replaced with known content.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub counts: Vec<(NamedNode, usize, String)>,
    pub versions: Vec<NewVersion>,
}

/// What went through the path.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The activity recorded (none for a dry run).
    pub activity: Option<NamedNode>,
    pub change: Change,
    pub findings: Findings,
    /// The record written (empty for a dry run).
    pub record: Record,
}

/// The hooks of a store: checks before each commit, observers after.
#[derive(Default)]
pub(super) struct Hooks {
    checks: std::sync::RwLock<Vec<Arc<dyn Check>>>,
    observers: std::sync::RwLock<Vec<Arc<dyn Observer>>>,
}

impl GraphStore {
    /// Adds a check run before every commit that asks for checks.
    pub fn add_check(&self, check: Arc<dyn Check>) {
        self.hooks
            .checks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(check);
    }

    /// Adds an observer told of every committed change.
    pub fn subscribe(&self, observer: Arc<dyn Observer>) {
        self.hooks
            .observers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(observer);
    }

    /// Runs a write through the path. `write` makes the change in the transaction and
    /// says where it may have reached (and anything `record` needs); `record` says what
    /// the provenance records, once the change is known.
    pub(super) fn commit<T>(
        &self,
        how: How,
        write: impl FnOnce(&mut Transaction<'_>) -> Result<(Reach, T)>,
        record: impl FnOnce(&Transaction<'_>, &Change, T) -> Result<Record>,
    ) -> Result<Outcome> {
        let started = now();
        let clock = std::time::Instant::now();
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        let (reach, carried) = write(&mut transaction)?;
        let written_at = clock.elapsed();
        let (mut change, after) = self.change(&transaction, &reach, how.check)?;
        let changed_at = clock.elapsed();
        change.replaced = how.replaced;
        change.sources = how.sources;
        change.positions = how.positions;
        let mut findings = Findings::default();
        if how.check {
            let view = View {
                store: &self.store,
                changed: &after,
                base: &self.base,
                imports: self.imports_graph(),
            };
            let checks = self
                .hooks
                .checks
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            for check in checks {
                let found = check.check(&view, &change)?;
                findings.violations += found.violations;
                findings.warnings += found.warnings;
                findings.text.push_str(&found.text);
            }
        }
        // The index of the new content served the checks only.
        drop(after);
        let checked_at = clock.elapsed();
        if how.dry_run {
            return Ok(Outcome {
                activity: None,
                change,
                findings,
                record: Record::default(),
            });
        }
        if findings.violations > 0 {
            return Err(Error::Rejected {
                violations: findings.violations,
                report: findings.text,
            });
        }
        self.carry_to_union(&mut transaction, &change.removed, &change.added)?;
        let written = record(&transaction, &change, carried)?;
        let activity = self.record(
            &mut transaction,
            &started,
            written.counts.clone(),
            &written.versions,
        )?;
        let recorded_at = clock.elapsed();
        transaction.commit().map_err(|e| self.storage(e))?;
        tracing::debug!(
            "write path: written {written_at:?}, change found {changed_at:?}, checked {checked_at:?}, recorded {recorded_at:?}, committed {:?}",
            clock.elapsed()
        );
        change.activity = Some(activity.clone());
        self.notify(&change);
        Ok(Outcome {
            activity: Some(activity),
            change,
            findings,
            record: written,
        })
    }

    /// Commits a bulk load (its data and its provenance), and tells the observers.
    pub(super) fn commit_bulk(&self, loader: BulkLoader, change: Change) -> Result<()> {
        loader.commit().map_err(|e| self.storage(e))?;
        self.notify(&change);
        Ok(())
    }

    fn notify(&self, change: &Change) {
        let observers = self
            .hooks
            .observers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for observer in observers {
            observer.committed(self, change);
        }
    }

    /// The quads that differ between the store and the transaction, in the graphs the
    /// write may have reached, and (when `keep`, for the checks) the content after the
    /// write of the graphs that changed. A change to the provenance graph refuses the
    /// write.
    fn change(
        &self,
        transaction: &Transaction<'_>,
        reach: &Reach,
        keep: bool,
    ) -> Result<(Change, Changed)> {
        let imports = self.imports_graph();
        let mut graphs: Vec<GraphName> = reach
            .named
            .iter()
            .cloned()
            .map(GraphName::NamedNode)
            .collect();
        if reach.default_graph || reach.any {
            graphs.push(GraphName::DefaultGraph);
        }
        if reach.any {
            let mut named = BTreeSet::new();
            for graph in self.store.named_graphs().chain(transaction.named_graphs()) {
                if let NamedOrBlankNode::NamedNode(g) = graph.map_err(|e| self.storage(e))? {
                    named.insert(g);
                }
            }
            named.insert(imports.clone());
            graphs.extend(named.into_iter().map(GraphName::NamedNode));
        }
        let mut seen = HashSet::new();
        graphs.retain(|g| seen.insert(g.clone()));
        let mut change = Change::default();
        let mut changed = Changed::default();
        for graph in graphs {
            let before: HashSet<Quad> = self
                .store
                .quads_for_pattern(None, None, None, Some(graph.as_ref()))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| self.storage(e))?;
            let after: HashSet<Quad> = transaction
                .quads_for_pattern(None, None, None, Some(graph.as_ref()))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| self.storage(e))?;
            let removed: Vec<Quad> = before.difference(&after).cloned().collect();
            let added: Vec<Quad> = after.difference(&before).cloned().collect();
            if removed.is_empty() && added.is_empty() {
                continue;
            }
            match &graph {
                // The union graph has not been carried to yet: a write that changed it wrote
                // there itself.
                GraphName::NamedNode(g) if self.is_reserved(g) => {
                    return Err(super::update::protected_graph(g));
                }
                GraphName::NamedNode(g) => {
                    change.graphs.insert(g.clone());
                }
                _ => change.default_graph = true,
            }
            change.removed.extend(removed);
            change.added.extend(added);
            if keep {
                changed.insert(graph, after);
            }
        }
        Ok((change, changed))
    }
}

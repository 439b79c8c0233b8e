//! Graphs replaced by sources (imports): the content of each graph before and after in
//! canonical form, and the replacement through the write path with a version per graph.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use oxigraph::model::{GraphName, NamedNode, Triple};
use oxigraph::store::{Store, Transaction};

use super::GraphStore;
use super::commit::{Change, Findings, How, Reach, Record};
use super::provenance::{ImportOptions, ImportReport, NewVersion};
use crate::error::{Error, Result};
use crate::source::Parsed;
use crate::versions::Canonical;

/// A graph an import would write: its content before and after, in canonical form.
#[derive(Debug, Clone)]
pub struct Planned {
    pub graph: NamedNode,
    pub source: String,
    pub source_sha256: String,
    pub before: Canonical,
    pub after: Canonical,
}

impl GraphStore {
    /// The content of each graph the sources write: before (in the store) and after (in
    /// the sources), in canonical form. A dry run shows their difference; an import
    /// writes the graphs whose form changes.
    pub fn plan_versions(&self, parsed: &[Parsed]) -> Result<Vec<Planned>> {
        let mut planned = Vec::new();
        for source in parsed {
            let mut by_graph: HashMap<&NamedNode, Vec<Triple>> = HashMap::new();
            for quad in &source.quads {
                if let GraphName::NamedNode(g) = &quad.graph_name {
                    by_graph.entry(g).or_default().push(Triple::new(
                        quad.subject.clone(),
                        quad.predicate.clone(),
                        quad.object.clone(),
                    ));
                }
            }
            for graph in &source.graphs {
                let after = Canonical::of(as_stored(by_graph.remove(graph).unwrap_or_default())?);
                planned.push(Planned {
                    graph: graph.clone(),
                    source: source.source.name.clone(),
                    source_sha256: source.sha256.clone(),
                    before: self.canonical_graph(graph)?,
                    after,
                });
            }
        }
        Ok(planned)
    }

    /// Refuses sources that would write the provenance graph, which labgraph alone writes,
    /// whatever names it: `--graph`, or a TriG, N-Quads or JSON-LD file with a graph of
    /// that name.
    pub fn refuse_protected(&self, parsed: &[Parsed]) -> Result<()> {
        for source in parsed {
            if let Some(graph) = source.graphs.iter().find(|g| self.is_reserved(g)) {
                return Err(Error::Protected(format!(
                    "{graph} (named by {})",
                    source.source.name
                )));
            }
        }
        Ok(())
    }

    /// Refuses sources that describe (as the subject of a statement) a resource that
    /// another graph describes: one resource, one graph. A record imported again under
    /// another file name would otherwise describe a seminar twice. References (a resource
    /// as an object) are free. `--shared` lets both graphs describe it.
    pub fn refuse_shared(&self, parsed: &[Parsed]) -> Result<()> {
        let imports = GraphName::NamedNode(self.imports_graph());
        // The graph of each subject the sources describe, and which source says so.
        let mut described: BTreeMap<NamedNode, (NamedNode, &str)> = BTreeMap::new();
        let mut conflicts: Vec<String> = Vec::new();
        for source in parsed {
            for quad in &source.quads {
                let (
                    oxigraph::model::NamedOrBlankNode::NamedNode(subject),
                    GraphName::NamedNode(graph),
                ) = (&quad.subject, &quad.graph_name)
                else {
                    continue;
                };
                match described.get(subject) {
                    Some((other, name)) if other != graph => conflicts.push(format!(
                        "{subject} : {} la décrit dans {graph}, {name} dans {other} / described by {} in {graph} and by {name} in {other}",
                        source.source.name, source.source.name
                    )),
                    Some(_) => {}
                    None => {
                        described.insert(subject.clone(), (graph.clone(), &source.source.name));
                    }
                }
            }
        }
        let written: std::collections::HashSet<GraphName> = parsed
            .iter()
            .flat_map(|p| p.graphs.iter().cloned().map(GraphName::NamedNode))
            .collect();
        for (subject, (graph, name)) in &described {
            let elsewhere = self
                .store
                .quads_for_pattern(Some(subject.as_ref().into()), None, None, None)
                .filter_map(std::result::Result::ok)
                .find(|q| {
                    q.graph_name != imports
                        && !super::union::is_union(&q.graph_name)
                        && !written.contains(&q.graph_name)
                });
            if let Some(quad) = elsewhere {
                let other = quad.graph_name.to_string();
                conflicts.push(format!(
                    "{subject} : déjà décrite par le graphe {other} ; {name} la décrit dans {graph} / already described by the graph {other}; {name} describes it in {graph}"
                ));
            }
        }
        if conflicts.is_empty() {
            return Ok(());
        }
        let total = conflicts.len();
        conflicts.truncate(5);
        if total > 5 {
            conflicts.push(format!("… {} de plus / {} more", total - 5, total - 5));
        }
        Err(Error::Refused(format!(
            "une ressource, un graphe / one resource, one graph:\n  {}\n\
             Complétez le graphe qui la décrit déjà (importez-y le fichier avec --graph), ou passez --shared si les deux graphes doivent la décrire. / \
             Add to the graph that already describes it (import the file into it with --graph), or pass --shared if both graphs are meant to describe it.",
            conflicts.join("\n  ")
        )))
    }

    /// Replaces every graph the sources write with their content, through the write
    /// path, and records the import with a version per graph: on any error, or a
    /// violation found by the checks, nothing is written. A graph whose content would not
    /// change is left alone, and so is its record. A dry run checks every graph of the
    /// sources, changed or not, and writes nothing.
    pub fn replace_graphs(
        &self,
        parsed: &[Parsed],
        options: ImportOptions,
    ) -> Result<ImportReport> {
        self.refuse_protected(parsed)?;
        if !options.shared {
            self.refuse_shared(parsed)?;
        }
        // A dry run checks every graph as the sources would leave it, and records nothing:
        // no version to plan.
        let (changed, unchanged, sources) = if options.dry_run {
            let sources: BTreeMap<NamedNode, String> = parsed
                .iter()
                .flat_map(|p| p.graphs.iter().map(|g| (g.clone(), p.source.name.clone())))
                .collect();
            (Vec::new(), Vec::new(), sources)
        } else {
            let (changed, unchanged): (Vec<Planned>, Vec<Planned>) = self
                .plan_versions(parsed)?
                .into_iter()
                .partition(|p| p.before.hash != p.after.hash);
            let unchanged: Vec<NamedNode> = unchanged.into_iter().map(|p| p.graph).collect();
            if changed.is_empty() {
                return Ok(ImportReport {
                    activity: None,
                    graphs: Vec::new(),
                    unchanged,
                    findings: Findings::default(),
                });
            }
            // Both contents are kept before the commit: a rollback can always find them.
            if let Some(kept) = self.kept() {
                for p in &changed {
                    kept.keep(&p.before)?;
                    kept.keep(&p.after)?;
                }
            }
            let sources = changed
                .iter()
                .map(|p| (p.graph.clone(), p.source.clone()))
                .collect();
            (changed, unchanged, sources)
        };
        let written: BTreeSet<NamedNode> = sources.keys().cloned().collect();
        let positions = parsed
            .iter()
            .flat_map(|p| {
                p.positions.iter().map(|(key, (line, column))| {
                    (key.clone(), format!("{}:{line}:{column}", p.source.name))
                })
            })
            .collect();
        let how = How {
            check: options.validated,
            dry_run: options.dry_run,
            replaced: written.clone(),
            sources,
            positions,
        };
        let write = |transaction: &mut Transaction<'_>| {
            for graph in &written {
                transaction
                    .clear_graph(graph)
                    .map_err(|e| self.storage(e))?;
            }
            for source in parsed {
                transaction.extend(source.quads.iter().filter(|q| match &q.graph_name {
                    GraphName::NamedNode(g) => written.contains(g),
                    _ => true,
                }));
            }
            Ok((Reach::graphs(written.iter().cloned()), ()))
        };
        let record = |_: &Transaction<'_>, _: &Change, ()| {
            Ok(Record {
                counts: changed
                    .iter()
                    .map(|p| (p.graph.clone(), p.after.lines.len(), p.source.clone()))
                    .collect(),
                versions: changed
                    .iter()
                    .map(|p| NewVersion {
                        graph: p.graph.clone(),
                        source: p.source.clone(),
                        triples: p.after.lines.len(),
                        hash: Some(p.after.hash.clone()),
                        source_sha256: Some(p.source_sha256.clone()),
                        validated: options.validated,
                        before: (p.before.hash.clone(), p.before.lines.len()),
                        restores: None,
                    })
                    .collect(),
            })
        };
        let mut report = ImportReport::from(self.commit(how, write, record)?);
        report.unchanged = unchanged;
        Ok(report)
    }
}

/// The triples as the store will give them back: Oxigraph keeps typed literals by value
/// (`"007"^^xsd:nonNegativeInteger` comes back as `"7"^^xsd:integer`), so an unchanged
/// source is only recognised once its triples have made the same trip (through a
/// scratch store in memory).
fn as_stored(triples: Vec<Triple>) -> Result<Vec<Triple>> {
    let memory = |e: oxigraph::store::StorageError| Error::Store {
        path: PathBuf::from("(memory)"),
        message: e.to_string(),
    };
    let store = Store::new().map_err(memory)?;
    store
        .extend(
            triples
                .into_iter()
                .map(|t| t.in_graph(GraphName::DefaultGraph)),
        )
        .map_err(memory)?;
    store
        .iter()
        .map(|q| q.map(Triple::from))
        .collect::<std::result::Result<_, _>>()
        .map_err(memory)
}

//! The provenance of writes, in labgraph's own graph: each write is a PROV-O activity,
//! each graph it wrote an entity with its source, count and time, and each graph
//! replaced by a source a version (RDFC-1.0 hash, source checksum, the version it
//! revises) that history and rollback read back.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{BlankNode, Literal, NamedNode, NamedNodeRef, Quad, Term};
use oxigraph::sparql::{QueryResults, Variable};
use oxigraph::store::Transaction;
use oxsdatatypes::DateTime;

use super::GraphStore;
use super::commit::{Findings, Outcome};
use crate::error::{Error, Result};
use crate::vocab::{dct, lg, local, prov, schema, spdx, void};

/// What an import wrote.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The activity recorded in the imports graph (none when nothing changed).
    pub activity: Option<NamedNode>,
    /// Each graph written, with its triple count after the import.
    pub graphs: Vec<(NamedNode, usize)>,
    /// The graphs whose content was already the source's: left as they were.
    pub unchanged: Vec<NamedNode>,
    /// What the checks found (warnings only, once written).
    pub findings: Findings,
}

impl From<Outcome> for ImportReport {
    fn from(outcome: Outcome) -> Self {
        Self {
            activity: outcome.activity,
            graphs: outcome
                .record
                .counts
                .into_iter()
                .map(|(g, n, _)| (g, n))
                .collect(),
            unchanged: Vec::new(),
            findings: outcome.findings,
        }
    }
}

/// How an import goes through the write path.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Whether the check hooks (the SHACL gate) run; the versions record it.
    pub validated: bool,
    /// Check every graph of the sources, then write nothing.
    pub dry_run: bool,
    /// Let the sources describe resources that other graphs describe too.
    pub shared: bool,
}

/// A graph's new version, as an import or a rollback records it.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub graph: NamedNode,
    pub source: String,
    pub triples: usize,
    /// RDFC-1.0 hash of the content written; `None` when it was not computed (bulk load).
    pub hash: Option<String>,
    /// SHA-256 of the source file.
    pub source_sha256: Option<String>,
    pub validated: bool,
    /// The content replaced: its canonical hash and triple count.
    pub before: (String, usize),
    /// For a rollback: the version whose content is restored.
    pub restores: Option<NamedNode>,
}

/// A graph version recorded in the imports graph.
#[derive(Debug, Clone)]
pub struct VersionInfo {
    pub version: NamedNode,
    pub graph: NamedNode,
    pub time: Option<DateTime>,
    pub source: Option<String>,
    pub triples: Option<usize>,
    pub hash: Option<String>,
    pub source_sha256: Option<String>,
    pub validated: Option<bool>,
    /// The version this one replaced.
    pub previous: Option<NamedNode>,
    /// For a rollback: the version whose content it restored.
    pub restores: Option<NamedNode>,
    pub activity: Option<NamedNode>,
}

/// A version, as messages name it: its source and time.
pub fn describe(version: &VersionInfo) -> String {
    match (&version.source, &version.time) {
        (Some(source), Some(time)) => format!("{source}, {time}"),
        (Some(source), None) => source.clone(),
        (None, Some(time)) => time.to_string(),
        (None, None) => version.version.to_string(),
    }
}

impl GraphStore {
    /// The recorded versions of one graph, or of every graph, oldest first.
    pub fn versions(&self, graph: Option<&NamedNode>) -> Result<Vec<VersionInfo>> {
        let mut bindings = vec![(
            Variable::new_unchecked("imports"),
            Term::from(self.imports_graph()),
        )];
        if let Some(g) = graph {
            bindings.push((Variable::new_unchecked("g"), Term::from(g.clone())));
        }
        let query = self.prepare(include_str!("../../queries/internal/versions.rq"))?;
        let QueryResults::Solutions(solutions) = self.evaluate(query, bindings)? else {
            unreachable!("a SELECT query gives solutions")
        };
        let mut versions = Vec::new();
        for solution in solutions {
            let s = solution.map_err(|e| self.storage(e))?;
            let node = |name: &str| match s.get(name) {
                Some(Term::NamedNode(n)) => Some(n.clone()),
                _ => None,
            };
            let text = |name: &str| match s.get(name) {
                Some(Term::Literal(l)) => Some(l.value().to_owned()),
                _ => None,
            };
            let (Some(version), Some(graph)) = (node("v"), node("g")) else {
                continue;
            };
            versions.push(VersionInfo {
                version,
                graph,
                time: text("t").and_then(|t| t.parse().ok()),
                source: text("source"),
                triples: text("n").and_then(|n| n.parse().ok()),
                hash: text("hash"),
                source_sha256: text("sha"),
                validated: text("validated").map(|v| v == "true" || v == "1"),
                previous: node("previous"),
                restores: node("restores"),
                activity: node("activity"),
            });
        }
        // Oldest first; a version recorded as the state before an import comes before it.
        versions.sort_by(|a, b| {
            a.time
                .partial_cmp(&b.time)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| b.activity.is_none().cmp(&a.activity.is_none()))
        });
        Ok(versions)
    }

    /// The store's write generation: the latest activity of the provenance graph (every
    /// write records one, named by its time), `None` for a store no write of labgraph's
    /// made. What a text index records to know whether it reflects the store.
    pub fn generation(&self) -> Result<Option<String>> {
        let mut latest: Option<String> = None;
        for quad in self.store.quads_for_pattern(
            None,
            Some(rdf::TYPE),
            Some(prov::ACTIVITY.into()),
            Some(self.imports_graph().as_ref().into()),
        ) {
            let quad = quad.map_err(|e| self.storage(e))?;
            let iri = quad.subject.to_string();
            // Same-length names of nanoseconds: the greatest is the latest.
            if latest
                .as_ref()
                .is_none_or(|l| (iri.len(), &iri) > (l.len(), l))
            {
                latest = Some(iri);
            }
        }
        Ok(latest)
    }

    /// Adds the provenance of a write made in `transaction`.
    pub(super) fn record(
        &self,
        transaction: &mut Transaction<'_>,
        started: &Literal,
        counts: Vec<(NamedNode, usize, String)>,
        versions: &[NewVersion],
    ) -> Result<NamedNode> {
        let imports = self.imports_graph();
        // The write path refuses a write that changes the provenance graph: until this
        // record, the store's is the transaction's (and cheaper to read than through the
        // write's pending quads).
        let (activity, provenance) = self.provenance(started, &counts, versions, |g| {
            self.store
                .quads_for_pattern(Some(g.into()), None, None, Some(imports.as_ref().into()))
                .collect::<std::result::Result<Vec<_>, _>>()
        })?;
        for (old, new) in &provenance {
            for quad in old {
                transaction.remove(quad);
            }
            transaction.extend(new);
        }
        // The provenance graph is a named graph like the others: the union has it too.
        self.carry_to_union(
            transaction,
            provenance.iter().flat_map(|(old, _)| old),
            provenance.iter().flat_map(|(_, new)| new),
        )?;
        Ok(activity)
    }

    /// Builds the PROV-O record of an import: for each written graph, the quads to remove
    /// (its previous record, read by `previous`) and the quads to add.
    #[allow(clippy::type_complexity)]
    pub(super) fn provenance<E: std::fmt::Display>(
        &self,
        started: &Literal,
        counts: &[(NamedNode, usize, String)],
        versions: &[NewVersion],
        mut previous: impl FnMut(&NamedNode) -> std::result::Result<Vec<Quad>, E>,
    ) -> Result<(NamedNode, Vec<(Vec<Quad>, Vec<Quad>)>)> {
        let graph = self.imports_graph();
        let ended = now();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let activity = self.base.local(&format!("{}{nanos}", local::IMPORT_PREFIX));
        let agent = self.base.local(local::AGENT);
        let quad =
            |s: &NamedNode, p: NamedNodeRef<'_>, o: Term| Quad::new(s.clone(), p, o, graph.clone());
        let mut changes = vec![(
            Vec::new(),
            vec![
                quad(&activity, rdf::TYPE, prov::ACTIVITY.into()),
                quad(&activity, prov::STARTED_AT_TIME, started.clone().into()),
                quad(&activity, prov::ENDED_AT_TIME, ended.clone().into()),
                quad(&activity, prov::WAS_ASSOCIATED_WITH, agent.clone().into()),
                quad(&agent, rdf::TYPE, prov::SOFTWARE_AGENT.into()),
                quad(&agent, schema::NAME, Literal::from("labgraph").into()),
                quad(
                    &agent,
                    schema::SOFTWARE_VERSION,
                    Literal::from(env!("CARGO_PKG_VERSION")).into(),
                ),
            ],
        )];
        for (g, n, source) in counts {
            let old = previous(g).map_err(|e| Error::Store {
                path: self.location.clone(),
                message: e.to_string(),
            })?;
            let count = Literal::new_typed_literal(n.to_string(), xsd::INTEGER);
            changes.push((
                old,
                vec![
                    quad(g, rdf::TYPE, prov::ENTITY.into()),
                    quad(g, dct::SOURCE, Literal::from(source.as_str()).into()),
                    quad(g, void::TRIPLES, count.into()),
                    quad(g, prov::GENERATED_AT_TIME, ended.clone().into()),
                    quad(g, prov::WAS_GENERATED_BY, activity.clone().into()),
                ],
            ));
        }
        // The latest recorded version of every graph, read once for the whole import (the
        // versions come oldest first, so the last one of each graph stays).
        let mut latest: HashMap<NamedNode, VersionInfo> = HashMap::new();
        if !versions.is_empty() {
            for version in self.versions(None)? {
                latest.insert(version.graph.clone(), version);
            }
        }
        for (i, v) in versions.iter().enumerate() {
            let iri = NamedNode::new_unchecked(format!("{}/v{}", activity.as_str(), i + 1));
            let mut new = vec![
                quad(&iri, rdf::TYPE, lg::GRAPH_VERSION.into()),
                quad(&iri, prov::SPECIALIZATION_OF, v.graph.clone().into()),
                quad(&iri, prov::WAS_GENERATED_BY, activity.clone().into()),
                quad(&iri, prov::GENERATED_AT_TIME, ended.clone().into()),
                quad(&iri, dct::SOURCE, Literal::from(v.source.as_str()).into()),
                quad(&iri, void::TRIPLES, integer(v.triples)),
                quad(&iri, lg::VALIDATED, Literal::from(v.validated).into()),
            ];
            if let Some(hash) = &v.hash {
                new.push(quad(
                    &iri,
                    lg::CANONICAL_HASH,
                    Literal::from(hash.as_str()).into(),
                ));
            }
            if let Some(sha) = &v.source_sha256 {
                let checksum = BlankNode::default();
                new.push(quad(&iri, spdx::CHECKSUM, checksum.clone().into()));
                for (p, o) in [
                    (rdf::TYPE, Term::from(spdx::CHECKSUM_CLASS)),
                    (spdx::ALGORITHM, spdx::SHA256.into()),
                    (spdx::CHECKSUM_VALUE, Literal::from(sha.as_str()).into()),
                ] {
                    new.push(Quad::new(checksum.clone(), p, o, graph.clone()));
                }
            }
            if let Some(restored) = &v.restores {
                new.push(quad(&iri, prov::WAS_DERIVED_FROM, restored.clone().into()));
            }
            // The version replaced: the latest recorded one when the graph still has its
            // content, else the unrecorded state found in the store, recorded now.
            let previous = match latest.get(&v.graph) {
                Some(l) if l.hash.as_deref() == Some(v.before.0.as_str()) => l.version.clone(),
                _ => {
                    let before = NamedNode::new_unchecked(format!("{}-before", iri.as_str()));
                    new.extend([
                        quad(&before, rdf::TYPE, lg::GRAPH_VERSION.into()),
                        quad(&before, prov::SPECIALIZATION_OF, v.graph.clone().into()),
                        quad(&before, prov::GENERATED_AT_TIME, started.clone().into()),
                        quad(&before, void::TRIPLES, integer(v.before.1)),
                        quad(
                            &before,
                            lg::CANONICAL_HASH,
                            Literal::from(v.before.0.as_str()).into(),
                        ),
                        quad(
                            &before,
                            dct::SOURCE,
                            Literal::from(if v.before.1 == 0 {
                                "graphe vide / empty graph"
                            } else {
                                "état non enregistré / unrecorded state"
                            })
                            .into(),
                        ),
                    ]);
                    before
                }
            };
            new.push(quad(&iri, prov::WAS_REVISION_OF, previous.into()));
            changes.push((Vec::new(), new));
        }
        Ok((activity, changes))
    }
}

fn integer(n: usize) -> Term {
    Literal::new_typed_literal(n.to_string(), xsd::INTEGER).into()
}

/// The current time as an `xsd:dateTime` literal.
pub(super) fn now() -> Literal {
    Literal::new_typed_literal(DateTime::now().to_string(), xsd::DATE_TIME)
}

//! SPARQL Update on the store: parsed within the bounds, `LOAD` refused, `ALL` and
//! `NAMED` expanded to the user's graphs, and run through the one write path.

use std::collections::BTreeSet;

use oxigraph::model::{NamedNode, NamedOrBlankNode};
use oxigraph::sparql::{CancellationToken, SparqlEvaluator};
use oxigraph::store::Transaction;
use spargebra::{GraphUpdateOperation, SparqlParser, Update};

use super::commit::{Change, How, Reach, Record};
use super::query::DatasetSpec;
use super::{GraphStore, ImportReport};
use crate::error::{Error, Result};

impl GraphStore {
    /// Parses a SPARQL update with the project's prefixes and base IRI. `LOAD` is refused:
    /// the server never fetches remote documents.
    pub fn prepare_update(&self, text: &str) -> Result<Update> {
        let update = self.parse_bounded(
            text,
            "the update",
            SparqlParser::parse_update,
            crate::bounds::check_update,
        )?;
        if update
            .operations
            .iter()
            .any(|op| matches!(op, GraphUpdateOperation::Load { .. }))
        {
            return Err(Error::Query {
                context: "the update is refused".into(),
                message: "LOAD is not allowed: labgraph never fetches remote documents; send the data itself (the Graph Store Protocol) instead".into(),
            });
        }
        if let Some(graph) = written_graphs(&update).find(|g| self.is_reserved(g)) {
            return Err(protected_graph(&graph));
        }
        Ok(update)
    }

    /// Runs a SPARQL update through the write path, with its provenance, in one
    /// transaction. `dataset` is the protocol's `using-graph-uri` /
    /// `using-named-graph-uri`.
    ///
    /// `cancel` stops the update's evaluation (its time budget); a cancelled update writes
    /// nothing.
    pub fn update(
        &self,
        update: Update,
        dataset: Option<&DatasetSpec>,
        source: &str,
        cancel: Option<CancellationToken>,
    ) -> Result<ImportReport> {
        let how = How {
            check: true,
            ..How::default()
        };
        let write = |transaction: &mut Transaction<'_>| {
            let mut reach = Reach::default();
            // One operation after the other in the transaction, as the update would run,
            // so that `ALL` and `NAMED` are expanded into the graphs there are at that
            // point (`INSERT DATA { GRAPH <g> {…} } ; DROP ALL` drops <g> too).
            for operation in update.operations {
                let one = Update {
                    base_iri: update.base_iri.clone(),
                    operations: self.expand_graph_targets(operation, transaction)?,
                };
                extend_reach(&mut reach, &one);
                let mut evaluator = SparqlEvaluator::new().without_default_http_service_handler();
                if let Some(token) = &cancel {
                    evaluator = evaluator.with_cancellation_token(token.clone());
                }
                let mut prepared = evaluator.for_update(one);
                if let Some(spec) = dataset {
                    for using in prepared.using_datasets_mut() {
                        using.set_default_graph(
                            spec.default.iter().cloned().map(Into::into).collect(),
                        );
                        using.set_available_named_graphs(
                            spec.named.iter().cloned().map(Into::into).collect(),
                        );
                    }
                } else {
                    // `GRAPH ?g` in a WHERE never reaches the union graph.
                    let mut named = Vec::new();
                    for graph in transaction.named_graphs() {
                        let graph = graph.map_err(|e| self.storage(e))?;
                        if !matches!(&graph, NamedOrBlankNode::NamedNode(g) if g.as_ref() == super::union::UNION_GRAPH)
                        {
                            named.push(graph);
                        }
                    }
                    for using in prepared.using_datasets_mut() {
                        if using.is_default_dataset() {
                            using.set_available_named_graphs(named.clone());
                        }
                    }
                }
                prepared
                    .on_transaction(transaction)
                    .execute()
                    .map_err(|e| {
                        // Oxigraph reports a cancelled update as an unexpected error.
                        if cancel.as_ref().is_some_and(CancellationToken::is_cancelled) {
                            Error::Cancelled
                        } else {
                            Error::Query {
                                context: "the update failed".into(),
                                message: e.to_string(),
                            }
                        }
                    })?;
            }
            if cancel.as_ref().is_some_and(CancellationToken::is_cancelled) {
                return Err(Error::Cancelled);
            }
            let named = reach.named.clone();
            Ok((reach, named))
        };
        // The graphs the update names, and those it reached through a variable.
        let record =
            |transaction: &Transaction<'_>, change: &Change, named: BTreeSet<NamedNode>| {
                let counts = named
                    .into_iter()
                    .chain(change.graphs.iter().cloned())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(|g| {
                        let n = transaction
                            .quads_for_pattern(None, None, None, Some(g.as_ref().into()))
                            .count();
                        (g, n, source.to_owned())
                    })
                    .collect();
                Ok(Record {
                    counts,
                    versions: Vec::new(),
                })
            };
        Ok(self.commit(how, write, record)?.into())
    }

    /// `CLEAR`/`DROP` of `ALL` or `NAMED` act on every graph of the user's dataset: the
    /// default graph (for `ALL`) and every named graph but the provenance graph, which
    /// labgraph keeps outside that dataset (as Virtuoso keeps its system graphs). Such an
    /// operation is expanded into those graphs by name, as the transaction has them when
    /// it runs, so that each dropped graph is then recorded like any other write; any
    /// other operation is kept as it is.
    fn expand_graph_targets(
        &self,
        operation: GraphUpdateOperation,
        transaction: &Transaction<'_>,
    ) -> Result<Vec<GraphUpdateOperation>> {
        use spargebra::algebra::GraphTarget;
        let (drop, silent, all) = match &operation {
            GraphUpdateOperation::Clear { graph, silent }
                if matches!(graph, GraphTarget::AllGraphs | GraphTarget::NamedGraphs) =>
            {
                (false, *silent, matches!(graph, GraphTarget::AllGraphs))
            }
            GraphUpdateOperation::Drop { graph, silent }
                if matches!(graph, GraphTarget::AllGraphs | GraphTarget::NamedGraphs) =>
            {
                (true, *silent, matches!(graph, GraphTarget::AllGraphs))
            }
            _ => return Ok(vec![operation]),
        };
        let imports = self.imports_graph();
        let mut targets = Vec::new();
        if all {
            targets.push(GraphTarget::DefaultGraph);
        }
        for graph in transaction.named_graphs() {
            match graph.map_err(|e| self.storage(e))? {
                NamedOrBlankNode::NamedNode(g) if g != imports && !self.is_reserved(&g) => {
                    targets.push(GraphTarget::NamedNode(g))
                }
                _ => {}
            }
        }
        Ok(targets
            .into_iter()
            .map(|graph| {
                if drop {
                    GraphUpdateOperation::Drop { silent, graph }
                } else {
                    GraphUpdateOperation::Clear { silent, graph }
                }
            })
            .collect())
    }
}

/// The named graphs an update names explicitly (in `INSERT DATA`, `DELETE DATA`, `WITH`,
/// `GRAPH` templates, `CLEAR`, `CREATE`, `DROP`); graphs chosen by a variable at run time
/// are not known before it runs.
fn written_graphs(update: &Update) -> impl Iterator<Item = NamedNode> + '_ {
    use spargebra::algebra::GraphTarget;
    use spargebra::term::{GraphName as G, GraphNamePattern as P};
    update.operations.iter().flat_map(|op| {
        let named = |graph: &G| match graph {
            G::NamedNode(n) => Some(n.clone()),
            G::DefaultGraph => None,
        };
        let graphs: Vec<NamedNode> = match op {
            GraphUpdateOperation::InsertData { data } => {
                data.iter().filter_map(|q| named(&q.graph_name)).collect()
            }
            GraphUpdateOperation::DeleteData { data } => {
                data.iter().filter_map(|q| named(&q.graph_name)).collect()
            }
            GraphUpdateOperation::DeleteInsert { delete, insert, .. } => delete
                .iter()
                .map(|q| &q.graph_name)
                .chain(insert.iter().map(|q| &q.graph_name))
                .filter_map(|g| match g {
                    P::NamedNode(n) => Some(n.clone()),
                    _ => None,
                })
                .collect(),
            GraphUpdateOperation::Load { destination, .. } => {
                named(destination).into_iter().collect()
            }
            GraphUpdateOperation::Clear { graph, .. }
            | GraphUpdateOperation::Drop { graph, .. } => match graph {
                GraphTarget::NamedNode(n) => vec![n.clone()],
                _ => Vec::new(),
            },
            GraphUpdateOperation::Create { graph, .. } => vec![graph.clone()],
        };
        graphs
    })
}

/// The error of a write aimed at the provenance graph.
pub(super) fn protected_graph(graph: &NamedNode) -> Error {
    Error::Protected(graph.to_string())
}

/// Adds to `reach` the graphs an update may write: those it names, the default graph,
/// and every graph when a template chooses its graph by a variable.
fn extend_reach(reach: &mut Reach, update: &Update) {
    use spargebra::term::GraphNamePattern as P;
    reach.named.extend(written_graphs(update));
    reach.default_graph = true;
    for operation in &update.operations {
        if let GraphUpdateOperation::DeleteInsert { delete, insert, .. } = operation
            && delete
                .iter()
                .map(|q| &q.graph_name)
                .chain(insert.iter().map(|q| &q.graph_name))
                .any(|g| matches!(g, P::Variable(_)))
        {
            reach.any = true;
        }
    }
}

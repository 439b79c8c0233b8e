//! The union of the named graphs, kept as a set.
//!
//! The default graph of a query is the union of the named graphs (as Fuseki's
//! `unionDefaultGraph`). Oxigraph's own union (`set_default_graph_as_union`, 0.5) is not
//! a set: a triple stated by two graphs is matched twice, so `COUNT` doubles and a join
//! repeats rows (oxigraph/oxigraph#1919, fixed after 0.5). SPARQL's RDF merge, and
//! Fuseki's union graph, see it once.
//!
//! So labgraph keeps the union itself, in a graph of its own ([`UNION_GRAPH`]) that the
//! write path maintains in the same transaction as every write: a triple is added there
//! when a graph gains it, and removed when the last graph that states it loses it. (The
//! union has the store's real default graph too, as Oxigraph's union had.) A query's default graph is that graph; its named graphs are all the others.
//! The union graph is never shown as a named graph, never written by anyone but the write
//! path, and rebuilt when a store is opened without it (a store made before it existed,
//! or by Oxigraph's own tools).

use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad};
use oxigraph::store::Transaction;

use super::GraphStore;
use crate::error::Result;

/// The graph that holds the union of the named graphs.
pub const UNION_GRAPH: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:x-labgraph:union");

/// Whether a graph name is the union graph.
pub fn is_union(graph: &GraphName) -> bool {
    matches!(graph, GraphName::NamedNode(g) if g.as_ref() == UNION_GRAPH)
}

/// The copy of a quad in the union graph; `None` for the union graph itself. The real
/// default graph is part of the union, as it was of Oxigraph's (what an update or the
/// Graph Store's `?default` writes there is seen by queries).
pub(super) fn in_union(quad: &Quad) -> Option<Quad> {
    match &quad.graph_name {
        GraphName::NamedNode(g) if g.as_ref() == UNION_GRAPH => None,
        _ => Some(Quad::new(
            quad.subject.clone(),
            quad.predicate.clone(),
            quad.object.clone(),
            UNION_GRAPH,
        )),
    }
}

impl GraphStore {
    /// The union graph's name.
    pub fn union_graph(&self) -> NamedNode {
        UNION_GRAPH.into_owned()
    }

    /// The named graphs of the store, the union graph aside.
    pub(super) fn user_graphs(&self) -> Result<Vec<NamedNode>> {
        let mut graphs = Vec::new();
        for graph in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(g) = graph.map_err(|e| self.storage(e))?
                && g.as_ref() != UNION_GRAPH
            {
                graphs.push(g);
            }
        }
        Ok(graphs)
    }

    /// Carries a write's change of the named graphs into the union graph, in the write's
    /// transaction: `removed` first (a triple leaves the union when no named graph states
    /// it any more), then `added`.
    pub(super) fn carry_to_union<'a>(
        &self,
        transaction: &mut Transaction<'_>,
        removed: impl IntoIterator<Item = &'a Quad>,
        added: impl IntoIterator<Item = &'a Quad>,
    ) -> Result<()> {
        for quad in removed {
            let Some(copy) = in_union(quad) else { continue };
            let mut stated = false;
            for other in transaction.quads_for_pattern(
                Some(quad.subject.as_ref()),
                Some(quad.predicate.as_ref()),
                Some(quad.object.as_ref()),
                None,
            ) {
                let other = other.map_err(|e| self.storage(e))?;
                if in_union(&other).is_some() {
                    stated = true;
                    break;
                }
            }
            if !stated {
                transaction.remove(&copy);
            }
        }
        for quad in added {
            if let Some(copy) = in_union(quad) {
                transaction.insert(&copy);
            }
        }
        Ok(())
    }

    /// Makes the union graph when a store with named graphs has none (a store made before
    /// it existed, or loaded by other tools): one pass over the store, through Oxigraph's
    /// bulk loader.
    pub(super) fn ensure_union(&self) -> Result<()> {
        let union: GraphNameRef<'_> = UNION_GRAPH.into();
        let has_union = self
            .store
            .quads_for_pattern(None, None, None, Some(union))
            .next()
            .is_some();
        if has_union || self.store.is_empty().map_err(|e| self.storage(e))? {
            return Ok(());
        }
        let named = self
            .store
            .quads_for_pattern(None, None, None, None)
            .filter_map(|q| q.map(|q| in_union(&q)).transpose());
        let started = std::time::Instant::now();
        let mut loader = self.bulk_loader();
        loader
            .load_ok_quads::<_, oxigraph::store::StorageError>(named)
            .map_err(|e| self.storage(e))?;
        self.commit_bulk(loader, super::Change::default())?;
        tracing::info!(
            "the union of the named graphs was made in {:?} (a store without it)",
            started.elapsed()
        );
        Ok(())
    }
}

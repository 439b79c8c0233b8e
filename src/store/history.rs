//! History and rollback: a graph given back the content of an earlier version, kept
//! beside the store, through the write path, and recorded as a new version.

use oxigraph::model::NamedNode;
use oxigraph::store::Transaction;

use super::GraphStore;
use super::commit::{Change, How, Reach, Record};
use super::provenance::{NewVersion, VersionInfo, describe};
use crate::error::{Error, Result};

/// What a rollback did.
#[derive(Debug, Clone)]
pub struct RollbackReport {
    pub activity: NamedNode,
    /// The version whose content the graph has again.
    pub restored: VersionInfo,
    pub triples: usize,
    /// The graph had changed since its last recorded version (a write over HTTP).
    pub had_unrecorded_changes: bool,
}

impl GraphStore {
    /// Gives a graph back the content of the version before its current one, and records
    /// that as a new version. The current version of a graph just rolled back is the one
    /// it restored, so rollbacks walk back through the history one version at a time.
    /// With `check`, the rollback goes through the gate like an import: a content that was
    /// valid once may break what other graphs have written since (a reference to an
    /// institution it removes), and is then refused with the report.
    pub fn rollback(&self, graph: &NamedNode, check: bool) -> Result<RollbackReport> {
        let versions = self.versions(Some(graph))?;
        let find = |iri: &NamedNode| versions.iter().find(|v| &v.version == iri);
        let Some(latest) = versions.last() else {
            return Err(Error::Refused(format!("{graph} has no recorded version")));
        };
        let current = latest.restores.as_ref().and_then(find).unwrap_or(latest);
        let Some(previous) = current.previous.as_ref().and_then(find) else {
            return Err(Error::Refused(format!(
                "{graph}: its version {} ({}) has no earlier version to go back to",
                current.version,
                describe(current)
            )));
        };
        let (Some(hash), Some(kept)) = (&previous.hash, self.kept()) else {
            return Err(Error::Refused(format!(
                "{graph}: the content of {} was not kept (a bulk load, or a store in memory)",
                previous.version
            )));
        };
        let content = kept.read(hash)?;
        let now_content = self.canonical_graph(graph)?;
        kept.keep(&now_content)?;
        let source = format!("labgraph rollback (version of {})", describe(previous));
        let version = NewVersion {
            graph: graph.clone(),
            source: source.clone(),
            triples: content.lines.len(),
            hash: Some(content.hash.clone()),
            source_sha256: None,
            validated: check,
            before: (now_content.hash.clone(), now_content.lines.len()),
            restores: Some(previous.version.clone()),
        };
        let write = |transaction: &mut Transaction<'_>| {
            transaction
                .clear_graph(graph)
                .map_err(|e| self.storage(e))?;
            if content.lines.is_empty() {
                transaction
                    .remove_named_graph(graph)
                    .map_err(|e| self.storage(e))?;
            } else {
                let triples = content.triples()?;
                transaction.extend(triples.iter().map(|t| t.as_ref().in_graph(graph.as_ref())));
            }
            Ok((Reach::graphs([graph.clone()]), ()))
        };
        let record = |_: &Transaction<'_>, _: &Change, ()| {
            Ok(Record {
                counts: vec![(graph.clone(), content.lines.len(), source.clone())],
                versions: vec![version.clone()],
            })
        };
        let how = How {
            check,
            ..How::default()
        };
        let outcome = self.commit(how, write, record)?;
        Ok(RollbackReport {
            activity: outcome.activity.expect("a rollback records an activity"),
            restored: previous.clone(),
            triples: content.lines.len(),
            had_unrecorded_changes: latest.hash.as_deref() != Some(now_content.hash.as_str()),
        })
    }
}

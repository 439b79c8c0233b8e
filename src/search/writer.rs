//! How the text index is built, opened and kept up to date: a build from the store (in a
//! folder beside the index, renamed over it once complete), the check that an index on
//! disk reflects the store it is opened with, and the observer of the store's write path
//! that indexes again what each write touched.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use tantivy::{Index, IndexWriter, ReloadPolicy};

use super::analysis::{self, Fields};
use super::{FOLDER, Inner, LAYOUT, TextIndex, WRITER_MEMORY, document, index_error};
use crate::error::{Error, Result};
use crate::store::{Change, GraphStore, Observer};

impl TextIndex {
    /// The index of `store`: opened when the one on disk reflects it, else left to be
    /// built at its first use (or by [`TextIndex::ensure`]) from a handle on the same data.
    pub(super) fn open(store: &GraphStore) -> Result<Self> {
        let (_, fields) = analysis::schema();
        let folder = store.folder().map(|f| f.join(FOLDER));
        let inner = match &folder {
            Some(dir) => reopen(dir, &payload(store)?),
            None => None,
        };
        Ok(Self {
            folder,
            fields,
            store: store.handle()?,
            inner: Mutex::new(inner),
        })
    }

    /// The index, built from the store first if it has not been (or does not reflect it).
    pub(super) fn live(&self) -> Result<std::sync::MutexGuard<'_, Option<Inner>>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.is_none() {
            let started = std::time::Instant::now();
            let wanted = payload(&self.store)?;
            *inner = Some(match &self.folder {
                Some(dir) => rebuild_in(&self.store, self.fields, dir, &wanted)?,
                None => build(&self.store, self.fields, None, &wanted)?,
            });
            tracing::info!("text index: built in {:.1?}", started.elapsed());
        }
        Ok(inner)
    }

    /// Builds the index again from the store; returns how many resources it holds.
    pub fn rebuild(&self) -> Result<u64> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // The writer's lock on the folder is released before the folder is replaced.
        *inner = None;
        drop(inner);
        let inner = self.live()?;
        Ok(inner.as_ref().map_or(0, |i| i.reader.searcher().num_docs()))
    }

    /// Indexes again the resources a write touched.
    fn follow(&self, store: &GraphStore, change: &Change) -> Result<()> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // Not built yet: its first use reads the store as it will be.
        let Some(Inner { writer, reader, .. }) = &mut *inner else {
            return Ok(());
        };
        // The activity this write recorded is the store's latest: no need to look for it
        // among all the others (a write without one, the union made on open, does).
        let wanted = match &change.activity {
            Some(activity) => format!("{LAYOUT} {activity}"),
            None => payload(store)?,
        };
        let mut documents = document::Reader::new(store, self.fields);
        if change.added.is_empty() && change.removed.is_empty() && !change.is_empty() {
            // A bulk load names its graphs, not its quads: everything again.
            writer.delete_all_documents().map_err(index_error)?;
            documents.all(|doc| writer.add_document(doc).map(drop).map_err(index_error))?;
        } else {
            for subject in touched(store, change)? {
                writer.delete_term(tantivy::Term::from_field_text(
                    self.fields.iri,
                    subject.as_str(),
                ));
                if let Some(doc) = documents.document(&subject)? {
                    writer.add_document(doc).map_err(index_error)?;
                }
            }
        }
        let mut prepared = writer.prepare_commit().map_err(index_error)?;
        prepared.set_payload(&wanted);
        prepared.commit().map_err(index_error)?;
        reader.reload().map_err(index_error)?;
        Ok(())
    }
}

impl Observer for TextIndex {
    fn committed(&self, store: &GraphStore, change: &Change) {
        if let Err(e) = self.follow(store, change) {
            // The payload still names the generation before: the next start rebuilds.
            tracing::error!(
                "text index: the write could not be followed ({e}); it will be rebuilt when the store is next opened, or by `labgraph index`"
            );
        }
    }
}

/// The IRIs whose documents a write changed: the subjects of the quads it added or
/// removed, and for a blank node, the IRIs that reach it.
fn touched(store: &GraphStore, change: &Change) -> Result<Vec<NamedNode>> {
    let mut found = std::collections::BTreeSet::new();
    let mut blank: Vec<(NamedOrBlankNode, usize)> = Vec::new();
    for quad in change.added.iter().chain(&change.removed) {
        match &quad.subject {
            NamedOrBlankNode::NamedNode(n) => {
                found.insert(n.clone());
            }
            b @ NamedOrBlankNode::BlankNode(_) => blank.push((b.clone(), 0)),
        }
    }
    let mut seen = std::collections::HashSet::new();
    while let Some((node, depth)) = blank.pop() {
        if depth > 8 || !seen.insert(node.clone()) {
            continue;
        }
        // Parents in the store as it is, and in what the write removed.
        let removed = change.removed.iter().filter(|q| match &q.object {
            Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b.clone()) == node,
            _ => false,
        });
        let parents = store
            .parents(&node)?
            .into_iter()
            .chain(removed.map(|q| q.subject.clone()));
        for parent in parents {
            match parent {
                NamedOrBlankNode::NamedNode(n) => {
                    found.insert(n);
                }
                b => blank.push((b, depth + 1)),
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The payload of a commit that reflects the store as it is.
fn payload(store: &GraphStore) -> Result<String> {
    Ok(format!(
        "{LAYOUT} {}",
        store.generation()?.unwrap_or_default()
    ))
}

/// The index in `dir`, if it is one of this layout and reflects `wanted`.
fn reopen(dir: &Path, wanted: &str) -> Option<Inner> {
    let index = Index::open_in_dir(dir).ok()?;
    let metas = index.load_metas().ok()?;
    if metas.payload.as_deref() != Some(wanted) {
        tracing::info!(
            "text index: it reflects {:?}, the store is at {wanted:?}: rebuilding",
            metas.payload
        );
        return None;
    }
    analysis::register(index.tokenizers());
    open_inner(index).ok()
}

/// Builds the index of `store` in `dir` (in a folder beside it, renamed over it once
/// complete, so that an interrupted build leaves the previous one).
fn rebuild_in(store: &GraphStore, fields: Fields, dir: &Path, wanted: &str) -> Result<Inner> {
    let fresh = dir.with_extension("new");
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).map_err(|e| Error::Store {
        path: fresh.clone(),
        message: e.to_string(),
    })?;
    drop(build(store, fields, Some(&fresh), wanted)?);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&fresh, dir).map_err(|e| Error::Store {
        path: dir.to_owned(),
        message: e.to_string(),
    })?;
    let index = Index::open_in_dir(dir).map_err(index_error)?;
    analysis::register(index.tokenizers());
    open_inner(index)
}

/// An index of every resource of the store, in `dir` or in memory.
fn build(store: &GraphStore, fields: Fields, dir: Option<&Path>, wanted: &str) -> Result<Inner> {
    let (schema, _) = analysis::schema();
    let index = match dir {
        Some(dir) => Index::create_in_dir(dir, schema).map_err(index_error)?,
        None => Index::create_in_ram(schema),
    };
    analysis::register(index.tokenizers());
    let mut writer: IndexWriter = index
        .writer_with_num_threads(2, 2 * WRITER_MEMORY)
        .map_err(index_error)?;
    let mut documents = document::Reader::new(store, fields);
    documents.all(|doc| writer.add_document(doc).map(drop).map_err(index_error))?;
    let mut prepared = writer.prepare_commit().map_err(index_error)?;
    prepared.set_payload(wanted);
    prepared.commit().map_err(index_error)?;
    writer.wait_merging_threads().map_err(index_error)?;
    open_inner(index)
}

fn open_inner(index: Index) -> Result<Inner> {
    let writer = index
        .writer_with_num_threads(1, WRITER_MEMORY)
        .map_err(index_error)?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(index_error)?;
    Ok(Inner {
        index,
        writer,
        reader,
    })
}

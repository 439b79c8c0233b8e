//! The only module that touches Oxigraph's `Store`. Every other module goes through
//! [`GraphStore`], so that a remote SPARQL 1.1 store can later stand where the embedded
//! one stands.
//!
//! One file per concern: queries (`query`), updates (`update`), graphs and the Graph
//! Store Protocol's writes (`graphs`), graphs replaced by sources (`replace`),
//! provenance and versions (`provenance`), history and rollback (`history`), the bulk
//! path (`bulk`), backups (`backup`) — and `commit`, the one write path every write goes
//! through, with its check hooks and observers.

use std::path::{Path, PathBuf};

use oxigraph::model::{GraphName, NamedNode, Term, Triple};
use oxigraph::store::Store;
use spargebra::SparqlParser;

use crate::error::{Error, Result};
use crate::iri::BaseIri;
use crate::versions::{Canonical, Kept};
use crate::vocab::{self, local};

mod backup;
mod bulk;
mod commit;
mod graphs;
mod history;
mod provenance;
mod query;
mod replace;
mod resource;
mod union;
mod update;

pub use commit::{Change, Check, Findings, Observer, View};
pub use graphs::{GraphInfo, prefixed};
pub use history::RollbackReport;
pub use provenance::{ImportOptions, ImportReport, NewVersion, VersionInfo, describe};
pub use query::{Controls, DatasetSpec, Prepared, Service, evaluation_error};
pub use replace::Planned;
pub use resource::{Description, INCOMING_PAGE, Label};
pub use union::UNION_GRAPH;

/// The bulk loader's memory budget, in MiB.
const BULK_MEMORY_MIB: usize = 512;

/// The embedded store, with the base IRI its instances are minted under.
pub struct GraphStore {
    store: Store,
    location: PathBuf,
    base: BaseIri,
    /// A SPARQL parser with the base IRI and the project's prefixes, cloned per query.
    parser: SparqlParser,
    /// The checks run before each commit, and the observers told after.
    hooks: commit::Hooks,
    /// The SERVICEs answered in the process, by name.
    services: std::sync::RwLock<Vec<(NamedNode, std::sync::Arc<dyn Service>)>>,
    /// What other modules keep with the store (its text index), one of each type.
    extensions: std::sync::RwLock<Vec<std::sync::Arc<dyn std::any::Any + Send + Sync>>>,
}

impl GraphStore {
    /// Opens (or creates) the store folder. It is not filled: the import pipeline fills
    /// an empty store with the bundled data (`import::open`).
    pub fn open(path: &Path, base: BaseIri) -> Result<Self> {
        let store = Store::open(path).map_err(|e| Error::Store {
            path: path.to_owned(),
            message: explain_open_error(&e.to_string()),
        })?;
        bulk::remove_unfinished_bulk_files(path);
        Self::with_store(store, path.to_owned(), base)
    }

    /// Wraps an Oxigraph store opened elsewhere (benchmarks compare labgraph's query path
    /// with Oxigraph's on one shared store).
    pub fn from_oxigraph(store: Store, location: PathBuf, base: BaseIri) -> Result<Self> {
        Self::with_store(store, location, base)
    }

    /// Another handle on this store's data, without its checks, observers and services
    /// (what an observer reads the store with, outside a write).
    pub fn handle(&self) -> Result<Self> {
        Self::with_store(self.store.clone(), self.location.clone(), self.base.clone())
    }

    /// An empty store in memory (tests and benchmarks).
    pub fn in_memory(base: BaseIri) -> Result<Self> {
        let store = Store::new().map_err(|e| Error::Store {
            path: PathBuf::from("(memory)"),
            message: e.to_string(),
        })?;
        Self::with_store(store, PathBuf::from("(memory)"), base)
    }

    fn with_store(store: Store, location: PathBuf, base: BaseIri) -> Result<Self> {
        let mut parser = SparqlParser::new()
            .with_base_iri(base.as_str())
            .map_err(|e| Error::Iri {
                iri: base.as_str().to_owned(),
                message: e.to_string(),
            })?;
        for (prefix, iri) in vocab::PREFIXES {
            parser = parser
                .with_prefix(*prefix, *iri)
                .expect("the project's prefixes are valid IRIs");
        }
        let store = Self {
            store,
            location,
            base,
            parser,
            hooks: commit::Hooks::default(),
            services: std::sync::RwLock::default(),
            extensions: std::sync::RwLock::default(),
        };
        store.ensure_union()?;
        Ok(store)
    }

    /// Keeps `value` with the store, for [`GraphStore::extension`].
    pub fn set_extension<T: std::any::Any + Send + Sync>(&self, value: std::sync::Arc<T>) {
        self.extensions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(value);
    }

    /// What was kept with the store of type `T` (its text index).
    pub fn extension<T: std::any::Any + Send + Sync>(&self) -> Option<std::sync::Arc<T>> {
        self.extensions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find_map(|e| e.clone().downcast::<T>().ok())
    }

    /// Whether the store holds no quad at all.
    pub fn is_empty(&self) -> Result<bool> {
        self.store.is_empty().map_err(|e| self.storage(e))
    }

    /// The base IRI of this deployment.
    pub fn base(&self) -> &BaseIri {
        &self.base
    }

    /// A named graph's content, in canonical form.
    pub fn canonical_graph(&self, graph: &NamedNode) -> Result<Canonical> {
        Ok(Canonical::of(self.graph_triples(graph)?))
    }

    /// The triples of a named graph.
    pub fn graph_triples(&self, graph: &NamedNode) -> Result<Vec<Triple>> {
        self.store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .map(|q| q.map(Triple::from))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.storage(e))
    }

    /// The store's folder (none for a store in memory): what belongs to the store but is
    /// not in the database (kept versions, the text index) lives there.
    pub fn folder(&self) -> Option<&Path> {
        self.location.is_dir().then_some(self.location.as_path())
    }

    /// Where the contents of versions are kept (none for a store in memory).
    pub fn kept(&self) -> Option<Kept> {
        Kept::for_store(&self.location)
    }

    /// Whether the store already says anything about a resource (outside the imports
    /// graph).
    pub fn describes(&self, subject: &NamedNode) -> Result<bool> {
        let imports = self.imports_graph();
        for quad in self
            .store
            .quads_for_pattern(Some(subject.as_ref().into()), None, None, None)
        {
            let quad = quad.map_err(|e| self.storage(e))?;
            match &quad.graph_name {
                GraphName::NamedNode(g) if *g == imports => {}
                g if union::is_union(g) => {}
                _ => return Ok(true),
            }
        }
        Ok(false)
    }

    /// The licence of the data: the `dct:license` the catalogue gives the dataset
    /// (`<dataset/labgraph>`), if it gives one.
    pub fn license(&self) -> Result<Option<NamedNode>> {
        let dataset = self.base.resolve(local::DATASET)?;
        for quad in self.store.quads_for_pattern(
            Some(dataset.as_ref().into()),
            Some(vocab::dct::LICENSE),
            None,
            None,
        ) {
            if let Term::NamedNode(license) = quad.map_err(|e| self.storage(e))?.object {
                return Ok(Some(license));
            }
        }
        Ok(None)
    }

    /// Whether a named graph holds no triple.
    pub fn graph_is_empty(&self, graph: &NamedNode) -> Result<bool> {
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .next()
            .transpose()
            .map_err(|e| self.storage(e))?
            .is_none())
    }

    /// labgraph's provenance graph, which it alone writes.
    fn imports_graph(&self) -> NamedNode {
        self.base.local(local::IMPORTS_GRAPH)
    }

    /// Oxigraph's bulk loader, within a memory budget: each quad is loaded twice (its
    /// graph, the union), and the loader's default (2 GB a thread) took a million
    /// triples to 1.5 GiB.
    fn bulk_loader(&self) -> oxigraph::store::BulkLoader<'_> {
        self.store
            .bulk_loader()
            .with_max_memory_size_in_megabytes(BULK_MEMORY_MIB)
    }

    /// Whether a graph is one that labgraph alone writes: the provenance graph and the
    /// union graph.
    pub fn is_reserved(&self, graph: &NamedNode) -> bool {
        *graph == self.imports_graph() || graph.as_ref() == union::UNION_GRAPH
    }

    /// A storage error, naming the store.
    fn storage(&self, error: impl std::fmt::Display) -> Error {
        Error::Store {
            path: self.location.clone(),
            message: error.to_string(),
        }
    }
}

/// RocksDB's lock error is cryptic; say what it means.
fn explain_open_error(message: &str) -> String {
    if message.contains("lock") {
        format!("cannot open it: another labgraph process is using it ({message})")
    } else {
        format!("cannot open it: {message}")
    }
}

//! The bulk path: large N-Triples and N-Quads files streamed through Oxigraph's bulk
//! loader into empty graphs, with their provenance loaded in the same step.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use oxigraph::io::RdfParser;
use oxigraph::model::GraphName;
use oxigraph::store::LoaderError;

use super::GraphStore;
use super::commit::{Change, Findings};
use super::provenance::{ImportReport, NewVersion, now};
use super::update::protected_graph;
use crate::error::{Error, Result};
use crate::source::{BulkProgress, HashingReader, Input, Source, syntax_error};
use crate::versions::Canonical;

impl GraphStore {
    /// Streams N-Triples files through Oxigraph's bulk loader into graphs that are empty:
    /// nothing is written unless every file parses (the loader commits only at the end).
    /// The triple count recorded is the number of statements read, so a statement the
    /// file repeats counts twice there (the store itself keeps it once).
    pub fn bulk_load(
        &self,
        sources: &[Source],
        progress: &Arc<BulkProgress>,
    ) -> Result<ImportReport> {
        let started = now();
        let started_at = std::time::Instant::now();
        for source in sources {
            if source.graph == self.imports_graph() {
                return Err(protected_graph(&source.graph));
            }
            if !source.format.syntax().is_line_based() || !self.graph_is_empty(&source.graph)? {
                return Err(Error::Usage(format!(
                    "the bulk path takes N-Triples or N-Quads into empty graphs only, and {} is not empty",
                    source.graph
                )));
            }
        }
        let mut loader = self.store.bulk_loader();
        let mut counts = Vec::new();
        let mut versions = Vec::new();
        for source in sources {
            let Input::Path(path) = &source.input else {
                return Err(Error::Usage(
                    "the bulk path reads files, not standard input".into(),
                ));
            };
            let file = File::open(path).map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
            let parser = RdfParser::from_format(source.format.syntax().oxigraph())
                .with_base_iri(self.base.as_str())
                .map_err(|e| Error::Iri {
                    iri: self.base.as_str().to_owned(),
                    message: e.to_string(),
                })?
                .with_default_graph(source.graph.clone());
            // Counted while streaming, per graph (an N-Quads file names its graphs):
            // reading a million quads back after the commit costs half as much as the
            // load itself (every term is decoded).
            let mut read: HashMap<GraphName, usize> = HashMap::new();
            let mut last: Option<(GraphName, usize)> = None;
            let hashing = HashingReader::new(file, Arc::clone(progress));
            let digest = hashing.digest();
            let quads = parser
                .rename_blank_nodes()
                .for_reader(BufReader::with_capacity(1 << 20, hashing))
                .inspect(|q| {
                    if let Ok(quad) = q {
                        progress.triples.fetch_add(1, Ordering::Relaxed);
                        // Runs of one graph are counted without hashing each quad's.
                        match &mut last {
                            Some((g, n)) if *g == quad.graph_name => *n += 1,
                            _ => {
                                if let Some((g, n)) = last.take() {
                                    *read.entry(g).or_default() += n;
                                }
                                last = Some((quad.graph_name.clone(), 1));
                            }
                        }
                    }
                });
            loader
                .load_ok_quads::<_, LoaderError>(quads)
                .map_err(|e| match e {
                    LoaderError::Parsing(e) => syntax_error(&source.name, e),
                    other => self.storage(other),
                })?;
            if let Some((g, n)) = last.take() {
                *read.entry(g).or_default() += n;
            }
            let sha256 = digest.hex();
            let mut graphs: Vec<(GraphName, usize)> = read.into_iter().collect();
            graphs.sort_by_key(|(g, _)| g.to_string());
            for (graph, n) in graphs {
                // Nothing is committed yet: a refusal here writes nothing.
                let GraphName::NamedNode(graph) = graph else {
                    return Err(Error::Usage(format!(
                        "{}: the bulk path writes named graphs only, and {graph} is not one; name it with an IRI",
                        source.name
                    )));
                };
                if graph == self.imports_graph() {
                    return Err(protected_graph(&graph));
                }
                if graph != source.graph && !self.graph_is_empty(&graph)? {
                    return Err(Error::Usage(format!(
                        "{}: the bulk path writes into empty graphs only, and {graph} is not empty",
                        source.name
                    )));
                }
                counts.push((graph.clone(), n, source.name.clone()));
                versions.push(NewVersion {
                    graph,
                    source: source.name.clone(),
                    triples: n,
                    hash: None,
                    source_sha256: Some(sha256.clone()),
                    validated: false,
                    before: (Canonical::of(Vec::new()).hash, 0),
                    restores: None,
                });
            }
        }
        tracing::info!("bulk load: parsed and sorted in {:?}", started_at.elapsed());
        // The provenance goes through the same loader, so that the data and its record
        // are ingested in one step: a crash leaves both or neither. The graphs are new, so
        // their records only add quads.
        let (activity, provenance) =
            self.provenance(&started, &counts, &versions, |_| Ok::<_, Error>(Vec::new()))?;
        loader
            .load_quads(provenance.into_iter().flat_map(|(_, new)| new))
            .map_err(|e| self.storage(e))?;
        let change = Change {
            graphs: counts.iter().map(|(g, _, _)| g.clone()).collect(),
            sources: counts
                .iter()
                .map(|(g, _, source)| (g.clone(), source.clone()))
                .collect(),
            activity: Some(activity.clone()),
            ..Change::default()
        };
        self.commit_bulk(loader, change)?;
        tracing::info!(
            "bulk load: committed with its record at {:?}",
            started_at.elapsed()
        );
        Ok(ImportReport {
            activity: Some(activity),
            graphs: counts.into_iter().map(|(g, n, _)| (g, n)).collect(),
            unchanged: Vec::new(),
            findings: Findings::default(),
        })
    }
}

/// Removes the files of bulk loads that never committed (the process died while it
/// sorted them): Oxigraph names them `bulk-<random>.sst` in the store's folder and removes
/// them once ingested, or when a load fails cleanly. With the store open, this process
/// holds RocksDB's lock, so no other load is writing them.
pub(super) fn remove_unfinished_bulk_files(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("bulk-") && name.ends_with(".sst") {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!("removed {name}, left by an unfinished bulk load"),
                Err(error) => tracing::warn!("could not remove {name}: {error}"),
            }
        }
    }
}

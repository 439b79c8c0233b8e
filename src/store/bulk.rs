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
use super::union::in_union;
use super::update::protected_graph;
use crate::error::{Error, Result};
use crate::source::{BulkProgress, HashingReader, Input, Parsed, Source, syntax_error};
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
            if self.is_reserved(&source.graph) {
                return Err(protected_graph(&source.graph));
            }
            if !source.format.syntax().is_line_based() || !self.graph_is_empty(&source.graph)? {
                return Err(Error::Usage(format!(
                    "the bulk path takes N-Triples or N-Quads into empty graphs only, and {} is not empty",
                    source.graph
                )));
            }
        }
        let mut loader = self.bulk_loader();
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
                })
                // Each quad of a named graph goes into the union graph too.
                .flat_map(|q| {
                    let copy = q.as_ref().ok().and_then(in_union).map(Ok);
                    std::iter::once(q).chain(copy)
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
                if self.is_reserved(&graph) {
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
        // are ingested in one step: a crash leaves both or neither.
        let activity = self.commit_bulk_with_record(loader, &started, &counts, &versions)?;
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

impl GraphStore {
    /// Fills an empty store with parsed sources through the bulk loader, with their
    /// provenance, in one step: the bundled data of a fresh store, which the test suite
    /// validates (a transaction of its 200,000 triples took 25 s; this, 2 s).
    pub fn bulk_seed(&self, parsed: &[Parsed]) -> Result<()> {
        let started = now();
        if !self.is_empty()? {
            return Err(Error::Usage(
                "the bulk seed fills an empty store only".into(),
            ));
        }
        let mut loader = self.bulk_loader();
        let quads = parsed.iter().flat_map(|p| &p.quads).flat_map(|q| {
            let copy = in_union(q);
            std::iter::once(q.clone()).chain(copy)
        });
        loader.load_quads(quads).map_err(|e| self.storage(e))?;
        let mut counts = Vec::new();
        let mut versions = Vec::new();
        for p in parsed {
            for graph in &p.graphs {
                let n = p
                    .quads
                    .iter()
                    .filter(|q| matches!(&q.graph_name, GraphName::NamedNode(g) if g == graph))
                    .count();
                counts.push((graph.clone(), n, p.source.name.clone()));
                versions.push(NewVersion {
                    graph: graph.clone(),
                    source: p.source.name.clone(),
                    triples: n,
                    hash: None,
                    source_sha256: Some(p.sha256.clone()),
                    validated: false,
                    before: (Canonical::of(Vec::new()).hash, 0),
                    restores: None,
                });
            }
        }
        self.commit_bulk_with_record(loader, &started, &counts, &versions)
            .map(drop)
    }

    /// Loads the record of a bulk load through its loader (its graphs are new, so the
    /// record only adds quads, with their union copies), commits both, and tells the
    /// observers. Returns the activity recorded.
    fn commit_bulk_with_record(
        &self,
        mut loader: oxigraph::store::BulkLoader,
        started: &oxigraph::model::Literal,
        counts: &[(oxigraph::model::NamedNode, usize, String)],
        versions: &[NewVersion],
    ) -> Result<oxigraph::model::NamedNode> {
        let (activity, provenance) =
            self.provenance(started, counts, versions, |_| Ok::<_, Error>(Vec::new()))?;
        loader
            .load_quads(
                provenance
                    .into_iter()
                    .flat_map(|(_, new)| new)
                    .flat_map(|q| {
                        let copy = in_union(&q);
                        std::iter::once(q).chain(copy)
                    }),
            )
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
        Ok(activity)
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

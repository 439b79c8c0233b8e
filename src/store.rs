//! The only module that touches Oxigraph's `Store`: opening (and filling a fresh store with
//! the bundled data), atomic imports with their provenance, SPARQL evaluation, export,
//! graph listing and backup.
//!
//! Every other module goes through [`GraphStore`], so that a remote SPARQL 1.1 store can
//! later stand where the embedded one stands.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use oxigraph::io::{RdfParser, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    BlankNode, GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad,
    Term, Triple,
};
use oxigraph::sparql::{
    CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator, Variable,
};
use oxigraph::store::{LoaderError, SerializerError, Store};
use oxsdatatypes::DateTime;
use spargebra::algebra::GraphPattern;
use spargebra::term::GroundTerm;
use spargebra::{GraphUpdateOperation, Query, SparqlParser, Update};

use crate::config::{BaseIri, Settings};
use crate::error::{Error, Result};
use crate::format::Rdf;
use crate::import::{self, Input, Parsed, Source};
use crate::versions::{Canonical, Kept};
use crate::vocab::{self, dct, lg, local, prov, schema, spdx, void};

/// The embedded store, with the base IRI its instances are minted under.
pub struct GraphStore {
    store: Store,
    location: PathBuf,
    base: BaseIri,
    /// A SPARQL parser with the base IRI and the project's prefixes, cloned per query.
    parser: SparqlParser,
}

/// A named graph as `labgraph graphs` lists it.
#[derive(Debug, Clone)]
pub struct GraphInfo {
    pub graph: NamedOrBlankNode,
    pub triples: usize,
    /// `dct:source` of its last import, if labgraph imported it.
    pub source: Option<String>,
    /// `prov:generatedAtTime` of its last import.
    pub loaded_at: Option<String>,
}

/// What an import wrote.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The activity recorded in the imports graph (none when nothing changed).
    pub activity: Option<NamedNode>,
    /// Each graph written, with its triple count after the import.
    pub graphs: Vec<(NamedNode, usize)>,
    /// The graphs whose content was already the source's: left as they were.
    pub unchanged: Vec<NamedNode>,
}

/// How an import was checked, for its record.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Whether the data passed the SHACL shapes before the write.
    pub validated: bool,
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

/// How far a bulk load has gone, over all its sources: read by a progress bar while the
/// load runs.
#[derive(Debug, Default)]
pub struct BulkProgress {
    pub bytes: AtomicU64,
    pub triples: AtomicU64,
}

/// A graph an import would write: its content before and after, in canonical form.
#[derive(Debug, Clone)]
pub struct Planned {
    pub graph: NamedNode,
    pub source: String,
    pub source_sha256: String,
    pub before: Canonical,
    pub after: Canonical,
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
    /// Opens (or creates) the store folder; a store with no quads at all is filled with the
    /// bundled ontology and data first.
    pub fn open(settings: &Settings) -> Result<Self> {
        let store = Store::open(&settings.store_path).map_err(|e| Error::Store {
            path: settings.store_path.clone(),
            message: explain_open_error(&e.to_string()),
        })?;
        remove_unfinished_bulk_files(&settings.store_path);
        Self::with_store(store, settings.store_path.clone(), settings.base.clone())
    }

    /// Wraps an Oxigraph store opened elsewhere (benchmarks compare labgraph's query path
    /// with Oxigraph's on one shared store); an empty one is filled with the bundled data.
    pub fn from_oxigraph(store: Store, location: PathBuf, base: BaseIri) -> Result<Self> {
        Self::with_store(store, location, base)
    }

    /// An in-memory store filled with the bundled data (tests and benchmarks).
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
        let this = Self {
            store,
            location,
            base,
            parser,
        };
        if this.store.is_empty().map_err(|e| this.storage(e))? {
            let parsed = import::parse_all(import::bundled(&this.base)?, &this.base)?;
            tracing::info!("empty store: loading the {} bundled graphs", parsed.len());
            // The bundled data is checked against the shapes by the test suite
            // (tests/content.rs), not at each start: its versions say "not validated".
            this.replace_graphs(parsed, ImportOptions { validated: false })?;
        }
        Ok(this)
    }

    /// The base IRI of this deployment.
    pub fn base(&self) -> &BaseIri {
        &self.base
    }

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

    /// Where the contents of versions are kept (none for a store in memory).
    pub fn kept(&self) -> Option<Kept> {
        Kept::for_store(&self.location)
    }

    /// Refuses sources that would write the provenance graph, which labgraph alone writes,
    /// whatever names it: `--graph`, or a TriG, N-Quads or JSON-LD file with a graph of
    /// that name.
    pub fn refuse_protected(&self, parsed: &[Parsed]) -> Result<()> {
        let imports = self.imports_graph();
        match parsed.iter().find(|p| p.graphs.contains(&imports)) {
            Some(source) => Err(Error::Protected(format!(
                "{imports} (named by {})",
                source.source.name
            ))),
            None => Ok(()),
        }
    }

    /// Replaces every graph the sources write with their content, and records the import
    /// with a version per graph, in one transaction: on any error nothing is written. A
    /// graph whose content would not change is left alone, and so is its record.
    pub fn replace_graphs(
        &self,
        parsed: Vec<Parsed>,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        self.refuse_protected(&parsed)?;
        let started = now();
        let planned = self.plan_versions(&parsed)?;
        let (changed, unchanged): (Vec<Planned>, Vec<Planned>) = planned
            .into_iter()
            .partition(|p| p.before.hash != p.after.hash);
        let unchanged: Vec<NamedNode> = unchanged.into_iter().map(|p| p.graph).collect();
        if changed.is_empty() {
            return Ok(ImportReport {
                activity: None,
                graphs: Vec::new(),
                unchanged,
            });
        }
        // Both contents are kept before the commit: a rollback can always find them.
        if let Some(kept) = self.kept() {
            for p in &changed {
                kept.keep(&p.before)?;
                kept.keep(&p.after)?;
            }
        }
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        for p in &changed {
            transaction
                .clear_graph(&p.graph)
                .map_err(|e| self.storage(e))?;
        }
        let written: HashSet<&NamedNode> = changed.iter().map(|p| &p.graph).collect();
        for source in &parsed {
            transaction.extend(source.quads.iter().filter(|q| match &q.graph_name {
                GraphName::NamedNode(g) => written.contains(g),
                _ => true,
            }));
        }
        let counts = changed
            .iter()
            .map(|p| (p.graph.clone(), p.after.lines.len(), p.source.clone()))
            .collect();
        let versions: Vec<NewVersion> = changed
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
            .collect();
        let mut report = self.record(&mut transaction, &started, counts, &versions)?;
        transaction.commit().map_err(|e| self.storage(e))?;
        report.unchanged = unchanged;
        Ok(report)
    }

    /// The recorded versions of one graph, or of every graph, oldest first.
    pub fn versions(&self, graph: Option<&NamedNode>) -> Result<Vec<VersionInfo>> {
        let imports = self.imports_graph();
        let imports = imports.as_str();
        let query = format!(
            "SELECT ?v ?g ?t ?source ?n ?hash ?sha ?validated ?previous ?restores ?activity WHERE {{
               GRAPH <{imports}> {{
                 ?v a <{version}> ; <{spec}> ?g .
                 OPTIONAL {{ ?v <{time}> ?t }}
                 OPTIONAL {{ ?v <{source}> ?source }}
                 OPTIONAL {{ ?v <{triples}> ?n }}
                 OPTIONAL {{ ?v <{hash}> ?hash }}
                 OPTIONAL {{ ?v <{checksum}>/<{value}> ?sha }}
                 OPTIONAL {{ ?v <{validated}> ?validated }}
                 OPTIONAL {{ ?v <{revision}> ?previous }}
                 OPTIONAL {{ ?v <{derived}> ?restores }}
                 OPTIONAL {{ ?v <{generated}> ?activity }}
               }}
             }}",
            version = lg::GRAPH_VERSION.as_str(),
            spec = prov::SPECIALIZATION_OF.as_str(),
            time = prov::GENERATED_AT_TIME.as_str(),
            source = dct::SOURCE.as_str(),
            triples = void::TRIPLES.as_str(),
            hash = lg::CANONICAL_HASH.as_str(),
            checksum = spdx::CHECKSUM.as_str(),
            value = spdx::CHECKSUM_VALUE.as_str(),
            validated = lg::VALIDATED.as_str(),
            revision = prov::WAS_REVISION_OF.as_str(),
            derived = prov::WAS_DERIVED_FROM.as_str(),
            generated = prov::WAS_GENERATED_BY.as_str(),
        );
        let bindings = graph
            .map(|g| vec![(Variable::new_unchecked("g"), Term::from(g.clone()))])
            .unwrap_or_default();
        let QueryResults::Solutions(solutions) = self.evaluate(self.prepare(&query)?, bindings)?
        else {
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

    /// Gives a graph back the content of the version before its current one, and records
    /// that as a new version. The current version of a graph just rolled back is the one
    /// it restored, so rollbacks walk back through the history one version at a time.
    pub fn rollback(&self, graph: &NamedNode) -> Result<RollbackReport> {
        let versions = self.versions(Some(graph))?;
        let find = |iri: &NamedNode| versions.iter().find(|v| &v.version == iri);
        let Some(latest) = versions.last() else {
            return Err(Error::Usage(format!(
                "{graph} has no recorded version: 'labgraph history' lists the graphs that have"
            )));
        };
        let current = latest.restores.as_ref().and_then(find).unwrap_or(latest);
        let Some(previous) = current.previous.as_ref().and_then(find) else {
            return Err(Error::Usage(format!(
                "{graph}: its version {} ({}) has no earlier version to go back to",
                current.version,
                describe(current)
            )));
        };
        let (Some(hash), Some(kept)) = (&previous.hash, self.kept()) else {
            return Err(Error::Usage(format!(
                "{graph}: the content of {} was not kept (a bulk load, or a store in memory)",
                previous.version
            )));
        };
        let content = kept.read(hash)?;
        let now_content = self.canonical_graph(graph)?;
        kept.keep(&now_content)?;
        let started = now();
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
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
        let source = format!("labgraph rollback (version of {})", describe(previous));
        let version = NewVersion {
            graph: graph.clone(),
            source: source.clone(),
            triples: content.lines.len(),
            hash: Some(content.hash.clone()),
            source_sha256: None,
            validated: false,
            before: (now_content.hash.clone(), now_content.lines.len()),
            restores: Some(previous.version.clone()),
        };
        let report = self.record(
            &mut transaction,
            &started,
            vec![(graph.clone(), content.lines.len(), source)],
            &[version],
        )?;
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(RollbackReport {
            activity: report.activity.expect("a rollback records an activity"),
            restored: previous.clone(),
            triples: content.lines.len(),
            had_unrecorded_changes: latest.hash.as_deref() != Some(now_content.hash.as_str()),
        })
    }

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
            if !source.format.is_line_based() || !self.graph_is_empty(&source.graph)? {
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
            let parser = RdfParser::from_format(source.format.oxigraph())
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
            let hashing = crate::versions::HashingReader::new(file, Arc::clone(progress));
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
                    LoaderError::Parsing(e) => import::syntax_error(&source.name, e),
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
                        "{}: the bulk path writes into empty graphs only, and {graph} is not empty; import the file without --no-validate to replace it",
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
        loader.commit().map_err(|e| self.storage(e))?;
        tracing::info!(
            "bulk load: committed with its record at {:?}",
            started_at.elapsed()
        );
        Ok(ImportReport {
            activity: Some(activity),
            graphs: counts.into_iter().map(|(g, n, _)| (g, n)).collect(),
            unchanged: Vec::new(),
        })
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
                _ => return Ok(true),
            }
        }
        Ok(false)
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

    /// Parses a SPARQL query for this store: the project's prefixes are predeclared and
    /// relative IRIs resolve against the base IRI.
    ///
    /// The text is first scanned for the bounds of [`crate::bounds`], and the parsed
    /// algebra checked for its depth, so that nothing it asks for overflows a stack.
    pub fn prepare(&self, query: &str) -> Result<Prepared> {
        self.parse_bounded(
            query,
            "the query",
            SparqlParser::parse_query,
            crate::bounds::check_query,
        )
        .map(Prepared)
    }

    /// Scans a SPARQL text for the bounds of [`crate::bounds`], parses it on a large stack
    /// and checks what it parsed; `what` names it in messages.
    fn parse_bounded<T: Send>(
        &self,
        text: &str,
        what: &str,
        parse: impl FnOnce(SparqlParser, &str) -> std::result::Result<T, spargebra::SparqlSyntaxError>
        + Send,
        check: impl FnOnce(&T) -> Result<()> + Send,
    ) -> Result<T> {
        crate::bounds::scan_sparql(text, what)?;
        crate::bounds::on_large_stack(|| {
            let parsed = parse(self.parser.clone(), text).map_err(|e| Error::Query {
                context: format!("{what} does not parse"),
                message: e.to_string(),
            })?;
            check(&parsed)?;
            Ok(parsed)
        })
    }

    /// Evaluates a query prepared by [`GraphStore::prepare`]. `SERVICE` is refused, and the
    /// default graph is the union of the named graphs unless the query names its own
    /// dataset.
    ///
    /// Parameters bind as a one-row `VALUES` table joined with the query's pattern, below
    /// its solution modifiers and grouping: the optimiser then plans with the value known,
    /// where a substituted initial binding (SEP-0007) is only known once the plan runs —
    /// on a million triples, the difference between milliseconds and a minute for queries
    /// whose filters walk `schema:containedInPlace*` from a parameter.
    pub fn evaluate(
        &self,
        prepared: Prepared,
        bindings: Vec<(Variable, Term)>,
    ) -> Result<QueryResults<'static>> {
        self.evaluate_with(prepared, bindings, &Controls::default())
    }

    /// [`GraphStore::evaluate`] with a dataset named by the request (the SPARQL protocol's
    /// `default-graph-uri` and `named-graph-uri`, which override the query's own `FROM`)
    /// and a cancellation token.
    pub fn evaluate_with(
        &self,
        prepared: Prepared,
        bindings: Vec<(Variable, Term)>,
        controls: &Controls,
    ) -> Result<QueryResults<'static>> {
        let mut query = prepared.0;
        if !bindings.is_empty() {
            let (variables, row): (Vec<_>, Vec<_>) = bindings
                .into_iter()
                .map(|(variable, value)| {
                    let value = match value {
                        Term::NamedNode(n) => GroundTerm::NamedNode(n),
                        Term::Literal(l) => GroundTerm::Literal(l),
                        other => {
                            return Err(Error::Usage(format!(
                                "a parameter takes an IRI or a literal, not {other}"
                            )));
                        }
                    };
                    Ok((variable, Some(value)))
                })
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .unzip();
            let values = GraphPattern::Values {
                variables,
                bindings: vec![row],
            };
            query = match query {
                Query::Select {
                    dataset,
                    pattern,
                    base_iri,
                } => Query::Select {
                    dataset,
                    pattern: join_values(pattern, values),
                    base_iri,
                },
                Query::Construct {
                    template,
                    dataset,
                    pattern,
                    base_iri,
                } => Query::Construct {
                    template,
                    dataset,
                    pattern: join_values(pattern, values),
                    base_iri,
                },
                Query::Describe {
                    dataset,
                    pattern,
                    base_iri,
                } => Query::Describe {
                    dataset,
                    pattern: join_values(pattern, values),
                    base_iri,
                },
                Query::Ask {
                    dataset,
                    pattern,
                    base_iri,
                } => Query::Ask {
                    dataset,
                    pattern: join_values(pattern, values),
                    base_iri,
                },
            };
        }
        let mut evaluator = SparqlEvaluator::new().without_default_http_service_handler();
        if let Some(token) = &controls.cancel {
            evaluator = evaluator.with_cancellation_token(token.clone());
            // Oxigraph's sort never looks at the token: each comparison does, here.
            query = watch_sorts(query);
            let token = token.clone();
            evaluator = evaluator.with_custom_function(vocab::alive(), move |_| {
                if token.is_cancelled() {
                    // Unwinds out of the sort, without the panic hook: the caller catches
                    // it and answers that the budget ran out.
                    std::panic::resume_unwind(Box::new(Error::Cancelled));
                }
                Some(Literal::from(true).into())
            });
        }
        tracing::debug!("evaluating {query}");
        let mut prepared = evaluator.for_query(query);
        match &controls.dataset {
            Some(spec) => {
                let dataset = prepared.dataset_mut();
                dataset.set_default_graph(spec.default.iter().cloned().map(Into::into).collect());
                dataset.set_available_named_graphs(
                    spec.named.iter().cloned().map(Into::into).collect(),
                );
            }
            None if prepared.dataset().is_default_dataset() => {
                prepared.dataset_mut().set_default_graph_as_union();
            }
            None => {}
        }
        prepared
            .on_store(&self.store)
            .execute()
            .map_err(evaluation_error)
    }

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
                message: "LOAD is not allowed: labgraph never fetches remote documents; send the data with the Graph Store Protocol (PUT/POST /store) instead".into(),
            });
        }
        if let Some(graph) = written_graphs(&update).find(|g| *g == self.imports_graph()) {
            return Err(protected_graph(&graph));
        }
        Ok(update)
    }

    /// Runs a SPARQL update and records it in the provenance graph, in one transaction.
    /// `dataset` is the protocol's `using-graph-uri` / `using-named-graph-uri`.
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
        let started = now();
        let mut named: BTreeSet<NamedNode> = BTreeSet::new();
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        // One operation after the other in the transaction, as the update would run, so
        // that `ALL` and `NAMED` are expanded into the graphs there are at that point
        // (`INSERT DATA { GRAPH <g> {…} } ; DROP ALL` drops <g> too).
        for operation in update.operations {
            let one = Update {
                base_iri: update.base_iri.clone(),
                operations: self.expand_graph_targets(operation, &transaction)?,
            };
            named.extend(written_graphs(&one));
            let mut evaluator = SparqlEvaluator::new().without_default_http_service_handler();
            if let Some(token) = &cancel {
                evaluator = evaluator.with_cancellation_token(token.clone());
            }
            let mut prepared = evaluator.for_update(one);
            if let Some(spec) = dataset {
                for using in prepared.using_datasets_mut() {
                    using.set_default_graph(spec.default.iter().cloned().map(Into::into).collect());
                    using.set_available_named_graphs(
                        spec.named.iter().cloned().map(Into::into).collect(),
                    );
                }
            }
            prepared
                .on_transaction(&mut transaction)
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
        // The graphs the update names, and those it reached through a variable.
        named.extend(self.gate(&transaction)?);
        let counts = named
            .into_iter()
            .map(|g| {
                let n = transaction
                    .quads_for_pattern(None, None, None, Some(g.as_ref().into()))
                    .count();
                (g, n, source.to_owned())
            })
            .collect::<Vec<_>>();
        let report = self.record(&mut transaction, &started, counts, &[])?;
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(report)
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
        transaction: &oxigraph::store::Transaction<'_>,
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
                NamedOrBlankNode::NamedNode(g) if g != imports => {
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

    /// Whether the store has this graph: the default graph always exists; a named graph
    /// exists once created or written to.
    pub fn has_graph(&self, graph: GraphNameRef<'_>) -> Result<bool> {
        match graph {
            GraphNameRef::DefaultGraph => Ok(true),
            GraphNameRef::NamedNode(g) => self.has_named_graph(&g.into_owned()),
            GraphNameRef::BlankNode(_) => Ok(false),
        }
    }

    /// Writes one graph (the default graph or a named one) in any RDF format, or with
    /// `None` the whole dataset in a quad format, in one pass; more than `cap` quads is
    /// [`Error::TooLarge`].
    pub fn write_quads(
        &self,
        graph: Option<GraphNameRef<'_>>,
        format: oxigraph::io::RdfFormat,
        writer: impl Write,
        cap: usize,
    ) -> Result<()> {
        let io = |e| Error::Io {
            path: "the response".into(),
            source: e,
        };
        let mut serializer = prefixed(RdfSerializer::from_format(format)).for_writer(writer);
        for (n, quad) in self
            .store
            .quads_for_pattern(None, None, None, graph)
            .enumerate()
        {
            if n >= cap {
                return Err(Error::TooLarge { limit: cap });
            }
            let quad = quad.map_err(|e| self.storage(e))?;
            match graph {
                Some(_) => serializer.serialize_triple(quad.as_ref()),
                None => serializer.serialize_quad(quad.as_ref()),
            }
            .map_err(io)?;
        }
        serializer.finish().map(drop).map_err(io)
    }

    /// The Graph Store Protocol's PUT (`replace`) and POST (merge) of triples into one
    /// graph, with the graph's provenance, in one transaction. Returns whether the graph
    /// was created.
    pub fn store_graph(
        &self,
        graph: GraphNameRef<'_>,
        triples: Vec<Triple>,
        replace: bool,
        source: &str,
    ) -> Result<bool> {
        if let GraphNameRef::NamedNode(g) = graph
            && g == self.imports_graph().as_ref()
        {
            return Err(protected_graph(&g.into_owned()));
        }
        let started = now();
        let created = !self.has_graph(graph)?;
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        if replace {
            transaction
                .clear_graph(graph)
                .map_err(|e| self.storage(e))?;
        }
        if let GraphNameRef::NamedNode(g) = graph {
            transaction.insert_named_graph(g);
        }
        transaction.extend(triples.iter().map(|t| t.as_ref().in_graph(graph)));
        let counts = match graph {
            GraphNameRef::NamedNode(g) => {
                let n = transaction
                    .quads_for_pattern(None, None, None, Some(graph))
                    .count();
                vec![(g.into_owned(), n, source.to_owned())]
            }
            _ => Vec::new(),
        };
        self.gate(&transaction)?;
        self.record(&mut transaction, &started, counts, &[])?;
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(created)
    }

    /// The Graph Store Protocol's DELETE: drops a named graph (and its provenance record)
    /// or empties the default graph. Returns false when the named graph does not exist.
    pub fn delete_graph(&self, graph: GraphNameRef<'_>, source: &str) -> Result<bool> {
        if !self.has_graph(graph)? {
            return Ok(false);
        }
        let started = now();
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        match graph {
            GraphNameRef::NamedNode(g) => {
                if g == self.imports_graph().as_ref() {
                    return Err(protected_graph(&g.into_owned()));
                }
                transaction
                    .remove_named_graph(g)
                    .map_err(|e| self.storage(e))?;
                self.gate(&transaction)?;
                // The record says the graph is gone: 0 triples, generated by this activity.
                self.record(
                    &mut transaction,
                    &started,
                    vec![(g.into_owned(), 0, source.to_owned())],
                    &[],
                )?;
            }
            other => {
                transaction
                    .clear_graph(other)
                    .map_err(|e| self.storage(e))?;
                self.gate(&transaction)?;
                self.record(&mut transaction, &started, Vec::new(), &[])?;
            }
        }
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(true)
    }

    /// The gate of writes made over HTTP, on the store as `transaction` leaves it. The
    /// write must leave labgraph's provenance graph as it was, whatever the syntax that
    /// reached it (a `GRAPH ?g` template names no graph); and the SHACL findings about the
    /// nodes of the quads it adds or removes must hold no violation. Either refuses the
    /// write (the caller then drops the transaction). Returns the named graphs whose
    /// quads changed.
    fn gate(&self, transaction: &oxigraph::store::Transaction<'_>) -> Result<BTreeSet<NamedNode>> {
        let imports = self.imports_graph();
        let shapes = self.base.local(local::SHAPES_GRAPH);
        let before: HashSet<Quad> = self
            .store
            .iter()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.storage(e))?;
        let after: HashSet<Quad> = transaction
            .iter()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.storage(e))?;
        let mut changed = BTreeSet::new();
        let mut mentioned = HashSet::new();
        for quad in before.symmetric_difference(&after) {
            if let GraphName::NamedNode(g) = &quad.graph_name {
                if *g == imports {
                    return Err(protected_graph(&imports));
                }
                changed.insert(g.clone());
                if *g == shapes {
                    continue;
                }
            }
            crate::shacl::mention(quad.subject.as_ref().into(), &mut mentioned);
            crate::shacl::mention(quad.object.as_ref(), &mut mentioned);
        }
        if mentioned.is_empty() {
            return Ok(changed);
        }
        let data = after.into_iter().filter(|quad| match &quad.graph_name {
            GraphName::NamedNode(g) => *g != imports && *g != shapes,
            _ => true,
        });
        let mut report = crate::shacl::Shapes::bundled()?.validate(data.map(Triple::from))?;
        report.only_about(&mentioned);
        if report.conforms {
            Ok(changed)
        } else {
            Err(Error::Rejected {
                violations: report.count(crate::shacl::Level::Violation),
                report: report.text(),
            })
        }
    }

    /// Adds the provenance of a write made in `transaction`.
    fn record(
        &self,
        transaction: &mut oxigraph::store::Transaction<'_>,
        started: &Literal,
        counts: Vec<(NamedNode, usize, String)>,
        versions: &[NewVersion],
    ) -> Result<ImportReport> {
        let imports = self.imports_graph();
        let (activity, provenance) = self.provenance(started, &counts, versions, |g| {
            transaction
                .quads_for_pattern(Some(g.into()), None, None, Some(imports.as_ref().into()))
                .collect::<std::result::Result<Vec<_>, _>>()
        })?;
        for (old, new) in provenance {
            for quad in &old {
                transaction.remove(quad);
            }
            transaction.extend(&new);
        }
        Ok(ImportReport {
            activity: Some(activity),
            graphs: counts.into_iter().map(|(g, n, _)| (g, n)).collect(),
            unchanged: Vec::new(),
        })
    }

    /// Writes the whole store (a dataset format) or one graph (any format).
    pub fn export(&self, graph: Option<&NamedNode>, format: Rdf, writer: impl Write) -> Result<()> {
        if matches!(format, Rdf::Record | Rdf::ActionsCsv) {
            return Err(Error::Usage(
                "records and action spreadsheets are import formats; export to jsonld, turtle, trig…".into(),
            ));
        }
        let serializer = prefixed(RdfSerializer::from_format(format.oxigraph()));
        let result = match graph {
            Some(graph) => {
                if self.graph_is_empty(graph)? && !self.has_named_graph(graph)? {
                    return Err(Error::Usage(format!(
                        "the store has no graph <{graph}>; 'labgraph graphs' lists them"
                    )));
                }
                self.store
                    .dump_graph_to_writer(graph, serializer, writer)
                    .map(drop)
            }
            None => {
                if !format.is_dataset() {
                    return Err(Error::Usage(
                        "exporting the whole store needs a dataset format (trig, nquads, jsonld); or name one --graph".into(),
                    ));
                }
                self.store.dump_to_writer(serializer, writer).map(drop)
            }
        };
        result.map_err(|e| match e {
            SerializerError::Io(e) => Error::Io {
                path: PathBuf::from("output"),
                source: e,
            },
            other => self.storage(other),
        })
    }

    fn has_named_graph(&self, graph: &NamedNode) -> Result<bool> {
        self.store
            .contains_named_graph(graph)
            .map_err(|e| self.storage(e))
    }

    /// The named graphs, with their triple counts and provenance, sorted by IRI.
    pub fn graphs(&self) -> Result<Vec<GraphInfo>> {
        let imports = self.imports_graph();
        let counts = self.graph_counts()?;
        let mut graphs = self
            .store
            .named_graphs()
            .map(|g| {
                let graph = g.map_err(|e| self.storage(e))?;
                let value = |property: NamedNodeRef<'_>| -> Result<Option<String>> {
                    Ok(self
                        .store
                        .quads_for_pattern(
                            Some(graph.as_ref()),
                            Some(property),
                            None,
                            Some(imports.as_ref().into()),
                        )
                        .next()
                        .transpose()
                        .map_err(|e| self.storage(e))?
                        .map(|q| match q.object {
                            Term::Literal(l) => l.value().to_owned(),
                            other => other.to_string(),
                        }))
                };
                Ok(GraphInfo {
                    source: value(dct::SOURCE)?,
                    loaded_at: value(prov::GENERATED_AT_TIME)?,
                    triples: counts.get(&Term::from(graph.clone())).copied().unwrap_or(0),
                    graph,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        graphs.sort_by_key(|g| g.graph.to_string());
        Ok(graphs)
    }

    /// Triple counts of the named graphs, from one aggregate query: the evaluator counts
    /// encoded quads, where iterating them through the API decodes every term (ten times
    /// slower on a million triples).
    fn graph_counts(&self) -> Result<HashMap<Term, usize>> {
        const COUNTS: &str =
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g";
        let QueryResults::Solutions(solutions) =
            self.evaluate(self.prepare(COUNTS)?, Vec::new())?
        else {
            unreachable!("a SELECT query gives solutions")
        };
        solutions
            .map(|s| {
                let s = s.map_err(|e| self.storage(e))?;
                let n = match s.get("n") {
                    Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
                    _ => 0,
                };
                Ok((s.get("g").cloned().expect("?g is bound by GRAPH"), n))
            })
            .collect()
    }

    /// The triples SHACL validation reads beside new data: every graph but the shapes, the
    /// import records and the graphs about to be replaced.
    pub fn triples_for_validation(&self, replaced: &BTreeSet<NamedNode>) -> Result<Vec<Triple>> {
        let skipped: BTreeSet<NamedNode> =
            [self.imports_graph(), self.base.local(local::SHAPES_GRAPH)]
                .into_iter()
                .chain(replaced.iter().cloned())
                .collect();
        let mut triples = Vec::new();
        for quad in self.store.iter() {
            let quad = quad.map_err(|e| self.storage(e))?;
            if let GraphName::NamedNode(g) = &quad.graph_name
                && skipped.contains(g)
            {
                continue;
            }
            triples.push(Triple::from(quad));
        }
        Ok(triples)
    }

    /// Writes a consistent copy of the store into `target`, which must not exist yet.
    pub fn backup(&self, target: &Path) -> Result<()> {
        if target.exists() {
            return Err(Error::Usage(format!(
                "'{}' already exists; a backup goes into a new folder",
                target.display()
            )));
        }
        self.store.backup(target).map_err(|e| Error::Store {
            path: target.to_owned(),
            message: e.to_string(),
        })?;
        // The kept contents of versions go with the store, so that rollback works there.
        let Some(kept) = self.kept().map(|k| k.folder().to_owned()) else {
            return Ok(());
        };
        if !kept.is_dir() {
            return Ok(());
        }
        let copy = target.join(crate::versions::FOLDER);
        let io = |path: &Path, e| Error::Io {
            path: path.to_owned(),
            source: e,
        };
        std::fs::create_dir_all(&copy).map_err(|e| io(&copy, e))?;
        for entry in std::fs::read_dir(&kept).map_err(|e| io(&kept, e))? {
            let entry = entry.map_err(|e| io(&kept, e))?;
            std::fs::copy(entry.path(), copy.join(entry.file_name()))
                .map_err(|e| io(&entry.path(), e))?;
        }
        Ok(())
    }

    fn imports_graph(&self) -> NamedNode {
        self.base.local(local::IMPORTS_GRAPH)
    }

    /// Builds the PROV-O record of an import: for each written graph, the quads to remove
    /// (its previous record, read by `previous`) and the quads to add.
    #[allow(clippy::type_complexity)]
    fn provenance<E: std::fmt::Display>(
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

    fn storage(&self, error: impl std::fmt::Display) -> Error {
        Error::Store {
            path: self.location.clone(),
            message: error.to_string(),
        }
    }
}

/// A parsed query, ready for [`GraphStore::evaluate`].
#[derive(Debug, Clone)]
pub struct Prepared(Query);

impl Prepared {
    /// The query's algebra.
    pub fn query(&self) -> &Query {
        &self.0
    }

    /// Whether the query returns a graph (CONSTRUCT, DESCRIBE) rather than solutions or
    /// a boolean.
    pub fn returns_graph(&self) -> bool {
        matches!(self.0, Query::Construct { .. } | Query::Describe { .. })
    }
}

/// The RDF dataset a request names: the SPARQL 1.1 Protocol's `default-graph-uri` (whose
/// merge is the default graph) and `named-graph-uri`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DatasetSpec {
    pub default: Vec<NamedNode>,
    pub named: Vec<NamedNode>,
}

/// How a query runs: the dataset the request names, if any, and a token that cancels it.
#[derive(Clone, Default)]
pub struct Controls {
    pub dataset: Option<DatasetSpec>,
    pub cancel: Option<CancellationToken>,
}

/// Maps Oxigraph's evaluation errors, keeping cancellation apart.
pub fn evaluation_error(error: QueryEvaluationError) -> Error {
    match error {
        QueryEvaluationError::Cancelled => Error::Cancelled,
        other => Error::Query {
            context: "the query failed".into(),
            message: other.to_string(),
        },
    }
}

/// The project's prefixes on a serializer.
pub fn prefixed(mut serializer: RdfSerializer) -> RdfSerializer {
    for (prefix, iri) in vocab::PREFIXES {
        serializer = serializer
            .with_prefix(*prefix, *iri)
            .expect("the project's prefixes are valid IRIs");
    }
    serializer
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

fn protected_graph(graph: &NamedNode) -> Error {
    Error::Protected(graph.to_string())
}

/// Makes every `ORDER BY` of a query check its cancellation token on each comparison:
/// each key `e` becomes `IF(<alive>(), e, e)`, whose value is `e`'s, errors included, and
/// whose condition is the custom function [`vocab::alive`].
fn watch_sorts(query: Query) -> Query {
    match query {
        Query::Select {
            dataset,
            pattern,
            base_iri,
        } => Query::Select {
            dataset,
            pattern: watched(pattern),
            base_iri,
        },
        Query::Construct {
            template,
            dataset,
            pattern,
            base_iri,
        } => Query::Construct {
            template,
            dataset,
            pattern: watched(pattern),
            base_iri,
        },
        Query::Describe {
            dataset,
            pattern,
            base_iri,
        } => Query::Describe {
            dataset,
            pattern: watched(pattern),
            base_iri,
        },
        Query::Ask {
            dataset,
            pattern,
            base_iri,
        } => Query::Ask {
            dataset,
            pattern: watched(pattern),
            base_iri,
        },
    }
}

/// [`watch_sorts`] on a pattern (its depth is bounded by `bounds`).
fn watched(pattern: GraphPattern) -> GraphPattern {
    use spargebra::algebra::{Expression, Function, OrderExpression};
    let boxed = |p: Box<GraphPattern>| Box::new(watched(*p));
    let alive = |e: Expression| {
        Expression::If(
            Box::new(Expression::FunctionCall(
                Function::Custom(vocab::alive()),
                Vec::new(),
            )),
            Box::new(e.clone()),
            Box::new(e),
        )
    };
    match pattern {
        GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
            inner: boxed(inner),
            expression: expression
                .into_iter()
                .map(|order| match order {
                    OrderExpression::Asc(e) => OrderExpression::Asc(alive(e)),
                    OrderExpression::Desc(e) => OrderExpression::Desc(alive(e)),
                })
                .collect(),
        },
        GraphPattern::Join { left, right } => GraphPattern::Join {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => GraphPattern::LeftJoin {
            left: boxed(left),
            right: boxed(right),
            expression,
        },
        GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::Union { left, right } => GraphPattern::Union {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::Minus { left, right } => GraphPattern::Minus {
            left: boxed(left),
            right: boxed(right),
        },
        GraphPattern::Filter { expr, inner } => GraphPattern::Filter {
            expr,
            inner: boxed(inner),
        },
        GraphPattern::Graph { name, inner } => GraphPattern::Graph {
            name,
            inner: boxed(inner),
        },
        GraphPattern::Extend {
            inner,
            variable,
            expression,
        } => GraphPattern::Extend {
            inner: boxed(inner),
            variable,
            expression,
        },
        GraphPattern::Project { inner, variables } => GraphPattern::Project {
            inner: boxed(inner),
            variables,
        },
        GraphPattern::Distinct { inner } => GraphPattern::Distinct {
            inner: boxed(inner),
        },
        GraphPattern::Reduced { inner } => GraphPattern::Reduced {
            inner: boxed(inner),
        },
        GraphPattern::Slice {
            inner,
            start,
            length,
        } => GraphPattern::Slice {
            inner: boxed(inner),
            start,
            length,
        },
        GraphPattern::Group {
            inner,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: boxed(inner),
            variables,
            aggregates,
        },
        GraphPattern::Service {
            name,
            inner,
            silent,
        } => GraphPattern::Service {
            name,
            inner: boxed(inner),
            silent,
        },
        leaf @ (GraphPattern::Bgp { .. }
        | GraphPattern::Path { .. }
        | GraphPattern::Values { .. }) => leaf,
    }
}

/// Joins a `VALUES` table with a query pattern, below the solution modifiers, the
/// projection, the grouping and the top-level BIND, FILTER and OPTIONAL, so that it binds
/// the variables of the `WHERE` clause where its expressions can see them.
fn join_values(pattern: GraphPattern, values: GraphPattern) -> GraphPattern {
    let inner = |inner: Box<GraphPattern>| Box::new(join_values(*inner, values.clone()));
    match pattern {
        GraphPattern::Project {
            inner: i,
            variables,
        } => GraphPattern::Project {
            inner: inner(i),
            variables,
        },
        GraphPattern::Distinct { inner: i } => GraphPattern::Distinct { inner: inner(i) },
        GraphPattern::Reduced { inner: i } => GraphPattern::Reduced { inner: inner(i) },
        GraphPattern::Slice {
            inner: i,
            start,
            length,
        } => GraphPattern::Slice {
            inner: inner(i),
            start,
            length,
        },
        GraphPattern::OrderBy {
            inner: i,
            expression,
        } => GraphPattern::OrderBy {
            inner: inner(i),
            expression,
        },
        GraphPattern::Group {
            inner: i,
            variables,
            aggregates,
        } => GraphPattern::Group {
            inner: inner(i),
            variables,
            aggregates,
        },
        // Into BIND, FILTER, the first operand of a join and the required side of
        // OPTIONAL too, so that expressions (a BIND opening the WHERE clause) see the
        // parameters as they would a substituted binding.
        GraphPattern::Extend {
            inner: i,
            variable,
            expression,
        } => GraphPattern::Extend {
            inner: inner(i),
            variable,
            expression,
        },
        GraphPattern::Filter { expr, inner: i } => GraphPattern::Filter {
            expr,
            inner: inner(i),
        },
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => GraphPattern::LeftJoin {
            left: inner(left),
            right,
            expression,
        },
        pattern => GraphPattern::Join {
            left: Box::new(values),
            right: Box::new(pattern),
        },
    }
}

/// The current time as an `xsd:dateTime` literal.
/// The triples as the store will give them back: Oxigraph keeps typed literals by value
/// (`"007"^^xsd:nonNegativeInteger` comes back as `"7"^^xsd:integer`), so an unchanged
/// source is only recognised once its triples have made the same trip.
fn as_stored(triples: Vec<Triple>) -> Result<Vec<Triple>> {
    let memory = |e: oxigraph::store::StorageError| Error::Store {
        path: PathBuf::from("(memory)"),
        message: e.to_string(),
    };
    let store = Store::new().map_err(memory)?;
    let mut loader = store.bulk_loader();
    loader
        .load_quads(
            triples
                .into_iter()
                .map(|t| t.in_graph(GraphName::DefaultGraph)),
        )
        .map_err(memory)?;
    loader.commit().map_err(memory)?;
    store
        .iter()
        .map(|q| q.map(Triple::from))
        .collect::<std::result::Result<_, _>>()
        .map_err(memory)
}

fn integer(n: usize) -> Term {
    Literal::new_typed_literal(n.to_string(), xsd::INTEGER).into()
}

fn now() -> Literal {
    Literal::new_typed_literal(DateTime::now().to_string(), xsd::DATE_TIME)
}

/// RocksDB's lock error is cryptic; say what it means.
/// Removes the files of bulk loads that never committed (the process died while it
/// sorted them): Oxigraph names them `bulk-<random>.sst` in the store's folder and removes
/// them once ingested, or when a load fails cleanly. With the store open, this process
/// holds RocksDB's lock, so no other load is writing them.
fn remove_unfinished_bulk_files(folder: &Path) {
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

fn explain_open_error(message: &str) -> String {
    if message.contains("lock") {
        format!("cannot open it: another labgraph process is using it ({message})")
    } else {
        format!("cannot open it: {message}")
    }
}

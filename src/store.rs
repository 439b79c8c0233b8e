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
use std::time::{SystemTime, UNIX_EPOCH};

use oxigraph::io::{RdfParser, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple,
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
use crate::vocab::{self, dct, local, prov, schema, void};

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
    /// The activity recorded in the imports graph.
    pub activity: NamedNode,
    /// Each graph written, with its triple count after the import.
    pub graphs: Vec<(NamedNode, usize)>,
}

impl GraphStore {
    /// Opens (or creates) the store folder; a store with no quads at all is filled with the
    /// bundled ontology and data first.
    pub fn open(settings: &Settings) -> Result<Self> {
        let store = Store::open(&settings.store_path).map_err(|e| Error::Store {
            path: settings.store_path.clone(),
            message: explain_open_error(&e.to_string()),
        })?;
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
            this.replace_graphs(parsed)?;
        }
        Ok(this)
    }

    /// The base IRI of this deployment.
    pub fn base(&self) -> &BaseIri {
        &self.base
    }

    /// Replaces every graph the sources write with their content, and records the import,
    /// in one transaction: on any error nothing is written.
    pub fn replace_graphs(&self, parsed: Vec<Parsed>) -> Result<ImportReport> {
        let started = now();
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        let mut counts = Vec::new();
        for source in &parsed {
            for graph in &source.graphs {
                transaction
                    .clear_graph(graph)
                    .map_err(|e| self.storage(e))?;
            }
        }
        for source in &parsed {
            transaction.extend(&source.quads);
            // One pass: the distinct quads of each graph (a file may repeat a statement).
            let mut distinct: HashMap<&NamedNode, HashSet<&Quad>> = HashMap::new();
            for quad in &source.quads {
                if let GraphName::NamedNode(g) = &quad.graph_name {
                    distinct.entry(g).or_default().insert(quad);
                }
            }
            for graph in &source.graphs {
                let n = distinct.get(graph).map_or(0, HashSet::len);
                counts.push((graph.clone(), n, source.source.name.clone()));
            }
        }
        let report = self.record(&mut transaction, &started, counts)?;
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(report)
    }

    /// Streams N-Triples files through Oxigraph's bulk loader into graphs that are empty:
    /// nothing is written unless every file parses (the loader commits only at the end).
    /// The triple count recorded is the number of statements read, so a statement the
    /// file repeats counts twice there (the store itself keeps it once).
    pub fn bulk_load(
        &self,
        sources: &[Source],
        on_progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<ImportReport> {
        let started = now();
        let started_at = std::time::Instant::now();
        for source in sources {
            if source.format != Rdf::NTriples || !self.graph_is_empty(&source.graph)? {
                return Err(Error::Usage(format!(
                    "the bulk path takes N-Triples into empty graphs only, and <{}> is not empty",
                    source.graph
                )));
            }
        }
        let mut loader = self.store.bulk_loader().on_progress(on_progress);
        let mut counts = Vec::new();
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
            // Counted while streaming: reading a million quads back after the commit
            // costs half as much as the load itself (every term is decoded).
            let mut read = 0;
            let quads = parser
                .rename_blank_nodes()
                .for_reader(BufReader::with_capacity(1 << 20, file))
                .inspect(|q| read += usize::from(q.is_ok()));
            loader
                .load_ok_quads::<_, LoaderError>(quads)
                .map_err(|e| match e {
                    LoaderError::Parsing(e) => import::syntax_error(&source.name, e),
                    other => self.storage(other),
                })?;
            counts.push((source.graph.clone(), read, source.name.clone()));
        }
        tracing::info!("bulk load: parsed and sorted in {:?}", started_at.elapsed());
        loader.commit().map_err(|e| self.storage(e))?;
        tracing::info!("bulk load: committed at {:?}", started_at.elapsed());
        let (activity, provenance) =
            self.provenance(&started, &counts, |_| Ok::<_, Error>(Vec::new()))?;
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        for (_, new) in provenance {
            transaction.extend(&new);
        }
        transaction.commit().map_err(|e| self.storage(e))?;
        tracing::info!(
            "bulk load: counted and recorded at {:?}",
            started_at.elapsed()
        );
        Ok(ImportReport {
            activity,
            graphs: counts.into_iter().map(|(g, n, _)| (g, n)).collect(),
        })
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
    pub fn prepare(&self, query: &str) -> Result<Prepared> {
        self.parser()?
            .parse_query(query)
            .map(Prepared)
            .map_err(|e| Error::Query {
                context: "the query does not parse".into(),
                message: e.to_string(),
            })
    }

    fn parser(&self) -> Result<SparqlParser> {
        Ok(self.parser.clone())
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
        tracing::debug!("evaluating {query}");
        let mut evaluator = SparqlEvaluator::new().without_default_http_service_handler();
        if let Some(token) = &controls.cancel {
            evaluator = evaluator.with_cancellation_token(token.clone());
        }
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
        let update = self
            .parser()?
            .parse_update(text)
            .map_err(|e| Error::Query {
                context: "the update does not parse".into(),
                message: e.to_string(),
            })?;
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
        // CLEAR or DROP of ALL or NAMED graphs would take the provenance graph with them.
        if update.operations.iter().any(|op| {
            matches!(
                op,
                GraphUpdateOperation::Clear { graph, .. } | GraphUpdateOperation::Drop { graph, .. }
                    if matches!(
                        graph,
                        spargebra::algebra::GraphTarget::AllGraphs
                            | spargebra::algebra::GraphTarget::NamedGraphs
                    )
            )
        }) {
            return Err(Error::Protected(format!(
                "{} (CLEAR and DROP of ALL or NAMED would erase it: name the graphs to clear)",
                self.imports_graph()
            )));
        }
        Ok(update)
    }

    /// Runs a SPARQL update and records it in the provenance graph, in one transaction.
    /// `dataset` is the protocol's `using-graph-uri` / `using-named-graph-uri`.
    pub fn update(
        &self,
        update: Update,
        dataset: Option<&DatasetSpec>,
        source: &str,
    ) -> Result<ImportReport> {
        let started = now();
        let named: BTreeSet<NamedNode> = written_graphs(&update).collect();
        let mut prepared = SparqlEvaluator::new()
            .without_default_http_service_handler()
            .for_update(update);
        if let Some(spec) = dataset {
            for using in prepared.using_datasets_mut() {
                using.set_default_graph(spec.default.iter().cloned().map(Into::into).collect());
                using.set_available_named_graphs(
                    spec.named.iter().cloned().map(Into::into).collect(),
                );
            }
        }
        let mut transaction = self
            .store
            .start_transaction()
            .map_err(|e| self.storage(e))?;
        prepared
            .on_transaction(&mut transaction)
            .execute()
            .map_err(|e| Error::Query {
                context: "the update failed".into(),
                message: e.to_string(),
            })?;
        let counts = named
            .into_iter()
            .map(|g| {
                let n = transaction
                    .quads_for_pattern(None, None, None, Some(g.as_ref().into()))
                    .count();
                (g, n, source.to_owned())
            })
            .collect::<Vec<_>>();
        let report = self.record(&mut transaction, &started, counts)?;
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(report)
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

    /// Writes one graph (the default graph or a named one) in any RDF format.
    pub fn write_graph(
        &self,
        graph: GraphNameRef<'_>,
        format: oxigraph::io::RdfFormat,
        writer: impl Write,
    ) -> Result<()> {
        self.store
            .dump_graph_to_writer(graph, prefixed(RdfSerializer::from_format(format)), writer)
            .map(drop)
            .map_err(|e| self.storage(e))
    }

    /// Writes the whole dataset in a quad format.
    pub fn write_dataset(&self, format: oxigraph::io::RdfFormat, writer: impl Write) -> Result<()> {
        self.store
            .dump_to_writer(prefixed(RdfSerializer::from_format(format)), writer)
            .map(drop)
            .map_err(|e| self.storage(e))
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
        self.record(&mut transaction, &started, counts)?;
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
                // The record says the graph is gone: 0 triples, generated by this activity.
                self.record(
                    &mut transaction,
                    &started,
                    vec![(g.into_owned(), 0, source.to_owned())],
                )?;
            }
            other => {
                transaction
                    .clear_graph(other)
                    .map_err(|e| self.storage(e))?;
                self.record(&mut transaction, &started, Vec::new())?;
            }
        }
        transaction.commit().map_err(|e| self.storage(e))?;
        Ok(true)
    }

    /// Adds the provenance of a write made in `transaction`.
    fn record(
        &self,
        transaction: &mut oxigraph::store::Transaction<'_>,
        started: &Literal,
        counts: Vec<(NamedNode, usize, String)>,
    ) -> Result<ImportReport> {
        let imports = self.imports_graph();
        let (activity, provenance) = self.provenance(started, &counts, |g| {
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
            activity,
            graphs: counts.into_iter().map(|(g, n, _)| (g, n)).collect(),
        })
    }

    /// Writes the whole store (a dataset format) or one graph (any format).
    pub fn export(&self, graph: Option<&NamedNode>, format: Rdf, writer: impl Write) -> Result<()> {
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
            if let GraphName::NamedNode(g) = &quad.graph_name {
                if skipped.contains(g) {
                    continue;
                }
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
        })
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
fn now() -> Literal {
    Literal::new_typed_literal(DateTime::now().to_string(), xsd::DATE_TIME)
}

/// RocksDB's lock error is cryptic; say what it means.
fn explain_open_error(message: &str) -> String {
    if message.contains("lock") {
        format!("cannot open it: another labgraph process is using it ({message})")
    } else {
        format!("cannot open it: {message}")
    }
}

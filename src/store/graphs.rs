//! The store's graphs: listing them with their counts and provenance, reading and
//! exporting them, and the Graph Store Protocol's writes of one graph.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

use oxigraph::io::RdfSerializer;
use oxigraph::model::{
    GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term, Triple,
};
use oxigraph::sparql::QueryResults;
use oxigraph::store::{SerializerError, Transaction};

use super::GraphStore;
use super::commit::{Change, How, Reach, Record};
use super::update::protected_graph;
use crate::error::{Error, Result};
use crate::format::Rdf;
use crate::vocab::{self, dct, prov};

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

impl GraphStore {
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
        // The whole dataset is the named graphs and the default graph, not their union.
        let quads = self
            .store
            .quads_for_pattern(None, None, None, graph)
            .filter(|q| {
                q.as_ref()
                    .map_or(true, |q| !super::union::is_union(&q.graph_name))
            });
        for (n, quad) in quads.enumerate() {
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
    /// graph, through the write path with the graph's provenance. Returns whether the
    /// graph was created.
    pub fn store_graph(
        &self,
        graph: GraphNameRef<'_>,
        triples: Vec<Triple>,
        replace: bool,
        source: &str,
    ) -> Result<bool> {
        if let GraphNameRef::NamedNode(g) = graph
            && self.is_reserved(&g.into_owned())
        {
            return Err(protected_graph(&g.into_owned()));
        }
        let created = !self.has_graph(graph)?;
        let how = How {
            check: true,
            ..How::default()
        };
        let write = |transaction: &mut Transaction<'_>| {
            if replace {
                transaction
                    .clear_graph(graph)
                    .map_err(|e| self.storage(e))?;
            }
            if let GraphNameRef::NamedNode(g) = graph {
                transaction.insert_named_graph(g);
            }
            transaction.extend(triples.iter().map(|t| t.as_ref().in_graph(graph)));
            Ok((Reach::graph(graph), ()))
        };
        let record = |transaction: &Transaction<'_>, _: &Change, ()| {
            Ok(Record {
                counts: match graph {
                    GraphNameRef::NamedNode(g) => {
                        let n = transaction
                            .quads_for_pattern(None, None, None, Some(graph))
                            .count();
                        vec![(g.into_owned(), n, source.to_owned())]
                    }
                    _ => Vec::new(),
                },
                versions: Vec::new(),
            })
        };
        self.commit(how, write, record)?;
        Ok(created)
    }

    /// The Graph Store Protocol's DELETE: drops a named graph (its record then says it
    /// has no triple) or empties the default graph. Returns false when the named graph
    /// does not exist.
    pub fn delete_graph(&self, graph: GraphNameRef<'_>, source: &str) -> Result<bool> {
        if !self.has_graph(graph)? {
            return Ok(false);
        }
        if let GraphNameRef::NamedNode(g) = graph
            && self.is_reserved(&g.into_owned())
        {
            return Err(protected_graph(&g.into_owned()));
        }
        let how = How {
            check: true,
            ..How::default()
        };
        let write = |transaction: &mut Transaction<'_>| {
            match graph {
                GraphNameRef::NamedNode(g) => transaction.remove_named_graph(g),
                other => transaction.clear_graph(other),
            }
            .map_err(|e| self.storage(e))?;
            Ok((Reach::graph(graph), ()))
        };
        let record = |_: &Transaction<'_>, _: &Change, ()| {
            Ok(Record {
                counts: match graph {
                    GraphNameRef::NamedNode(g) => vec![(g.into_owned(), 0, source.to_owned())],
                    _ => Vec::new(),
                },
                versions: Vec::new(),
            })
        };
        self.commit(how, write, record)?;
        Ok(true)
    }

    /// Writes the whole store (a dataset format) or one graph (any format).
    pub fn export(&self, graph: Option<&NamedNode>, format: Rdf, writer: impl Write) -> Result<()> {
        let serializer = prefixed(RdfSerializer::from_format(format.oxigraph()));
        let result = match graph {
            Some(graph) => {
                if self.graph_is_empty(graph)? && !self.has_named_graph(graph)? {
                    return Err(Error::Usage(format!("the store has no graph <{graph}>")));
                }
                self.store
                    .dump_graph_to_writer(graph, serializer, writer)
                    .map(drop)
            }
            None => {
                if !format.is_dataset() {
                    return Err(Error::Usage(
                        "the whole store is written in a dataset format (trig, nquads, jsonld) only".into(),
                    ));
                }
                // The named graphs and the default graph, not their union.
                let mut serializer = serializer.for_writer(writer);
                let mut result = Ok(());
                for quad in self.store.quads_for_pattern(None, None, None, None) {
                    let quad = quad.map_err(|e| self.storage(e))?;
                    if !super::union::is_union(&quad.graph_name)
                        && let Err(e) = serializer.serialize_quad(&quad)
                    {
                        result = Err(SerializerError::Io(e));
                        break;
                    }
                }
                result.and_then(|()| serializer.finish().map(drop).map_err(SerializerError::Io))
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

    /// Every quad of the store: its default graph, then each named graph (the union graph
    /// aside, and never decoded), the quads of a graph together. Each graph is read from
    /// its own snapshot: a reader that must see one state checks [`Self::generation`]
    /// before and after.
    pub fn dataset_quads(&self) -> Result<impl Iterator<Item = Result<Quad>> + '_> {
        let graphs = self.user_graphs()?;
        let default =
            self.store
                .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph));
        let named = graphs.into_iter().flat_map(move |g| {
            self.store
                .quads_for_pattern(None, None, None, Some(g.as_ref().into()))
        });
        Ok(default.chain(named).map(|q| q.map_err(|e| self.storage(e))))
    }

    /// When each named graph last changed (`xsd:dateTime` lexical forms), from the
    /// provenance graph. A graph no write of labgraph's made is not listed.
    pub fn graph_modified(&self) -> Result<BTreeMap<NamedNode, String>> {
        let query = self.prepare(include_str!("../../queries/internal/graph-modified.rq"))?;
        let bindings = vec![(
            oxigraph::sparql::Variable::new_unchecked("imports"),
            Term::from(self.imports_graph()),
        )];
        let QueryResults::Solutions(solutions) = self.evaluate(query, bindings)? else {
            unreachable!("a SELECT query gives solutions")
        };
        let mut modified = BTreeMap::new();
        for solution in solutions {
            let s = solution.map_err(|e| self.storage(e))?;
            if let (Some(Term::NamedNode(g)), Some(Term::Literal(t))) =
                (s.get("g"), s.get("modified"))
            {
                modified.insert(g.clone(), t.value().to_owned());
            }
        }
        Ok(modified)
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
            .user_graphs()?
            .into_iter()
            .map(|graph| {
                let graph = NamedOrBlankNode::from(graph);
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
        const COUNTS: &str = include_str!("../../queries/internal/graph-counts.rq");
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

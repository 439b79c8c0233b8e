//! Reading sources: which files, in which format, into which named graph, and parsing them
//! into quads with errors that name the file, line and column.
//!
//! Parsing is done before the store is touched, so a malformed file never starts a write.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use oxigraph::io::RdfParser;
use oxigraph::model::GraphName;

use crate::error::{Error, Result};
use crate::format::Rdf;
use crate::iri::BaseIri;
use crate::source::{Format, Input, Parsed, Source, syntax_error, with_rdfxml_position};
use crate::store::GraphStore;

pub mod actions;
pub mod formats;
pub mod gate;
pub mod positions;
pub mod preview;
pub mod reconcile;
pub mod record;

/// Opens the store folder with the SHACL gate on its write path, and fills it with the
/// bundled data if it holds nothing.
pub fn open(path: &Path, base: BaseIri) -> Result<GraphStore> {
    prepare(GraphStore::open(path, base)?)
}

/// A store in memory with the gate, filled with the bundled data (tests, benchmarks).
pub fn in_memory(base: BaseIri) -> Result<GraphStore> {
    prepare(GraphStore::in_memory(base)?)
}

/// Puts the gate on a store's write path, fills it if it is empty, and attaches its text
/// index (rebuilt if it does not reflect the store).
pub fn prepare(store: GraphStore) -> Result<GraphStore> {
    store.add_check(std::sync::Arc::new(gate::Gate));
    seed_if_empty(&store)?;
    crate::search::TextIndex::attach(&store)?;
    Ok(store)
}

/// Fills a store that holds no quad at all with the bundled ontology and data.
pub fn seed_if_empty(store: &GraphStore) -> Result<()> {
    if !store.is_empty()? {
        return Ok(());
    }
    let parsed = parse_all(bundled(store.base())?, store.base())?;
    tracing::info!("empty store: loading the {} bundled graphs", parsed.len());
    // The bundled data is checked against the shapes by the test suite
    // (tests/content.rs), not at each start: its versions say "not validated".
    store.bulk_seed(&parsed)
}

/// Turns command-line file arguments into sources, checking formats and graph names.
pub fn plan(
    files: &[PathBuf],
    format: Option<Format>,
    graph: Option<&str>,
    base: &BaseIri,
) -> Result<Vec<Source>> {
    if graph.is_some() && files.len() > 1 {
        return Err(Error::Usage(
            "--graph names one graph, so it takes a single file; import the others without it"
                .into(),
        ));
    }
    let explicit_graph = graph.map(|g| base.resolve(g)).transpose()?;
    let mut seen = BTreeSet::new();
    files
        .iter()
        .map(|path| {
            let (input, name, format) = if path == Path::new("-") {
                let format = format.ok_or_else(|| Error::Usage("reading standard input ('-') needs --format".into()))?;
                (Input::Stdin, "standard input".to_owned(), format)
            } else {
                (Input::Path(path.clone()), path.display().to_string(), formats::of(path, format)?)
            };
            let graph = match &explicit_graph {
                Some(g) => g.clone(),
                None => {
                    let stem = match &input {
                        Input::Path(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
                        _ => {
                            return Err(Error::Usage(
                                "standard input has no file name to name its graph after; use --graph".into(),
                            ));
                        }
                    };
                    base.graph_for_stem(&stem)?
                }
            };
            if !seen.insert(graph.clone()) {
                return Err(Error::Usage(format!(
                    "two files would go to the same graph <{graph}>; rename one or import it separately with --graph"
                )));
            }
            Ok(Source { name, input, format, graph })
        })
        .collect()
}

/// The source of a file sent to the server's import page: its format and graph are found
/// from its file name, as for a file on the command line (`graph` overrides the graph).
pub fn uploaded(
    file_name: &str,
    bytes: std::sync::Arc<Vec<u8>>,
    graph: Option<&str>,
    base: &BaseIri,
) -> Result<Source> {
    let path = Path::new(file_name);
    let format = formats::of(path, None)?;
    let graph = match graph {
        Some(g) => base.resolve(g)?,
        None => base.graph_for_stem(&path.file_stem().unwrap_or_default().to_string_lossy())?,
    };
    Ok(Source {
        name: file_name.to_owned(),
        input: Input::Uploaded(bytes),
        format,
        graph,
    })
}

/// The sources of a fresh store: the bundled ontology and data files.
pub fn bundled(base: &BaseIri) -> Result<Vec<Source>> {
    crate::bundled::graphs()
        .map(|(path, text)| {
            let stem = Path::new(path)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy();
            Ok(Source {
                name: path.to_owned(),
                input: Input::Bundled(text),
                format: Format::Rdf(Rdf::Turtle),
                graph: base.graph_for_stem(&stem)?,
            })
        })
        .collect()
}

/// Reads and parses sources, stopping at the first error.
pub fn parse_all(sources: Vec<Source>, base: &BaseIri) -> Result<Vec<Parsed>> {
    sources.into_iter().map(|s| parse(s, base)).collect()
}

/// Reads and parses a source. Relative IRIs resolve against the base IRI; triples of the
/// default graph go to the source's graph.
pub fn parse(source: Source, base: &BaseIri) -> Result<Parsed> {
    let bytes = read(&source)?;
    let sha256 = crate::source::sha256(&bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Syntax {
            source_name: source.name.clone(),
            position: None,
            message: "the file is empty: there is nothing to import".into(),
        });
    }
    // A converted format becomes JSON-LD with the project's context, once its keys and
    // values are checked; so does JSON that is a record (no `@context` of its own).
    let converter = match source.format {
        Format::Converted(converter) => Some(converter),
        Format::Rdf(Rdf::JsonLd) if record::is_record(&String::from_utf8_lossy(&bytes)) => {
            formats::CONVERTERS.iter().find(|c| c.name == "record")
        }
        Format::Rdf(_) => None,
    };
    let record = converter.is_some();
    // Where the source states things, for the gate's messages: read from the record
    // itself, or from the Turtle text.
    let positions = match (
        converter.map(|c| c.name),
        source.format.syntax(),
        &source.input,
    ) {
        (_, _, Input::Bundled(_)) => Default::default(),
        (Some("record"), _, _) => positions::record(&bytes, base),
        (None, Rdf::Turtle | Rdf::Trig, _) => positions::turtle(&bytes, base),
        _ => Default::default(),
    };
    let bytes = match converter {
        Some(converter) => (converter.to_jsonld)(&bytes, &source.name)?,
        None => bytes,
    };
    let syntax = source.format.syntax();
    crate::bounds::scan_rdf(&bytes, syntax.oxigraph(), &source.name)?;
    let parser = RdfParser::from_format(syntax.oxigraph())
        .with_base_iri(base.as_str())
        .map_err(|e| Error::Iri {
            iri: base.as_str().to_owned(),
            message: e.to_string(),
        })?
        .with_default_graph(source.graph.clone());
    let mut quads = Vec::new();
    let mut graphs = BTreeSet::from([source.graph.clone()]);
    for quad in parser.for_slice(&bytes) {
        let quad = quad.map_err(|e| {
            match with_rdfxml_position(
                syntax_error(&source.name, e.into()),
                &bytes,
                syntax.oxigraph(),
            ) {
                // Positions in the JSON-LD made from a record are not the record's.
                Error::Syntax {
                    source_name,
                    message,
                    ..
                } if record => Error::Syntax {
                    source_name,
                    position: None,
                    message,
                },
                other => other,
            }
        })?;
        match &quad.graph_name {
            GraphName::NamedNode(g) => {
                graphs.insert(g.clone());
            }
            GraphName::BlankNode(_) => {
                return Err(Error::Syntax {
                    source_name: source.name.clone(),
                    position: None,
                    message: "a graph named by a blank node cannot be replaced on re-import; name it with an IRI".into(),
                });
            }
            GraphName::DefaultGraph => {}
        }
        quads.push(quad);
    }
    Ok(Parsed {
        sha256,
        source,
        quads,
        graphs,
        positions,
    })
}

/// The largest file read into memory (parsed in full, validated, versioned): larger
/// dumps stream through the bulk loader.
pub const MAX_IN_MEMORY_BYTES: u64 = 256 << 20;

fn read(source: &Source) -> Result<Vec<u8>> {
    match &source.input {
        Input::Path(path) => {
            let io = |e| Error::Io {
                path: path.clone(),
                source: e,
            };
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > MAX_IN_MEMORY_BYTES {
                return Err(too_large(&path.display().to_string(), Some(size)));
            }
            // A device or a pipe (`/dev/zero`, `<(…)`) says it is empty: read one byte
            // past the bound.
            let mut bytes = Vec::new();
            std::fs::File::open(path)
                .map_err(io)?
                .take(MAX_IN_MEMORY_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(io)?;
            if bytes.len() as u64 > MAX_IN_MEMORY_BYTES {
                return Err(too_large(&path.display().to_string(), None));
            }
            Ok(bytes)
        }
        Input::Stdin => {
            // Standard input has no size to look at first: read one byte past the bound.
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_IN_MEMORY_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::Io {
                    path: PathBuf::from("-"),
                    source: e,
                })?;
            if bytes.len() as u64 > MAX_IN_MEMORY_BYTES {
                return Err(too_large("standard input", None));
            }
            Ok(bytes)
        }
        Input::Bundled(text) => Ok(text.as_bytes().to_vec()),
        Input::Uploaded(bytes) => {
            if bytes.len() as u64 > MAX_IN_MEMORY_BYTES {
                return Err(too_large(&source.name, Some(bytes.len() as u64)));
            }
            Ok(bytes.as_ref().clone())
        }
    }
}

fn too_large(name: &str, size: Option<u64>) -> Error {
    Error::Usage(format!(
        "{name}: {} too large to be checked and versioned in memory (at most {} MiB): \
         split it, or import it as an N-Triples file with --no-validate, which streams it \
         through the bulk loader into an empty graph / fichier trop gros pour la \
         validation en mémoire",
        size.map_or("more than that is".to_owned(), |s| format!(
            "{:.1} GB is",
            s as f64 / 1e9
        )),
        MAX_IN_MEMORY_BYTES >> 20
    ))
}

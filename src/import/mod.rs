//! Reading sources: which files, in which format, into which named graph, and parsing them
//! into quads with errors that name the file, line and column.
//!
//! Parsing is done before the store is touched, so a malformed file never starts a write.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use oxigraph::io::{RdfParseError, RdfParser};
use oxigraph::model::{GraphName, NamedNode, Quad};

use crate::config::BaseIri;
use crate::error::{Error, Result};
use crate::format::{self, Rdf};

pub mod actions;
pub mod reconcile;
pub mod record;

/// Where a source's bytes come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A file embedded in the binary (the bundled ontology and data).
    Bundled(&'static str),
}

/// A source to read: its name for messages, format and target graph.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in messages and recorded as `dct:source`.
    pub name: String,
    pub input: Input,
    pub format: Rdf,
    /// The graph that receives the source's default-graph triples.
    pub graph: NamedNode,
}

/// A parsed source: its quads, and every named graph it writes.
#[derive(Debug)]
pub struct Parsed {
    pub source: Source,
    pub quads: Vec<Quad>,
    pub graphs: BTreeSet<NamedNode>,
    /// SHA-256 of the source's bytes, in hexadecimal.
    pub sha256: String,
}

/// The sources named on the command line of `import` or `validate`.
pub fn plan_args(args: &crate::cli::SourceArgs, base: &BaseIri) -> Result<Vec<Source>> {
    plan(&args.files, args.format, args.graph.as_deref(), base)
}

/// Turns command-line file arguments into sources, checking formats and graph names.
pub fn plan(
    files: &[PathBuf],
    format: Option<Rdf>,
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
                (Input::Path(path.clone()), path.display().to_string(), format::rdf_for(path, format)?)
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
                format: Rdf::Turtle,
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
    let sha256 = crate::versions::sha256(&bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Syntax {
            source_name: source.name.clone(),
            position: None,
            message: "the file is empty: there is nothing to import".into(),
        });
    }
    // A record (YAML, or JSON without its own @context) becomes JSON-LD with the project's
    // context, once its keys and values are checked.
    let record = match source.format {
        Rdf::Record | Rdf::ActionsCsv => true,
        Rdf::JsonLd => record::is_record(&String::from_utf8_lossy(&bytes)),
        _ => false,
    };
    // A spreadsheet of actions becomes a record first.
    let bytes = if source.format == Rdf::ActionsCsv {
        actions::to_record(&bytes, &source.name)?
    } else {
        bytes
    };
    let bytes = if record {
        record::to_jsonld(&bytes, &source.name)?
    } else {
        bytes
    };
    crate::bounds::scan_rdf(&bytes, source.format.oxigraph(), &source.name)?;
    let parser = RdfParser::from_format(source.format.oxigraph())
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
                source.format.oxigraph(),
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

/// Turns a parser error into one naming the source and the 1-based line and column.
pub fn syntax_error(source_name: &str, error: RdfParseError) -> Error {
    match error {
        RdfParseError::Syntax(e) => Error::Syntax {
            source_name: source_name.to_owned(),
            position: e.location().map(|l| (l.start.line + 1, l.start.column + 1)),
            message: without_position(&e.to_string()).to_owned(),
        },
        RdfParseError::Io(e) => Error::Io {
            path: PathBuf::from(source_name),
            source: e,
        },
    }
}

/// Gives an RDF/XML syntax error the line and column Oxigraph's generic parser leaves
/// out: the document is parsed again with oxrdfxml's own parser, up to the error, and
/// the byte where the XML reader stopped is turned into a line and column.
pub fn with_rdfxml_position(error: Error, bytes: &[u8], format: oxigraph::io::RdfFormat) -> Error {
    match error {
        Error::Syntax {
            source_name,
            position: None,
            message,
        } if format == oxigraph::io::RdfFormat::RdfXml => {
            let mut parser = oxrdfxml::RdfXmlParser::new().for_slice(bytes);
            let mut position = None;
            while let Some(result) = parser.next() {
                if result.is_err() {
                    position = Some(line_and_column(bytes, parser.buffer_position() as usize));
                    break;
                }
            }
            Error::Syntax {
                source_name,
                position,
                message,
            }
        }
        other => other,
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_and_column(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

/// Oxttl's messages start with "Parser error at line L column C: "; the position is
/// already in our own prefix, so keep only what follows.
fn without_position(message: &str) -> &str {
    match message.strip_prefix("Parser error at ") {
        Some(rest) => rest.split_once(": ").map_or(message, |(_, m)| m),
        None => message,
    }
}

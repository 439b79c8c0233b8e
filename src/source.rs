//! Sources of RDF, below the store and the import pipeline, which both use them: where a
//! source's bytes come from, its format and target graph, the parsed quads, syntax errors
//! that name the file, line and column, and the hashing reader that counts a bulk load's
//! progress.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use oxigraph::io::RdfParseError;
use oxigraph::model::{NamedNode, Quad};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::format::Rdf;

/// Where a source's bytes come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A file embedded in the binary (the bundled ontology and data).
    Bundled(&'static str),
    /// A file sent to the server's import page.
    Uploaded(std::sync::Arc<Vec<u8>>),
}

/// A source to read: its name for messages, format and target graph.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in messages and recorded as `dct:source`.
    pub name: String,
    pub input: Input,
    pub format: Format,
    /// The graph that receives the source's default-graph triples.
    pub graph: NamedNode,
}

/// A parsed source: its quads, and every named graph it writes.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub source: Source,
    pub quads: Vec<Quad>,
    pub graphs: BTreeSet<NamedNode>,
    /// SHA-256 of the source's bytes, in hexadecimal.
    pub sha256: String,
    /// Where the source states things: see [`Positions`].
    pub positions: Positions,
}

/// Where a source states things, for messages: by (subject IRI, property IRI) the line
/// and column (from 1) of the key in a record or of the predicate in a Turtle statement;
/// by (subject IRI, "") those of the resource's `id` or of its statement's subject.
pub type Positions = std::collections::HashMap<(String, String), (u64, u64)>;

/// How far a bulk load has gone, over all its sources: read by a progress bar while the
/// load runs.
#[derive(Debug, Default)]
pub struct BulkProgress {
    pub bytes: AtomicU64,
    pub triples: AtomicU64,
}

/// SHA-256 of bytes, in lowercase hexadecimal (the source files' hash).
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads through to an inner reader, hashing the bytes with SHA-256 on the way (a
/// source streamed to the bulk loader is read once).
pub struct HashingReader<R> {
    inner: R,
    digest: Digest256,
    /// Where the bytes read are counted (progress of a bulk load).
    progress: std::sync::Arc<BulkProgress>,
}

/// The SHA-256 of what a [`HashingReader`] has read so far; shared with the reader.
#[derive(Clone, Default)]
pub struct Digest256(std::sync::Arc<std::sync::Mutex<Sha256>>);

impl Digest256 {
    /// The hash of the bytes read so far, in lowercase hexadecimal.
    pub fn hex(&self) -> String {
        let hasher = self.0.lock().map(|h| h.clone()).unwrap_or_default();
        hex(&hasher.finalize())
    }
}

impl<R> HashingReader<R> {
    /// Reads `inner`, counting the bytes read in `progress`.
    pub fn new(inner: R, progress: std::sync::Arc<BulkProgress>) -> Self {
        Self {
            inner,
            digest: Digest256::default(),
            progress,
        }
    }

    pub fn digest(&self) -> Digest256 {
        self.digest.clone()
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut hasher) = self.digest.0.lock() {
            hasher.update(&buf[..n]);
        }
        self.progress
            .bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
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

/// How a source's bytes become RDF: read in an RDF syntax, or converted to JSON-LD first
/// by a converter of the import pipeline's table (records, spreadsheets…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rdf(Rdf),
    Converted(&'static Converter),
}

impl Format {
    /// The RDF syntax the parser reads (JSON-LD for what a converter writes).
    pub fn syntax(self) -> Rdf {
        match self {
            Format::Rdf(rdf) => rdf,
            Format::Converted(_) => Rdf::JsonLd,
        }
    }
}

/// A converter of the import pipeline: a source format that is not RDF, turned into
/// JSON-LD with the project's context before it is parsed.
pub struct Converter {
    /// Its name for `--format`, and other names it answers to.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The file extensions it reads (lowercase, without the dot).
    pub extensions: &'static [&'static str],
    /// One line for `--help`.
    pub help: &'static str,
    /// The conversion; `source_name` names the source in messages.
    pub to_jsonld: fn(bytes: &[u8], source_name: &str) -> Result<Vec<u8>, Error>,
}

impl PartialEq for Converter {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Converter {}

impl std::fmt::Debug for Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

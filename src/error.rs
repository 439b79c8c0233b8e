//! The library error type. Every message names the offending input — file, line, column,
//! IRI or flag — in one sentence, so the command line can print it as it is.

use std::path::PathBuf;

/// Where an input came from, as shown in messages: a path, or standard input.
pub type SourceName = String;

/// Errors of the labgraph library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad usage that the argument parser could not see (exit code 2).
    #[error("{0}")]
    Usage(String),

    /// A syntax error in an RDF source, with its position when the parser knows it.
    #[error("{source_name}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Syntax {
        source_name: SourceName,
        /// 1-based line and column.
        position: Option<(u64, u64)>,
        message: String,
    },

    /// Input beyond one of labgraph's bounds (nesting depth, size, entity declarations),
    /// refused before it is parsed; see `bounds`.
    #[error("{source_name}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Limit {
        source_name: SourceName,
        /// 1-based line and column.
        position: Option<(u64, u64)>,
        message: String,
    },

    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A malformed IRI given by the user.
    #[error("'{iri}' is not a valid IRI: {message}")]
    Iri { iri: String, message: String },

    /// A SPARQL query that does not parse, or fails while it runs.
    #[error("{context}: {message}")]
    Query { context: String, message: String },

    /// A named query that does not exist.
    #[error("no named query '{name}'; the named queries are: {available}")]
    UnknownQuery { name: String, available: String },

    /// A parameter value that does not fit its declared type.
    #[error("parameter '{name}' of query '{query}': {message}")]
    Parameter {
        query: String,
        name: String,
        message: String,
    },

    /// A query cancelled before it finished (its time budget ran out).
    #[error("the query was cancelled: it ran out of its time budget")]
    Cancelled,

    /// A panic caught in the query evaluator: a fault of labgraph or of Oxigraph, never of
    /// the request.
    #[error("the query evaluator failed: {0}")]
    Panicked(String),

    /// A result larger than the configured cap.
    #[error(
        "the result has more than {limit} rows; add a LIMIT (pages with OFFSET) or ask for less"
    )]
    TooLarge { limit: usize },

    /// A write aimed at a graph labgraph manages itself (the provenance graph).
    #[error("{0} is managed by labgraph (import provenance) and cannot be written directly")]
    Protected(String),

    /// An operation the state of the store does not allow (a rollback with no earlier
    /// version to go back to).
    #[error("refusé / refused: {0}")]
    Refused(String),

    /// Data refused by the SHACL shapes (the report is printed before).
    #[error(
        "refusé : {violations} violation(s) des formes SHACL (rapport ci-dessus) ; rien n'a été écrit / refused: {violations} violation(s) of the SHACL shapes (report above); nothing was written"
    )]
    Invalid { violations: usize },

    /// A write over HTTP refused by the SHACL shapes, with the report.
    #[error(
        "refusé : {violations} violation(s) des formes SHACL ; rien n'a été écrit / refused: {violations} violation(s) of the SHACL shapes; nothing was written\n{report}"
    )]
    Rejected { violations: usize, report: String },

    /// The SHACL engine could not read the shapes or run.
    #[error("SHACL validation could not run: {0}")]
    Shacl(String),

    /// A page or a serialisation could not be written.
    #[error("the page could not be rendered: {0}")]
    Render(String),

    /// The store failed (RocksDB, corruption, lock held by another process…).
    #[error("store {}: {message}", path.display())]
    Store { path: PathBuf, message: String },
}

impl Error {
    /// Whether the error is a closed standard output (`labgraph export | head`): the
    /// reader has what it wanted, so the command ends quietly, as Unix tools do.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The process exit code this error maps to: 2 for bad usage, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::UnknownQuery { .. }
            | Error::Parameter { .. }
            | Error::Iri { .. } => 2,
            _ => 1,
        }
    }
}

/// Shorthand for results of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

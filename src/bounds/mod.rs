//! Bounds on what labgraph parses and evaluates, so that no input — a query sent by
//! anyone, an upload, a file given to `import` — can overflow a thread's stack or make
//! memory grow without bound.
//!
//! Parsers and evaluators recurse: spargebra's parser once per bracket, Oxigraph's
//! optimiser and evaluator once per level of the algebra, and dropping a parsed tree once
//! per level of it. A thread's stack holds a few thousand such levels; a 2 KB query can
//! ask for more. So:
//! - every text is scanned before it is parsed, without recursion: brackets nest at most
//!   [`MAX_NESTING`] deep (SPARQL, Turtle, TriG, JSON-LD), elements at most
//!   [`MAX_XML_DEPTH`] (RDF/XML), and XML entity declarations (the "billion laughs") are
//!   refused;
//! - a SPARQL text holds at most [`MAX_OPERATORS`] operators and keywords that add a level
//!   to the parsed tree (`+`, `||`, `UNION`, `OPTIONAL`, `/`…), which bounds the depth
//!   of what the parser builds;
//! - once parsed, the algebra of a query or update may be at most [`MAX_ALGEBRA_DEPTH`]
//!   levels deep, counting each triple pattern of a basic graph pattern as a level (the
//!   optimiser joins them one by one);
//! - parsing and evaluation run on threads with a stack of [`STACK_SIZE`] bytes
//!   ([`on_large_stack`]), where the deepest tree these bounds allow fits many times over.
//!
//! Every refusal names the bound, and where the text breaks it (line and column).

use std::cell::Cell;

use crate::error::{Error, Result};

mod algebra;
mod scan;

pub use algebra::{check_query, check_update};
use scan::Scanner;

/// Deepest nesting of brackets (`{`, `(`, `[`, `<<`) in SPARQL, Turtle, TriG and JSON.
pub const MAX_NESTING: usize = 64;
/// Deepest nesting of XML elements in RDF/XML (each level of RDF nests two elements).
pub const MAX_XML_DEPTH: usize = 128;
/// Most operators and keywords that deepen a parsed SPARQL tree, in one text.
pub const MAX_OPERATORS: usize = 8_192;
/// Deepest algebra (patterns, expressions, property paths) a query or update may have.
pub const MAX_ALGEBRA_DEPTH: usize = 512;
/// Most patterns one group may join (triple patterns, `OPTIONAL`, `MINUS`, nested
/// groups): Oxigraph's optimiser orders a group's joins in time that grows with about the
/// fourth power of their number, before the query can be cancelled (100 triple patterns
/// took 1 s, 200 took 13 s, 450 several minutes).
pub const MAX_GROUP_PATTERNS: usize = 64;
/// Most calls of `REPLACE`, `REGEX` and `SUBSTR` nested in one another: their last
/// argument is optional, and spargebra's parser tries both forms at each level, so its
/// time doubles with each (16 levels took 0.3 s, 22 levels 20 s). The named query
/// `search` nests ten.
pub const MAX_OPTIONAL_ARGUMENT_CALLS: usize = 12;
/// The stack of the threads that parse and evaluate queries: 64 MiB of address space,
/// of which only what a query really uses is ever touched.
pub const STACK_SIZE: usize = 64 << 20;

thread_local! {
    /// Whether this thread was started with a stack of [`STACK_SIZE`].
    static LARGE_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as started with a stack of [`STACK_SIZE`] bytes (a
/// connection thread, a worker of the server's blocking pool).
pub fn mark_large_stack() {
    LARGE_STACK.with(|large| large.set(true));
}

/// Runs `work` on a thread whose stack is [`STACK_SIZE`]: the current one when it is
/// such a thread, else a new scoped thread.
pub fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if LARGE_STACK.with(Cell::get) {
        return work();
    }
    std::thread::scope(|scope| {
        spawn_large(scope, work)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Starts `work` on a new scoped thread whose stack is [`STACK_SIZE`], marked as such:
/// what it runs needs no further thread to parse or evaluate a query.
pub fn spawn_large<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    std::thread::Builder::new()
        .name("labgraph-eval".into())
        .stack_size(STACK_SIZE)
        .spawn_scoped(scope, || {
            mark_large_stack();
            work()
        })
        .expect("a thread can be started")
}

/// The syntaxes a text is scanned as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// SPARQL queries and updates.
    Sparql,
    /// Turtle, TriG, N-Triples, N-Quads (and their RDF 1.2 forms).
    Turtle,
    /// JSON and JSON-LD.
    Json,
    /// RDF/XML.
    Xml,
}

/// A bound broken at a place in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// 1-based line and column (in characters).
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl Breach {
    /// The breach as an error about `source_name`.
    pub fn into_error(self, source_name: &str) -> Error {
        Error::Limit {
            source_name: source_name.to_owned(),
            position: Some((self.line, self.column)),
            message: self.message,
        }
    }
}

/// Scans a text for the bounds of its syntax, before any parser sees it.
pub fn scan(text: &[u8], syntax: Syntax) -> Result<(), Breach> {
    let mut scanner = Scanner::new(text);
    match syntax {
        Syntax::Sparql => scanner.brackets(true),
        Syntax::Turtle => scanner.brackets(false),
        Syntax::Json => scanner.json(),
        Syntax::Xml => scanner.xml(),
    }
}

/// Scans an RDF document before it is parsed; the error names `source_name` with the
/// line and column where a bound is broken.
pub fn scan_rdf(text: &[u8], format: oxigraph::io::RdfFormat, source_name: &str) -> Result<()> {
    use oxigraph::io::RdfFormat;
    let syntax = match format {
        RdfFormat::JsonLd { .. } => Syntax::Json,
        RdfFormat::RdfXml => Syntax::Xml,
        _ => Syntax::Turtle,
    };
    scan(text, syntax).map_err(|breach| breach.into_error(source_name))
}

/// Scans, parses-side bounds aside, a SPARQL text; the error names the text as `what`
/// ("the query", "the update").
pub fn scan_sparql(text: &str, what: &str) -> Result<()> {
    scan(text.as_bytes(), Syntax::Sparql).map_err(|breach| Error::Query {
        context: format!("{what} is refused"),
        message: format!(
            "line {}, column {}: {}",
            breach.line, breach.column, breach.message
        ),
    })
}

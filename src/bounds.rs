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

use spargebra::algebra::{Expression, GraphPattern, OrderExpression, PropertyPathExpression};
use spargebra::{GraphUpdateOperation, Query, Update};

use crate::error::{Error, Result};

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
        std::thread::Builder::new()
            .name("labgraph-eval".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || {
                mark_large_stack();
                work()
            })
            .expect("a thread can be started")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
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

const ENTITY_REFUSED: &str = "XML entity declarations are refused (they can expand without bound, the \"billion laughs\"); write the IRIs in full";

/// A byte-level scanner that tracks lines and columns.
struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
    line_start: usize,
    depth: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            at: 0,
            line: 1,
            line_start: 0,
            depth: 0,
        }
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.text.get(self.at + offset).copied()
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.text[self.at..].starts_with(prefix)
    }

    fn starts_with_ignore_case(&self, word: &[u8]) -> bool {
        self.text.len() >= self.at + word.len()
            && self.text[self.at..self.at + word.len()].eq_ignore_ascii_case(word)
    }

    /// Moves one byte on, counting lines.
    fn bump(&mut self) {
        if self.text[self.at] == b'\n' {
            self.line += 1;
            self.line_start = self.at + 1;
        }
        self.at += 1;
    }

    fn advance(&mut self, n: usize) {
        for _ in 0..n {
            if self.at < self.text.len() {
                self.bump();
            }
        }
    }

    fn breach(&self, message: String) -> Breach {
        let column = String::from_utf8_lossy(&self.text[self.line_start..self.at])
            .chars()
            .count() as u64
            + 1;
        Breach {
            line: self.line,
            column,
            message,
        }
    }

    fn open(&mut self, max: usize, what: &str) -> Result<(), Breach> {
        self.depth += 1;
        if self.depth > max {
            return Err(self.breach(format!(
                "{what} nest more than {max} levels deep (limit of labgraph); flatten the text"
            )));
        }
        Ok(())
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skips a quoted string starting at the current quote (`'`, `"`, or their tripled
    /// long forms), with backslash escapes.
    fn skip_string(&mut self) {
        let quote = self.text[self.at];
        let long = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.advance(if long { 3 } else { 1 });
        while self.at < self.text.len() {
            let byte = self.text[self.at];
            if byte == b'\\' {
                self.advance(2);
            } else if byte == quote {
                if !long {
                    self.bump();
                    return;
                }
                if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                    self.advance(3);
                    return;
                }
                self.bump();
            } else if byte == b'\n' && !long {
                // An unterminated short string: the parser will say so.
                return;
            } else {
                self.bump();
            }
        }
    }

    /// Skips a comment up to the end of its line.
    fn skip_comment(&mut self) {
        while self.at < self.text.len() && self.text[self.at] != b'\n' {
            self.bump();
        }
    }

    /// The length of the IRI reference (`<…>`: no spaces, quotes or braces) that may
    /// start here, up to its `>`; `None` if none can. SPARQL's grammar reads `<` as an
    /// IRI or as "less than" by context, which a scanner cannot see: the brackets inside
    /// are counted either way.
    fn iri_length(&self) -> Option<usize> {
        let rest = &self.text[self.at + 1..];
        for (i, &byte) in rest.iter().enumerate() {
            match byte {
                b'>' => return Some(i + 2),
                b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\' | 0..=b' ' => return None,
                _ => {}
            }
        }
        None
    }

    /// SPARQL and the Turtle family: brackets outside strings and comments; for SPARQL,
    /// also the operators that deepen the parsed tree, and the calls whose parse time
    /// doubles with each level.
    fn brackets(&mut self, sparql: bool) -> Result<(), Breach> {
        const KEYWORDS: [&[u8]; 9] = [
            b"UNION",
            b"OPTIONAL",
            b"MINUS",
            b"FILTER",
            b"BIND",
            b"GRAPH",
            b"SERVICE",
            b"VALUES",
            b"IN",
        ];
        const OPTIONAL_ARGUMENT_CALLS: [&[u8]; 3] = [b"REPLACE", b"REGEX", b"SUBSTR"];
        let mut operators = 0usize;
        // The open brackets, each marked when it opens the arguments of a call whose
        // last argument is optional; how many such are open; and whether the last token
        // (comments and spaces aside) names such a call.
        let mut open: Vec<bool> = Vec::new();
        let mut optional_calls = 0usize;
        let mut pending_call = false;
        while self.at < self.text.len() {
            let byte = self.text[self.at];
            if byte.is_ascii_whitespace() {
                self.bump();
                continue;
            }
            if byte == b'#' {
                self.skip_comment();
                continue;
            }
            let call = std::mem::take(&mut pending_call);
            let mut deepens = false;
            match byte {
                b'"' | b'\'' => {
                    self.skip_string();
                    continue;
                }
                b'<' if self.peek(1) == Some(b'<') => {
                    self.open(MAX_NESTING, "brackets")?;
                    open.push(false);
                    self.advance(2);
                    continue;
                }
                b'>' if self.peek(1) == Some(b'>') => {
                    self.close();
                    open.pop();
                    self.advance(2);
                    continue;
                }
                b'<' => match self.iri_length() {
                    Some(length) => {
                        let end = self.at + length;
                        while self.at < end {
                            match self.text[self.at] {
                                b'(' | b'[' => {
                                    self.open(MAX_NESTING, "brackets")?;
                                    open.push(false);
                                }
                                b')' | b']' => {
                                    self.close();
                                    if open.pop() == Some(true) {
                                        optional_calls -= 1;
                                    }
                                }
                                _ => {}
                            }
                            self.bump();
                        }
                        continue;
                    }
                    None => deepens = true,
                },
                b'(' | b'{' | b'[' => {
                    self.open(MAX_NESTING, "brackets")?;
                    let call = sparql && byte == b'(' && call;
                    if call {
                        optional_calls += 1;
                        if optional_calls > MAX_OPTIONAL_ARGUMENT_CALLS {
                            return Err(self.breach(format!(
                                "calls of REPLACE, REGEX and SUBSTR nest more than {MAX_OPTIONAL_ARGUMENT_CALLS} levels deep (limit of labgraph: each level doubles the time to parse); compute the value in steps with BIND"
                            )));
                        }
                    }
                    open.push(call);
                    deepens = byte == b'{';
                }
                b'}' | b')' | b']' => {
                    self.close();
                    if open.pop() == Some(true) {
                        optional_calls -= 1;
                    }
                }
                b'+' | b'*' | b'/' | b'|' | b'&' | b'=' | b'!' | b'>' | b'^' | b'-' => {
                    deepens = true
                }
                b'a'..=b'z'
                | b'A'..=b'Z'
                | b'_'
                | b'?'
                | b'$'
                | b'0'..=b'9'
                | b':'
                | b'\\'
                | 0x80.. => {
                    // A word (a name, a keyword, a number), with its escapes (`ex:a\'`
                    // is a name, not the start of a string).
                    let start = self.at;
                    while self.at < self.text.len() {
                        match self.text[self.at] {
                            b'\\' => {
                                self.at += 1;
                                if self.at < self.text.len() && self.text[self.at] != b'\n' {
                                    self.at += 1;
                                }
                            }
                            b'a'..=b'z'
                            | b'A'..=b'Z'
                            | b'0'..=b'9'
                            | b'_'
                            | b'?'
                            | b'$'
                            | b':'
                            | b'.'
                            | b'%'
                            | 0x80.. => self.at += 1,
                            _ => break,
                        }
                    }
                    // A word never spans lines: the column stays right.
                    let word = &self.text[start..self.at];
                    if sparql {
                        if KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)) {
                            operators += 1;
                        }
                        pending_call = OPTIONAL_ARGUMENT_CALLS
                            .iter()
                            .any(|k| word.eq_ignore_ascii_case(k));
                    }
                    continue;
                }
                _ => {}
            }
            if sparql && deepens {
                operators += 1;
            }
            if sparql && operators > MAX_OPERATORS {
                return Err(self.breach(format!(
                    "the text holds more than {MAX_OPERATORS} operators and keywords that nest (+, ||, UNION, OPTIONAL, groups…) (limit of labgraph); send the values with VALUES, or split the request"
                )));
            }
            self.bump();
        }
        Ok(())
    }

    /// JSON: brackets outside strings.
    fn json(&mut self) -> Result<(), Breach> {
        while self.at < self.text.len() {
            match self.text[self.at] {
                b'"' => {
                    self.bump();
                    while self.at < self.text.len() && self.text[self.at] != b'"' {
                        if self.text[self.at] == b'\\' {
                            self.advance(1);
                        }
                        self.advance(1);
                    }
                }
                b'{' | b'[' => self.open(MAX_NESTING, "JSON objects and arrays")?,
                b'}' | b']' => self.close(),
                _ => {}
            }
            self.advance(1);
        }
        Ok(())
    }

    /// Skips to just after `end`, or to the end of the text.
    fn skip_past(&mut self, end: &[u8]) {
        while self.at < self.text.len() && !self.starts_with(end) {
            self.bump();
        }
        self.advance(end.len());
    }

    /// XML: element depth, and no entity declarations.
    fn xml(&mut self) -> Result<(), Breach> {
        // Entity declarations are refused wherever they stand: telling a declaration
        // from text inside a comment or a quoted value of the document type would take
        // a DTD parser, and a document that needs `<!ENTITY` in a comment can do without.
        if let Some(at) = self.text.windows(8).position(|w| w == b"<!ENTITY") {
            self.advance(at);
            return Err(self.breach(ENTITY_REFUSED.into()));
        }
        while self.at < self.text.len() {
            if self.text[self.at] != b'<' {
                self.bump();
                continue;
            }
            if self.starts_with(b"<!--") {
                self.skip_past(b"-->");
            } else if self.starts_with(b"<![CDATA[") {
                self.skip_past(b"]]>");
            } else if self.starts_with(b"<?") {
                self.skip_past(b"?>");
            } else if self.starts_with_ignore_case(b"<!DOCTYPE") {
                // The document type: its internal subset may declare entities, which
                // expand without bound (a 600-byte file can ask for gigabytes).
                while self.at < self.text.len() && self.text[self.at] != b'>' {
                    if self.starts_with(b"<!ENTITY") {
                        return Err(self.breach(ENTITY_REFUSED.into()));
                    }
                    if self.text[self.at] == b'[' {
                        // The internal subset runs to the matching `]`.
                        while self.at < self.text.len() && self.text[self.at] != b']' {
                            if self.starts_with(b"<!ENTITY") {
                                return Err(self.breach(ENTITY_REFUSED.into()));
                            }
                            self.bump();
                        }
                    }
                    self.bump();
                }
                self.advance(1);
            } else if self.starts_with(b"</") {
                self.close();
                self.skip_past(b">");
            } else {
                // A start tag: skip its attributes (quoted values may hold `>`).
                let start = (self.line, self.at);
                self.bump();
                let mut empty = false;
                while self.at < self.text.len() {
                    match self.text[self.at] {
                        b'"' | b'\'' => {
                            let quote = self.text[self.at];
                            self.bump();
                            while self.at < self.text.len() && self.text[self.at] != quote {
                                self.bump();
                            }
                            self.advance(1);
                        }
                        b'>' => {
                            empty = self.at > 0 && self.text[self.at - 1] == b'/';
                            self.bump();
                            break;
                        }
                        _ => self.bump(),
                    }
                }
                if !empty {
                    let (line, at) = (self.line, self.at);
                    if self.depth + 1 > MAX_XML_DEPTH {
                        // Report the tag where the bound is broken.
                        self.line = start.0;
                        self.at = start.1;
                        let breach = self.open(MAX_XML_DEPTH, "XML elements");
                        self.line = line;
                        self.at = at;
                        breach?;
                    }
                    self.depth += 1;
                }
            }
        }
        Ok(())
    }
}

/// Refuses a query whose algebra is deeper than [`MAX_ALGEBRA_DEPTH`].
pub fn check_query(query: &Query) -> Result<()> {
    let pattern = match query {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    depth_error(pattern_depth(pattern, 0), "the query")?;
    width_error(pattern, "the query")
}

/// Refuses an update whose algebra is deeper than [`MAX_ALGEBRA_DEPTH`].
pub fn check_update(update: &Update) -> Result<()> {
    for operation in &update.operations {
        if let GraphUpdateOperation::DeleteInsert { pattern, .. } = operation {
            depth_error(pattern_depth(pattern, 0), "the update")?;
            width_error(pattern, "the update")?;
        }
    }
    Ok(())
}

/// The most patterns one group of a pattern joins, counting the groups below it too.
fn widest_group(pattern: &GraphPattern) -> usize {
    /// The patterns a join tree joins at one level.
    fn width(pattern: &GraphPattern, widest: &mut usize) -> usize {
        match pattern {
            GraphPattern::Bgp { patterns } => patterns.len(),
            GraphPattern::Join { left, right } => width(left, widest) + width(right, widest),
            GraphPattern::LeftJoin { left, right, .. } | GraphPattern::Minus { left, right } => {
                let own = width(left, widest) + 1;
                *widest = (*widest).max(width(right, widest));
                own
            }
            // A filter or an extension of a group stays in it.
            GraphPattern::Filter { inner, .. } | GraphPattern::Extend { inner, .. } => {
                width(inner, widest)
            }
            other => {
                walk_children(other, widest);
                1
            }
        }
    }
    fn walk_children(pattern: &GraphPattern, widest: &mut usize) {
        let mut each = |p: &GraphPattern| {
            let w = width(p, widest);
            *widest = (*widest).max(w);
        };
        match pattern {
            GraphPattern::Union { left, right } | GraphPattern::Lateral { left, right } => {
                each(left);
                each(right);
            }
            GraphPattern::Graph { inner, .. }
            | GraphPattern::Service { inner, .. }
            | GraphPattern::OrderBy { inner, .. }
            | GraphPattern::Project { inner, .. }
            | GraphPattern::Distinct { inner }
            | GraphPattern::Reduced { inner }
            | GraphPattern::Slice { inner, .. }
            | GraphPattern::Group { inner, .. } => each(inner),
            _ => {}
        }
    }
    let mut widest = 0;
    let top = width(pattern, &mut widest);
    widest.max(top)
}

fn width_error(pattern: &GraphPattern, what: &str) -> Result<()> {
    let widest = widest_group(pattern);
    if widest > MAX_GROUP_PATTERNS {
        return Err(Error::Query {
            context: format!("{what} is refused"),
            message: format!(
                "one of its groups joins {widest} patterns (triple patterns, OPTIONAL, MINUS, nested groups); the limit of labgraph is {MAX_GROUP_PATTERNS}, since ordering the joins takes time that grows much faster than their number: split the request, or send the values with VALUES"
            ),
        });
    }
    Ok(())
}

fn depth_error(within: Option<usize>, what: &str) -> Result<()> {
    match within {
        Some(_) => Ok(()),
        None => Err(Error::Query {
            context: format!("{what} is refused"),
            message: format!(
                "its algebra nests more than {MAX_ALGEBRA_DEPTH} levels (groups, UNION branches, operators, triple patterns of one group…) (limit of labgraph); send the values with VALUES, or split the request"
            ),
        }),
    }
}

/// The depth of a pattern below `depth`, or `None` past the bound. Recursion stops at the
/// bound, so this walk itself stays shallow.
fn pattern_depth(pattern: &GraphPattern, depth: usize) -> Option<usize> {
    let depth = depth + 1;
    if depth > MAX_ALGEBRA_DEPTH {
        return None;
    }
    let max = |a: Option<usize>, b: Option<usize>| Some(a?.max(b?));
    match pattern {
        GraphPattern::Bgp { patterns } => {
            let depth = depth + patterns.len();
            (depth <= MAX_ALGEBRA_DEPTH).then_some(depth)
        }
        GraphPattern::Path { path, .. } => path_depth(path, depth),
        GraphPattern::Values { .. } => Some(depth),
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => {
            max(pattern_depth(left, depth), pattern_depth(right, depth))
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => max(
            max(pattern_depth(left, depth), pattern_depth(right, depth)),
            expression
                .as_ref()
                .map_or(Some(depth), |e| expression_depth(e, depth)),
        ),
        GraphPattern::Filter { expr, inner } => {
            max(expression_depth(expr, depth), pattern_depth(inner, depth))
        }
        GraphPattern::Extend {
            inner, expression, ..
        } => max(
            expression_depth(expression, depth),
            pattern_depth(inner, depth),
        ),
        GraphPattern::OrderBy { inner, expression } => {
            let mut deepest = pattern_depth(inner, depth);
            for order in expression {
                let (OrderExpression::Asc(e) | OrderExpression::Desc(e)) = order;
                deepest = max(deepest, expression_depth(e, depth));
            }
            deepest
        }
        GraphPattern::Group {
            inner, aggregates, ..
        } => {
            let mut deepest = pattern_depth(inner, depth);
            for (_, aggregate) in aggregates {
                if let spargebra::algebra::AggregateExpression::FunctionCall { expr, .. } =
                    aggregate
                {
                    deepest = max(deepest, expression_depth(expr, depth));
                }
            }
            deepest
        }
        GraphPattern::Graph { inner, .. }
        | GraphPattern::Service { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => pattern_depth(inner, depth),
    }
}

fn path_depth(path: &PropertyPathExpression, depth: usize) -> Option<usize> {
    let depth = depth + 1;
    if depth > MAX_ALGEBRA_DEPTH {
        return None;
    }
    match path {
        PropertyPathExpression::NamedNode(_) | PropertyPathExpression::NegatedPropertySet(_) => {
            Some(depth)
        }
        PropertyPathExpression::Reverse(inner)
        | PropertyPathExpression::ZeroOrMore(inner)
        | PropertyPathExpression::OneOrMore(inner)
        | PropertyPathExpression::ZeroOrOne(inner) => path_depth(inner, depth),
        PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
            Some(path_depth(a, depth)?.max(path_depth(b, depth)?))
        }
    }
}

fn expression_depth(expression: &Expression, depth: usize) -> Option<usize> {
    let depth = depth + 1;
    if depth > MAX_ALGEBRA_DEPTH {
        return None;
    }
    let all = |items: &[Expression]| {
        items.iter().try_fold(depth, |deepest, e| {
            Some(deepest.max(expression_depth(e, depth)?))
        })
    };
    match expression {
        Expression::NamedNode(_)
        | Expression::Literal(_)
        | Expression::Variable(_)
        | Expression::Bound(_) => Some(depth),
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => {
            Some(expression_depth(a, depth)?.max(expression_depth(b, depth)?))
        }
        Expression::In(a, items) => Some(expression_depth(a, depth)?.max(all(items)?)),
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => {
            expression_depth(a, depth)
        }
        Expression::Exists(pattern) => pattern_depth(pattern, depth),
        Expression::If(a, b, c) => Some(
            expression_depth(a, depth)?
                .max(expression_depth(b, depth)?)
                .max(expression_depth(c, depth)?),
        ),
        Expression::Coalesce(items) | Expression::FunctionCall(_, items) => all(items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sparql(text: &str) -> Result<(), Breach> {
        scan(text.as_bytes(), Syntax::Sparql)
    }

    #[test]
    fn brackets_are_counted_outside_strings_iris_and_comments() {
        assert!(sparql("SELECT * { ?s ?p ?o }").is_ok());
        let deep = format!("SELECT * {}{}", "{".repeat(65), "}".repeat(65));
        let breach = sparql(&deep).unwrap_err();
        assert_eq!((breach.line, breach.column), (1, 9 + 64 + 1));
        assert!(breach.message.contains("64"), "{}", breach.message);
        // Brackets inside strings and comments do not count.
        let quoted = format!(
            "SELECT * {{ ?s ?p \"{}\" . ?s ?p '''{}''' . ?s ?p <urn:x(a)> }} # {}",
            "{".repeat(100),
            "(".repeat(100),
            "[".repeat(100)
        );
        assert!(sparql(&quoted).is_ok());
        // Inside what may be an IRI or a "less than", they count: the parser decides by
        // context (`?o<((((1))))&&?o>0` is a comparison).
        let comparison = format!(
            "SELECT * WHERE {{ ?s ?p ?o FILTER(?o<{}1{}&&?o>0) }}",
            "(".repeat(1_000),
            ")".repeat(1_000)
        );
        assert!(sparql(&comparison).is_err());
        // An escaped quote in a name starts no string.
        let escaped = format!(
            "PREFIX ex: <urn:x:> SELECT * WHERE {{ ?s ?p ?o FILTER(ex:a\\' || {}1{} = 'x') }}",
            "(".repeat(1_000),
            ")".repeat(1_000)
        );
        assert!(sparql(&escaped).is_err());
        // Nested parentheses in a filter, on the third line.
        let filter = format!(
            "SELECT *\nWHERE {{ ?s ?p ?o\n FILTER({}1{}) }}",
            "(".repeat(100),
            ")".repeat(100)
        );
        assert_eq!(sparql(&filter).unwrap_err().line, 3);
    }

    #[test]
    fn operator_chains_are_bounded() {
        let chain = format!("SELECT ({} AS ?x) {{}}", vec!["1"; 10_000].join("+"));
        assert!(sparql(&chain).unwrap_err().message.contains("8192"));
        let unions = format!(
            "SELECT * {{ {} }}",
            vec!["{ ?s ?p ?o }"; 5_000].join(" UNION ")
        );
        assert!(sparql(&unions).is_err());
        // Words that merely contain a keyword, and prefixed names, are not keywords.
        assert!(
            sparql(&format!(
                "SELECT * {{ {} }}",
                "?union ?filter ex:IN ".repeat(9_000)
            ))
            .is_ok()
        );
    }

    #[test]
    fn calls_with_an_optional_argument_nest_at_most_twelve_deep() {
        let replace = |n: usize| {
            format!(
                "SELECT ?x WHERE {{ BIND({}\"a\"{} AS ?x) }}",
                "REPLACE(".repeat(n),
                ", \"a\", \"b\")".repeat(n)
            )
        };
        assert!(sparql(&replace(12)).is_ok());
        assert!(
            sparql(&replace(13))
                .unwrap_err()
                .message
                .contains("REPLACE")
        );
        // A comment between the name and its arguments changes nothing.
        let commented = format!(
            "SELECT ?x WHERE {{ BIND({}\"a\"{} AS ?x) }}",
            "REPLACE#\n(".repeat(13),
            ", \"a\", \"b\")".repeat(13)
        );
        assert!(sparql(&commented).is_err());
        // Other calls, and these calls side by side, are not counted.
        let side_by_side = format!(
            "SELECT * WHERE {{ FILTER({}) }}",
            vec!["REGEX(?a, \"x\")"; 40].join(" && ")
        );
        assert!(sparql(&side_by_side).is_ok());
        let str = format!(
            "SELECT ?x WHERE {{ BIND({}1{} AS ?x) }}",
            "STR(".repeat(40),
            ")".repeat(40)
        );
        assert!(sparql(&str).is_ok());
    }

    #[test]
    fn json_and_xml_nesting_and_entities() {
        let json = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(scan(json.as_bytes(), Syntax::Json).is_err());
        assert!(scan(br#"{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#, Syntax::Json).is_ok());
        let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"#;
        let breach = scan(laughs, Syntax::Xml).unwrap_err();
        assert_eq!(breach.line, 3);
        assert!(breach.message.contains("entity"));
        // Hidden behind a `]` in a comment of the document type: still refused.
        let hidden = br#"<?xml version="1.0"?>
<!DOCTYPE r [ <!-- ] --> <!ENTITY a "aaaa"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"#;
        assert!(
            scan(hidden, Syntax::Xml)
                .unwrap_err()
                .message
                .contains("entity")
        );
        let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
        assert!(scan(deep.as_bytes(), Syntax::Xml).is_err());
        let fine = r#"<rdf:RDF xmlns:rdf="x"><rdf:Description rdf:about="u>v"><p/></rdf:Description></rdf:RDF>"#;
        assert!(scan(fine.as_bytes(), Syntax::Xml).is_ok());
    }
}

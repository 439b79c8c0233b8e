//! Bounded fuzzing of what labgraph reads from anyone: SPARQL queries and updates, records
//! (YAML or JSON), spreadsheets of actions (CSV) and `Accept` headers, as property tests.
//!
//! Each target has three tests:
//! - `*_corpus_replays`: every file of the seed corpus, `tests/fuzz/corpus/<target>/`
//!   (`sparql`, `record`, `csv`, `accept`; one input per file, drawn from real inputs:
//!   the named queries, the record of `records/`, the examples of the README and of the
//!   tests, the `Accept` headers of browsers, curl, SPARQLWrapper, rdflib and Jena). A
//!   file named `ok-…` must be accepted (for SPARQL: `ok-….rq` by `prepare`, `ok-….ru` by
//!   `prepare_update`), `err-…` refused; `browser-…` headers must make the endpoint show
//!   its HTML page, `client-…` headers must not. Other names only have to be survived.
//! - `*_mutations`: a proptest whose cases take a corpus entry and mutate it (bytes
//!   inserted, deleted or overwritten, odd Unicode, keywords of the syntax, a slice
//!   repeated up to 5,000 times, nesting up to 50,000 levels deep, a splice of another
//!   entry, a truncation).
//! - `*_hostile_shapes`: inputs built to break a parser: 100,000 `{`, `(` or `[`, a UNION
//!   of 5,000 branches, `1+1+…` of 100,000 terms, a YAML billion laughs, nested built-in
//!   calls that make a backtracking parser take exponential time…
//!
//! The property is the same everywhere: the library never panics and never crashes (a
//! stack overflow aborts the whole test binary, so the calls are made on the ordinary test
//! thread: labgraph must protect itself), returns within a few seconds, and every error it
//! returns carries a message (naming the file, for imports).
//!
//! Running longer (no time budget then, unless `LABGRAPH_FUZZ_SECONDS` is set too):
//!
//! ```text
//! LABGRAPH_FUZZ_CASES=100000 cargo test --release --test fuzz
//! LABGRAPH_FUZZ_CASES=100000 cargo test --release --test fuzz -- sparql_mutations
//! ```
//!
//! Environment:
//! - `LABGRAPH_FUZZ_CASES`: cases per proptest (default 256; `PROPTEST_CASES` wins over it).
//! - `LABGRAPH_FUZZ_SECONDS`: wall-clock budget of each proptest, after which the remaining
//!   cases pass untried (default 8 s when `LABGRAPH_FUZZ_CASES` is unset, none when it is
//!   set; `0` for none). With the defaults the file runs in 10–40 s in release mode on 2 cores.
//! - `LABGRAPH_FUZZ_CALL_SECONDS`: the longest one call may take (default 5 s in release
//!   mode, 60 s in debug mode). A call still running after twelve times that (at least 60 s)
//!   is a hang: a watchdog names it and aborts the binary rather than let the run stall.
//!
//! Failures:
//! - proptest saves the seed of a failing case in `tests/fuzz/regressions/<target>.txt`
//!   (`FileFailurePersistence::Direct`) and replays it first on every later run: commit
//!   that file. A seed replays the same input only as long as the corpus is unchanged, so
//!   also copy the failing input into the corpus.
//! - The smallest failing input found is written to
//!   `target/tmp/fuzz-failing-<test>.txt`; copy it into `tests/fuzz/corpus/<target>/`.
//! - A crash (stack overflow, abort) kills the binary before proptest can save anything:
//!   the input being tried is always in `target/tmp/fuzz-last-<test>.txt`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{Seek, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, Instant};

use labgraph::Error;
use labgraph::config::BaseIri;
use labgraph::format::Rdf;
use labgraph::http::limits;
use labgraph::http::negotiate::{self, Repr};
use labgraph::import::{actions, record};
use labgraph::store::GraphStore;
use labgraph::vocab;
use oxigraph::io::RdfParser;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;

// ------------------------------------------------------------------------------------
// Targets, corpus, budgets
// ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Sparql = 0,
    Record = 1,
    Csv = 2,
    Accept = 3,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Sparql => "sparql",
            Target::Record => "record",
            Target::Csv => "csv",
            Target::Accept => "accept",
        }
    }

    /// Where proptest keeps the seeds of failing cases.
    fn regressions(self) -> &'static str {
        match self {
            Target::Sparql => concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fuzz/regressions/sparql.txt"
            ),
            Target::Record => concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fuzz/regressions/record.txt"
            ),
            Target::Csv => concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fuzz/regressions/csv.txt"
            ),
            Target::Accept => concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fuzz/regressions/accept.txt"
            ),
        }
    }

    /// Pieces of the syntax that mutations insert.
    fn tokens(self) -> &'static [&'static str] {
        match self {
            Target::Sparql => SPARQL_TOKENS,
            Target::Record => RECORD_TOKENS,
            Target::Csv => CSV_TOKENS,
            Target::Accept => ACCEPT_TOKENS,
        }
    }

    /// Opening and closing pieces that mutations nest.
    fn pairs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Target::Sparql => SPARQL_PAIRS,
            Target::Record => RECORD_PAIRS,
            Target::Csv => CSV_PAIRS,
            Target::Accept => ACCEPT_PAIRS,
        }
    }
}

#[rustfmt::skip]
const SPARQL_TOKENS: &[&str] = &[
    "SELECT ", "SELECT * ", "ASK ", "CONSTRUCT ", "DESCRIBE ", "WHERE ", "{", "}", "(", ")",
    "[", "]", "<<", ">>", " . ", " ; ", " , ", " UNION ", " OPTIONAL ", " MINUS ", " FILTER ",
    " FILTER NOT EXISTS ", " BIND(", " AS ?x)", " VALUES ?x { 1 } ", " GRAPH ?g ",
    " SERVICE <urn:s> ", " LATERAL ", " ORDER BY ", " GROUP BY ?s ", " HAVING ", " LIMIT 1 ",
    " OFFSET 99999999999999999999999 ", " DISTINCT ", " REDUCED ", "?x", "$x", "_:b", "[]",
    "()", " a ", "<urn:x>", "<seminar/x>", "<../../x>", "<>", "lg:", "schema:name", "sdg:2.1",
    ":x", "p:", "\"x\"", "'x'", "\"\"\"", "'''", "\"x\"@fr", "\"2022-12-01\"^^xsd:date", "^^",
    "@en-GB", "1e999", "-0", "99999999999999999999999999999999", ".5", "\\u0000",
    "\\U0010FFFF", "\\", "#", "\n", "\r\n", "\t", "*", "+", "?", "|", "/", "^", "!", "&&",
    "||", "=", "!=", "<", ">=", "COUNT(*)", "GROUP_CONCAT(?x; SEPARATOR=\",\")",
    "REGEX(?x, \"(a+)+$\")", "COALESCE(", "IF(", " IN (", "TRIPLE(", "STRLEN(", "SUBSTR(",
    "PREFIX p: <http://example.org/> ", "BASE <http://example.org/> ", "FROM <urn:g> ",
    "FROM NAMED <urn:g> ", "INSERT DATA { ", "DELETE DATA { ", "DELETE WHERE { ", "INSERT { ",
    "DELETE { ", "WITH <urn:g> ", "USING <urn:g> ", "USING NAMED <urn:g> ",
    "LOAD <http://example.org/x> ", "CLEAR ALL", "CLEAR NAMED", "DROP DEFAULT",
    "DROP GRAPH <graph/imports>", "CREATE GRAPH <urn:g>", "COPY DEFAULT TO <urn:g>",
    "MOVE <urn:a> TO <urn:b>", "ADD <urn:a> TO DEFAULT", " SILENT ",
    "<https://w3id.org/labgraph/id/graph/imports>",
];

const SPARQL_PAIRS: &[(&str, &str)] = &[
    ("{", "}"),
    ("(", ")"),
    ("[", "]"),
    ("<<", ">>"),
    ("{ ", " } UNION { ?s ?p ?o }"),
    ("{ OPTIONAL { ", " } }"),
    ("FILTER(", ")"),
    ("FILTER NOT EXISTS { ", " }"),
    ("{ SELECT * WHERE { ", " } }"),
    ("!(", ")"),
    ("(1+", ")"),
    ("STR(", ")"),
    ("GRAPH ?g { ", " }"),
];

#[rustfmt::skip]
const RECORD_TOKENS: &[&str] = &[
    "\n", "\r\n", "\t", "  ", ": ", "- ", "? ", "---\n", "...\n", "%YAML 1.2\n",
    "%TAG ! tag:example.org,2000:\n", "{", "}", "[", "]", ",", "\"", "'", "#", "|\n  ",
    ">-\n  ", "&a ", "*a", "<<: *a", "!!str ", "!!binary ", "!!int ", "!!map ", "!local ", "~",
    "null", "true", "1e400", "-.inf", ".nan", "0x1F", "0o17", "1_000", "2022-12-01",
    "2022-13-45", "'2022-12-01'", "Vendredi 25 novembre 2022", "1er décembre 2022",
    "\"@context\": ", "\"@graph\":\n  - ", "\"@id\": ", "\"@type\": ", "\"@value\": ",
    "\"@language\": ", "\"@list\": ", "\"@reverse\": ", "\"@nest\": ", "id: ", "type: ",
    "name: ", "startDate: ", "startDateTime: ", "position: ", "about: ", "speakerRole:\n  - ",
    "schema:", "xsd:gYearMonth", "https://", "urn:", "seminar/x", "\u{feff}", "\\u0000",
    "\\ud800",
];

const RECORD_PAIRS: &[(&str, &str)] = &[
    ("[", "]"),
    ("{", "}"),
    ("{\"a\": ", "}"),
    ("{\"@list\": [", "]}"),
    ("{a: ", "}"),
    ("- ", ""),
    ("? ", ""),
    ("  ", ""),
    ("\"", "\""),
    ("&a [", "]"),
    ("[*a, ", "]"),
];

#[rustfmt::skip]
const CSV_TOKENS: &[&str] = &[
    ",", ";", "|", "\"", "\"\"", "\n", "\r\n", "\r", "\u{feff}", " ", "\t", "\0", "titre",
    "porteur", "source", "odd", "territoires", "thèmes", "description", "id", "identifiant",
    "Titre;Porteur;Source\n", "title,lead,source\n", "QN06201M", "200072460", "62498",
    "2A004", "2B", "2.a", "11.1", "ODD 11", "17.19", "org/irev", "https://example.org/a",
    "action/x", "theme/sante", "Pôle Métropolitain de l'Artois", "ß", "İ", "ǅ",
];

const CSV_PAIRS: &[(&str, &str)] = &[
    ("\"", "\""),
    ("\"\"", "\"\""),
    ("(", ")"),
    ("[", "]"),
    ("\u{feff}", ""),
];

#[rustfmt::skip]
const ACCEPT_TOKENS: &[&str] = &[
    ",", ", ", ";", ";q=", ";q=0", ";q=1", ";q=0.5", ";q=0.001", ";q=NaN", ";q=inf", ";q=-1",
    ";q=1e39", ";Q=0.9", ";charset=utf-8", ";level=1", ";v=b3", "*/*", "text/*",
    "application/*", "*/json", "/", "*", " ", "\t", "\"", "=", "text/html",
    "application/xhtml+xml", "application/xml", "application/json",
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values", "text/turtle", "application/n-triples", "text/plain",
    "application/n-quads", "application/trig", "application/rdf+xml", "application/ld+json",
    "TEXT/HTML", "image/png",
];

const ACCEPT_PAIRS: &[(&str, &str)] = &[
    ("(", ")"),
    ("\"", "\""),
    ("text/html;q=0.5,", ""),
    ("*/*;", ""),
    (";", ""),
    (",", ""),
    ("<", ">"),
];

/// Characters that break naive text handling: NUL, byte-order mark, replacement
/// character, the last code point, bidi override, joiners, letters whose case mapping
/// changes their length, combining marks, line separators, astral characters.
#[rustfmt::skip]
const ODD_CHARS: &[char] = &[
    '\u{0}', '\u{feff}', '\u{fffd}', '\u{10ffff}', '\u{202e}', '\u{200d}', 'İ', 'ß', 'ﬃ',
    'ǅ', '\u{301}', '’', 'é', '\u{85}', '\u{2028}', '\u{2029}', '\t', '\r', '\n', '𝕏', '😀',
];

/// The largest input a mutation builds.
const MAX_INPUT: usize = 512 << 10;

struct Seed {
    name: String,
    bytes: Vec<u8>,
}

/// The seed corpus of a target, sorted by file name (persisted seeds depend on the order).
fn corpus(target: Target) -> &'static [Seed] {
    static CORPORA: [OnceLock<Vec<Seed>>; 4] = [const { OnceLock::new() }; 4];
    CORPORA[target as usize].get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz/corpus")
            .join(target.name());
        let mut entries: Vec<Seed> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                entry
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                    .path()
            })
            .filter(|path| path.is_file())
            .filter(|path| {
                !path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with('.'))
            })
            .map(|path| Seed {
                name: path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(
            !entries.is_empty(),
            "{}: the corpus is empty",
            dir.display()
        );
        entries
    })
}

/// What a corpus file's name says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accepted,
    Refused,
    Either,
}

fn expectation(name: &str) -> Expect {
    if name.starts_with("ok-") {
        Expect::Accepted
    } else if name.starts_with("err-") {
        Expect::Refused
    } else {
        Expect::Either
    }
}

/// One in-memory store (with the bundled data) for the whole binary, not one per case.
fn store() -> &'static GraphStore {
    static STORE: OnceLock<GraphStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let base = BaseIri::parse(vocab::DEFAULT_BASE_IRI).expect("the default base IRI parses");
        labgraph::import::in_memory(base).expect("an in-memory store with the bundled data")
    })
}

fn env_number(name: &str) -> Option<f64> {
    std::env::var(name)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

fn cases() -> u32 {
    std::env::var("LABGRAPH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(256)
}

/// The wall-clock budget of each proptest, if any.
fn time_budget() -> Option<Duration> {
    match env_number("LABGRAPH_FUZZ_SECONDS") {
        Some(seconds) if seconds > 0.0 => Some(Duration::from_secs_f64(seconds)),
        Some(_) => None,
        None if std::env::var_os("LABGRAPH_FUZZ_CASES").is_some() => None,
        None => Some(Duration::from_secs(8)),
    }
}

/// The longest one call to the library may take.
fn call_limit() -> Duration {
    static LIMIT: OnceLock<Duration> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let default = if cfg!(debug_assertions) { 60.0 } else { 5.0 };
        let seconds = env_number("LABGRAPH_FUZZ_CALL_SECONDS")
            .filter(|s| *s > 0.0)
            .unwrap_or(default);
        Duration::from_secs_f64(seconds)
    })
}

fn config(target: Target) -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            target.regressions(),
        ))),
        // Shrinking re-runs the library on large inputs: keep it bounded too.
        max_shrink_time: 30_000,
        max_shrink_iters: 4_096,
        ..ProptestConfig::default()
    }
}

/// The time spent by a target's proptest, and whether it has seen a failure (shrinking
/// then runs whatever the budget says).
struct Budget {
    started: OnceLock<Instant>,
    ran: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicBool,
}

impl Budget {
    const fn new() -> Self {
        Self {
            started: OnceLock::new(),
            ran: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            failed: AtomicBool::new(false),
        }
    }

    /// Whether the next case runs: always while the budget lasts or once a case failed.
    fn allows(&self, target: Target) -> bool {
        if self.failed.load(Ordering::Relaxed) {
            return true;
        }
        let Some(limit) = time_budget() else {
            return true;
        };
        let started = *self.started.get_or_init(Instant::now);
        if started.elapsed() < limit {
            self.ran.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        if self.skipped.fetch_add(1, Ordering::Relaxed) == 0 {
            eprintln!(
                "fuzz {}: the time budget of {limit:?} ran out after {} cases; the others pass untried (LABGRAPH_FUZZ_SECONDS, LABGRAPH_FUZZ_CASES)",
                target.name(),
                self.ran.load(Ordering::Relaxed)
            );
        }
        false
    }
}

static BUDGETS: [Budget; 4] = [const { Budget::new() }; 4];

fn budget(target: Target) -> &'static Budget {
    &BUDGETS[target as usize]
}

/// Writes the input about to be tried to `target/tmp/fuzz-last-<label>.txt`, where a crash
/// leaves it. The file stays open: creating it for every case costs milliseconds.
fn leave_breadcrumb(label: &str, input: &[u8]) {
    static FILES: Mutex<Option<HashMap<String, File>>> = Mutex::new(None);
    let mut files = FILES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let file = match files
        .get_or_insert_with(HashMap::new)
        .entry(label.to_owned())
    {
        Entry::Occupied(entry) => entry.into_mut(),
        Entry::Vacant(entry) => {
            let path =
                Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-last-{label}.txt"));
            match File::create(path) {
                Ok(file) => entry.insert(file),
                Err(_) => return,
            }
        }
    };
    let _ = file
        .rewind()
        .and_then(|()| file.write_all(input))
        .and_then(|()| file.set_len(input.len() as u64));
}

/// Runs one check of one input: the input is written first where a crash leaves it, and a
/// failing one is kept for the corpus.
fn run_case<T>(label: &str, target: Target, input: &[u8], check: impl FnOnce() -> T) -> T {
    leave_breadcrumb(label, input);
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    match panic::catch_unwind(AssertUnwindSafe(check)) {
        Ok(value) => value,
        Err(panic) => {
            let failing = tmp.join(format!("fuzz-failing-{label}.txt"));
            let _ = std::fs::write(&failing, input);
            if !budget(target).failed.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "fuzz {label}: a failing input ({} bytes) is in {} (the smallest one once shrinking ends); copy it into tests/fuzz/corpus/{}/",
                    input.len(),
                    failing.display(),
                    target.name()
                );
            }
            panic::resume_unwind(panic)
        }
    }
}

/// `count` copies of `item`, separated by `separator`.
fn chain(item: &str, separator: &str, count: usize) -> String {
    let mut text = String::with_capacity(count * (item.len() + separator.len()));
    for i in 0..count {
        if i > 0 {
            text.push_str(separator);
        }
        text.push_str(item);
    }
    text
}

/// `middle` inside `depth` pairs of `open` and `close`.
fn nest(depth: usize, open: &str, middle: &str, close: &str) -> String {
    let mut text = open.repeat(depth);
    text.push_str(middle);
    text.push_str(&close.repeat(depth));
    text
}

fn preview(input: &[u8]) -> String {
    const SHOWN: usize = 160;
    let text = String::from_utf8_lossy(&input[..input.len().min(SHOWN)]);
    let more = if input.len() > SHOWN { "…" } else { "" };
    format!("{text:?}{more} ({} bytes)", input.len())
}

/// The calls in progress: what, on which input, since when.
static RUNNING: Mutex<Vec<(u64, Instant, String)>> = Mutex::new(Vec::new());

fn running() -> MutexGuard<'static, Vec<(u64, Instant, String)>> {
    RUNNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long a call may run before the watchdog aborts the binary: a hang would otherwise
/// stall the test run for ever, and `timed` only looks at the clock once a call returns.
fn hang_limit() -> Duration {
    (call_limit() * 12).max(Duration::from_secs(60))
}

/// A call in progress, forgotten when it ends (or unwinds).
struct Watched(u64);

impl Watched {
    fn start(what: &str, input: &[u8]) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static WATCHDOG: Once = Once::new();
        WATCHDOG.call_once(|| {
            std::thread::Builder::new()
                .name("fuzz-watchdog".into())
                .spawn(|| {
                    loop {
                        std::thread::sleep(Duration::from_millis(250));
                        let limit = hang_limit();
                        if let Some((_, started, what)) =
                            running().iter().find(|(_, started, _)| started.elapsed() > limit)
                        {
                            eprintln!(
                                "fuzz: {what} has run for {:.0?}, more than {limit:?}: aborting; the input is in {}/fuzz-last-<test>.txt",
                                started.elapsed(),
                                env!("CARGO_TARGET_TMPDIR")
                            );
                            std::process::abort();
                        }
                    }
                })
                .expect("the watchdog thread starts");
        });
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let description = format!("{what} on {}", preview(input));
        running().push((id, Instant::now(), description));
        Self(id)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        running().retain(|(id, _, _)| *id != self.0);
    }
}

/// Runs `work`, failing if it takes longer than [`call_limit`] (and aborting the binary if
/// it runs past [`hang_limit`]).
fn timed<T>(what: &str, input: &[u8], work: impl FnOnce() -> T) -> T {
    let watched = Watched::start(what, input);
    let started = Instant::now();
    let result = work();
    let took = started.elapsed();
    drop(watched);
    let limit = call_limit();
    assert!(
        took <= limit,
        "{what} took {took:.2?} (more than {limit:?}) for {}",
        preview(input)
    );
    result
}

/// An error must say what is wrong; for an import, in which file.
fn assert_explained(what: &str, error: &Error, source_name: Option<&str>, input: &[u8]) {
    let shown = error.to_string();
    let detail = match error {
        Error::Query { message, .. } | Error::Syntax { message, .. } => message.as_str(),
        _ => shown.as_str(),
    };
    assert!(
        !detail.trim().is_empty(),
        "{what}: an error without a message ({error:?}) for {}",
        preview(input)
    );
    if let Some(name) = source_name {
        assert!(
            shown.contains(name),
            "{what}: the message does not name the file {name}: {shown} (input {})",
            preview(input)
        );
    }
}

// ------------------------------------------------------------------------------------
// Mutations
// ------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Delete {
        at: Index,
        len: usize,
    },
    Overwrite {
        at: Index,
        bytes: Vec<u8>,
    },
    Unicode {
        at: Index,
        text: String,
    },
    Token {
        at: Index,
        token: Index,
    },
    /// The slice of `len` bytes at `at`, repeated `times` times after itself.
    Repeat {
        at: Index,
        len: usize,
        times: usize,
    },
    /// `depth` openings at `at`, and as many closings further on when `balanced`.
    Nest {
        at: Index,
        span: Index,
        pair: Index,
        depth: usize,
        balanced: bool,
    },
    /// `len` bytes of another corpus entry, inserted at `at`.
    Splice {
        other: Index,
        from: Index,
        len: usize,
        at: Index,
    },
    Truncate {
        at: Index,
    },
}

/// A corpus entry and what is done to it.
#[derive(Debug, Clone)]
struct Recipe {
    base: Index,
    mutations: Vec<Mutation>,
}

impl Recipe {
    fn build(&self, target: Target) -> Vec<u8> {
        let entries = corpus(target);
        let mut buffer = self.base.get(entries).bytes.clone();
        for mutation in &self.mutations {
            mutation.apply(&mut buffer, target, entries);
            buffer.truncate(MAX_INPUT);
        }
        buffer
    }
}

/// `at`, moved back to the start of a UTF-8 character.
fn snap(buffer: &[u8], mut at: usize) -> usize {
    while at > 0 && at < buffer.len() && (buffer[at] & 0xC0) == 0x80 {
        at -= 1;
    }
    at
}

/// A position in `0..=len`, at the start of a character.
fn position(buffer: &[u8], at: &Index) -> usize {
    snap(buffer, at.index(buffer.len() + 1))
}

fn insert(buffer: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let tail = buffer.split_off(at);
    buffer.extend_from_slice(bytes);
    buffer.extend_from_slice(&tail);
}

impl Mutation {
    fn apply(&self, buffer: &mut Vec<u8>, target: Target, entries: &[Seed]) {
        match self {
            Mutation::Insert { at, bytes } => {
                let at = at.index(buffer.len() + 1);
                insert(buffer, at, bytes);
            }
            Mutation::Delete { at, len } => {
                let at = at.index(buffer.len() + 1);
                let tail = buffer.split_off((at + len).min(buffer.len()));
                buffer.truncate(at);
                buffer.extend_from_slice(&tail);
            }
            Mutation::Overwrite { at, bytes } => {
                let at = at.index(buffer.len() + 1);
                for (i, byte) in bytes.iter().enumerate() {
                    match buffer.get_mut(at + i) {
                        Some(slot) => *slot = *byte,
                        None => buffer.push(*byte),
                    }
                }
            }
            Mutation::Unicode { at, text } => {
                let at = position(buffer, at);
                insert(buffer, at, text.as_bytes());
            }
            Mutation::Token { at, token } => {
                let at = position(buffer, at);
                insert(buffer, at, token.get(target.tokens()).as_bytes());
            }
            Mutation::Repeat { at, len, times } => {
                let at = position(buffer, at);
                let end = snap(buffer, (at + len).min(buffer.len()));
                let piece = buffer[at..end.max(at)].repeat(*times);
                insert(buffer, end.max(at), &piece);
            }
            Mutation::Nest {
                at,
                span,
                pair,
                depth,
                balanced,
            } => {
                let (open, close) = *pair.get(target.pairs());
                let at = position(buffer, at);
                let end = snap(buffer, at + span.index(buffer.len() - at + 1)).max(at);
                if *balanced {
                    insert(buffer, end, close.repeat(*depth).as_bytes());
                }
                insert(buffer, at, open.repeat(*depth).as_bytes());
            }
            Mutation::Splice {
                other,
                from,
                len,
                at,
            } => {
                let source = &other.get(entries).bytes;
                if source.is_empty() {
                    return;
                }
                let from = from.index(source.len());
                let end = (from + len).min(source.len());
                let at = position(buffer, at);
                insert(buffer, at, &source[from..end]);
            }
            Mutation::Truncate { at } => {
                let at = at.index(buffer.len() + 1);
                buffer.truncate(at);
            }
        }
    }
}

fn unicode() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![2 => any::<char>(), 1 => prop::sample::select(ODD_CHARS)],
        1..8,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>())
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = || prop::collection::vec(any::<u8>(), 1..16);
    let depth = prop_oneof![6 => 1usize..64, 3 => 64usize..2_000, 1 => 2_000usize..=50_000];
    let times = prop_oneof![6 => 2usize..16, 3 => 16usize..512, 1 => 512usize..=5_000];
    prop_oneof![
        3 => (any::<Index>(), bytes()).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<Index>(), 1usize..256).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => (any::<Index>(), bytes()).prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
        2 => (any::<Index>(), unicode()).prop_map(|(at, text)| Mutation::Unicode { at, text }),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Mutation::Token { at, token }),
        2 => (any::<Index>(), 1usize..64, times)
            .prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        2 => (any::<Index>(), any::<Index>(), any::<Index>(), depth, any::<bool>()).prop_map(
            |(at, span, pair, depth, balanced)| Mutation::Nest { at, span, pair, depth, balanced }
        ),
        2 => (any::<Index>(), any::<Index>(), 1usize..2_048, any::<Index>())
            .prop_map(|(other, from, len, at)| Mutation::Splice { other, from, len, at }),
        1 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn recipes() -> impl Strategy<Value = Recipe> {
    (any::<Index>(), prop::collection::vec(mutation(), 1..=4))
        .prop_map(|(base, mutations)| Recipe { base, mutations })
}

// ------------------------------------------------------------------------------------
// The checks
// ------------------------------------------------------------------------------------

/// Prepares a text as a query and as an update; each outcome is the error's text, if any.
fn check_sparql(store: &GraphStore, input: &[u8]) -> (Result<(), String>, Result<(), String>) {
    let text = String::from_utf8_lossy(input);
    let query = match timed("GraphStore::prepare", input, || store.prepare(&text)) {
        Ok(prepared) => {
            let _ = prepared.returns_graph();
            // What the endpoint does next with every query.
            let _ = timed("limits::check", input, || {
                limits::check(prepared.query(), 1_000_000)
            });
            Ok(())
        }
        Err(error) => {
            assert_explained("GraphStore::prepare", &error, None, input);
            Err(error.to_string())
        }
    };
    let update = match timed("GraphStore::prepare_update", input, || {
        store.prepare_update(&text)
    }) {
        Ok(_) => Ok(()),
        Err(error) => {
            assert_explained("GraphStore::prepare_update", &error, None, input);
            Err(error.to_string())
        }
    };
    (query, update)
}

/// Parses the JSON-LD made from a record as `import` does; only a panic or a hang matters.
fn check_jsonld(jsonld: &[u8], input: &[u8]) {
    timed("the JSON-LD parser", input, || {
        let parser = RdfParser::from_format(Rdf::JsonLd.oxigraph())
            .with_base_iri(vocab::DEFAULT_BASE_IRI)
            .expect("the default base IRI is an IRI");
        for quad in parser.for_slice(jsonld) {
            if quad.is_err() {
                break;
            }
        }
    });
}

/// Reads a text as a record; the outcome is the error's text, if any.
fn check_record(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    // `to_jsonld` reads JSON when the text starts with `{` or `[`, YAML otherwise; the file
    // name only appears in messages.
    let name = if text.trim_start().starts_with(['{', '[']) {
        "fuzz.json"
    } else {
        "fuzz.yaml"
    };
    timed("record::is_record", input, || record::is_record(&text));
    match timed("record::to_jsonld", input, || {
        record::to_jsonld(input, name)
    }) {
        Ok(jsonld) => {
            let value: serde_json::Value = serde_json::from_slice(&jsonld).unwrap_or_else(|e| {
                panic!(
                    "record::to_jsonld gave JSON that does not parse ({e}) for {}",
                    preview(input)
                )
            });
            assert!(
                value.get("@context").is_some(),
                "record::to_jsonld gave a document without @context for {}",
                preview(input)
            );
            check_jsonld(&jsonld, input);
            Ok(())
        }
        Err(error) => {
            assert_explained("record::to_jsonld", &error, Some(name), input);
            Err(error.to_string())
        }
    }
}

/// Reads a text as a spreadsheet of actions, and its record as `import` does.
fn check_csv(input: &[u8]) -> Result<(), String> {
    let name = "fuzz.csv";
    match timed("actions::to_record", input, || {
        actions::to_record(input, name)
    }) {
        Ok(record) => {
            let value: serde_json::Value = serde_json::from_slice(&record).unwrap_or_else(|e| {
                panic!(
                    "actions::to_record gave JSON that does not parse ({e}) for {}",
                    preview(input)
                )
            });
            let actions = value.as_array().unwrap_or_else(|| {
                panic!(
                    "actions::to_record gave {value} for {}, not a list",
                    preview(input)
                )
            });
            assert!(
                !actions.is_empty(),
                "actions::to_record gave no action for {}",
                preview(input)
            );
            for action in actions {
                assert_eq!(action["type"], "Action", "{action} for {}", preview(input));
                for key in ["id", "name", "ledBy", "source"] {
                    assert!(
                        action.get(key).is_some(),
                        "an action without {key}: {action} for {}",
                        preview(input)
                    );
                }
            }
            match timed("record::to_jsonld", input, || {
                record::to_jsonld(&record, name)
            }) {
                Ok(jsonld) => check_jsonld(&jsonld, input),
                Err(error) => assert_explained("record::to_jsonld", &error, Some(name), input),
            }
            Ok(())
        }
        Err(error) => {
            assert_explained("actions::to_record", &error, Some(name), input);
            Err(error.to_string())
        }
    }
}

/// Negotiates an `Accept` header (and a `format` parameter) against what is offered.
fn check_accept(offered: &[Repr], accept: &str, format: Option<&str>) -> Option<Repr> {
    let input = accept.as_bytes();
    let chosen = timed("negotiate::choose", input, || {
        negotiate::choose(offered, Some(accept), format)
    });
    if let Some(repr) = chosen {
        assert!(
            offered.contains(&repr),
            "choose gave {repr:?}, which is not offered ({offered:?}), for Accept {} and format {format:?}",
            preview(input)
        );
        assert!(!repr.media_type().is_empty() && !repr.extension().is_empty());
    }
    if offered.is_empty() {
        assert_eq!(chosen, None, "nothing offered, yet something chosen");
    }
    if let Some(format) = format {
        let by_format = timed("negotiate::choose", format.as_bytes(), || {
            negotiate::choose(offered, None, Some(format))
        });
        if let Some(repr) = by_format {
            assert!(
                offered.contains(&repr),
                "choose gave {repr:?}, which is not offered ({offered:?}), for format {format:?}"
            );
        }
    }
    // A browser gets the query page only when HTML is what negotiation would choose.
    if timed("negotiate::prefers_html", input, || {
        negotiate::prefers_html(Some(accept))
    }) {
        let mut page = vec![Repr::Html];
        page.extend_from_slice(negotiate::RESULTS);
        assert_eq!(
            negotiate::choose(&page, Some(accept), None),
            Some(Repr::Html),
            "prefers_html, yet HTML is not chosen, for {}",
            preview(input)
        );
    }
    timed("negotiate::rdf_content_type", input, || {
        negotiate::rdf_content_type(accept)
    });
    timed("negotiate::content_essence", input, || {
        negotiate::content_essence(accept)
    });
    chosen
}

/// The lists of representations the server offers.
fn standard_offers() -> Vec<Vec<Repr>> {
    let with_html = |list: &[Repr]| {
        let mut all = vec![Repr::Html];
        all.extend_from_slice(list);
        all
    };
    vec![
        negotiate::RESULTS.to_vec(),
        negotiate::graphs().to_vec(),
        negotiate::datasets().to_vec(),
        with_html(negotiate::RESULTS),
        with_html(negotiate::graphs().as_slice()),
        Vec::new(),
    ]
}

fn offers() -> impl Strategy<Value = Vec<Repr>> {
    let mut all = vec![Repr::Html];
    all.extend_from_slice(negotiate::RESULTS);
    all.extend(negotiate::graphs());
    let n = all.len();
    prop_oneof![
        3 => any::<Index>().prop_map(|i| i.get(&standard_offers()).clone()),
        1 => prop::sample::subsequence(all, 0..=n).prop_shuffle(),
    ]
}

#[rustfmt::skip]
const FORMATS: &[&str] = &[
    "json", "srj", "xml", "srx", "csv", "tsv", "turtle", "ttl", "ntriples", "nt", "n-triples",
    "nquads", "nq", "n-quads", "trig", "rdfxml", "rdf", "rdf+xml", "jsonld", "json-ld",
    "html", "text/csv", "application/sparql-results+json", "application/ld+json", " JSON ",
    "Turtle", "text/turtle; charset=utf-8", "unheard-of", "",
];

fn format_parameters() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.4,
        prop_oneof![
            3 => prop::sample::select(FORMATS).prop_map(|f| f.to_owned()),
            1 => "[ -~]{0,24}",
            1 => any::<String>(),
        ],
    )
}

// ------------------------------------------------------------------------------------
// SPARQL queries and updates
// ------------------------------------------------------------------------------------

#[test]
fn sparql_corpus_replays() {
    let store = store();
    for entry in corpus(Target::Sparql) {
        let (query, update) = run_case("sparql_corpus", Target::Sparql, &entry.bytes, || {
            check_sparql(store, &entry.bytes)
        });
        match expectation(&entry.name) {
            Expect::Accepted if entry.name.ends_with(".ru") => {
                assert!(update.is_ok(), "{}: {update:?}", entry.name)
            }
            Expect::Accepted => assert!(query.is_ok(), "{}: {query:?}", entry.name),
            Expect::Refused => assert!(
                query.is_err() && update.is_err(),
                "{}: accepted ({query:?}, {update:?})",
                entry.name
            ),
            Expect::Either => {}
        }
    }
}

#[test]
fn sparql_hostile_shapes() {
    let store = store();
    let n = 100_000;
    let ones = chain("1", "+", n);
    let unions = chain("{ ?s ?p ?o }", " UNION ", 5_000);
    let nested = |open: &str, middle: &str, close: &str| nest(n, open, middle, close);
    // Each must come back as an error with a message, from prepare and prepare_update.
    let refused = [
        ("100,000 open braces", "{".repeat(n)),
        ("100,000 open parentheses", "(".repeat(n)),
        ("100,000 open brackets", "[".repeat(n)),
        (
            "100,000 nested groups",
            format!("SELECT * WHERE {}", nested("{", "?s ?p ?o", "}")),
        ),
        (
            "100,000 nested parentheses in a filter",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER({}) }}",
                nested("(", "?o", ")")
            ),
        ),
        (
            "100,000 nested collections",
            format!("SELECT * WHERE {{ ?s ?p {} }}", nested("(", "1", ")")),
        ),
        (
            "100,000 nested blank nodes",
            format!("SELECT * WHERE {{ ?s ?p {} }}", nested("[ ?p ", "?o", " ]")),
        ),
        (
            "100,000 nested quoted triples",
            format!(
                "SELECT * WHERE {{ {} }}",
                nested("<< ", "?s ?p ?o", " >> ?p ?o")
            ),
        ),
        (
            "100,000 nested OPTIONAL",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                nested("OPTIONAL { ?s ?p ?o ", "", "}")
            ),
        ),
        (
            "100,000 nested FILTER NOT EXISTS",
            format!(
                "ASK {{ {} }}",
                nested("FILTER NOT EXISTS { ", "?s ?p ?o", " }")
            ),
        ),
        (
            "100,000 nested sub-queries",
            format!(
                "SELECT * WHERE {{ {} }}",
                nested("{ SELECT * WHERE { ", "?s ?p ?o", " } }")
            ),
        ),
        (
            "a UNION of 5,000 branches",
            format!("SELECT * WHERE {{ {unions} }}"),
        ),
        (
            "1+1+… of 100,000 terms",
            format!("SELECT ({ones} AS ?x) WHERE {{}}"),
        ),
        (
            "&& of 100,000 terms",
            format!("ASK {{ FILTER({}) }}", chain("true", " && ", n)),
        ),
        (
            "|| of 100,000 terms",
            format!("ASK {{ FILTER({}) }}", chain("false", " || ", n)),
        ),
        (
            "a property path of 100,000 steps",
            format!(
                "SELECT * WHERE {{ ?s {} ?o }}",
                chain("schema:knows", "/", n)
            ),
        ),
        (
            "a property path of 100,000 alternatives",
            format!(
                "SELECT * WHERE {{ ?s {} ?o }}",
                chain("schema:knows", "|", n)
            ),
        ),
        (
            "100,000 nested negations",
            format!("ASK {{ FILTER({}) }}", nested("!(", "true", ")")),
        ),
        (
            "100,000 nested function calls",
            format!(
                "SELECT ({} AS ?x) WHERE {{ ?s ?p ?o }}",
                nested("STR(", "?s", ")")
            ),
        ),
        (
            "an update with 100,000 nested groups",
            format!(
                "INSERT {{ ?s ?p ?o }} WHERE {}",
                nested("{", "?s ?p ?o", "}")
            ),
        ),
        (
            "an update with a UNION of 5,000 branches",
            format!("DELETE {{ ?s ?p ?o }} WHERE {{ {unions} }}"),
        ),
        (
            "an update with 1+1+… of 100,000 terms",
            format!("INSERT {{ ?s ?p ?x }} WHERE {{ ?s ?p ?o BIND({ones} AS ?x) }}"),
        ),
        (
            "INSERT DATA with 100,000 nested collections",
            format!(
                "INSERT DATA {{ <urn:a> <urn:b> {} }}",
                nested("(", "1", ")")
            ),
        ),
    ];
    for (what, text) in &refused {
        run_case("sparql_hostile", Target::Sparql, text.as_bytes(), || {
            let (query, update) = check_sparql(store, text.as_bytes());
            assert!(query.is_err(), "{what}: prepare accepted it");
            assert!(update.is_err(), "{what}: prepare_update accepted it");
        });
    }
    // Accepted or refused, as long as it is survived, in time. Nesting just below the
    // bound of 64 levels must not make a parser backtrack for ever: built-in calls whose
    // last argument is optional (REPLACE, REGEX, SUBSTR), nested, are parsed again and
    // again by a backtracking parser, twice as long for each level.
    let survived = [
        (
            "22 nested REPLACE with three arguments",
            format!(
                "SELECT ({} AS ?y) {{}}",
                nest(22, "REPLACE(", "?x", ", \"a\", \"b\")")
            ),
        ),
        (
            "21 nested REGEX with two arguments",
            format!(
                "ASK {{ FILTER({}) }}",
                nest(21, "REGEX(STR(", "?x", "), \"a\")")
            ),
        ),
        (
            "22 nested SUBSTR with two arguments",
            format!("SELECT ({} AS ?y) {{}}", nest(22, "SUBSTR(", "?x", ", 1)")),
        ),
        (
            "60 nested parentheses in a filter",
            format!("ASK {{ ?s ?p ?o FILTER({}) }}", nest(60, "(", "?o", ")")),
        ),
        (
            "60 nested parentheses around a sum",
            format!("ASK {{ FILTER({} = 2) }}", nest(60, "(1 + ", "1", ")")),
        ),
        (
            "60 nested collections",
            format!("ASK {{ ?s ?p {} }}", nest(60, "(", "1", ")")),
        ),
        (
            "60 nested blank nodes",
            format!("ASK {{ ?s ?p {} }}", nest(60, "[ ?p ", "?o", " ]")),
        ),
        (
            "60 nested groups",
            format!("ASK {}", nest(60, "{", "?s ?p ?o", "}")),
        ),
        (
            "60 nested quoted triples",
            format!("ASK {{ {} }}", nest(60, "<< ", "?s ?p ?o", " >> ?p ?o")),
        ),
        (
            "60 nested IF",
            format!("SELECT ({} AS ?x) {{}}", nest(60, "IF(true, ", "1", ", 2)")),
        ),
        (
            "60 nested COALESCE",
            format!(
                "SELECT ({} AS ?x) {{}}",
                nest(60, "COALESCE(?y, ", "1", ")")
            ),
        ),
        (
            "60 nested property paths",
            format!("ASK {{ ?s {} ?o }}", nest(60, "(", "schema:knows", ")*")),
        ),
        (
            "30 nested sub-queries",
            format!(
                "ASK {{ {} }}",
                nest(30, "{ SELECT * WHERE { ", "?s ?p ?o", " } }")
            ),
        ),
        (
            "60 mixed brackets",
            format!("ASK {{ ?s ?p {} }}", nest(30, "( [ ?p ", "?o", " ] )")),
        ),
        (
            "a basic graph pattern of 100,000 triples",
            format!("SELECT * WHERE {{ {} }}", "?s <urn:p> ?o . ".repeat(n)),
        ),
        (
            "VALUES of 100,000 rows",
            format!("SELECT * WHERE {{ VALUES ?x {{ {} }} }}", "1 ".repeat(n)),
        ),
        (
            "10,000 PREFIX declarations",
            (0..10_000)
                .map(|i| format!("PREFIX p{i}: <urn:p{i}#>\n"))
                .chain(["ASK {}".to_owned()])
                .collect::<String>(),
        ),
        (
            "a string literal of 1 MiB",
            format!("ASK {{ FILTER(STRLEN(\"{}\") > 0) }}", "x".repeat(1 << 20)),
        ),
        (
            "an IRI of 1 MiB",
            format!("ASK {{ <urn:{}> ?p ?o }}", "x".repeat(1 << 20)),
        ),
        (
            "a variable name of 1 MiB",
            format!("SELECT ?{0} WHERE {{ ?{0} ?p ?o }}", "v".repeat(1 << 20)),
        ),
        (
            "100,000 braces inside a string",
            format!("ASK {{ ?s ?p \"{}\" }}", "{".repeat(n)),
        ),
        (
            "100,000 parentheses inside an IRI",
            format!("ASK {{ ?s ?p <urn:x{}> }}", "(".repeat(n)),
        ),
        (
            "100,000 braces in a comment",
            format!("# {}\nASK {{}}", "{".repeat(n)),
        ),
        (
            "100,000 braces after an unterminated long string",
            format!("ASK {{ ?s ?p '''{}", "{".repeat(n)),
        ),
        (
            "100,000 braces after an unterminated string",
            format!("ASK {{ ?s ?p \"{}", "{".repeat(n)),
        ),
        ("100,000 closing braces", "}".repeat(n)),
        (
            "20,000 update operations",
            "INSERT DATA { <urn:a> <urn:b> 1 } ;\n".repeat(20_000)
                + "INSERT DATA { <urn:a> <urn:b> 2 }",
        ),
        (
            "a comment of 1 MiB",
            format!("#{}\nASK {{}}", "#".repeat(1 << 20)),
        ),
        ("1 MiB of NUL", "\0".repeat(1 << 20)),
        ("100,000 PREFIX keywords", "PREFIX ".repeat(n)),
        ("100,000 SELECT *", "SELECT * ".repeat(n)),
        (
            "100,000 backslashes",
            format!("ASK {{ ?s ?p \"{}\" }}", "\\".repeat(n)),
        ),
    ];
    for (_, text) in &survived {
        let _ = run_case("sparql_hostile", Target::Sparql, text.as_bytes(), || {
            check_sparql(store, text.as_bytes())
        });
    }
}

proptest! {
    #![proptest_config(config(Target::Sparql))]

    #[test]
    fn sparql_mutations(recipe in recipes()) {
        if !budget(Target::Sparql).allows(Target::Sparql) {
            return Ok(());
        }
        let input = recipe.build(Target::Sparql);
        let _ = run_case("sparql_mutations", Target::Sparql, &input, || {
            check_sparql(store(), &input)
        });
    }
}

// ------------------------------------------------------------------------------------
// Records (YAML, JSON)
// ------------------------------------------------------------------------------------

#[test]
fn record_corpus_replays() {
    for entry in corpus(Target::Record) {
        let outcome = run_case("record_corpus", Target::Record, &entry.bytes, || {
            check_record(&entry.bytes)
        });
        match expectation(&entry.name) {
            Expect::Accepted => assert!(outcome.is_ok(), "{}: {outcome:?}", entry.name),
            Expect::Refused => assert!(outcome.is_err(), "{}: accepted", entry.name),
            Expect::Either => {}
        }
    }
}

#[test]
fn record_hostile_shapes() {
    let n = 100_000;
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let aliases = chain(&format!("*a{}", i - 1), ", ", 10);
        laughs.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    let not_utf8 = {
        let mut bytes = format!("name: {}", "é".repeat(1 << 19)).into_bytes();
        bytes.push(0xff);
        bytes
    };
    let refused = [
        (
            "JSON: 100,000 nested arrays",
            ("[".repeat(n) + &"]".repeat(n)).into_bytes(),
        ),
        (
            "JSON: 100,000 nested objects",
            ("{\"a\": ".repeat(n) + "1" + &"}".repeat(n)).into_bytes(),
        ),
        ("JSON: 100,000 open arrays", "[".repeat(n).into_bytes()),
        (
            "YAML: 100,000 nested flow sequences",
            format!("id: seminar/x\nname: {}x{}\n", "[".repeat(n), "]".repeat(n)).into_bytes(),
        ),
        (
            "YAML: 100,000 nested flow maps",
            format!("name: {}1{}\n", "{a: ".repeat(n), "}".repeat(n)).into_bytes(),
        ),
        (
            "YAML: 100,000 nested block sequences",
            format!("about:\n{}x\n", "- ".repeat(n)).into_bytes(),
        ),
        (
            "YAML: 1,000 levels of indentation",
            (0..1_000)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
                .into_bytes(),
        ),
        ("YAML: a billion laughs", laughs.into_bytes()),
        (
            "YAML: 20,000 unknown keys",
            (0..20_000)
                .map(|i| format!("k{i}: 1\n"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "YAML: an unknown key of 256 KiB",
            format!("{}: 1\n", "k".repeat(256 << 10)).into_bytes(),
        ),
        (
            "YAML: a date of 1 MiB",
            format!(
                "startDate: {}\n",
                "Vendredi 25 novembre 2022 ".repeat(40_000)
            )
            .into_bytes(),
        ),
        ("not UTF-8 after 1 MiB", not_utf8),
        ("1 MiB of NUL", vec![0; 1 << 20]),
    ];
    for (what, input) in &refused {
        run_case("record_hostile", Target::Record, input, || {
            assert!(check_record(input).is_err(), "{what}: accepted");
        });
    }
    let survived = [
        (
            "a name of 4 MiB",
            format!(
                "id: seminar/x\ntype: Seminar\nname: {}\n",
                "a".repeat(4 << 20)
            )
            .into_bytes(),
        ),
        (
            "a list of 100,000 themes",
            format!("id: seminar/x\nabout: [{}]\n", "theme/sante, ".repeat(n)).into_bytes(),
        ),
        ("100,000 documents", "---\nid: x\n".repeat(n).into_bytes()),
        (
            "100,000 anchors",
            (0..n)
                .map(|i| format!("- &a{i} x\n"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "50,000 aliases of one anchor",
            format!("about: [&t theme/sante{}]\n", ", *t".repeat(50_000)).into_bytes(),
        ),
        (
            "carriage returns only",
            "id: seminar/x\rname: x\r".repeat(10_000).into_bytes(),
        ),
        (
            "a byte-order mark before JSON",
            "\u{feff}{\"id\": \"seminar/x\"}".as_bytes().to_vec(),
        ),
        (
            "tabs as indentation",
            b"id: x\nabout:\n\t- theme/sante\n".to_vec(),
        ),
        (
            "a merge key of itself",
            b"a: &a {id: x, <<: *a}\nb: {<<: *a}\n".to_vec(),
        ),
        (
            "an own @context nested 60 deep",
            format!(
                "\"@context\": {{}}\nname: {}x{}\n",
                "[".repeat(60),
                "]".repeat(60)
            )
            .into_bytes(),
        ),
    ];
    for (_, input) in &survived {
        let _ = run_case("record_hostile", Target::Record, input, || {
            check_record(input)
        });
    }
}

proptest! {
    #![proptest_config(config(Target::Record))]

    #[test]
    fn record_mutations(recipe in recipes()) {
        if !budget(Target::Record).allows(Target::Record) {
            return Ok(());
        }
        let input = recipe.build(Target::Record);
        let _ = run_case("record_mutations", Target::Record, &input, || check_record(&input));
    }
}

// ------------------------------------------------------------------------------------
// Spreadsheets of actions (CSV)
// ------------------------------------------------------------------------------------

#[test]
fn csv_corpus_replays() {
    for entry in corpus(Target::Csv) {
        let outcome = run_case("csv_corpus", Target::Csv, &entry.bytes, || {
            check_csv(&entry.bytes)
        });
        match expectation(&entry.name) {
            Expect::Accepted => assert!(outcome.is_ok(), "{}: {outcome:?}", entry.name),
            Expect::Refused => assert!(outcome.is_err(), "{}: accepted", entry.name),
            Expect::Either => {}
        }
    }
}

#[test]
fn csv_hostile_shapes() {
    let n = 100_000;
    let header = "titre;porteur;source\n";
    let not_utf8 = {
        let mut bytes = format!("{header}{}", "é".repeat(1 << 19)).into_bytes();
        bytes.push(0xff);
        bytes
    };
    // A file without a title, lead and source column cannot be accepted.
    let refused = [
        (
            "100,000 columns named titre",
            ("titre,".repeat(n) + "porteur,source\n").into_bytes(),
        ),
        (
            "100,000 unknown columns",
            ("titre,porteur,source,".to_owned() + &"x,".repeat(n) + "\n").into_bytes(),
        ),
        (
            "a header of 1 MiB",
            ("t".repeat(1 << 20) + "\n").into_bytes(),
        ),
        (
            "1 MiB of carriage returns",
            "\r".repeat(1 << 20).into_bytes(),
        ),
        ("1 MiB of NUL", vec![0; 1 << 20]),
        ("1 MiB of quotes", "\"".repeat(1 << 20).into_bytes()),
        ("1 MiB of delimiters", ";".repeat(1 << 20).into_bytes()),
        (
            "a row of 100,000 cells",
            (header.to_owned() + &";".repeat(n) + "\n").into_bytes(),
        ),
        ("not UTF-8 after 1 MiB", not_utf8),
        (
            "100,000 rows without a lead",
            (header.to_owned() + &"A;;https://example.org/a\n".repeat(n)).into_bytes(),
        ),
        (
            "an unknown SDG code after 100,000 good ones",
            format!(
                "titre;porteur;source;odd\nA;PMA;https://example.org/a;{}onze\n",
                "11.1, ".repeat(n)
            )
            .into_bytes(),
        ),
    ];
    for (what, input) in &refused {
        run_case("csv_hostile", Target::Csv, input, || {
            assert!(check_csv(input).is_err(), "{what}: accepted");
        });
    }
    let survived = [
        (
            "100,000 rows",
            (0..n)
                .map(|i| format!("Action {i};PMA;https://example.org/{i}\n"))
                .fold(header.to_owned(), |mut text, row| {
                    text.push_str(&row);
                    text
                })
                .into_bytes(),
        ),
        (
            "100,000 territory codes in a cell",
            format!(
                "titre;porteur;source;territoires\nA;PMA;https://example.org/a;{}\n",
                "200072460, ".repeat(n)
            )
            .into_bytes(),
        ),
        (
            "100,000 byte-order marks",
            ("\u{feff}".repeat(n) + header + "A;PMA;https://example.org/a\n").into_bytes(),
        ),
        (
            "a title of 1 MiB that grows when folded",
            format!(
                "{header}{};PMA;https://example.org/a\n",
                "İ".repeat(1 << 19)
            )
            .into_bytes(),
        ),
        (
            "a quote left open over 1 MiB",
            format!("{header}\"{}", "a;".repeat(1 << 19)).into_bytes(),
        ),
        (
            "codes whose capitals are longer",
            "titre;porteur;source;territoires;odd\nA;PMA;x;ßßßß, 2Aß, QNßßßß, 2aé1;1.ß\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "a lead that is an IRI of 1 MiB",
            format!(
                "{header}A;org/{};https://example.org/a\n",
                "x".repeat(1 << 20)
            )
            .into_bytes(),
        ),
    ];
    for (_, input) in &survived {
        let _ = run_case("csv_hostile", Target::Csv, input, || check_csv(input));
    }
}

proptest! {
    #![proptest_config(config(Target::Csv))]

    #[test]
    fn csv_mutations(recipe in recipes()) {
        if !budget(Target::Csv).allows(Target::Csv) {
            return Ok(());
        }
        let input = recipe.build(Target::Csv);
        let _ = run_case("csv_mutations", Target::Csv, &input, || check_csv(&input));
    }
}

// ------------------------------------------------------------------------------------
// Content negotiation
// ------------------------------------------------------------------------------------

#[test]
fn accept_corpus_replays() {
    for entry in corpus(Target::Accept) {
        let accept = String::from_utf8_lossy(&entry.bytes).into_owned();
        run_case("accept_corpus", Target::Accept, &entry.bytes, || {
            for offered in standard_offers() {
                for format in [None, Some("json"), Some("turtle"), Some("unheard-of")] {
                    check_accept(&offered, &accept, format);
                }
            }
        });
        if entry.name.starts_with("browser-") {
            assert!(
                negotiate::prefers_html(Some(accept.as_str())),
                "{}: no HTML",
                entry.name
            );
        }
        if entry.name.starts_with("client-") {
            assert!(
                !negotiate::prefers_html(Some(accept.as_str())),
                "{}: HTML",
                entry.name
            );
        }
    }
    // No Accept header means */*: the server's first choice; nothing offered, nothing chosen.
    for offered in standard_offers() {
        assert_eq!(
            negotiate::choose(&offered, None, None),
            offered.first().copied()
        );
    }
    assert!(!negotiate::prefers_html(None));
}

#[test]
fn accept_hostile_shapes() {
    // Headers as long as an HTTP server takes (hyper's default limit is about 100 KB).
    let n = 10_000;
    let long = 64 << 10;
    let headers = [
        ("10,000 ranges", "text/html;q=0.5,".repeat(n)),
        ("64 KiB of semicolons", ";".repeat(long)),
        ("64 KiB of commas", ",".repeat(long)),
        ("64 KiB of slashes", "/".repeat(long)),
        ("a media type of 64 KiB", "a".repeat(long) + "/b"),
        (
            "10,000 parameters",
            "application/sparql-results+json".to_owned() + &";q=0.5".repeat(n),
        ),
        (
            "odd q-values",
            "application/sparql-results+json;q=NaN, text/csv;q=inf, application/sparql-results+xml;q=-1, text/tab-separated-values;q=1e400, application/n-triples;q=1e-45, */*;q=0.0000000000000000000000000000000000000000001".to_owned(),
        ),
        ("q without a value", "*/*;q=, text/csv;q, text/html;=1, ;q=1".to_owned()),
        ("non-ASCII", "téxt/htmł;q=0.9, ǅ/ǅ, İ/*, */*;q=٠.٥".to_owned()),
        ("control characters", "\0/\0;q=\0, \u{7f}/*, text/html\r\n".to_owned()),
        ("empty", String::new()),
    ];
    let long_format = "x".repeat(long);
    let formats = [
        None,
        Some("json"),
        Some(long_format.as_str()),
        Some("İ"),
        Some(" TURTLE "),
    ];
    for (_, accept) in &headers {
        run_case("accept_hostile", Target::Accept, accept.as_bytes(), || {
            for offered in standard_offers() {
                for format in formats {
                    check_accept(&offered, accept, format);
                }
            }
        });
    }
    // Refusing everything leaves nothing to choose.
    for offered in standard_offers() {
        let chosen = run_case("accept_hostile", Target::Accept, b"*/*;q=0", || {
            check_accept(&offered, "*/*;q=0", None)
        });
        assert_eq!(chosen, None, "*/*;q=0 chose something among {offered:?}");
    }
}

proptest! {
    #![proptest_config(config(Target::Accept))]

    #[test]
    fn accept_mutations(recipe in recipes(), offered in offers(), format in format_parameters()) {
        if !budget(Target::Accept).allows(Target::Accept) {
            return Ok(());
        }
        let accept = String::from_utf8_lossy(&recipe.build(Target::Accept)).into_owned();
        run_case("accept_mutations", Target::Accept, accept.as_bytes(), || {
            check_accept(&offered, &accept, format.as_deref());
        });
    }
}

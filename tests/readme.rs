//! Examples are tests: every fenced block of README.md is run, or written as a file that a
//! run block imports, or says in the README why it is not run. A block that is none of
//! these fails the test, so a new example cannot silently escape.
//!
//! How a block is handled is read from its info string and from a marker, an HTML comment
//! on the line right before its fence (invisible once rendered, visible in the source):
//!
//! - `<!-- not run: REASON -->`: not run, for the reason given (it installs packages,
//!   builds for minutes, is a benchmark…). Any block may be marked so.
//! - ```` ```sh ````: run. A block with `curl` commands is run against a real server
//!   ([`http_examples_answer`]); any other is a tour of the command line, each command
//!   run in README order with the real binary ([`command_line_examples_run`]).
//! - `<!-- file: NAME -->` before a ```` ```yaml ```` or ```` ```csv ```` block: written as
//!   NAME into the directory where the command-line blocks run; one of their commands
//!   must name it (the tour imports it).
//! - ```` ```sparql ````: run by `tests/content.rs` (each query prepares and runs).
//! - ```` ```text ````: a usage synopsis or a diagram, nothing to run.
//! - anything else, a block without an info string included: the test fails and says
//!   what to write.
//!
//! Files the commands name that the README does not itself show (`my-query.rq`,
//! `seminaire-lille-2023.ttl`, `notes.ttl`…) are in `tests/fixtures/readme/`.
//!
//! What the tests put in the README's place, and nothing else: each command runs with
//! `sh -c` in a temporary directory holding those files, with no `LABGRAPH_*` variable of
//! the caller, `labgraph` being a shell function calling the binary cargo built (for the
//! README's `alias labgraph='cargo run --release --quiet --'`, which runs that binary).
//! In the HTTP block, the line `… > admin.token && labgraph serve FLAGS` runs its part
//! before `&&` as written, then this test's server stands for `labgraph serve FLAGS`: the
//! same binary and flags, on a free loopback port, started before any `curl`; each `curl`
//! gets `--fail --silent --show-error --max-time 60` and the server's address for
//! `http://127.0.0.1:7878`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxigraph::io::{RdfFormat, RdfParser};

/// The README's shell alias. The tests define `labgraph` as a shell function calling the
/// binary cargo built for them, which is what `cargo run --release --quiet --` runs.
const ALIAS: &str = "alias labgraph='cargo run --release --quiet --'";

/// The address the README's HTTP examples use; the tests substitute their own server's.
const README_ADDRESS: &str = "http://127.0.0.1:7878";

/// Options added to every `curl` of the README: fail on an HTTP error status (>= 400),
/// print only the errors, never hang.
const CURL_OPTIONS: &str = "--fail --silent --show-error --max-time 60";

#[derive(Debug, Clone, PartialEq)]
enum Marker {
    NotRun(String),
    File(String),
}

/// A fenced block of the README.
#[derive(Debug)]
struct Block {
    /// Line of the opening fence (1-based).
    line: usize,
    info: String,
    marker: Option<Marker>,
    body: String,
}

/// What the tests do with a block.
#[derive(Debug, PartialEq)]
enum Handling {
    NotRun(String),
    Cli,
    Http,
    File(String),
    Sparql,
    Text,
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

fn marker(line: &str) -> Option<Marker> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    if let Some(reason) = inner.strip_prefix("not run:") {
        Some(Marker::NotRun(reason.trim().to_owned()))
    } else {
        inner
            .strip_prefix("file:")
            .map(|name| Marker::File(name.trim().to_owned()))
    }
}

/// The fenced blocks of a Markdown text (``` fences, indented ones in list items too).
fn blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - lines[i].trim_start().len();
        let start = i;
        let mut body = String::new();
        i += 1;
        while i < lines.len() && lines[i].trim() != "```" {
            let line = lines[i];
            body.push_str(line.get(indent..).unwrap_or(line.trim_start()));
            body.push('\n');
            i += 1;
        }
        assert!(i < lines.len(), "README.md:{}: unclosed fence", start + 1);
        blocks.push(Block {
            line: start + 1,
            info: info.trim().to_owned(),
            marker: start.checked_sub(1).and_then(|p| marker(lines[p])),
            body,
        });
        i += 1;
    }
    blocks
}

/// How a block is handled, or what is wrong with it.
fn handling(block: &Block) -> Result<Handling, String> {
    match (&block.marker, block.info.as_str()) {
        (Some(Marker::NotRun(reason)), _) if reason.is_empty() => {
            Err("`<!-- not run: … -->` must say why".into())
        }
        (Some(Marker::NotRun(reason)), _) => Ok(Handling::NotRun(reason.clone())),
        (Some(Marker::File(name)), "yaml" | "csv") => Ok(Handling::File(name.clone())),
        (Some(Marker::File(_)), _) => Err("only ```yaml and ```csv blocks are files".into()),
        (None, "sh") => shell(&block.body),
        (None, "sparql") => Ok(Handling::Sparql),
        (None, "text") => Ok(Handling::Text),
        (None, "yaml" | "csv") => Err(
            "a file the examples import: put `<!-- file: NAME -->` right before it, \
             NAME being the file the commands name"
                .into(),
        ),
        (None, "") => Err("say what it is: ```text for a diagram or a synopsis, \
             or the language of an example, which then runs"
            .into()),
        (None, info) => Err(format!(
            "```{info} is not run by the tests: run it (tests/readme.rs) or put \
             `<!-- not run: REASON -->` right before it"
        )),
    }
}

/// A shell block with `curl` is run against a server: its commands are `curl`, or start
/// that server (`… && labgraph serve FLAGS`). Any other is a tour of the command line: its
/// commands are `labgraph` (and the README's alias).
fn shell(body: &str) -> Result<Handling, String> {
    let commands = commands(body);
    let labgraph = |c: &str| c == "labgraph" || c.starts_with("labgraph ") || c == ALIAS;
    let (how, runs): (_, &dyn Fn(&str) -> bool) = if commands.iter().any(|c| c.starts_with("curl "))
    {
        (Handling::Http, &|c| {
            c.starts_with("curl ") || c.contains("labgraph serve")
        })
    } else {
        (Handling::Cli, &labgraph)
    };
    match commands.iter().find(|c| !runs(c)) {
        None => Ok(how),
        Some(c) => Err(format!(
            "the tests run `labgraph` commands, or `curl` against a server (tests/readme.rs): \
             run this one there, or put `<!-- not run: REASON -->` right before the block: {c}"
        )),
    }
}

/// The commands of a shell block: a line ending in `\` continues on the next (kept as is,
/// for the shell), comment lines and blank lines are left out.
fn commands(body: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        if current.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        current.push_str(line);
        if line.trim_end().ends_with('\\') {
            current.push('\n');
        } else {
            commands.push(std::mem::take(&mut current));
        }
    }
    assert!(current.is_empty(), "a command ends with `\\`: {current}");
    commands
}

/// Runs one command of the README with `sh`, `labgraph` being the binary under test, in
/// `dir`, with no `LABGRAPH_*` variable of the caller's environment.
fn sh(dir: &Path, command: &str) -> Output {
    let script = format!("labgraph() {{ \"$README_LABGRAPH_BINARY\" \"$@\"; }}\n{command}");
    let output = clean(Command::new("sh"))
        .args(["-c", &script])
        .env("README_LABGRAPH_BINARY", env!("CARGO_BIN_EXE_labgraph"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("sh: {e}"));
    assert!(
        output.status.success(),
        "README example failed ({}):\n{command}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        tail(&output.stdout),
        tail(&output.stderr)
    );
    output
}

fn clean(mut command: Command) -> Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LABGRAPH_") {
            command.env_remove(name);
        }
    }
    command
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let start = text.len().saturating_sub(4000);
    let start = (start..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap();
    text[start..].to_owned()
}

/// A directory holding the fixtures of `tests/fixtures/readme/`.
fn directory_with_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/readme");
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// The blocks handled so (a block in error is left to `every_block_is_run_written_or_marked`).
fn handled(how: Handling) -> Vec<Block> {
    blocks(&readme())
        .into_iter()
        .filter(|b| handling(b).is_ok_and(|h| h == how))
        .collect()
}

#[test]
fn every_block_is_run_written_or_marked() {
    let blocks = blocks(&readme());
    let mut problems = Vec::new();
    for block in &blocks {
        match handling(block) {
            Ok(how) => println!("README.md:{} ```{}: {how:?}", block.line, block.info),
            Err(e) => problems.push(format!("README.md:{}: {e}", block.line)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // What this file runs is there: the tour, the HTTP calls, the files they import.
    let all: Vec<Handling> = blocks.iter().filter_map(|b| handling(b).ok()).collect();
    assert!(all.contains(&Handling::Cli) && all.contains(&Handling::Http));
    assert!(
        all.iter()
            .filter(|h| matches!(h, Handling::File(_)))
            .count()
            >= 2
    );
    assert!(all.contains(&Handling::Sparql));
    // No fixture is left that no example names.
    let readme = readme();
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/readme"))
            .unwrap()
    {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            readme.contains(&name),
            "tests/fixtures/readme/{name}: no README example names it"
        );
    }
}

#[test]
fn the_rules_let_no_example_escape() {
    let markdown = "```sh\nlabgraph graphs\n```\n\n```\na diagram\n```\n\
        <!-- not run: -->\n```sh\nmake\n```\n```python\nprint()\n```\n```yaml\na: 1\n```\n\
        <!-- not run: slow -->\n```sh\nmake\n```\n```sh\napt-get install curl\n```\n\
        - item\n  <!-- file: a.csv -->\n  ```csv\n  x;y\n  ```\n\
        ```sh\ncurl -I http://127.0.0.1:7878/\n```\n";
    let blocks = blocks(markdown);
    let got: Vec<_> = blocks.iter().map(|b| handling(b).ok()).collect();
    let slow = Handling::NotRun("slow".into());
    let file = Handling::File("a.csv".into());
    let want = vec![
        Some(Handling::Cli),
        None,
        None,
        None,
        None,
        Some(slow),
        None,
        Some(file),
        Some(Handling::Http),
    ];
    assert_eq!(got, want);
    assert_eq!(blocks[7].body, "x;y\n");
    assert_eq!(
        commands("# a comment\n\na \\\n  b # c\ne\n"),
        ["a \\\n  b # c", "e"]
    );
}

#[test]
fn command_line_examples_run() {
    let dir = directory_with_fixtures();
    let cli: Vec<String> = handled(Handling::Cli)
        .iter()
        .flat_map(|b| commands(&b.body))
        .collect();
    // The files the README shows, where its commands import them.
    for block in blocks(&readme()) {
        if let Ok(Handling::File(name)) = handling(&block) {
            assert!(
                cli.iter().any(|c| c.split_whitespace().any(|w| w == name)),
                "README.md:{}: no command of the README names {name}",
                block.line
            );
            std::fs::write(dir.path().join(&name), &block.body).unwrap();
        }
    }
    let mut ran = 0;
    for command in &cli {
        if command.starts_with("alias ") {
            assert_eq!(
                command, ALIAS,
                "`labgraph` is the binary cargo built for the tests: see ALIAS in tests/readme.rs"
            );
            continue;
        }
        sh(dir.path(), command);
        ran += 1;
    }
    assert!(ran >= 15, "the tour has {ran} commands");
    // What the comments of the tour promise.
    let path = |name: &str| dir.path().join(name);
    assert!(
        std::fs::read_to_string(path("sdg.ttl"))
            .unwrap()
            .contains("sdg:11.6")
    );
    assert!(path("everything.trig").metadata().unwrap().len() > 0);
    let backup = cli
        .iter()
        .find_map(|c| c.strip_prefix("labgraph backup "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the tour makes a backup");
    let graphs = sh(
        dir.path(),
        &format!("labgraph --store {backup} graphs  # open it with --store"),
    );
    let graphs = String::from_utf8_lossy(&graphs.stdout);
    assert!(graphs.contains("graph/seminaire-lille-2023"), "{graphs}");
    assert!(graphs.contains("graph/dump-2026"), "{graphs}");
}

/// A server on a free loopback port, killed when dropped (as in tests/live.rs).
struct Server {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = clean(Command::new(env!("CARGO_BIN_EXE_labgraph")))
            .arg("--store")
            .arg(dir.join("labgraph-store"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                log.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(rest) = line.split("http://").nth(1)
                    && line.contains("point d'accès SPARQL")
                {
                    let _ = sender.send(rest.split('/').next().unwrap().to_owned());
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the server did not start: {}", stderr.lock().unwrap()));
        Server {
            child,
            url: format!("http://{address}"),
            stderr,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The triples of a Turtle text whose subject is `iri`.
fn subjects(turtle: &str, iri: &str) -> usize {
    RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(turtle.as_bytes())
        .map(|q| q.unwrap_or_else(|e| panic!("{e}:\n{turtle}")))
        .filter(|q| q.subject.to_string() == format!("<{iri}>"))
        .count()
}

const SEMINAR: &str = "https://w3id.org/labgraph/id/seminar/pma-artois-2022-12-01";

/// The check of an answer (its standard output).
type Check = fn(&str);

/// What some answers must hold beyond a success status: a part of the command, and the
/// check of its standard output. Each must find its command in the README.
const CHECKS: &[(&str, Check)] = &[
    ("'Accept: text/csv'", |out| {
        assert_eq!(out.lines().next(), Some("s,nom"), "{out}");
        assert!(out.contains(SEMINAR), "{out}");
    }),
    ("seminar-speakers?", |out| {
        assert!(out.starts_with("seminar,"), "a header row: {out}");
        assert!(out.lines().count() > 5, "{out}");
    }),
    ("graph=graph/themes", |out| {
        let json: serde_json::Value = serde_json::from_str(out).unwrap();
        assert!(json.as_array().is_some_and(|a| a.len() > 10), "{out}");
    }),
    ("'Accept: text/turtle' http", |out| {
        assert!(subjects(out, SEMINAR) > 10, "{out}");
    }),
    (".jsonld", |out| {
        let json: serde_json::Value = serde_json::from_str(out).unwrap();
        assert!(json.to_string().contains(SEMINAR), "{out}");
    }),
    ("resource?iri=", |out| {
        assert!(
            subjects(out, "http://metadata.un.org/sdg/11.6") > 0,
            "{out}"
        );
    }),
    ("curl -I ", |out| {
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.contains("content-type: text/html"), "{out}");
    }),
    ("-X PUT", |out| assert!(out.is_empty(), "{out}")),
];

#[test]
fn http_examples_answer() {
    for (program, version) in [("curl", "--version"), ("openssl", "version")] {
        let found = Command::new(program).arg(version).output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "the README's HTTP examples need {program}"
        );
    }
    let dir = directory_with_fixtures();
    let mut curls = Vec::new();
    let mut serve = None;
    for command in handled(Handling::Http)
        .iter()
        .flat_map(|b| commands(&b.body))
    {
        if let Some((before, flags)) = command.split_once("labgraph serve") {
            // `… > admin.token && labgraph serve FLAGS`: what comes before runs as written;
            // the server the README starts is this test's, with the README's flags, on a
            // free loopback port and a store of its own, started before any `curl`.
            let before = before.trim_end().strip_suffix("&&").unwrap_or(before);
            if !before.trim().is_empty() {
                sh(dir.path(), before);
            }
            assert!(
                flags
                    .chars()
                    .all(|c| c.is_alphanumeric() || " -_./".contains(c)),
                "the flags of `labgraph serve` are plain words: {flags}"
            );
            assert!(serve.replace(flags.to_owned()).is_none(), "one server");
        } else {
            curls.push(command);
        }
    }
    let flags = serve.unwrap_or_default();
    let server = Server::start(dir.path(), &flags.split_whitespace().collect::<Vec<_>>());
    if flags.contains("--admin-token-file") {
        assert!(server.stderr.lock().unwrap().contains("admin"), "writable");
    }
    let mut checked = vec![false; CHECKS.len()];
    for command in &curls {
        let run = command
            .replacen("curl ", &format!("curl {CURL_OPTIONS} "), 1)
            .replace(README_ADDRESS, &server.url);
        let output = sh(dir.path(), &run);
        let out = String::from_utf8_lossy(&output.stdout);
        for (i, (part, check)) in CHECKS.iter().enumerate() {
            if command.contains(part) {
                check(&out);
                checked[i] = true;
            }
        }
    }
    for (i, (part, _)) in CHECKS.iter().enumerate() {
        assert!(
            checked[i],
            "no HTTP example of the README has `{part}`: update CHECKS"
        );
    }
    // The PUT wrote the note.
    let notes = sh(
        dir.path(),
        &format!(
            "curl {CURL_OPTIONS} '{}/store?graph=graph/notes'",
            server.url
        ),
    );
    let notes = String::from_utf8_lossy(&notes.stdout);
    assert_eq!(
        subjects(
            &notes,
            "https://w3id.org/labgraph/id/note/pma-artois-2022-12-01"
        ),
        4,
        "{notes}"
    );
}

/// The README's two commands are the Makefile's targets, and CI runs the second one:
/// `.ci/run` ends with the README's test command, and the targets run `tools/setup`
/// (which installs what a fresh machine lacks) before cargo.
#[test]
fn the_two_commands_are_the_makefile_and_ci_runs_the_test_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = readme();
    let section = &text[text
        .find("## Two commands")
        .expect("a section Two commands")..];
    let block = blocks(section)
        .into_iter()
        .next()
        .expect("a block of commands");
    let two: Vec<String> = commands(&block.body)
        .iter()
        .map(|c| c.split('#').next().unwrap().trim().to_owned())
        .collect();
    assert_eq!(two.len(), 2, "two commands: {two:?}");
    assert_eq!(two[0], "make serve");
    assert_eq!(two[1], "make test");
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    for (target, setup, cargo) in [
        (
            "serve:",
            "tools/setup build",
            "cargo run --release --locked -- serve",
        ),
        ("test:", "tools/setup test", "cargo test --release --locked"),
    ] {
        let body = &makefile[makefile.find(&format!("\n{target}")).expect(target)..];
        let recipe: Vec<&str> = body
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('\t'))
            .collect();
        assert_eq!(
            recipe,
            [format!("\t{setup}"), format!("\t{cargo}")],
            "{target}"
        );
    }
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let last = ci.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert_eq!(
        last.trim(),
        two[1],
        ".ci/run ends with the README's test command"
    );
}

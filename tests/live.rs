//! `labgraph serve` as a process on loopback: real clients (Python's SPARQLWrapper and
//! rdflib, installed by this test into a virtual environment), the query page in a real
//! headless browser (Debian's chromium), graceful shutdown on SIGTERM, and bad flags.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const TOKEN: &str = "live-test-token-0123456789";

/// A server on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
    _store: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let store = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_labgraph"))
            .arg("--store")
            .arg(store.path().join("store"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .env("LABGRAPH_ADMIN_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(rest) = line.split("http://").nth(1)
                    && line.contains("point d'accès SPARQL")
                {
                    let address = rest.split('/').next().unwrap().to_owned();
                    let _ = sender.send(address);
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the server did not start: {}", stderr.lock().unwrap()));
        Server {
            child,
            url: format!("http://{address}"),
            stderr,
            _store: store,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(command: &mut Command) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A virtual environment with the pinned clients of tests/clients/requirements.txt,
/// made once under target/ (pip reaches PyPI). The tests of this file run in parallel
/// and share it, so it is made once per run, behind a lock: two tests making it at once
/// removed each other's half-made environment.
fn python_with_clients() -> PathBuf {
    static MADE: OnceLock<PathBuf> = OnceLock::new();
    MADE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clients-venv");
        let python = root.join("bin").join("python");
        let requirements =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/requirements.txt");
        let stamp = root.join("installed.txt");
        let wanted = std::fs::read_to_string(&requirements).unwrap();
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
            let _ = std::fs::remove_dir_all(&root);
            run(Command::new("python3").args(["-m", "venv"]).arg(&root));
            run(Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements));
            std::fs::write(&stamp, wanted).unwrap();
        }
        python
    })
    .clone()
}

#[test]
fn python_sparqlwrapper_and_rdflib_against_a_live_server() {
    let python = python_with_clients();
    let server = Server::start(&[]);
    let output = run(Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/check.py"))
        .arg(&server.url)
        .arg(TOKEN));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("checks passed"), "{said}");
    eprintln!("{said}");
}

/// What the server publishes, read as its readers read it (tests/clients/publish.py): the
/// catalogue as data.gouv.fr's harvester fetches it (no Accept, no redirect) and against
/// the SEMIC DCAT-AP 3.0.1 shapes (pySHACL), every dump against its size and checksum,
/// the calendars with the `icalendar` package, the Atom feed with feedparser, the sitemap
/// against the protocol's schema.
#[test]
fn the_catalogue_passes_dcat_ap_and_the_feeds_and_sitemap_parse_with_independent_tools() {
    let python = python_with_clients();
    let server = Server::start(&[]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = run(Command::new(python)
        .arg(root.join("tests/clients/publish.py"))
        .arg(&server.url)
        .arg(root.join("tests/fixtures/dcat-ap-3.0.1"))
        .arg(root.join("tests/clients/sitemap.xsd")));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("checks passed"), "{said}");
    eprintln!("{said}");
}

/// The API's OpenAPI document validated (openapi-spec-validator) and the API fuzzed
/// against it by schemathesis on loopback (tests/clients/api.py): no 5xx.
#[test]
fn the_openapi_document_is_valid_and_the_api_survives_fuzzing() {
    let python = python_with_clients();
    let server = Server::start(&[]);
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-report");
    let output = run(Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/api.py"))
        .arg(&server.url)
        .arg(&report));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("api checks passed"), "{said}");
    eprintln!("{said}");
}

/// A person's walk through the resource pages in Debian's chromium, driven by Playwright
/// (tests/clients/pages.py): home → seminars → the seminar → a speaker → the institution →
/// the territory → an SDG goal → a target, checking what each page shows, axe-core's
/// accessibility rules on each (no serious or critical violation), and the seminar's
/// embedded JSON-LD against its data, with rdflib. The screenshots go under target/, or
/// where `LABGRAPH_SCREENSHOTS` says (`docs/screenshots` for the README's).
#[test]
fn a_person_walks_the_resource_pages_in_headless_chromium() {
    let python = python_with_clients();
    let server = Server::start(&[]);
    let shots = std::env::var("LABGRAPH_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_TARGET_TMPDIR")).join("pages-screenshots"));
    let output = run(Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/pages.py"))
        .arg(&server.url)
        .arg(&shots));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("pages checks passed"), "{said}");
    eprintln!("{said}");
}

/// Debian's chromium, headless, on loopback only, dumping the DOM once the page's
/// scripts and fetches have settled.
fn chromium_dom(url: &str) -> String {
    let chromium =
        std::env::var("LABGRAPH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser test needs Debian's chromium: apt-get install -y chromium (or set LABGRAPH_CHROMIUM)"
    );
    let profile = tempfile::tempdir().unwrap();
    let output = run(Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_query_page_runs_an_example_in_headless_chromium() {
    let server = Server::start(&[]);
    // A named query from the examples menu, run at once.
    let dom = chromium_dom(&format!(
        "{}/sparql#example=seminar-speakers&run",
        server.url
    ));
    assert!(
        dom.contains("11 résultats en"),
        "no result count in:\n{dom}"
    );
    assert!(dom.contains("<th>?personName</th>"), "{dom}");
    assert!(
        dom.contains("Morgane Petit") && dom.contains("Alain Bavay"),
        "{dom}"
    );
    assert!(dom.contains("format=csv"), "no download links: {dom}");
    // The editor shows the example's text, with the example's value bound.
    assert!(dom.contains("VALUES (?seminar)"), "{dom}");
    // A broken query shows the server's message.
    let dom = chromium_dom(&format!(
        "{}/sparql#query=SELECT%20%3Fs%20WHERE%20%7B&run",
        server.url
    ));
    assert!(dom.contains("Erreur 400"), "{dom}");
    assert!(dom.contains("requête invalide"), "{dom}");
    // The server saw only its own assets: the page, its script and style, the query.
    let log = server.stderr();
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("labgraph::access"))
        .collect();
    assert!(requests.len() >= 4, "{log}");
    for line in requests {
        assert!(
            [
                "path=/sparql",
                "path=/assets/sparql.js",
                "path=/assets/sparql.css",
                "path=/favicon.ico"
            ]
            .iter()
            .any(|p| line.contains(p)),
            "unexpected request: {line}"
        );
    }
}

#[test]
fn sigterm_stops_the_server_cleanly_and_releases_the_store() {
    let mut server = Server::start(&[]);
    // A connection that never sends anything holds a thread: it must not hold the
    // shutdown too.
    let _idle = std::net::TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    let health = ureq::get(format!("{}/healthz", server.url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    #[allow(unsafe_code)]
    // SAFETY: a signal to our own child process.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        server.stderr().contains("arrêté proprement"),
        "{}",
        server.stderr()
    );
    // The RocksDB lock is released: another command opens the store.
    run(Command::new(env!("CARGO_BIN_EXE_labgraph"))
        .arg("--store")
        .arg(server._store.path().join("store"))
        .arg("graphs"));
}

#[test]
fn bad_serve_flags_are_refused() {
    let store = tempfile::tempdir().unwrap();
    let serve = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_labgraph"));
        command
            .arg("--store")
            .arg(store.path().join("s"))
            .arg("serve")
            .args(args)
            .env_remove("LABGRAPH_ADMIN_TOKEN");
        if let Some(token) = env {
            command.env("LABGRAPH_ADMIN_TOKEN", token);
        }
        command.output().unwrap()
    };
    let output = serve(&["--timeout", "0"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--timeout"));
    let output = serve(&["--bind", "not-an-address"], None);
    assert_eq!(output.status.code(), Some(2));
    let output = serve(&[], Some("short"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 16"));
    let output = serve(&["--admin-token-file", "/nonexistent/token"], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/token"));
    // An address already in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = serve(&["--bind", &address], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(&address),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_server_answers_while_its_slowest_queries_run() {
    // The slow query takes about 4 s on the bundled data: a budget of 1.5 s cancels it.
    let server = Server::start(&["--max-concurrent-queries", "1", "--timeout", "1.5"]);
    let slow = format!(
        "{}/sparql?query={}",
        server.url,
        form_urlencoded::byte_serialize(
            b"SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:none>)+ ?b . ?b ?p ?c }"
        )
        .collect::<String>()
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let running = std::thread::spawn({
        let agent = agent.clone();
        move || agent.get(&slow).call().unwrap().status().as_u16()
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let health = agent.get(format!("{}/healthz", server.url)).call().unwrap();
    assert_eq!(health.status(), 200);
    let busy = agent
        .get(format!("{}/sparql?query=ASK%7B%7D", server.url))
        .call()
        .unwrap();
    assert_eq!(busy.status(), 503, "{}", server.stderr());
    assert_eq!(busy.headers().get("retry-after").unwrap(), "1");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The slow query ends at its budget, with 503.
    assert_eq!(running.join().unwrap(), 503);
}

#[test]
fn a_client_that_hangs_up_has_its_query_cancelled() {
    // A budget far beyond the slow query's 4 s: only the departure can cancel it.
    let server = Server::start(&["--max-concurrent-queries", "1", "--timeout", "60"]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let query = form_urlencoded::byte_serialize(
        b"SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:none>)+ ?b . ?b ?p ?c }",
    )
    .collect::<String>();
    let mut client = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(
        &mut client,
        format!("GET /sparql?query={query} HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let ask = || {
        agent
            .get(format!("{}/sparql?query=ASK%7B%7D", server.url))
            .header("Cache-Control", "no-cache")
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(ask(), 503, "the slow query holds the only permit");
    drop(client);
    let hung_up = Instant::now();
    let cancelled = loop {
        let metrics = agent
            .get(format!("{}/metrics", server.url))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap();
        if metrics.contains("labgraph_queries_total{outcome=\"cancelled\"} 1") {
            break hung_up.elapsed();
        }
        assert!(
            hung_up.elapsed() < Duration::from_secs(2),
            "the query of a departed client still runs:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Its permit is free again.
    assert_eq!(ask(), 200, "cancelled after {cancelled:?}");
}

/// The resident memory of a process, in MiB.
fn resident_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        / 1024
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn hostile_queries_and_uploads_leave_the_server_answering_in_bounded_memory() {
    let server = Server::start(&[]);
    let agent = agent();
    let post = |content_type: &str, body: String| {
        agent
            .post(format!("{}/sparql", server.url))
            .header("Content-Type", content_type)
            .header("Authorization", format!("Bearer {TOKEN}"))
            .send(body)
            .unwrap()
            .status()
            .as_u16()
    };
    let deep = |open: &str, inner: &str, close: &str, n: usize| {
        format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    };
    // Each of these aborted the process with a stack overflow.
    let hostile = [
        format!("SELECT * WHERE {}", deep("{", "?s ?p ?o", "}", 855)),
        format!(
            "SELECT * WHERE {{ ?s ?p ?o FILTER({}) }}",
            deep("(", "?o", ")", 2_000)
        ),
        format!(
            "SELECT * WHERE {{ {} }}",
            vec!["{ ?s ?p ?o }"; 966].join(" UNION ")
        ),
        format!(
            "SELECT * WHERE {{ {} }}",
            (0..1_455)
                .map(|i| format!("?s <urn:p> ?o{i} ."))
                .collect::<String>()
        ),
        format!(
            "SELECT * WHERE {{ BIND({} AS ?x) }}",
            vec!["1"; 50_000].join("+")
        ),
    ];
    for query in &hostile {
        assert_eq!(post("application/sparql-query", query.clone()), 400);
    }
    assert_eq!(
        post(
            "application/sparql-update",
            format!("DELETE WHERE {}", deep("{", "?s ?p ?o", "}", 855))
        ),
        400
    );
    let json_ld = format!(
        "{{\"@id\": \"urn:s\", \"urn:p\": {}}}",
        deep("[", "1", "]", 10_000)
    );
    let put = agent
        .put(format!("{}/store?graph=urn:g", server.url))
        .header("Content-Type", "application/ld+json")
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send(json_ld)
        .unwrap();
    assert_eq!(put.status().as_u16(), 400);
    let health = agent.get(format!("{}/healthz", server.url)).call().unwrap();
    assert_eq!(health.status().as_u16(), 200, "{}", server.stderr());
    let resident = resident_mib(server.child.id());
    assert!(
        resident < 1024,
        "{resident} MiB resident after the hostile requests"
    );
}

/// Five health checks, `pause` apart, each answered 200 within 3 s while `what` load
/// the server.
fn health_answers_promptly(server: &Server, what: &str, pause: Duration) {
    let agent = agent();
    for _ in 0..5 {
        let started = Instant::now();
        let health = agent.get(format!("{}/healthz", server.url)).call().unwrap();
        assert_eq!(health.status().as_u16(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "/healthz took {:?} among {what}",
            started.elapsed()
        );
        std::thread::sleep(pause);
    }
}

#[test]
fn slow_clients_cannot_shut_out_the_others() {
    use std::io::{Read, Write};
    let server = Server::start(&["--max-connections", "8"]);
    let address = server.url.trim_start_matches("http://").to_owned();
    // Twice as many connections as allowed, each sending its request one byte at a time.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let drips: Vec<_> = (0..16)
        .map(|_| {
            let (address, stop) = (address.clone(), stop.clone());
            std::thread::spawn(move || {
                let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let Ok(mut stream) = std::net::TcpStream::connect(&address) else {
                        return;
                    };
                    for byte in request.iter().cycle() {
                        if stop.load(std::sync::atomic::Ordering::Relaxed)
                            || stream.write_all(&[*byte]).is_err()
                        {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1_000));
    health_answers_promptly(&server, "slow clients", Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for drip in drips {
        drip.join().unwrap();
    }
    // A body announced beyond the upload limit is refused at once; one that stops
    // coming gets 408 once the client has been silent for 10 s.
    let mut big = std::net::TcpStream::connect(&address).unwrap();
    big.write_all(
        format!("PUT /store?graph=urn:g HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: text/turtle\r\nContent-Length: 314572800\r\n\r\n<urn:s> <urn:p> 1 .\n").as_bytes(),
    )
    .unwrap();
    let mut answer = [0; 12];
    big.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 413");
    let mut stalled = std::net::TcpStream::connect(&address).unwrap();
    stalled
        .write_all(
            format!("PUT /store?graph=urn:g HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: text/turtle\r\nContent-Length: 100000\r\n\r\n<urn:s> <urn:p> 1 .\n").as_bytes(),
        )
        .unwrap();
    let started = Instant::now();
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stalled.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 408");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn sigterm_stops_the_server_within_seconds_whatever_runs() {
    let mut server = Server::start(&["--timeout", "120"]);
    let query = form_urlencoded::byte_serialize(
        b"SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:none>)+ ?b . ?b (!<urn:none>)+ ?c }",
    )
    .collect::<String>();
    let url = format!("{}/sparql?query={query}", server.url);
    let running = std::thread::spawn(move || agent().get(&url).call().map(|r| r.status().as_u16()));
    std::thread::sleep(Duration::from_millis(1_000));
    assert!(!running.is_finished(), "the query should still run");
    #[allow(unsafe_code)]
    // SAFETY: a signal to our own child process.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let signalled = Instant::now();
    loop {
        if server.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = running.join();
    // The store opens again.
    run(Command::new(env!("CARGO_BIN_EXE_labgraph"))
        .arg("--store")
        .arg(server._store.path().join("store"))
        .arg("graphs"));
}

#[test]
fn slow_bodies_cannot_shut_out_the_others() {
    use std::io::Write;
    let server = Server::start(&["--max-connections", "4"]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // As many connections as allowed, each sending a large body at 20 KB/s: above the
    // minimum rate, so none gets 408; they must still make room for others.
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (address, stop) = (address.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let Ok(mut stream) = std::net::TcpStream::connect(&address) else {
                        return;
                    };
                    let head = "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 1000000\r\n\r\n";
                    if stream.write_all(head.as_bytes()).is_err() {
                        continue;
                    }
                    while !stop.load(std::sync::atomic::Ordering::Relaxed)
                        && stream.write_all(&[b' '; 2_000]).is_ok()
                    {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1_000));
    health_answers_promptly(&server, "slow bodies", Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for sender in senders {
        sender.join().unwrap();
    }
}

/// An administrator imports a seminar record from the browser (tests/clients/import_page.py):
/// the import page in Debian's chromium, driven by Playwright — a wrong token refused, the
/// dry run (what would change, the resources created, no violation, nothing written), the
/// confirmation, a second confirmation refused, and the seminar's speakers answered by the
/// named query `seminar-speakers`.
#[test]
fn an_administrator_imports_a_record_from_the_browser() {
    let python = python_with_clients();
    let server = Server::start(&[]);
    let shots = std::env::var("LABGRAPH_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_TARGET_TMPDIR")).join("pages-screenshots"));
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let output = run(Command::new(python)
        .arg(clients.join("import_page.py"))
        .arg(&server.url)
        .arg(TOKEN)
        .arg(clients.join("records/seminaire-lille-2024-06-13.yaml"))
        .arg(&shots));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("import checks passed"),
        "{said}\n{}",
        server.stderr()
    );
    eprintln!("{said}");
}

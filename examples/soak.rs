//! A bounded soak of `labgraph serve` beside Oxigraph's own server (`oxigraph serve`, from
//! `cargo install oxigraph-cli --version 0.5.13 --locked`) under the same load, one server
//! at a time, on the same generated graph (BENCHMARKS.md).
//!
//! ```text
//! cargo build --release --examples --bin labgraph && \
//!     target/release/examples/soak --triples 1000000 --seconds 240 [--clients 8] [--oxigraph PATH]
//! ```
//!
//! 1. Builds byte-identical stores for both servers, as `bench_serve` does: the generated
//!    graph imported by labgraph (with the bundled data), exported to N-Quads, loaded with
//!    `oxigraph load`, and that store copied for labgraph.
//! 2. Starts each server in turn on a free port of 127.0.0.1 (never both at once), with a
//!    2 s query budget: labgraph `serve --timeout 2`, Oxigraph `serve --union-default-graph`
//!    with the timeout flag its `serve --help` lists (`--timeout-s 2` in oxigraph-cli 0.5,
//!    which also sets its sockets' read and write timeouts to 2 s). For `--seconds` (240) it
//!    runs, all at once:
//!    - `--clients` (8) threads of single-resource lookups, `SELECT ?p ?o WHERE { <s> ?p ?o }`
//!      over 1,000 subjects of the generated graph, keep-alive;
//!    - 2 threads of competency queries: the named queries with their example values;
//!    - 2 threads of slow queries, `SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:none>)+ ?b .
//!      ?b ?p ?c }`, which runs into the budget; if Oxigraph lists no timeout flag, the
//!      output says so and both servers get a bounded slow query instead (a count of every
//!      quad), since the unbounded one would never end on Oxigraph;
//!    - 32 slow clients (slowloris), each on its own connection, sending a request head one
//!      byte every 2 s and reconnecting when the server closes it;
//!    - a probe every 5 s on a new connection (labgraph `/healthz`, Oxigraph `ASK {}`): a
//!      miss when it does not answer 200 within 2 s.
//!
//!    labgraph is asked with `Cache-Control: no-cache`, so that its result cache does not
//!    answer for it.
//! 3. Reports per server the requests by HTTP status and the transport errors (refused,
//!    reset, timed out on the client) apart, the errors other than 503, the lookup latency
//!    (p50/p99 of the answered lookups, all made while the slow queries run) and rate, the
//!    resident memory (VmRSS) at the start, at the end (once the load has stopped) and its
//!    peak sampled every second, the server's CPU time and the probe misses; then prints
//!    Markdown tables ready for BENCHMARKS.md, with the machine and the command line.
//!
//! Everything stays on loopback and every loop is bounded in time and count: a request
//! times out on the client after 10 s (2 s for the probe), and the run stops by itself after
//! `--seconds` per server (sooner if a server exits or its memory passes three quarters of
//! the machine's). With the defaults the whole run takes about 10 minutes.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use labgraph::config::BaseIri;

#[path = "common/mod.rs"]
mod common;
use common::{Stores, cpu_seconds, labgraph_binary, rss_mib, run, same_stores};
use labgraph::{http, vocab};

/// The query budget given to both servers, in seconds.
const BUDGET: u64 = 2;
const COMPETENCY_CLIENTS: usize = 2;
const SLOW_CLIENTS: usize = 2;
const SLOW_CONNECTIONS: usize = 32;
/// How long a load request may take on the client: the budget, the cancellation, the body.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The probe's period, and how soon it must be answered.
const PROBE_EVERY: Duration = Duration::from_secs(5);
const PROBE_WITHIN: Duration = Duration::from_secs(2);
/// The slow clients' pause between two bytes.
const BYTE_EVERY: Duration = Duration::from_secs(2);
/// Bounds on counts, besides the bound on time: requests of one client thread, latencies
/// kept by one lookup thread, connections opened by one slow client.
const MAX_REQUESTS: usize = 50_000_000;
const MAX_SAMPLES: usize = 5_000_000;
const MAX_SLOW_CONNECTIONS: usize = 100_000;
/// Walks every path from every node: on a million triples it runs into any budget.
const SLOW_QUERY: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:none>)+ ?b . ?b ?p ?c }";
/// The slow query when Oxigraph cannot bound a query's time: ends by itself.
const BOUNDED_SLOW_QUERY: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
/// The kinds of requests, in the order of the report.
const KINDS: [&str; 4] = ["lookup", "competency", "slow", "probe"];

/// Outcomes of requests: an HTTP status ("200") or a transport error ("timeout").
type Tally = BTreeMap<String, u64>;
/// A client thread: its outcomes, and the latencies of its answered requests.
type Handle = JoinHandle<(Tally, Vec<u32>)>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let triples: usize = flag("--triples", "1000000")
        .replace('_', "")
        .parse()
        .unwrap();
    let seconds: u64 = flag("--seconds", "240").parse().unwrap();
    let clients: usize = flag("--clients", "8").parse().unwrap();
    let oxigraph = flag("--oxigraph", "oxigraph");
    assert!(
        seconds > 0 && clients > 0,
        "--seconds and --clients must be positive"
    );
    let command_line = std::env::args()
        .map(|a| shell_word(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let work = tempfile::tempdir().unwrap();
    let labgraph = labgraph_binary();
    let base = BaseIri::parse(vocab::DEFAULT_BASE_IRI).unwrap();

    // 1. The same quads in both stores.
    let Stores {
        labgraph: lg_store,
        oxigraph: ox_store,
        written,
    } = same_stores(work.path(), &labgraph, &oxigraph, triples, &base);
    let version = String::from_utf8(run(Command::new(&oxigraph).arg("--version")).stdout).unwrap();
    let version = version.trim();
    let timeout_flag = oxigraph_timeout_flag(&oxigraph);
    let slow_query = if timeout_flag.is_some() {
        SLOW_QUERY
    } else {
        BOUNDED_SLOW_QUERY
    };
    let competency: Vec<String> = http::examples(&base)
        .unwrap()
        .into_iter()
        .map(|e| e.sparql)
        .collect();
    let memory_limit_mib = match mem_total_kib() {
        0 => u64::MAX,
        kib => kib * 3 / 4 / 1024,
    };
    eprintln!("stores built; soaking each server for {seconds} s");

    // 2. Each server in turn, alone.
    let port = free_port();
    let budget = BUDGET.to_string();
    let mut lg = Server::start(
        Command::new(&labgraph)
            .arg("--store")
            .arg(&lg_store)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--timeout", &budget])
            .env("LABGRAPH_LOG", "labgraph=warn"),
        port,
        "/sparql",
        "/healthz",
        true,
    );
    let subjects = subjects(&lg, 1000);
    let load = Load {
        seconds,
        clients,
        subjects: &subjects,
        competency: &competency,
        slow_query,
        memory_limit_mib,
    };
    let lg_report = soak("labgraph serve", &mut lg, &load);
    drop(lg);
    eprintln!("labgraph serve done");

    let port = free_port();
    let mut command = Command::new(&oxigraph);
    command.args(["serve", "--location"]).arg(&ox_store).args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--union-default-graph",
    ]);
    if let Some(flag) = &timeout_flag {
        command.args([flag.as_str(), &budget]);
    }
    let mut ox = Server::start(
        &mut command,
        port,
        "/query",
        "/query?query=ASK%7B%7D",
        false,
    );
    let ox_report = soak("oxigraph serve", &mut ox, &load);
    drop(ox);
    eprintln!("oxigraph serve done");

    // 3. The report.
    let reports = [lg_report, ox_report];
    println!("\n## Soak: `labgraph serve` beside `oxigraph serve`\n");
    println!("- machine: {}", machine());
    println!("- command: `{command_line}`");
    println!(
        "- graph: {written} generated triples + the bundled data; labgraph {} (commit {}), {version}",
        env!("CARGO_PKG_VERSION"),
        git_commit()
    );
    match &timeout_flag {
        Some(flag) => println!(
            "- budgets: labgraph `serve --timeout {BUDGET}`; Oxigraph `serve --union-default-graph {flag} {BUDGET}`"
        ),
        None => println!(
            "- budgets: labgraph `serve --timeout {BUDGET}`; **`oxigraph serve` lists no timeout flag**, so \
             Oxigraph ran without a query budget, and both servers got the bounded slow query \
             `{BOUNDED_SLOW_QUERY}` instead of `{SLOW_QUERY}`, which would never end there"
        ),
    }
    println!(
        "- load, one server at a time, {seconds} s each: {clients} lookup clients \
         (`SELECT ?p ?o WHERE {{ <s> ?p ?o }}` over {} subjects, keep-alive), \
         {COMPETENCY_CLIENTS} clients of the {} competency queries (example values), \
         {SLOW_CLIENTS} clients of `{slow_query}`, {SLOW_CONNECTIONS} slow clients sending a request \
         head one byte every {} s (reconnecting when closed), and a probe every {} s on a new \
         connection (labgraph `/healthz`, Oxigraph `ASK {{}}`; a miss when no 200 within {} s). \
         labgraph is asked with `Cache-Control: no-cache`. A request times out on the client \
         after {} s.",
        subjects.len(),
        competency.len(),
        BYTE_EVERY.as_secs(),
        PROBE_EVERY.as_secs(),
        PROBE_WITHIN.as_secs(),
        CLIENT_TIMEOUT.as_secs()
    );
    for report in &reports {
        if let Some(why) = &report.stopped_early {
            println!(
                "- **{} stopped early**, after {:.0} s: {why}",
                report.name, report.elapsed
            );
        }
    }

    println!(
        "\n| server | lookups/s | lookup p50 | lookup p99 | requests by status | transport errors | errors other than 503 | RSS start / end / peak | probe misses | server CPU |"
    );
    println!("| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: |");
    for r in &reports {
        let all = r.all();
        let statuses: Tally = all
            .iter()
            .filter(|(k, _)| is_status(k))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let transport: Tally = all
            .iter()
            .filter(|(k, _)| !is_status(k))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let errors: u64 = all
            .iter()
            .filter(|(k, _)| k.as_str() != "200" && k.as_str() != "503")
            .map(|(_, v)| v)
            .sum();
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} / {} / {} MiB | {} of {} | {:.0} s |",
            r.name,
            r.lookups_per_second(),
            r.latency(50),
            r.latency(99),
            list(&statuses),
            list(&transport),
            thousands(errors),
            r.rss_start,
            r.rss_end,
            r.rss_peak,
            r.probe_misses,
            r.probes,
            r.cpu
        );
    }

    println!(
        "\nLookup latency: answered (200) lookups, all sent while the slow queries ran. \
         Transport errors are seen by the client (`… after 200`: the body was cut after its \
         status). RSS end: once the load had stopped; peak: sampled every second. Probe \
         misses: probes not answered 200 within {} s. Server CPU: user + system time \
         during the soak.",
        PROBE_WITHIN.as_secs()
    );

    println!("\n### Requests by kind\n");
    println!("| server | kind | requests | outcomes |");
    println!("| --- | --- | ---: | --- |");
    for r in &reports {
        for kind in KINDS {
            let tally = r.outcomes.get(kind).cloned().unwrap_or_default();
            println!(
                "| {} | {kind} | {} | {} |",
                r.name,
                thousands(tally.values().sum()),
                list(&tally)
            );
        }
    }

    println!(
        "\n### Slow clients ({SLOW_CONNECTIONS} connections sending a request head one byte every {} s)\n",
        BYTE_EVERY.as_secs()
    );
    println!(
        "| server | connections opened | closed by the server | life of a closed one, median / longest | open at the end | answers before closing | failed connects |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | --- | --- |");
    for r in &reports {
        let s = &r.slow;
        let mut lives = s.lifetimes.clone();
        lives.sort();
        let life = |p: usize| {
            if lives.is_empty() {
                "—".to_owned()
            } else {
                format!("{:.1} s", lives[(lives.len() - 1) * p / 100].as_secs_f64())
            }
        };
        println!(
            "| {} | {} | {} | {} / {} | {} | {} | {} |",
            r.name,
            thousands(s.opened),
            thousands(s.closed),
            life(50),
            life(100),
            s.open_at_end,
            list(&s.answers),
            list(&s.connect_failures)
        );
    }
}

/// The load of one soak.
struct Load<'a> {
    seconds: u64,
    clients: usize,
    subjects: &'a [String],
    competency: &'a [String],
    slow_query: &'a str,
    memory_limit_mib: u64,
}

/// What one soak measured.
#[derive(Default)]
struct Report {
    name: String,
    /// Outcomes by kind of request.
    outcomes: BTreeMap<&'static str, Tally>,
    /// Latencies of the answered (200) lookups, in µs, sorted.
    latencies: Vec<u32>,
    /// Seconds the load ran.
    elapsed: f64,
    stopped_early: Option<String>,
    rss_start: u64,
    rss_end: u64,
    rss_peak: u64,
    cpu: f64,
    probes: u64,
    probe_misses: u64,
    slow: SlowStats,
}

impl Report {
    /// The outcomes of every kind of request together.
    fn all(&self) -> Tally {
        let mut all = Tally::new();
        for tally in self.outcomes.values() {
            add(&mut all, tally);
        }
        all
    }

    fn lookups_per_second(&self) -> f64 {
        let answered = self
            .outcomes
            .get("lookup")
            .and_then(|t| t.get("200"))
            .copied()
            .unwrap_or(0);
        answered as f64 / self.elapsed.max(1e-9)
    }

    fn latency(&self, p: usize) -> String {
        if self.latencies.is_empty() {
            return "—".to_owned();
        }
        let micros = self.latencies[(self.latencies.len() - 1) * p / 100];
        format!("{:.2} ms", f64::from(micros) / 1000.0)
    }
}

/// What the slow clients saw.
#[derive(Default)]
struct SlowStats {
    opened: u64,
    /// Connections the server closed (end of stream, reset, or a write refused).
    closed: u64,
    /// How long each of those lived.
    lifetimes: Vec<Duration>,
    /// Connections still open when the soak ended.
    open_at_end: u64,
    /// Statuses the server answered before the request head was whole.
    answers: Tally,
    connect_failures: Tally,
}

/// Runs the whole load against one server for `load.seconds`, then stops it.
fn soak(name: &str, server: &mut Server, load: &Load) -> Report {
    let pid = server.child.id();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(load.seconds);
    let mut report = Report {
        name: name.to_owned(),
        rss_start: rss_mib(pid),
        ..Report::default()
    };
    let cpu_before = cpu_seconds(pid);
    let mut headers = vec![("Accept", "application/sparql-results+json")];
    if server.no_cache {
        headers.push(("Cache-Control", "no-cache"));
    }
    let query_url = |text: &str| format!("{}?query={}", server.url(&server.endpoint), encode(text));

    let mut clients: Vec<(&'static str, Handle)> = Vec::new();
    for c in 0..load.clients {
        let urls: Vec<String> = load
            .subjects
            .iter()
            .skip(c)
            .step_by(load.clients)
            .map(|s| query_url(&format!("SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}")))
            .collect();
        let client = Client::new(urls, &headers, deadline, &stop);
        clients.push(("lookup", std::thread::spawn(move || client.run(true))));
    }
    for c in 0..COMPETENCY_CLIENTS {
        // Each client starts at another query, so they do not run the same one together.
        let mut urls: Vec<String> = load
            .competency
            .iter()
            .map(|q| query_url(q.as_str()))
            .collect();
        let len = urls.len();
        urls.rotate_left(c * len / COMPETENCY_CLIENTS);
        let client = Client::new(urls, &headers, deadline, &stop);
        clients.push(("competency", std::thread::spawn(move || client.run(false))));
    }
    for _ in 0..SLOW_CLIENTS {
        let client = Client::new(vec![query_url(load.slow_query)], &headers, deadline, &stop);
        clients.push(("slow", std::thread::spawn(move || client.run(false))));
    }
    let prober = {
        let (url, stop) = (server.url(&server.probe), stop.clone());
        std::thread::spawn(move || probe(&url, deadline, &stop))
    };
    // A request head that the slow clients never finish within the soak.
    let mut head = format!(
        "GET {}?query=ASK%7B%7D HTTP/1.1\r\nHost: {}\r\n",
        server.endpoint, server.address
    );
    let needed = usize::try_from(load.seconds / BYTE_EVERY.as_secs()).unwrap_or(usize::MAX / 2);
    while head.len() < needed.saturating_add(64) && head.len() < 1 << 20 {
        head.push_str("X-Slow: 1\r\n");
    }
    let slow_clients: Vec<JoinHandle<SlowStats>> = (0..SLOW_CONNECTIONS)
        .map(|_| {
            let (head, address, stop) = (head.clone().into_bytes(), server.address, stop.clone());
            std::thread::spawn(move || slow_client(address, &head, deadline, &stop))
        })
        .collect();

    // Memory every second, until the end or an early stop.
    report.rss_peak = report.rss_start;
    for _ in 0..=load.seconds {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep((deadline - now).min(Duration::from_secs(1)));
        if let Ok(Some(status)) = server.child.try_wait() {
            report.stopped_early = Some(format!("the server exited ({status})"));
            break;
        }
        let rss = rss_mib(pid);
        report.rss_peak = report.rss_peak.max(rss);
        if rss > load.memory_limit_mib {
            report.stopped_early = Some(format!(
                "its memory ({rss} MiB) passed three quarters of the machine's ({} MiB)",
                load.memory_limit_mib
            ));
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    report.elapsed = started.elapsed().as_secs_f64();

    for (kind, handle) in clients {
        let (tally, latencies) = handle.join().unwrap();
        add(report.outcomes.entry(kind).or_default(), &tally);
        report.latencies.extend(latencies);
    }
    report.latencies.sort_unstable();
    let (tally, probes, misses) = prober.join().unwrap();
    add(report.outcomes.entry("probe").or_default(), &tally);
    report.probes = probes;
    report.probe_misses = misses;
    for handle in slow_clients {
        let s = handle.join().unwrap();
        report.slow.opened += s.opened;
        report.slow.closed += s.closed;
        report.slow.lifetimes.extend(s.lifetimes);
        report.slow.open_at_end += s.open_at_end;
        add(&mut report.slow.answers, &s.answers);
        add(&mut report.slow.connect_failures, &s.connect_failures);
    }
    // Memory and CPU once the load has stopped (0 if the server is gone).
    report.rss_end = rss_mib(pid);
    report.rss_peak = report.rss_peak.max(report.rss_end);
    report.cpu = (cpu_seconds(pid) - cpu_before).max(0.0);
    report
}

/// One thread of requests, cycling through its URLs until the deadline.
struct Client {
    agent: ureq::Agent,
    urls: Vec<String>,
    headers: Vec<(&'static str, &'static str)>,
    deadline: Instant,
    stop: Arc<AtomicBool>,
}

impl Client {
    fn new(
        urls: Vec<String>,
        headers: &[(&'static str, &'static str)],
        deadline: Instant,
        stop: &Arc<AtomicBool>,
    ) -> Client {
        Client {
            agent: agent(CLIENT_TIMEOUT),
            urls,
            headers: headers.to_vec(),
            deadline,
            stop: stop.clone(),
        }
    }

    /// The outcomes, and the latencies of the answered requests in µs if `timed`.
    fn run(self, timed: bool) -> (Tally, Vec<u32>) {
        let mut tally = Tally::new();
        let mut latencies = Vec::new();
        for url in self.urls.iter().cycle().take(MAX_REQUESTS) {
            if self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline {
                break;
            }
            let started = Instant::now();
            let outcome = fetch(&self.agent, url, &self.headers);
            if timed && outcome == "200" && latencies.len() < MAX_SAMPLES {
                latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            *tally.entry(outcome).or_insert(0) += 1;
        }
        (tally, latencies)
    }
}

/// Asks `url` every `PROBE_EVERY` on a new connection: the outcomes, the probes, the misses
/// (no 200 within `PROBE_WITHIN`).
fn probe(url: &str, deadline: Instant, stop: &AtomicBool) -> (Tally, u64, u64) {
    let (mut tally, mut probes, mut misses) = (Tally::new(), 0, 0);
    let started = Instant::now();
    for i in 1..=100_000 {
        if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
            break;
        }
        let asked = Instant::now();
        let outcome = fetch(&agent(PROBE_WITHIN), url, &[]);
        probes += 1;
        if outcome != "200" || asked.elapsed() > PROBE_WITHIN {
            misses += 1;
        }
        *tally.entry(outcome).or_insert(0) += 1;
        let next = (started + PROBE_EVERY * i).min(deadline);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    (tally, probes, misses)
}

/// One slow client: opens a connection, sends `head` one byte every `BYTE_EVERY`, and
/// opens another when the server closes it, until the deadline.
fn slow_client(
    address: SocketAddr,
    head: &[u8],
    deadline: Instant,
    stop: &AtomicBool,
) -> SlowStats {
    let mut stats = SlowStats::default();
    let over = || stop.load(Ordering::Relaxed) || Instant::now() >= deadline;
    for _ in 0..MAX_SLOW_CONNECTIONS {
        if over() {
            break;
        }
        let mut stream = match TcpStream::connect_timeout(&address, Duration::from_secs(2)) {
            Ok(stream) => stream,
            Err(e) => {
                *stats
                    .connect_failures
                    .entry(io_error(e.kind()).to_owned())
                    .or_insert(0) += 1;
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        stats.opened += 1;
        let opened = Instant::now();
        // The read that waits for the server is the pause between two bytes.
        let _ = stream.set_read_timeout(Some(BYTE_EVERY));
        let _ = stream.set_write_timeout(Some(BYTE_EVERY));
        let _ = stream.set_nodelay(true);
        let mut buffer = [0u8; 1024];
        let mut closed = false;
        for byte in head {
            if over() {
                break;
            }
            if stream.write_all(std::slice::from_ref(byte)).is_err() {
                closed = true;
                break;
            }
            match stream.read(&mut buffer) {
                Ok(0) => closed = true,
                Ok(n) => {
                    // An answer before the head is whole (408, 400, 431…): the request
                    // is over for the server.
                    let text = String::from_utf8_lossy(&buffer[..n]);
                    let status = text.split_whitespace().nth(1).unwrap_or("?").to_owned();
                    *stats.answers.entry(status).or_insert(0) += 1;
                    closed = true;
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => closed = true,
            }
            if closed {
                break;
            }
        }
        if closed {
            stats.closed += 1;
            let life = opened.elapsed();
            stats.lifetimes.push(life);
            if life < Duration::from_millis(100) {
                std::thread::sleep(Duration::from_millis(100));
            }
        } else if over() {
            stats.open_at_end += 1;
        }
    }
    stats
}

/// The outcome of one GET: its status, or the transport error (after the status when the
/// body was cut).
fn fetch(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> String {
    let mut request = agent.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    match request.call() {
        Ok(response) => {
            let status = response.status().as_u16();
            let mut body = response.into_body().into_reader();
            match std::io::copy(&mut body, &mut std::io::sink()) {
                Ok(_) => status.to_string(),
                Err(e) => format!("{} after {status}", transport(&ureq::Error::from(e))),
            }
        }
        Err(e) => transport(&e).to_owned(),
    }
}

fn transport(error: &ureq::Error) -> &'static str {
    match error {
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::Io(e) => io_error(e.kind()),
        ureq::Error::ConnectionFailed => "connection failed",
        ureq::Error::Protocol(_) => "protocol error",
        _ => "other error",
    }
}

fn io_error(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ConnectionRefused => "connection refused",
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe
        | ErrorKind::UnexpectedEof => "connection reset",
        ErrorKind::TimedOut | ErrorKind::WouldBlock => "timeout",
        _ => "other i/o error",
    }
}

fn is_status(outcome: &str) -> bool {
    !outcome.is_empty() && outcome.bytes().all(|b| b.is_ascii_digit())
}

fn add(into: &mut Tally, from: &Tally) {
    for (outcome, n) in from {
        *into.entry(outcome.clone()).or_insert(0) += n;
    }
}

/// "200: 1,234 · 503: 5", or "—".
fn list(tally: &Tally) -> String {
    if tally.is_empty() {
        return "—".to_owned();
    }
    tally
        .iter()
        .map(|(outcome, n)| format!("{outcome}: {}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

struct Server {
    child: Child,
    address: SocketAddr,
    /// Path of the SPARQL endpoint.
    endpoint: String,
    /// Path and query of the probe.
    probe: String,
    /// Queries carry `Cache-Control: no-cache` (labgraph).
    no_cache: bool,
}

impl Server {
    fn start(
        command: &mut Command,
        port: u16,
        endpoint: &str,
        probe: &str,
        no_cache: bool,
    ) -> Server {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let mut server = Server {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            endpoint: endpoint.to_owned(),
            probe: probe.to_owned(),
            no_cache,
        };
        let ready = server.url(&format!("{endpoint}?query=ASK%7B%7D"));
        let agent = agent(Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(120);
        while agent.get(&ready).call().map_or(true, |r| r.status() != 200) {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{command:?} exited: {status}");
            }
            assert!(Instant::now() < deadline, "{ready} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 (until someone else takes it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The flag of `oxigraph serve` that bounds a query's time, if its help lists one
/// (`--timeout-s` in oxigraph-cli 0.5).
fn oxigraph_timeout_flag(oxigraph: &str) -> Option<String> {
    let output = Command::new(oxigraph)
        .args(["serve", "--help"])
        .output()
        .ok()?;
    let help = String::from_utf8_lossy(&output.stdout);
    help.split(|c: char| c.is_whitespace() || ",=[]".contains(c))
        .find(|word| word.starts_with("--timeout"))
        .map(str::to_owned)
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Subjects of the generated graph to look up.
fn subjects(server: &Server, n: usize) -> Vec<String> {
    let query = format!(
        "SELECT DISTINCT ?s WHERE {{ GRAPH <{}graph/generated> {{ ?s ?p ?o }} }} LIMIT {n}",
        vocab::DEFAULT_BASE_IRI
    );
    let response = agent(Duration::from_secs(60))
        .get(format!(
            "{}?query={}",
            server.url(&server.endpoint),
            encode(&query)
        ))
        .header("Accept", "application/sparql-results+json")
        .header("Cache-Control", "no-cache")
        .call()
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .read_to_end(&mut body)
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let subjects: Vec<String> = json["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["s"]["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        subjects.len(),
        n,
        "the generated graph has too few subjects"
    );
    subjects
}

fn mem_total_kib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

/// CPUs (`nproc`), CPU model and memory of this machine.
fn machine() -> String {
    let nproc = Command::new("nproc")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(0, |n| n.get())
                .to_string()
        });
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim());
    format!(
        "{nproc} CPUs (`nproc`), {model}, {:.1} GiB of memory",
        mem_total_kib() as f64 / (1024.0 * 1024.0)
    )
}

fn git_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned())
}

/// An argument as a shell would need it.
fn shell_word(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

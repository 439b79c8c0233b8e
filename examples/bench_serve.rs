//! `labgraph serve` beside Oxigraph's own server (`oxigraph serve`, from
//! `cargo install oxigraph-cli`) on the same generated graph, in one run (BENCHMARKS.md).
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_serve -- \
//!     --triples 1000000 --seconds 2 --clients 4 --runs 20 [--rounds 40] [--oxigraph PATH] [--skip-queries] [--pages-only]
//! ```
//!
//! 1. Generates the graph, imports it into a labgraph store (with the bundled data), exports
//!    that store to N-Quads, loads them into an Oxigraph store with `oxigraph load`, and
//!    copies that store for labgraph: both servers open byte-identical files.
//! 2. Starts both servers, idle side by side on loopback: labgraph with its defaults,
//!    Oxigraph with `--union-default-graph` (labgraph's default graph is the union too).
//! 3. Single-resource lookups (`SELECT ?p ?o WHERE { <s> ?p ?o }` over 1,000 subjects,
//!    keep-alive clients for a fixed time): requests per second, one server at a time,
//!    after an untimed 5 s warm-up round each, in `--rounds` pairs (40) of `--seconds`
//!    rounds (2 s), one round of each server per pair, which goes first alternating; the
//!    median of the pairs' ratios, the median round of each, and server CPU per request.
//!    labgraph is asked with `Cache-Control: no-cache`, so its result cache does not
//!    answer for it.
//! 4. Every competency query (the named queries with their example values, as the query
//!    page offers them: the same SPARQL text to both servers), alternately, uncached:
//!    median and 95th percentile latency over at least `--runs` runs (as many as fit in
//!    3 s for fast queries, up to 200).
//! 5. The same named queries through `/queries/{name}` with labgraph's cache warm: time to
//!    the response's head and to its last byte.
//! 6. The HTML page and the Turtle of the bundled seminar (`/id/…`, uncached) beside
//!    Oxigraph's `DESCRIBE` of its IRI (`--pages-only` skips steps 3 to 5).
//! 7. Resident memory of both servers at rest.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use labgraph::config::BaseIri;

#[path = "common/mod.rs"]
mod common;
use common::{Stores, cpu_seconds, labgraph_binary, rss_mib, run, same_stores};
use labgraph::{http, queries, vocab};

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
    let seconds: u64 = flag("--seconds", "2").parse().unwrap();
    let clients: usize = flag("--clients", "4").parse().unwrap();
    let runs: usize = flag("--runs", "20").parse().unwrap();
    // Pairs of lookup rounds: the machine's speed drifts by ±15 % from one round to the
    // next, so many short pairs give a steadier ratio than a few long rounds.
    let rounds: usize = flag("--rounds", "40").parse().unwrap();
    let oxigraph = flag("--oxigraph", "oxigraph");
    // Skips the competency queries (the longest part: minutes on a million triples).
    let skip_queries = args.iter().any(|a| a == "--skip-queries");
    // Measures the resource page only (step 6).
    let pages_only = args.iter().any(|a| a == "--pages-only");
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
    println!(
        "graph: {written} generated triples + the bundled data; {} ; clients: {clients}; {seconds} s per lookup round; {runs} runs per query",
        version.trim()
    );

    // 2. Both servers, idle side by side.
    let lg = Server::start(
        Command::new(&labgraph)
            .arg("--store")
            .arg(&lg_store)
            .args(["serve", "--bind", "127.0.0.1:17878", "--timeout", "120"])
            .env("LABGRAPH_LOG", "labgraph=warn"),
        "http://127.0.0.1:17878/sparql",
    );
    let ox = Server::start(
        Command::new(&oxigraph)
            .args(["serve", "--location"])
            .arg(&ox_store)
            .args(["--bind", "127.0.0.1:17879", "--union-default-graph"]),
        "http://127.0.0.1:17879/query",
    );

    if !pages_only {
        lookups_and_queries(
            &lg,
            &ox,
            &base,
            clients,
            seconds,
            rounds,
            runs,
            skip_queries,
        );
    }

    // 6. The page of the bundled seminar, uncached, beside Oxigraph's DESCRIBE of its IRI.
    seminar_page(&lg, &ox, runs.max(200));

    // 7. Memory at rest.
    std::thread::sleep(Duration::from_secs(3));
    println!("\n### Resident memory at rest, after the runs above\n");
    println!("| server | RSS |");
    println!("|---|---|");
    println!("| labgraph serve | {} MiB |", rss_mib(lg.child.id()));
    println!("| oxigraph serve | {} MiB |", rss_mib(ox.child.id()));
}

/// Steps 3 to 5: lookups, competency queries, named queries with the cache warm.
#[allow(clippy::too_many_arguments)]
fn lookups_and_queries(
    lg: &Server,
    ox: &Server,
    base: &BaseIri,
    clients: usize,
    seconds: u64,
    rounds: usize,
    runs: usize,
    skip_queries: bool,
) {
    // 3. Single-resource lookups.
    let subjects = subjects(&lg.endpoint, 1000);
    let mut lg_rps = Vec::new();
    let mut ox_rps = Vec::new();
    let (mut lg_cpu, mut ox_cpu) = (0.0, 0.0);
    // One untimed round each first: both stores were just copied, and the first server
    // asked would otherwise pay for reading them into the page cache.
    lookups(&lg.endpoint, &subjects, clients, 5, true);
    lookups(&ox.endpoint, &subjects, clients, 5, false);
    // Rounds in pairs, one round of each server, the first of a pair alternating: the
    // machine's speed drifts from one round to the next, and a pair's two rounds see
    // nearly the same machine. The ratio is the median of the pairs' ratios.
    let mut ratios = Vec::new();
    // One round against one server; adds its CPU per request to `cpu`.
    let round_of = |server: &Server, no_cache: bool, cpu: &mut f64| {
        let before = cpu_seconds(server.child.id());
        let result = lookups(&server.endpoint, &subjects, clients, seconds, no_cache);
        *cpu += (cpu_seconds(server.child.id()) - before) / (result.0 * seconds as f64);
        result
    };
    for round in 0..rounds {
        let (l, o) = if round % 2 == 0 {
            let l = round_of(lg, true, &mut lg_cpu);
            (l, round_of(ox, false, &mut ox_cpu))
        } else {
            let o = round_of(ox, false, &mut ox_cpu);
            (round_of(lg, true, &mut lg_cpu), o)
        };
        ratios.push(l.0 / o.0);
        lg_rps.push(l);
        ox_rps.push(o);
    }
    // The median round: on a shared machine a single round varies by ±15 %.
    let rate = |v: &[(f64, u64)]| v.iter().map(|r| r.0).collect::<Vec<f64>>();
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let errors: u64 = lg_rps.iter().chain(&ox_rps).map(|r| r.1).sum();
    println!(
        "\n### Single-resource lookup ({clients} clients, keep-alive, after a warm-up round, {rounds} pairs of {seconds} s rounds)\n"
    );
    let list = |v: &[f64], digits: usize| {
        v.iter()
            .map(|r| format!("{r:.digits$}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("| server | median requests/s | server CPU per request |");
    println!("|---|---|---|");
    println!(
        "| labgraph serve (cache bypassed) | {:.0} | {:.0} µs |",
        median(&rate(&lg_rps)),
        lg_cpu / rounds as f64 * 1e6,
    );
    println!(
        "| oxigraph serve | {:.0} | {:.0} µs |",
        median(&rate(&ox_rps)),
        ox_cpu / rounds as f64 * 1e6
    );
    println!(
        "\nlabgraph / Oxigraph requests per second, median of the pairs' ratios: **{:.2}** (pairs: {})",
        median(&ratios),
        list(&ratios, 2)
    );
    println!("labgraph rounds (requests/s): {}", list(&rate(&lg_rps), 0));
    println!("Oxigraph rounds (requests/s): {}", list(&rate(&ox_rps), 0));
    println!("\nfailed requests: {errors}");

    // 4. Competency queries, uncached, alternately.
    println!(
        "\n### Competency queries, uncached (median / p95 over up to {runs} runs, more for fast queries, alternating)\n"
    );
    println!(
        "| query | rows | labgraph median | labgraph p95 | oxigraph median | oxigraph p95 | ratio of medians |"
    );
    println!("|---|---|---|---|---|---|---|");
    let agent = agent();
    let examples = if skip_queries {
        Vec::new()
    } else {
        http::examples(base).unwrap()
    };
    for example in examples {
        let ask = |endpoint: &str, no_cache: bool| {
            let started = Instant::now();
            let body = query(&agent, endpoint, &example.sparql, no_cache);
            (started.elapsed(), body)
        };
        let (_, lg_body) = ask(&lg.endpoint, true);
        let (_, ox_body) = ask(&ox.endpoint, false);
        let rows = row_count(&lg_body);
        assert_eq!(
            rows,
            row_count(&ox_body),
            "{}: both servers must agree",
            example.name
        );
        let (mut lg_times, mut ox_times) = (Vec::new(), Vec::new());
        let budget = Instant::now();
        // At least `runs` runs (3 for the slowest, within a minute), and for the fast ones
        // as many as fit in 3 s, up to 200: a millisecond median needs more samples.
        while (lg_times.len() < runs
            && (lg_times.len() < 3 || budget.elapsed() < Duration::from_secs(60)))
            || (lg_times.len() < 200 && budget.elapsed() < Duration::from_secs(3))
        {
            lg_times.push(ask(&lg.endpoint, true).0);
            ox_times.push(ask(&ox.endpoint, false).0);
        }
        let (lm, lp) = (pct(&mut lg_times, 50), pct(&mut lg_times, 95));
        let (om, op) = (pct(&mut ox_times, 50), pct(&mut ox_times, 95));
        println!(
            "| {} | {rows} | {} | {} | {} | {} | {:.2} |",
            example.name,
            ms(lm),
            ms(lp),
            ms(om),
            ms(op),
            lm.as_secs_f64() / om.as_secs_f64()
        );
    }

    // 5. Named queries with the cache warm: the time to the response's head (the
    // server's part) and to its last byte (with the transfer of the body).
    println!("\n### Named queries through /queries/{{name}}, cache warm (200 requests each)\n");
    println!("| query | body | head median | head p95 | whole median | whole p95 |");
    println!("|---|---|---|---|---|---|");
    for named in queries::all().unwrap() {
        let params: String = named
            .example
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let url = format!("http://127.0.0.1:17878/queries/{}?{params}", named.name);
        get(&agent, &url); // fills the cache
        let (mut heads, mut wholes, mut size) = (Vec::new(), Vec::new(), 0);
        for _ in 0..200 {
            let started = Instant::now();
            let response = agent.get(&url).call().unwrap();
            heads.push(started.elapsed());
            let cache = response.headers().get("x-labgraph-cache").cloned();
            assert_eq!(
                (
                    response.status().as_u16(),
                    cache.as_ref().and_then(|v| v.to_str().ok())
                ),
                (200, Some("hit")),
                "{url}"
            );
            size = read_body(response).len();
            wholes.push(started.elapsed());
        }
        println!(
            "| {} | {:.1} kB | {} | {} | {} | {} |",
            named.name,
            size as f64 / 1000.0,
            ms(pct(&mut heads, 50)),
            ms(pct(&mut heads, 95)),
            ms(pct(&mut wholes, 50)),
            ms(pct(&mut wholes, 95))
        );
    }
}

/// The HTML page and the Turtle of the bundled seminar from labgraph (`Cache-Control:
/// no-cache`: rendered each time), and Oxigraph's `DESCRIBE` of the same IRI, alternately:
/// median and 95th percentile.
fn seminar_page(lg: &Server, ox: &Server, runs: usize) {
    let iri = format!("{}seminar/pma-artois-2022-12-01", vocab::DEFAULT_BASE_IRI);
    let page = "http://127.0.0.1:17878/id/seminar/pma-artois-2022-12-01";
    let agent = agent();
    let fetch = |url: &str, accept: &str, no_cache: bool| {
        let started = Instant::now();
        let mut request = agent.get(url).header("Accept", accept);
        if no_cache {
            request = request.header("Cache-Control", "no-cache");
        }
        let response = request.call().unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let size = read_body(response).len();
        (started.elapsed(), size)
    };
    let describe = format!(
        "{}?query={}",
        ox.endpoint,
        encode(&format!("DESCRIBE <{iri}>"))
    );
    let _ = &lg.endpoint;
    let (mut html, mut turtle, mut oxi) = (Vec::new(), Vec::new(), Vec::new());
    let mut sizes = (0, 0, 0);
    for _ in 0..runs {
        let (t, n) = fetch(page, "text/html", true);
        html.push(t);
        sizes.0 = n;
        let (t, n) = fetch(page, "text/turtle", true);
        turtle.push(t);
        sizes.1 = n;
        let (t, n) = fetch(&describe, "text/turtle", false);
        oxi.push(t);
        sizes.2 = n;
    }
    println!("\n### The seminar's page, uncached ({runs} requests each, alternating)\n");
    println!("| request | body | median | p95 |");
    println!("|---|---|---|---|");
    for (name, times, size) in [
        (
            "labgraph `GET /id/seminar/pma-artois-2022-12-01` (HTML page)",
            &mut html,
            sizes.0,
        ),
        (
            "labgraph `GET /id/seminar/pma-artois-2022-12-01` (Turtle)",
            &mut turtle,
            sizes.1,
        ),
        (
            "oxigraph `DESCRIBE` of the same IRI (Turtle)",
            &mut oxi,
            sizes.2,
        ),
    ] {
        println!(
            "| {name} | {:.1} kB | {} | {} |",
            size as f64 / 1000.0,
            ms(pct(times, 50)),
            ms(pct(times, 95))
        );
    }
}

struct Server {
    child: Child,
    endpoint: String,
}

impl Server {
    fn start(command: &mut Command, endpoint: &str) -> Server {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let server = Server {
            child,
            endpoint: endpoint.to_owned(),
        };
        let agent = agent();
        let deadline = Instant::now() + Duration::from_secs(120);
        while agent
            .get(format!("{endpoint}?query=ASK%7B%7D"))
            .call()
            .map_or(true, |r| r.status() != 200)
        {
            assert!(Instant::now() < deadline, "{endpoint} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn query(agent: &ureq::Agent, endpoint: &str, text: &str, no_cache: bool) -> Vec<u8> {
    let mut request = agent
        .get(format!("{endpoint}?query={}", encode(text)))
        .header("Accept", "application/sparql-results+json");
    if no_cache {
        request = request.header("Cache-Control", "no-cache");
    }
    let response = request.call().unwrap();
    assert_eq!(response.status(), 200, "{endpoint}: {text}");
    read_body(response)
}

/// The whole body of a response.
fn read_body(response: ureq::http::Response<ureq::Body>) -> Vec<u8> {
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .read_to_end(&mut body)
        .unwrap();
    body
}

fn get(agent: &ureq::Agent, url: &str) -> (u16, String) {
    let response = agent.get(url).call().unwrap();
    let cache = response
        .headers()
        .get("x-labgraph-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = response.status().as_u16();
    read_body(response);
    (status, cache)
}

fn row_count(body: &[u8]) -> usize {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    json["results"]["bindings"].as_array().map_or(1, Vec::len)
}

/// Subjects of the generated graph to look up.
fn subjects(endpoint: &str, n: usize) -> Vec<String> {
    let body = query(
        &agent(),
        endpoint,
        &format!(
            "SELECT DISTINCT ?s WHERE {{ GRAPH <{}graph/generated> {{ ?s ?p ?o }} }} LIMIT {n}",
            vocab::DEFAULT_BASE_IRI
        ),
        true,
    );
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

/// Requests per second of single-resource lookups, and failed requests.
fn lookups(
    endpoint: &str,
    subjects: &[String],
    clients: usize,
    seconds: u64,
    no_cache: bool,
) -> (f64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (stop, done, failed) = (stop.clone(), done.clone(), failed.clone());
            let urls: Vec<String> = subjects
                .iter()
                .skip(c)
                .step_by(clients)
                .map(|s| {
                    format!(
                        "{endpoint}?query={}",
                        encode(&format!("SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}"))
                    )
                })
                .collect();
            std::thread::spawn(move || {
                let agent = agent();
                for url in urls.iter().cycle() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let mut request = agent
                        .get(url)
                        .header("Accept", "application/sparql-results+json");
                    if no_cache {
                        request = request.header("Cache-Control", "no-cache");
                    }
                    match request.call() {
                        Ok(response) if response.status() == 200 => {
                            let mut sink = Vec::new();
                            let _ = response.into_body().into_reader().read_to_end(&mut sink);
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    (
        done.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
    )
}

fn pct(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * p) / 100]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

//! What the server benchmarks (`bench_serve`, `soak`) share: byte-identical stores for
//! labgraph and Oxigraph, the binaries, and what `/proc` says of a process. Included by
//! each with `#[path = "common/mod.rs"] mod common;` (examples share no crate).

#![allow(dead_code)]

#[path = "synthetic.rs"]
pub mod synthetic;

use std::path::{Path, PathBuf};
use std::process::Command;

use labgraph::config::BaseIri;

/// Two stores holding the same quads, for labgraph and for Oxigraph.
pub struct Stores {
    pub labgraph: PathBuf,
    pub oxigraph: PathBuf,
    /// The generated triples (the bundled data comes on top).
    pub written: usize,
}

/// Generates `triples` triples, imports them with the bundled data into a labgraph store,
/// exports that store to N-Quads, loads them with `oxigraph load`, and copies that store
/// for labgraph: both servers open byte-identical files, so the comparison is of the
/// servers, not of how the files were written.
pub fn same_stores(
    work: &Path,
    labgraph: &Path,
    oxigraph: &str,
    triples: usize,
    base: &BaseIri,
) -> Stores {
    let generated = work.join("generated.nt");
    let file = std::io::BufWriter::new(std::fs::File::create(&generated).unwrap());
    let written = synthetic::generate(triples, base, file).unwrap();
    let built = work.join("built");
    let lg_store = work.join("labgraph");
    let ox_store = work.join("oxigraph");
    let dump = work.join("all.nq");
    // The generated graph extends bundled resources (the series gains its generated
    // seminars as sub-events): resources described by two graphs, asked for.
    run(Command::new(labgraph)
        .arg("--store")
        .arg(&built)
        .args(["import", "--no-validate", "--shared"])
        .arg(&generated));
    run(Command::new(labgraph)
        .arg("--store")
        .arg(&built)
        .args(["export", "-o"])
        .arg(&dump));
    run(Command::new(oxigraph)
        .args(["load", "--location"])
        .arg(&ox_store)
        .arg("--file")
        .arg(&dump));
    run(Command::new("cp").arg("-r").arg(&ox_store).arg(&lg_store));
    Stores {
        labgraph: lg_store,
        oxigraph: ox_store,
        written,
    }
}

/// `target/release/labgraph`, beside the example's own `target/release/examples/…`.
pub fn labgraph_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("labgraph");
    assert!(
        binary.exists(),
        "build the binary first: cargo build --release --examples --bin labgraph"
    );
    binary
}

/// Runs a command that must succeed.
pub fn run(command: &mut Command) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// User and system CPU time of a process, in seconds (0 once it is gone).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 14th field
    // of the line, stime the 15th, in clock ticks.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident memory of a process, in MiB (0 once it is gone).
pub fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

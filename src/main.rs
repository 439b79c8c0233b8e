//! The `labgraph` binary: parse the command line, start logging, run, map the outcome to
//! an exit code (0 success, 1 failure, 2 bad usage).

use clap::Parser as _;

/// mimalloc: per-thread free lists suit the server, which allocates on every request from
/// its connection threads (glibc's malloc spent a fifth of a lookup's time there, in
/// `bench_serve`). Built with `override`, it also serves RocksDB's allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use labgraph::cli::{Cli, Command, LogFormat};

fn main() {
    let cli = Cli::parse();
    // The server logs each request (info); other commands only warn unless -v.
    let serving = match &cli.command {
        Command::Serve(args) => Some(args.log_format),
        _ => None,
    };
    let level = match (cli.global.verbose, serving.is_some()) {
        (0, false) => "warn",
        (0, true) | (1, _) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LABGRAPH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("labgraph={level}")));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter);
    match serving {
        Some(LogFormat::Json) => logs.json().flatten_event(true).init(),
        Some(LogFormat::Text) => logs.init(),
        None => logs.without_time().init(),
    }
    // Commands parse and evaluate queries: on a thread whose stack fits the bounds of
    // `labgraph::bounds`, like the server's threads.
    if let Err(error) = labgraph::bounds::on_large_stack(|| labgraph::commands::run(cli)) {
        if error.is_broken_pipe() {
            return;
        }
        eprintln!("labgraph: {error}");
        std::process::exit(error.exit_code());
    }
}

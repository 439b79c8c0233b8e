//! The `labgraph` binary: parse the command line, start logging, run, map the outcome to
//! an exit code (0 success, 1 failure, 2 bad usage).

use clap::Parser as _;
use labgraph::cli::Cli;

fn main() {
    let cli = Cli::parse();
    let level = match cli.global.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LABGRAPH_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(format!("labgraph={level}"))
            }),
        )
        .without_time()
        .init();
    if let Err(error) = labgraph::commands::run(cli) {
        if error.is_broken_pipe() {
            return;
        }
        eprintln!("labgraph: {error}");
        std::process::exit(error.exit_code());
    }
}

//! One file per subcommand. Each takes its parsed arguments and the checked settings,
//! does its work through the library, and writes to standard output.

mod backup;
mod explain;
mod export;
mod find;
mod graphs;
mod history;
pub(crate) mod import;
mod new;
mod publish;
mod query;
mod rollback;
mod search;
mod serve;
mod validate;

use crate::cli::{Cli, Command};
use crate::config::Settings;
use crate::error::Result;
use crate::source::Source;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let settings = Settings::from_flags(&cli.global)?;
    let open = || crate::import::open(&settings.store_path, settings.base.clone());
    match cli.command {
        Command::Import(args) => import::run(&open()?, &args, cli.global.verbose > 0),
        Command::Export(args) => export::run(&open()?, &args),
        Command::Query(args) => query::run(&settings, open, &args),
        Command::Graphs => graphs::run(&open()?),
        Command::Find(args) => find::run(&open()?, &args),
        Command::Search(args) => search::run(&open()?, &args),
        Command::Suggest(args) => search::suggest(&open()?, &args),
        Command::Index => search::rebuild(&open()?),
        Command::Publish => publish::run(&open()?),
        Command::New(args) => new::run(&args),
        Command::Explain(args) => explain::run(&open()?, &args),
        Command::History(args) => history::run(&open()?, &args),
        Command::Rollback(args) => rollback::run(&open()?, &args),
        Command::Validate(args) => validate::run(&open()?, &args),
        Command::Backup(args) => backup::run(&open()?, &args),
        Command::Serve(args) => serve::run(&settings, &args),
    }
}

/// Writes a string to standard output, mapping a closed pipe to an I/O error.
fn print(text: &str) -> Result<()> {
    use std::io::Write as _;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| crate::error::Error::Io {
            path: "standard output".into(),
            source: e,
        })
}

/// The sources named on the command line of `import` or `validate`.
fn sources(args: &crate::cli::SourceArgs, base: &crate::iri::BaseIri) -> Result<Vec<Source>> {
    crate::import::plan(&args.files, args.format, args.graph.as_deref(), base)
}

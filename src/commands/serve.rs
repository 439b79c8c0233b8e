//! `labgraph serve`: checks the flags, opens the store (filled with the bundled data on
//! first use) and runs the HTTP server until SIGTERM.

use std::time::Duration;

use crate::cli::ServeArgs;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::http::{self, AdminToken, Options};

/// The environment variable that may hold the admin token.
pub const TOKEN_VARIABLE: &str = "LABGRAPH_ADMIN_TOKEN";

pub fn run(settings: &Settings, args: &ServeArgs) -> Result<()> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(Error::Usage(format!(
            "--timeout takes a positive number of seconds, not {}",
            args.timeout
        )));
    }
    if args.max_concurrent_queries == 0
        || args.max_results == 0
        || args.max_graph_triples == 0
        || args.max_connections == 0
    {
        return Err(Error::Usage(
            "--max-concurrent-queries, --max-results, --max-graph-triples and --max-connections take a number above 0"
                .into(),
        ));
    }
    let admin_token = match (&args.admin_token_file, std::env::var(TOKEN_VARIABLE)) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
            Some(AdminToken::new(&text, &path.display().to_string())?)
        }
        (None, Ok(token)) if !token.is_empty() => Some(AdminToken::new(&token, TOKEN_VARIABLE)?),
        _ => None,
    };
    let options = Options {
        timeout: Duration::from_secs_f64(args.timeout),
        max_results: args.max_results,
        max_graph_triples: args.max_graph_triples,
        max_concurrent: args.max_concurrent_queries,
        max_connections: args.max_connections,
        cache_entries: args.cache_entries,
        cache_bytes: args.cache_mib.saturating_mul(1 << 20),
        max_upload_bytes: args.max_upload_mib.saturating_mul(1 << 20),
        max_upload_triples: args.max_upload_triples,
        admin_token,
        ..Options::default()
    };
    let store = crate::import::open(&settings.store_path, settings.base.clone())?;
    // The text index is built before the first request rather than by it.
    crate::search::TextIndex::of(&store)?.ensure()?;
    // The dumps, the catalogue, VoID and the sitemap follow every write from now on; they
    // are written in the background if they do not reflect the store (the previous ones
    // are served until then).
    crate::publish::Publication::of(&store)?.start()?;
    // The runtime gives its threads the stack that the bounds of `crate::bounds` are
    // measured against.
    let runtime = http::runtime()?;
    let served = runtime.block_on(http::serve(store, options, args.bind));
    // Work still running past the shutdown's grace period (a query that Oxigraph cannot
    // cancel) does not hold the process.
    http::stop_runtime(runtime);
    served
}

//! What every handler shares: the server's [`Options`], and [`AppState`] — the store, the
//! write generation that every ETag and cache key includes, the result cache, the permits
//! of the limit on concurrent queries, the writer lock, the metrics and the watchdog.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;

use super::{AdminToken, cache, metrics, page, watchdog};
use crate::error::{Error, Result};
use crate::store::{Change, GraphStore, Observer};

/// How the server runs. The defaults suit a public endpoint on a small machine.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time budget of one query.
    pub timeout: Duration,
    /// Most rows (solutions or triples) one response may hold.
    pub max_results: usize,
    /// Most triples of one Graph Store read.
    pub max_graph_triples: usize,
    /// Queries evaluated at once; more get 503 with `Retry-After`.
    pub max_concurrent: usize,
    /// Largest query or update body, in bytes.
    pub max_query_bytes: usize,
    /// Largest Graph Store Protocol upload, in bytes.
    pub max_upload_bytes: usize,
    /// Most triples one Graph Store Protocol write may hold.
    pub max_upload_triples: usize,
    /// Results kept in the in-memory cache (0 turns it off).
    pub cache_entries: usize,
    /// Bytes of results the cache keeps; one result may take an eighth of it.
    pub cache_bytes: usize,
    /// Bound on the rows the parts of a query that never read the store may produce.
    pub max_inline_rows: u128,
    /// The admin bearer token; without one, the server is read-only.
    pub admin_token: Option<AdminToken>,
    /// Connections served at once, each on its own thread; more clients wait to be
    /// accepted.
    pub max_connections: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_results: 100_000,
            max_graph_triples: 500_000,
            max_concurrent: 16,
            max_query_bytes: 1 << 20,
            max_upload_bytes: 256 << 20,
            max_upload_triples: 100_000,
            cache_entries: 1024,
            cache_bytes: 64 << 20,
            max_inline_rows: 1_000_000,
            admin_token: None,
            max_connections: 512,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub(super) store: Arc<GraphStore>,
    pub(super) options: Options,
    /// Bumped by every commit of the store; part of every ETag and cache key.
    pub(super) generation: Arc<AtomicU64>,
    /// When the store last changed (or the server started), in seconds since the epoch.
    pub(super) changed: Arc<AtomicU64>,
    /// When this process started: ETags from before a restart (and an import made by the
    /// command line meanwhile) never match.
    pub(super) epoch: u64,
    pub(super) cache: Arc<cache::Cache>,
    pub(super) queries: Arc<Semaphore>,
    /// Writes are serialised: one at a time. A blocking lock, taken on the thread that
    /// writes, so that it is held until the write has really ended, whatever becomes of
    /// the request.
    pub(super) writer: std::sync::Mutex<()>,
    pub(super) metrics: metrics::Metrics,
    /// The query page, rendered once with its examples.
    pub(super) page: String,
    /// Time budgets and departed clients of the queries and writes (`run.rs`).
    pub(super) watchdog: Arc<watchdog::Watchdog>,
    /// The import page's dry runs that wait for their confirmation.
    pub(super) staged: super::admin::StagedFiles,
}

pub(super) type Shared = Arc<AppState>;

impl AppState {
    pub(super) fn new(store: GraphStore, options: Options) -> Result<Self> {
        let page = page::render(store.base())?;
        let watchdog: Arc<watchdog::Watchdog> = Arc::default();
        watchdog.start().map_err(|e| Error::Io {
            path: "the watchdog thread".into(),
            source: e,
        })?;
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let generation = Arc::new(AtomicU64::new(0));
        // What the server answers has not changed since it started, or since the last
        // commit: `Last-Modified`.
        let changed = Arc::new(AtomicU64::new(now_secs()));
        let cache = Arc::new(cache::Cache::new(
            options.cache_entries,
            options.cache_bytes,
        ));
        // Every commit of the store, whatever its path, changes the ETags and empties the
        // cache.
        store.subscribe(Arc::new(Freshness {
            generation: Arc::clone(&generation),
            changed: Arc::clone(&changed),
            cache: Arc::clone(&cache),
        }));
        Ok(Self {
            page,
            store: Arc::new(store),
            generation,
            changed,
            epoch,
            cache,
            queries: Arc::new(Semaphore::new(options.max_concurrent.max(1))),
            writer: std::sync::Mutex::new(()),
            metrics: metrics::Metrics::new(),
            watchdog,
            staged: Default::default(),
            options,
        })
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(super) fn writable(&self) -> bool {
        self.options.admin_token.is_some()
    }
}

/// Observes the store's commits: after each, new ETags, and no cached result survives.
struct Freshness {
    generation: Arc<AtomicU64>,
    changed: Arc<AtomicU64>,
    cache: Arc<cache::Cache>,
}

/// Now, in seconds since the Unix epoch.
pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Observer for Freshness {
    fn committed(&self, _: &crate::store::GraphStore, _: &Change) {
        // Later than any `Last-Modified` given before, even within the same second: a
        // client's `If-Modified-Since` from before this commit can never match after it.
        let _ = self
            .changed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |before| {
                Some(now_secs().max(before + 1))
            });
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.clear();
    }
}

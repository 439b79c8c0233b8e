//! Running the server: the tokio runtime `labgraph serve` runs on, [`serve`] (bind, serve
//! until SIGTERM or Ctrl-C), and [`spawn`], which serves a listener the caller has bound
//! by the very same path — the accept loop and a thread per connection of
//! `connections.rs` — on a thread of its own, until the returned [`Server`] is shut
//! down or dropped. Tests use it to reach the path the binary serves through.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::{AppState, Options, Shared, connections, routes};
use crate::error::{Error, Result};
use crate::store::GraphStore;

/// How long work still running at shutdown (a query Oxigraph cannot cancel) may hold
/// the runtime: the store's writes are transactions, so nothing half-done is committed.
const RUNTIME_GRACE: Duration = Duration::from_millis(500);

/// The runtime of the server: its workers, and the threads of its blocking pool, get the
/// large stack that the bounds of `crate::bounds` are measured against.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::bounds::STACK_SIZE)
        .on_thread_start(crate::bounds::mark_large_stack)
        .build()
        .map_err(|e| Error::Io {
            path: "the async runtime".into(),
            source: e,
        })
}

/// Ends a runtime without waiting more than [`RUNTIME_GRACE`] for work still running.
pub fn stop_runtime(runtime: tokio::runtime::Runtime) {
    runtime.shutdown_timeout(RUNTIME_GRACE);
}

/// Serves until SIGTERM or Ctrl-C, then lets the requests in flight finish.
pub async fn serve(store: GraphStore, options: Options, bind: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Error::Io {
            path: format!("address {bind}").into(),
            source: e,
        })?;
    let address = listener.local_addr().map_err(|e| Error::Io {
        path: format!("address {bind}").into(),
        source: e,
    })?;
    let writable = options.admin_token.is_some();
    let state: Shared = Arc::new(AppState::new(store, options)?);
    let endpoint = format!("http://{address}{}", routes::SPARQL);
    tracing::info!(
        target: "labgraph::serve",
        %address,
        writable,
        "labgraph écoute sur {endpoint} (listening)"
    );
    eprintln!(
        "labgraph: point d'accès SPARQL sur {endpoint} — SPARQL endpoint at {endpoint} ({})",
        if writable {
            "écriture avec le jeton d'administration / writes with the admin token"
        } else {
            "lecture seule / read-only"
        }
    );
    run(listener, state, shutdown_signal()).await;
    eprintln!("labgraph: arrêté proprement / stopped cleanly");
    Ok(())
}

/// What [`serve`] and [`spawn`] share: the application on `listener`, a thread per
/// connection, until `shutdown` completes and the requests in flight have finished.
async fn run(listener: tokio::net::TcpListener, state: Shared, shutdown: impl Future<Output = ()>) {
    let max_connections = state.options.max_connections;
    connections::run(listener, routes::router(state), max_connections, shutdown).await;
}

/// A server started by [`spawn`]; dropping it stops it as [`Server::shutdown`] does.
pub struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops it as SIGTERM stops `labgraph serve`: no new connection, the requests in
    /// flight finish (within the grace period of `connections.rs`), idle connections
    /// close; returns once it has stopped.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves `listener` as `labgraph serve` serves its address (same runtime, same accept
/// loop, a thread per connection), on a thread of its own, until the [`Server`] returned
/// is shut down or dropped.
pub fn spawn(
    store: GraphStore,
    options: Options,
    listener: std::net::TcpListener,
) -> Result<Server> {
    let io = |e| Error::Io {
        path: "the listener".into(),
        source: e,
    };
    let address = listener.local_addr().map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    let state: Shared = Arc::new(AppState::new(store, options)?);
    let runtime = runtime()?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(io)?
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("labgraph-server".into())
        .spawn(move || {
            runtime.block_on(run(listener, state, async {
                let _ = stopped.await;
            }));
            stop_runtime(runtime);
        })
        .map_err(|e| Error::Io {
            path: "the server thread".into(),
            source: e,
        })?;
    Ok(Server {
        address,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(target: "labgraph::serve", "signal received: finishing the requests in flight");
}

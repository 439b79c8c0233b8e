//! A thread per connection. Each accepted connection gets an OS thread running its own
//! single-threaded tokio runtime, which serves HTTP/1.1 with hyper and the application.
//! A query is then evaluated right on that thread, with no hand-off to a pool: blocking
//! the thread holds up only the client that asked, never the other connections nor the
//! I/O driver (Oxigraph's own server works the same way). The hand-off to tokio's blocking
//! pool and the multi-threaded scheduler cost about a third more CPU per small query
//! (BENCHMARKS.md).
//!
//! The queries of those threads are watched by the watchdog (`watchdog.rs`), which
//! cancels a query when its time budget runs out or when its client hangs up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Notify, Semaphore, watch};

/// How long a client may take to send a request's head, and how long a kept-alive
/// connection may stay idle: each connection holds a thread.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

thread_local! {
    /// On a connection's own thread: a handle on its socket, to see whether the client
    /// is still there.
    static CLIENT: RefCell<Option<Arc<TcpStream>>> = const { RefCell::new(None) };
    /// On a connection's own thread: the connection, as the accept loop sees it.
    static LIVE: RefCell<Option<Arc<Live>>> = const { RefCell::new(None) };
}

/// While a request's body is read, its connection may be closed to make room, like one
/// waiting for a request: a client that sends its body slowly is no better than one that
/// sends its head slowly. Dropping this marks the connection busy again.
pub(super) struct ReadingBody(Option<Arc<Live>>);

impl ReadingBody {
    /// Marks the connection of this thread, if any, as open to eviction.
    pub(super) fn begin() -> Self {
        let live = LIVE.with(|live| live.borrow().clone());
        if let Some(live) = &live {
            *live.waiting_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            live.busy.store(false, Ordering::SeqCst);
        }
        Self(live)
    }
}

impl Drop for ReadingBody {
    fn drop(&mut self) {
        if let Some(live) = &self.0 {
            live.busy.store(true, Ordering::SeqCst);
        }
    }
}

/// The client of the connection this thread serves, when the code runs on a connection's
/// own thread (where blocking is allowed); `None` anywhere else, such as a test driving
/// the application without a socket.
pub(super) fn own_client() -> Option<Arc<TcpStream>> {
    CLIENT.with(|client| client.borrow().clone())
}

/// How long an evicted connection may take to finish a request that arrived just as it
/// was chosen.
const EVICTION_GRACE: Duration = Duration::from_secs(2);

/// How long the requests in flight may take to finish once the server is asked to stop;
/// past it, the server stops anyway (a write not yet committed is then simply not made).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A live connection, as the accept loop sees it.
struct Live {
    /// When the connection last started to wait for a request (accepted, or answered).
    waiting_since: Mutex<Instant>,
    /// Whether a request is being served (its head has arrived).
    busy: AtomicBool,
    /// Closes the connection when it is waiting for a request.
    evict: Notify,
}

/// The connections open at once, to find the one to close when they are too many.
#[derive(Default)]
struct Registry {
    live: Mutex<HashMap<u64, Arc<Live>>>,
    next: AtomicU64,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Live>>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self) -> (u64, Arc<Live>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let live = Arc::new(Live {
            waiting_since: Mutex::new(Instant::now()),
            busy: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.lock().insert(id, Arc::clone(&live));
        (id, live)
    }

    /// Closes the connection that has waited longest for a request (idle, or sending
    /// its request's head slowly). Returns whether there was one.
    fn evict_oldest_waiting(&self) -> bool {
        let live = self.lock();
        let oldest = live
            .values()
            .filter(|c| !c.busy.load(Ordering::SeqCst))
            .min_by_key(|c| *c.waiting_since.lock().unwrap_or_else(|e| e.into_inner()));
        match oldest {
            Some(connection) => {
                connection.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Accepts connections until `shutdown` completes, each on its own thread, at most
/// `max_connections` at once. When a client connects while that many are open, the
/// connection that has waited longest for a request is closed to make room (a client that
/// sends its request slowly, or keeps an idle connection, cannot shut others out); if all
/// are serving requests, the new client waits. On shutdown, lets every connection finish
/// the request in flight for at most [`SHUTDOWN_GRACE`], and returns.
pub(super) async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max_connections));
    let registry = Arc::new(Registry::default());
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, a connection reset before it was accepted…:
                    // the listener stays, the next accept may succeed.
                    tracing::warn!(target: "labgraph::serve", "accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                registry.evict_oldest_waiting();
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                }
            }
        };
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(target: "labgraph::serve", "connection dropped: {error}");
                continue;
            }
        };
        let (app, stopping) = (app.clone(), stopping.clone());
        let (id, live) = registry.add();
        let registry = Arc::clone(&registry);
        let spawned = std::thread::Builder::new()
            .name("labgraph-conn".into())
            .stack_size(crate::bounds::STACK_SIZE)
            .spawn(move || {
                crate::bounds::mark_large_stack();
                let _slot = slot;
                connection(stream, app, stopping, &live);
                registry.lock().remove(&id);
            });
        if let Err(error) = spawned {
            tracing::error!(target: "labgraph::serve", "no thread for a connection: {error}");
        }
    }
    drop(listener);
    let _ = stop.send(true);
    // Every slot back: every connection has closed; or the grace period is over.
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(max_connections as u32))
        .await
        .is_err()
    {
        tracing::warn!(
            target: "labgraph::serve",
            "requests still running after {SHUTDOWN_GRACE:?}: stopping without them"
        );
    }
}

/// Serves one connection on the current thread until the client closes it, it stays
/// idle too long, or the server stops (then after the request in flight).
fn connection(
    stream: TcpStream,
    app: Router,
    mut stopping: watch::Receiver<bool>,
    live: &Arc<Live>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(target: "labgraph::serve", "no runtime for a connection: {error}");
            return;
        }
    };
    let client = stream.try_clone().ok().map(Arc::new);
    CLIENT.with(|own| *own.borrow_mut() = client);
    LIVE.with(|own| *own.borrow_mut() = Some(Arc::clone(live)));
    runtime.block_on(async move {
        let stream = match stream
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpStream::from_std(stream))
        {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(target: "labgraph::serve", "connection dropped: {error}");
                return;
            }
        };
        // The application, marking the connection busy from a request's head to its
        // response (the bodies of responses are complete by then).
        let marked = Arc::clone(live);
        let service = tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let live = Arc::clone(&marked);
            live.busy.store(true, Ordering::SeqCst);
            let served =
                tower::ServiceExt::oneshot(app.clone(), request.map(axum::body::Body::new));
            async move {
                let response = served.await;
                *live.waiting_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                live.busy.store(false, Ordering::SeqCst);
                response
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        tokio::pin!(connection);
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(error) = served {
                    tracing::debug!(target: "labgraph::serve", "connection ended: {error}");
                }
            }
            _ = stopping.wait_for(|stop| *stop) => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
            // Too many connections: this one, waiting for a request, makes room. A
            // request that arrived meanwhile is served first.
            () = live.evict.notified() => {
                // Waiting for a request (a head coming in slowly, or none) or reading a
                // body: closed at once. A request that arrived just now is answered
                // first.
                if live.busy.load(Ordering::SeqCst) {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(EVICTION_GRACE, connection).await;
                }
            }
        }
    });
    CLIENT.with(|own| own.borrow_mut().take());
    LIVE.with(|own| own.borrow_mut().take());
}

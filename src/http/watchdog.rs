//! The watchdog: one thread that cancels the queries and writes it watches when their
//! time budget runs out, or when the client of their connection has hung up. Oxigraph's
//! cancellation tokens are cancelled from the tokio timer of that thread, which sleeps
//! while nothing is watched.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use oxigraph::sparql::CancellationToken;
use tokio::sync::Notify;

/// How often the watchdog looks at the queries it watches.
const TICK: Duration = Duration::from_millis(20);
/// A query younger than this is not checked for a departed client: most end before.
const HANG_UP_CHECK_AFTER: Duration = Duration::from_millis(50);

/// Cancels the queries and writes whose time budget has run out or whose client has hung
/// up (that of the connection whose thread asked, when there is one). One thread, whose tokio timer wakes it every few
/// milliseconds while queries run, and which sleeps while none does; registering a query
/// costs a lock, not a wake-up.
#[derive(Default)]
pub(super) struct Watchdog {
    watched: Mutex<HashMap<u64, Watched>>,
    next: AtomicU64,
    /// Set by the watchdog thread before it sleeps with nothing to watch.
    parked: AtomicBool,
    /// Wakes the sleeping watchdog thread.
    wake: Notify,
    started: OnceLock<()>,
}

struct Watched {
    token: CancellationToken,
    started: Instant,
    deadline: Instant,
    client: Option<Arc<TcpStream>>,
}

/// A query under watch; dropping it ends the watch.
pub(super) struct Watch<'a> {
    dog: &'a Watchdog,
    id: u64,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.dog.lock().remove(&self.id);
    }
}

impl Watchdog {
    /// Starts the watchdog's thread (once); it ends when the watchdog is dropped.
    pub(super) fn start(self: &Arc<Self>) -> std::io::Result<()> {
        if self.started.get().is_some() {
            return Ok(());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        let dog = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("labgraph-watchdog".into())
            .spawn(move || runtime.block_on(watch_loop(dog)))?;
        let _ = self.started.set(());
        Ok(())
    }

    /// Watches a query from now on: `token` is cancelled after `budget`, or as soon as
    /// `client` has hung up.
    pub(super) fn watch(
        &self,
        token: CancellationToken,
        budget: Duration,
        client: Option<Arc<TcpStream>>,
    ) -> Watch<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        self.lock().insert(
            id,
            Watched {
                token,
                started,
                deadline: started + budget,
                client,
            },
        );
        if self.parked.swap(false, Ordering::SeqCst) {
            self.wake.notify_one();
        }
        Watch { dog: self, id }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Watched>> {
        // A panic while holding the lock leaves the map consistent: keep using it.
        self.watched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Cancels what is due; says whether anything is left to watch.
    fn check(&self) -> bool {
        let now = Instant::now();
        let watched = self.lock();
        for query in watched.values() {
            if query.token.is_cancelled() {
                continue;
            }
            let due = now >= query.deadline;
            let gone = !due
                && now.duration_since(query.started) >= HANG_UP_CHECK_AFTER
                && query.client.as_deref().is_some_and(hung_up);
            if due || gone {
                query.token.cancel();
            }
        }
        !watched.is_empty()
    }
}

/// The watchdog thread's loop, on its own single-threaded tokio runtime: Oxigraph's
/// cancellation tokens are cancelled from a tokio timer.
async fn watch_loop(dog: Weak<Watchdog>) {
    loop {
        let Some(watchdog) = dog.upgrade() else {
            return;
        };
        // Announce the sleep before the last look, so that a query registered in between
        // wakes this thread (`Notify` keeps a wake-up sent before the wait).
        watchdog.parked.store(true, Ordering::SeqCst);
        let busy = watchdog.check();
        if busy {
            watchdog.parked.store(false, Ordering::SeqCst);
            drop(watchdog);
            tokio::time::sleep(TICK).await;
        } else {
            // The timeout lets the thread notice that the server is gone.
            let _ = tokio::time::timeout(Duration::from_secs(1), watchdog.wake.notified()).await;
        }
    }
}

/// Whether the client has closed its side (or reset the connection). Data waiting to be
/// read (a pipelined request) means it is still there. The socket is non-blocking.
fn hung_up(client: &TcpStream) -> bool {
    match client.peek(&mut [0; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => !matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted),
    }
}

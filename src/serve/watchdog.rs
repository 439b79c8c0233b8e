//! The time budget of queries: a tokio timer that ticks every 10 ms and cancels the
//! cancellation token of every query past its deadline. Queries evaluate on the tokio
//! worker that received them, with no hand-off to another thread and no timer per query;
//! registering a deadline is a lock and an insert. The timer has a thread and a
//! current-thread runtime of its own, so that no query blocking a worker can delay it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use oxigraph::sparql::CancellationToken;

const TICK: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Watched {
    next: u64,
    deadlines: HashMap<u64, (Instant, CancellationToken)>,
}

pub struct Watchdog {
    watched: Arc<Mutex<Watched>>,
}

/// Stops watching a query when dropped (the query ended).
pub struct Watch {
    watched: Arc<Mutex<Watched>>,
    id: u64,
}

impl Watchdog {
    /// Starts the timer's thread; it stops once the watchdog is dropped.
    pub fn new() -> Self {
        let watched = Arc::new(Mutex::new(Watched::default()));
        let weak: Weak<Mutex<Watched>> = Arc::downgrade(&watched);
        let timer = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a timer runtime starts");
        let tick = async move {
            let mut ticks = tokio::time::interval(TICK);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(watched) = weak.upgrade() else { break };
                let now = Instant::now();
                if let Ok(mut watched) = watched.lock() {
                    watched.deadlines.retain(|_, (deadline, token)| {
                        let alive = *deadline > now;
                        if !alive {
                            token.cancel();
                        }
                        alive
                    });
                }
            }
        };
        std::thread::Builder::new()
            .name("labgraph-timer".into())
            .spawn(move || timer.block_on(tick))
            .expect("the timer thread starts");
        Self { watched }
    }

    /// Cancels `token` at `deadline` unless the returned guard is dropped first.
    pub fn watch(&self, token: CancellationToken, deadline: Instant) -> Watch {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        watched.next += 1;
        let id = watched.next;
        watched.deadlines.insert(id, (deadline, token));
        Watch {
            watched: self.watched.clone(),
            id,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(mut watched) = self.watched.lock() {
            watched.deadlines.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_at_the_deadline_only_while_watched() {
        let watchdog = Watchdog::new();
        let late = CancellationToken::new();
        let _watch = watchdog.watch(late.clone(), Instant::now() + Duration::from_millis(30));
        let ended = CancellationToken::new();
        drop(watchdog.watch(ended.clone(), Instant::now() + Duration::from_millis(30)));
        assert!(!late.is_cancelled());
        std::thread::sleep(Duration::from_millis(100));
        assert!(late.is_cancelled());
        assert!(!ended.is_cancelled());
    }
}

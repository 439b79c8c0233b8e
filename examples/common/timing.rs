//! Timing helpers shared by `bench`, `bench_search` and `bench_publish` (included with
//! `#[path]`).

#![allow(dead_code)]

use std::time::{Duration, Instant};

use oxigraph::sparql::QueryResults;

/// Reads every result, checking each; returns how many.
pub fn drain(results: QueryResults<'static>) -> usize {
    match results {
        QueryResults::Solutions(s) => s.inspect(|r| assert!(r.is_ok(), "{r:?}")).count(),
        QueryResults::Boolean(_) => 1,
        QueryResults::Graph(g) => g.inspect(|r| assert!(r.is_ok(), "{r:?}")).count(),
    }
}

/// How long `f` takes.
pub fn time(f: &impl Fn() -> usize) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

/// The `p`th percentile (sorts `v`).
pub fn pct(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[((v.len() - 1) * p).div_ceil(100)]
}

/// Milliseconds, three decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

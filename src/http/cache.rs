//! The in-memory cache of recent results, keyed by a hash of the store's write generation
//! and the request; every write clears it.

use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Mutex;

use axum::body::Bytes;
use lru::LruCache;

/// A cached response body.
#[derive(Clone)]
pub struct Entry {
    pub body: Bytes,
    pub content_type: &'static str,
    /// A `Link` header that depends on the body (the next page of a resource's links).
    pub link: Option<String>,
}

/// Least recently used results, bounded in count and in bytes.
pub struct Cache {
    inner: Option<Mutex<Inner>>,
    max_bytes: usize,
}

struct Inner {
    entries: LruCache<u64, Entry>,
    bytes: usize,
}

impl Cache {
    /// A cache of at most `capacity` entries (0 turns it off) and `max_bytes` of bodies;
    /// a body larger than an eighth of that is not kept.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            inner: NonZeroUsize::new(capacity).map(|c| {
                Mutex::new(Inner {
                    entries: LruCache::new(c),
                    bytes: 0,
                })
            }),
            max_bytes,
        }
    }

    pub fn get(&self, key: u64) -> Option<Entry> {
        self.inner.as_ref()?.lock().ok()?.entries.get(&key).cloned()
    }

    pub fn put(&self, key: u64, entry: Entry) {
        let size = entry.body.len();
        if size > self.max_bytes / 8 {
            return;
        }
        let Some(Ok(mut inner)) = self.inner.as_ref().map(Mutex::lock) else {
            return;
        };
        while inner.bytes + size > self.max_bytes {
            match inner.entries.pop_lru() {
                Some((_, old)) => inner.bytes -= old.body.len(),
                None => break,
            }
        }
        inner.bytes += size;
        if let Some((_, old)) = inner.entries.push(key, entry) {
            inner.bytes -= old.body.len();
        }
    }

    pub fn clear(&self) {
        if let Some(Ok(mut inner)) = self.inner.as_ref().map(Mutex::lock) {
            inner.entries.clear();
            inner.bytes = 0;
        }
    }
}

/// The key of a request: everything that decides its response.
pub fn key(parts: impl Hash) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// The (weak) entity tag of a key.
pub fn etag(key: u64) -> String {
    format!("W/\"{key:016x}\"")
}

/// Whether `If-None-Match` matches this entity tag (weak comparison, `*` matches all):
/// for a response that would otherwise be a success.
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').any(|t| t.trim() == "*") || names(if_none_match, etag)
}

/// Whether `If-None-Match` names this very entity tag (weak comparison), which only a
/// successful response ever carried.
pub fn names(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.split(',').any(|t| bare(t) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: usize) -> Entry {
        Entry {
            body: Bytes::from(vec![b'x'; size]),
            content_type: "text/plain",
            link: None,
        }
    }

    #[test]
    fn bounded_in_count_and_bytes() {
        let cache = Cache::new(3, 800);
        cache.put(1, entry(100));
        cache.put(2, entry(100));
        cache.put(3, entry(100));
        cache.put(4, entry(100)); // over the count: 1 goes
        assert!(cache.get(1).is_none() && cache.get(4).is_some());
        cache.put(5, entry(101)); // over an eighth of the bytes: not kept
        assert!(cache.get(5).is_none());
        let cache = Cache::new(100, 800);
        for key in 0..10 {
            cache.put(key, entry(100));
        }
        // 800 bytes hold 8 bodies of 100: the two oldest went.
        assert!(cache.get(0).is_none() && cache.get(1).is_none() && cache.get(2).is_some());
        cache.clear();
        assert!(cache.get(9).is_none());
        assert!(Cache::new(0, 800).get(1).is_none());
    }
}

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
}

pub struct Cache {
    entries: Option<Mutex<LruCache<u64, Entry>>>,
    max_entry_bytes: usize,
}

impl Cache {
    /// A cache of `capacity` entries (0 turns it off) of at most `max_entry_bytes` each.
    pub fn new(capacity: usize, max_entry_bytes: usize) -> Self {
        Self {
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
            max_entry_bytes,
        }
    }

    pub fn get(&self, key: u64) -> Option<Entry> {
        self.entries.as_ref()?.lock().ok()?.get(&key).cloned()
    }

    pub fn put(&self, key: u64, entry: Entry) {
        if entry.body.len() > self.max_entry_bytes {
            return;
        }
        if let Some(Ok(mut entries)) = self.entries.as_ref().map(Mutex::lock) {
            entries.put(key, entry);
        }
    }

    pub fn clear(&self) {
        if let Some(Ok(mut entries)) = self.entries.as_ref().map(Mutex::lock) {
            entries.clear();
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

/// Whether `If-None-Match` names this entity tag (weak comparison, `*` matches all).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

//! The response cache: non-streaming requests with `temperature: 0` answered from memory when
//! the same key sends the same body again. Bounded by entries and bytes (oldest out first)
//! and by age; time is a parameter so the policy is tested without waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use omniroute_formats::Format;
use serde::Serialize;

use super::Captured;
use crate::accounting::CacheSettings;

/// The cache key: who asks (answers are never shared across API keys), in which format, for
/// which path model, with which body.
pub fn key(api_key: Option<&str>, format: Format, path_model: Option<&str>, body: &[u8]) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in [
        api_key.unwrap_or("").as_bytes(),
        format.as_str().as_bytes(),
        path_model.unwrap_or("").as_bytes(),
    ] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.update(body);
    hasher.digest128()
}

struct Entry {
    answer: Arc<Captured>,
    stored: Instant,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<u128, Entry>,
    /// Insertion order (key, seq); stale pairs are skipped when evicting.
    order: VecDeque<(u128, u64)>,
    bytes: usize,
    seq: u64,
}

impl Inner {
    fn remove(&mut self, key: u128) {
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.answer.size();
        }
    }
}

#[derive(Default)]
pub struct ResponseCache {
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: usize,
    pub hits: u64,
    pub misses: u64,
}

impl ResponseCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The stored answer for `key` if younger than `ttl`; counts a hit or a miss.
    pub fn get(&self, key: u128, ttl: Duration, now: Instant) -> Option<Arc<Captured>> {
        let mut inner = self.lock();
        let found = match inner.entries.get(&key) {
            Some(e) if now.saturating_duration_since(e.stored) < ttl => Some(e.answer.clone()),
            Some(_) => {
                inner.remove(key);
                None
            }
            None => None,
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores an answer, evicting the oldest until the limits hold. An answer larger than the
    /// whole budget is not stored.
    pub fn put(&self, key: u128, answer: Captured, settings: &CacheSettings, now: Instant) {
        let max_bytes = settings.max_megabytes.saturating_mul(1024 * 1024);
        let size = answer.size();
        if size > max_bytes || settings.max_entries == 0 {
            return;
        }
        let mut inner = self.lock();
        inner.remove(key);
        inner.seq += 1;
        let seq = inner.seq;
        inner.entries.insert(
            key,
            Entry {
                answer: Arc::new(answer),
                stored: now,
                seq,
            },
        );
        inner.bytes += size;
        inner.order.push_back((key, seq));
        while inner.entries.len() > settings.max_entries || inner.bytes > max_bytes {
            let Some((old, old_seq)) = inner.order.pop_front() else {
                break;
            };
            if inner.entries.get(&old).is_some_and(|e| e.seq == old_seq) {
                inner.remove(old);
            }
        }
        // Keep the order queue from growing with stale pairs of overwritten keys.
        if inner.order.len() > 2 * inner.entries.len() + 64 {
            let Inner { entries, order, .. } = &mut *inner;
            order.retain(|(k, s)| entries.get(k).is_some_and(|e| e.seq == *s));
        }
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        *inner = Inner::default();
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            entries: inner.entries.len(),
            bytes: inner.bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};

    fn answer(n: usize) -> Captured {
        Captured::new(
            StatusCode::OK,
            &HeaderMap::new(),
            Bytes::from(vec![b'x'; n]),
        )
    }

    fn settings(entries: usize, mb: usize) -> CacheSettings {
        CacheSettings {
            enabled: true,
            ttl_seconds: 60,
            max_entries: entries,
            max_megabytes: mb,
        }
    }

    #[test]
    fn keys_separate_callers_formats_and_bodies() {
        let k = key(Some("a"), Format::OpenAiChat, None, b"{}");
        assert_eq!(k, key(Some("a"), Format::OpenAiChat, None, b"{}"));
        assert_ne!(k, key(Some("b"), Format::OpenAiChat, None, b"{}"));
        assert_ne!(k, key(None, Format::OpenAiChat, None, b"{}"));
        assert_ne!(k, key(Some("a"), Format::Anthropic, None, b"{}"));
        assert_ne!(k, key(Some("a"), Format::OpenAiChat, None, b"{ }"));
        // Length prefixes keep field boundaries apart.
        assert_ne!(
            key(Some("ab"), Format::Gemini, Some("c"), b""),
            key(Some("a"), Format::Gemini, Some("bc"), b"")
        );
    }

    #[test]
    fn hits_expire_and_stats_count() {
        let cache = ResponseCache::default();
        let t0 = Instant::now();
        let ttl = Duration::from_secs(10);
        assert!(cache.get(1, ttl, t0).is_none());
        cache.put(1, answer(10), &settings(10, 1), t0);
        assert!(cache.get(1, ttl, t0 + Duration::from_secs(9)).is_some());
        assert!(cache.get(1, ttl, t0 + Duration::from_secs(10)).is_none());
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 0));
    }

    #[test]
    fn bounded_by_entries_and_bytes_oldest_first() {
        let cache = ResponseCache::default();
        let t = Instant::now();
        let ttl = Duration::from_secs(60);
        for k in 0..5 {
            cache.put(k, answer(100), &settings(3, 1), t);
        }
        assert_eq!(cache.stats().entries, 3);
        assert!(cache.get(1, ttl, t).is_none());
        assert!(cache.get(4, ttl, t).is_some());
        let big = 600 * 1024;
        cache.put(10, answer(big), &settings(100, 1), t);
        cache.put(11, answer(big), &settings(100, 1), t);
        assert!(cache.stats().bytes <= 1024 * 1024);
        assert!(cache.get(11, ttl, t).is_some());
        assert!(cache.get(10, ttl, t).is_none());
        cache.put(12, answer(2 * 1024 * 1024), &settings(100, 1), t);
        assert!(cache.get(12, ttl, t).is_none());
        // Overwriting one key many times keeps the order queue small.
        for _ in 0..1000 {
            cache.put(20, answer(1), &settings(100, 1), t);
        }
        assert!(cache.lock().order.len() < 200);
    }
}

//! Copies of Call Bridge reads kept for a while, by key ([`KeptMap`]): the
//! one mechanism behind the kept templates ([`super::TemplateCache`]) and
//! each person's kept Call Bridge user (`meetings::directory`). No lock is
//! held while the Call Bridge is asked: callers that miss at the same time
//! each read, and the last answer is kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One kept copy and when it was read.
#[derive(Debug)]
pub struct Kept<T> {
    pub read_at: Instant,
    pub value: Arc<T>,
}

impl<T> Kept<T> {
    pub fn now(value: Arc<T>) -> Self {
        Self {
            read_at: Instant::now(),
            value,
        }
    }

    /// Still to be used, `ttl` after it was read?
    pub fn is_fresh(&self, ttl: Duration) -> bool {
        self.read_at.elapsed() < ttl
    }
}

/// Copies by key, each used for `ttl` after it was read.
pub struct KeptMap<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, Kept<T>>>,
}

impl<T> KeptMap<T> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Kept<T>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The copy of `key` while it is fresh; stale copies are dropped.
    pub fn fresh(&self, key: &str) -> Option<Arc<T>> {
        let ttl = self.ttl;
        let mut entries = self.entries();
        entries.retain(|_, kept| kept.is_fresh(ttl));
        entries.get(key).map(|kept| kept.value.clone())
    }

    /// Keeps `value` as read now.
    pub fn keep(&self, key: String, value: Arc<T>) {
        self.entries().insert(key, Kept::now(value));
    }

    /// Forgets every copy (the next use reads again).
    pub fn clear(&self) {
        self.entries().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_used_until_its_time_is_up() {
        let map = KeptMap::new(Duration::from_millis(50));
        map.keep("a".into(), Arc::new(1));
        assert_eq!(map.fresh("a").as_deref(), Some(&1));
        assert_eq!(map.fresh("b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(map.fresh("a"), None);
        map.keep("a".into(), Arc::new(2));
        map.clear();
        assert_eq!(map.fresh("a"), None);
    }
}

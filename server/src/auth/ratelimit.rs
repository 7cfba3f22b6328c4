//! Rate limit on failed sign-ins, per username and per client address.
//!
//! After `max_per_user` failures for one username (or `max_per_ip` from one
//! address) inside `window`, further attempts are refused until the window
//! that started with the first failure has passed. A success clears the
//! username's count. Kept in memory on each node.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    since: Instant,
}

#[derive(Debug)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<String, Entry>>,
    max_per_user: u32,
    max_per_ip: u32,
    window: Duration,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(5, 20, Duration::from_secs(15 * 60))
    }
}

impl LoginLimiter {
    pub fn new(max_per_user: u32, max_per_ip: u32, window: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            max_per_user,
            max_per_ip,
            window,
        }
    }

    fn keys(ip: IpAddr, username: &str) -> [(String, bool); 2] {
        [
            (format!("u:{}", username.trim().to_lowercase()), true),
            (format!("ip:{ip}"), false),
        ]
    }

    /// `Err(wait)` when this attempt must be refused for `wait`.
    pub fn check(&self, ip: IpAddr, username: &str, now: Instant) -> Result<(), Duration> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, is_user) in Self::keys(ip, username) {
            let max = if is_user {
                self.max_per_user
            } else {
                self.max_per_ip
            };
            if let Some(e) = entries.get(&key) {
                let until = e.since + self.window;
                if e.failures >= max && now < until {
                    wait = wait.max(until - now);
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    pub fn record_failure(&self, ip: IpAddr, username: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            let window = self.window;
            entries.retain(|_, e| now < e.since + window);
        }
        for (key, _) in Self::keys(ip, username) {
            let e = entries.entry(key).or_insert(Entry {
                failures: 0,
                since: now,
            });
            if now >= e.since + self.window {
                *e = Entry {
                    failures: 0,
                    since: now,
                };
            }
            e.failures += 1;
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&format!("u:{}", username.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn locks_a_username_after_too_many_failures_then_unlocks() {
        let l = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(IP, "Alice", t0).is_ok());
            l.record_failure(IP, "alice", t0);
        }
        let wait = l
            .check(IP, "ALICE", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(l.check(IP, "bob", t0).is_ok(), "other users are not locked");
        assert!(l.check(IP, "alice", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn locks_an_address_that_tries_many_usernames() {
        let l = LoginLimiter::new(100, 4, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..4 {
            l.record_failure(IP, &format!("user{i}"), t0);
        }
        assert!(l.check(IP, "someone-else", t0).is_err());
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
        assert!(l.check(other, "someone-else", t0).is_ok());
    }

    #[test]
    fn success_clears_the_username_count() {
        let l = LoginLimiter::new(2, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        l.record_failure(IP, "carol", t0);
        l.record_success("carol");
        l.record_failure(IP, "carol", t0);
        assert!(l.check(IP, "carol", t0).is_ok());
    }
}

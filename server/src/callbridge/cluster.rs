//! The Call Bridges of a CMS cluster as the client sees them: which one a
//! request goes to (the first healthy one, in the configured order), each
//! one's state, software version and last error, for `scheduler status`
//! and the administrators' page.

use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const LOG_TARGET: &str = "callbridge";

/// A Call Bridge's state as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    /// Not asked anything yet.
    Unknown,
    /// Its last answer was an HTTP answer other than 503.
    Up,
    /// No connection, no answer in time, or 503.
    Down,
}

impl NodeState {
    pub fn word(self) -> &'static str {
        match self {
            NodeState::Unknown => "UNKNOWN",
            NodeState::Up => "UP",
            NodeState::Down => "DOWN",
        }
    }
}

/// One Call Bridge as `scheduler status` and `/admin` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReport {
    /// `https://host:port` as configured.
    pub url: String,
    /// Requests go to this one now.
    pub in_use: bool,
    pub state: NodeState,
    /// When it last went UP or DOWN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// `softwareVersion` from its `GET /api/v1/system/status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// The last failure seen on it (kept after it recovers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

struct Health {
    state: NodeState,
    since: Option<DateTime<Utc>>,
    /// When it was last seen failing, to pass it over for a while.
    down_at: Option<Instant>,
    software_version: Option<String>,
    last_error: Option<String>,
}

/// One Call Bridge: its URL and what is known of it.
pub(crate) struct Node {
    pub base: Url,
    health: Mutex<Health>,
}

/// Every Call Bridge of the cluster, in the configured order.
pub(crate) struct Cluster {
    nodes: Vec<Node>,
    in_use: AtomicUsize,
    recheck_after: Duration,
}

impl Cluster {
    pub fn new(bases: Vec<Url>, recheck_after: Duration) -> Self {
        Self {
            nodes: bases
                .into_iter()
                .map(|base| Node {
                    base,
                    health: Mutex::new(Health {
                        state: NodeState::Unknown,
                        since: None,
                        down_at: None,
                        software_version: None,
                        last_error: None,
                    }),
                })
                .collect(),
            in_use: AtomicUsize::new(0),
            recheck_after,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    fn health(&self, i: usize) -> std::sync::MutexGuard<'_, Health> {
        self.nodes[i]
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Not seen failing within `recheck_after`.
    fn usable(&self, i: usize, now: Instant) -> bool {
        let h = self.health(i);
        match (h.state, h.down_at) {
            (NodeState::Down, Some(at)) => now.duration_since(at) >= self.recheck_after,
            _ => true,
        }
    }

    /// The node for the next attempt of a request that already tried
    /// `tried`: the first usable one not tried, else the first not tried,
    /// else the first.
    pub fn pick(&self, tried: &[usize]) -> usize {
        let now = Instant::now();
        let fresh = |i: &usize| !tried.contains(i);
        (0..self.len())
            .filter(fresh)
            .find(|&i| self.usable(i, now))
            .or_else(|| (0..self.len()).find(fresh))
            .unwrap_or(0)
    }

    /// Is there a node this request has not tried yet?
    pub fn untried_left(&self, tried: &[usize]) -> bool {
        (0..self.len()).any(|i| !tried.contains(&i))
    }

    /// The node answered (anything but 503): it is UP and in use.
    pub fn answered(&self, i: usize) {
        {
            let mut h = self.health(i);
            if h.state != NodeState::Up {
                tracing::info!(target: LOG_TARGET, url = %self.nodes[i].base, "Call Bridge UP");
                h.state = NodeState::Up;
                h.since = Some(Utc::now());
            }
            h.down_at = None;
        }
        let before = self.in_use.swap(i, Ordering::Relaxed);
        if before != i {
            tracing::info!(
                target: LOG_TARGET,
                url = %self.nodes[i].base,
                "now using this Call Bridge"
            );
        }
    }

    /// The node failed (connection, timeout, 503): DOWN, passed over for a while.
    pub fn failed(&self, i: usize, error: &str) {
        let mut h = self.health(i);
        if h.state != NodeState::Down {
            tracing::warn!(
                target: LOG_TARGET,
                url = %self.nodes[i].base,
                error,
                "Call Bridge DOWN"
            );
            h.state = NodeState::Down;
            h.since = Some(Utc::now());
        }
        h.down_at = Some(Instant::now());
        h.last_error = Some(error.to_string());
    }

    /// The node answered with an error that is not about its health
    /// (e.g. the credentials were refused): remembered as its last error.
    pub fn note_error(&self, i: usize, error: &str) {
        self.health(i).last_error = Some(error.to_string());
    }

    pub fn set_version(&self, i: usize, version: Option<String>) {
        self.health(i).software_version = version;
    }

    pub fn reports(&self) -> Vec<NodeReport> {
        let in_use = self.in_use.load(Ordering::Relaxed);
        (0..self.len())
            .map(|i| {
                let h = self.health(i);
                NodeReport {
                    url: self.nodes[i]
                        .base
                        .as_str()
                        .trim_end_matches('/')
                        .to_string(),
                    in_use: i == in_use,
                    state: h.state,
                    since: h.since,
                    software_version: h.software_version.clone(),
                    last_error: h.last_error.clone(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(recheck: Duration) -> Cluster {
        Cluster::new(
            vec![
                Url::parse("https://cms1.example.com:445").unwrap(),
                Url::parse("https://cms2.example.com:445").unwrap(),
                Url::parse("https://cms3.example.com:445").unwrap(),
            ],
            recheck,
        )
    }

    #[test]
    fn the_first_healthy_node_is_picked_and_a_failed_one_passed_over() {
        let c = cluster(Duration::from_secs(60));
        assert_eq!(c.pick(&[]), 0);
        c.failed(0, "connection refused");
        assert_eq!(c.pick(&[]), 1);
        assert_eq!(c.pick(&[1]), 2);
        // Everything failed or tried: the first not tried, whatever its state.
        c.failed(2, "timeout");
        assert_eq!(c.pick(&[1]), 0);
        assert_eq!(c.pick(&[0, 1, 2]), 0);
        assert!(!c.untried_left(&[0, 1, 2]));
        c.answered(1);
        let r = c.reports();
        assert_eq!(
            r.iter().map(|n| n.state).collect::<Vec<_>>(),
            [NodeState::Down, NodeState::Up, NodeState::Down]
        );
        assert!(r[1].in_use && !r[0].in_use);
        assert_eq!(r[0].last_error.as_deref(), Some("connection refused"));
        assert_eq!(r[0].url, "https://cms1.example.com:445");
    }

    #[test]
    fn a_failed_node_is_tried_again_after_the_recheck_time() {
        let c = cluster(Duration::ZERO);
        c.failed(0, "503");
        assert_eq!(c.pick(&[]), 0, "recheck time over: the first again");
        c.answered(0);
        assert!(c.reports()[0].in_use);
        assert_eq!(c.reports()[0].state, NodeState::Up);
    }
}

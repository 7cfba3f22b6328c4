//! The state of every C2W link, shared by the supervisor, the status report
//! and the tests.

use crate::admin::{WebBridgeLink, WebBridgeReport};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

/// One web bridge's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeStatus {
    /// The Call Bridge API id of the web bridge.
    pub id: String,
    /// `host:port`.
    pub address: String,
    pub up: bool,
    /// The guid the bridge sent on its last connection.
    pub guid: Option<String>,
    /// When the link last went UP or DOWN.
    pub since: DateTime<Utc>,
    pub last_error: Option<String>,
    /// How many times the link came UP.
    pub connections: u64,
}

/// Every link, by address.
#[derive(Debug, Default)]
pub struct C2wState {
    bridges: RwLock<BTreeMap<String, BridgeStatus>>,
}

impl C2wState {
    pub fn snapshot(&self) -> Vec<BridgeStatus> {
        self.read().values().cloned().collect()
    }

    pub fn get(&self, address: &str) -> Option<BridgeStatus> {
        self.read().get(address).cloned()
    }

    pub fn up_count(&self) -> usize {
        self.read().values().filter(|b| b.up).count()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, BridgeStatus>> {
        self.bridges.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, BridgeStatus>> {
        self.bridges.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, id: &str, address: &str) {
        self.write()
            .entry(address.to_string())
            .or_insert_with(|| BridgeStatus {
                id: id.to_string(),
                address: address.to_string(),
                up: false,
                guid: None,
                since: Utc::now(),
                last_error: None,
                connections: 0,
            });
    }

    pub(crate) fn remove(&self, address: &str) {
        self.write().remove(address);
    }

    pub(crate) fn set_up(&self, address: &str, guid: &str) {
        if let Some(b) = self.write().get_mut(address) {
            b.up = true;
            b.guid = Some(guid.to_string());
            b.since = Utc::now();
            b.last_error = None;
            b.connections += 1;
        }
    }

    /// Answers whether the link was UP.
    pub(crate) fn set_down(&self, address: &str, error: Option<String>) -> bool {
        let mut map = self.write();
        let Some(b) = map.get_mut(address) else {
            return false;
        };
        let was_up = b.up;
        if was_up {
            b.since = Utc::now();
        }
        b.up = false;
        if error.is_some() {
            b.last_error = error;
        }
        was_up
    }
}

impl WebBridgeReport for C2wState {
    fn links(&self) -> Vec<WebBridgeLink> {
        self.read()
            .values()
            .map(|b| WebBridgeLink {
                address: b.address.clone(),
                up: b.up,
                guid: b.guid.clone(),
                since: b.since,
                last_error: b.last_error.clone(),
                connections: b.connections,
            })
            .collect()
    }
}

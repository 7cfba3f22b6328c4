//! What the home page and the wizard read about the Call Bridge's users and
//! spaces. The Call Bridge lists them ten at a time, so reading every
//! coSpace on each render cost one request per ten spaces: with 1,700
//! meetings' spaces the home page made 170 Call Bridge requests and took
//! seconds under load. Both lists change rarely (users come from LDAP; the
//! spaces listed are those not made by the scheduler), so a node keeps one
//! copy of each for [`TTL`]; one caller reads it again while the others
//! wait for that read instead of starting their own.

use crate::callbridge::{CallBridgeClient, CallBridgeError, CoSpace, User};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long a copy is used before it is read again.
pub const TTL: Duration = Duration::from_secs(30);

type Slot<T> = Mutex<Option<(Instant, Arc<Vec<T>>)>>;

#[derive(Default)]
pub struct Directory {
    users: Slot<User>,
    spaces: Slot<CoSpace>,
}

impl Directory {
    /// The Call Bridge's users.
    pub async fn users(&self, cb: &CallBridgeClient) -> Result<Arc<Vec<User>>, CallBridgeError> {
        cached(&self.users, || cb.users(None)).await
    }

    /// The coSpaces not made by the scheduler (its own carry its `cdrTag`
    /// marker, see [`crate::callbridge::saga::request_marker`]).
    pub async fn spaces(
        &self,
        cb: &CallBridgeClient,
    ) -> Result<Arc<Vec<CoSpace>>, CallBridgeError> {
        cached(&self.spaces, || async {
            Ok(cb
                .cospaces(None)
                .await?
                .into_iter()
                .filter(|s| {
                    !s.cdr_tag
                        .as_deref()
                        .is_some_and(crate::callbridge::saga::is_request_marker)
                })
                .collect())
        })
        .await
    }
}

async fn cached<T, F, Fut>(slot: &Slot<T>, read: F) -> Result<Arc<Vec<T>>, CallBridgeError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, CallBridgeError>>,
{
    // Held across the read: the others wait for it and then use its copy.
    let mut slot = slot.lock().await;
    if let Some((at, list)) = slot.as_ref() {
        if at.elapsed() < TTL {
            return Ok(list.clone());
        }
    }
    let list = Arc::new(read().await?);
    *slot = Some((Instant::now(), list.clone()));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callbridge::sim::{CallBridgeSim, RequestMatcher, Seed, SimCredentials};

    async fn sim() -> (crate::callbridge::sim::SimHandle, CallBridgeClient) {
        let sim = CallBridgeSim::start(
            Seed::source_document().unwrap(),
            SimCredentials::new("api", "pw"),
        )
        .await
        .unwrap();
        let client = CallBridgeClient::new(sim.client_config()).unwrap();
        (sim, client)
    }

    #[tokio::test]
    async fn concurrent_readers_share_one_read_and_errors_are_not_kept() {
        let (sim, cb) = sim().await;
        let dir = Directory::default();
        sim.clear_requests();
        let reads = futures_util::future::join_all((0..20).map(|_| dir.spaces(&cb))).await;
        let first = reads[0].as_ref().unwrap().clone();
        assert!(reads
            .iter()
            .all(|r| r.as_ref().unwrap().len() == first.len()));
        let listed = sim
            .requests()
            .iter()
            .filter(|r| {
                r.method == "GET"
                    && r.path.starts_with("/api/v1/coSpaces")
                    && !r.path["/api/v1/coSpaces".len()..].starts_with('/')
            })
            .count();
        let pages = first.len().div_ceil(10).max(1);
        assert_eq!(listed, pages, "one read of every page, not twenty");
        // A failed read is reported and not kept: the next caller tries again.
        let dir = Directory::default();
        sim.busy_next(100, RequestMatcher::new("GET /api/v1/users"));
        assert!(dir.users(&cb).await.is_err());
        sim.clear_faults();
        assert!(!dir.users(&cb).await.unwrap().is_empty());
    }
}

//! Who is in a meeting's space right now: the Call Bridge's active calls in
//! its coSpace (`GET /calls?coSpaceFilter=<id>`) and their call legs
//! (`GET /calls/<id>/callLegs`), read at most once every [`LIVE_TTL`] per
//! coSpace on this node. When the Call Bridge does not answer, nothing is
//! shown (and it is not asked again before the time is up). Called by the
//! meeting page and the home page (`read`, `lists`).

use crate::callbridge::CallBridgeClient;
use app::model::LiveView;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long an answer (or a failure) is reused.
pub const LIVE_TTL: Duration = Duration::from_secs(5);

/// Most names listed (the count says how many there are).
const NAMES_SHOWN: usize = 20;

struct Cached {
    at: Instant,
    live: Option<LiveView>,
}

/// The per-node cache of live calls, by coSpace id.
#[derive(Default)]
pub struct LiveCalls {
    cache: Mutex<HashMap<String, Cached>>,
}

impl LiveCalls {
    /// The live call in `cospace_id`, if there is one and the Call Bridge answers.
    pub async fn of(&self, cb: &CallBridgeClient, cospace_id: &str) -> Option<LiveView> {
        let now = Instant::now();
        {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.retain(|_, c| now.duration_since(c.at) < LIVE_TTL);
            if let Some(c) = cache.get(cospace_id) {
                return c.live.clone();
            }
        }
        let live = match read(cb, cospace_id).await {
            Ok(live) => live,
            Err(e) => {
                tracing::debug!(target: "callbridge", cospace = cospace_id, error = %e, "live calls not read");
                None
            }
        };
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                cospace_id.to_string(),
                Cached {
                    at: now,
                    live: live.clone(),
                },
            );
        live
    }

    /// Forgets every answer (tests; a node's view after a change).
    pub fn clear(&self) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

async fn read(
    cb: &CallBridgeClient,
    cospace_id: &str,
) -> Result<Option<LiveView>, crate::callbridge::CallBridgeError> {
    let calls = cb.calls(Some(cospace_id)).await?;
    // A Call Bridge that ignored the filter must not show others' calls.
    let calls: Vec<_> = calls
        .into_iter()
        .filter(|c| c.co_space.as_deref().is_none_or(|s| s == cospace_id))
        .collect();
    if calls.is_empty() {
        return Ok(None);
    }
    let mut participants = 0u32;
    let mut names = Vec::new();
    for call in &calls {
        for leg in cb.call_legs_of(&call.id).await? {
            participants += 1;
            let name = leg
                .name
                .filter(|n| !n.trim().is_empty())
                .or(leg.remote_party)
                .unwrap_or_default();
            if !name.is_empty() && names.len() < NAMES_SHOWN {
                names.push(name);
            }
        }
    }
    Ok(Some(LiveView {
        participants,
        names,
    }))
}

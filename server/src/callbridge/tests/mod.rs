//! The client, the simulator and the saga together, over real HTTP on
//! loopback; and the client against answers recorded from SPEC §7
//! (`fixtures/`). Timeouts and backoffs are short so the suite stays fast.

mod client;
mod cluster;
mod fixtures;
mod saga;
mod sim;
mod tls;

use super::sim::{CallBridgeSim, Seed, SimCredentials, SimHandle};
use super::{CallBridgeClient, CallBridgeConfig, RetryPolicy};
use std::time::Duration;

pub(super) const USER: &str = "api-user";
pub(super) const PASSWORD: &str = "N0t-In-The-Logs!";
/// `CoSpaceTemp-Scheduler` in the built-in seed.
pub(super) const TEMPLATE_ID: &str = "19577d25-f7cf-4524-9a26-5fd418dd5f96";
/// The demo organizer's own space in the built-in seed.
pub(super) const DEMO_SPACE_ID: &str = "7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8";
pub(super) const TIMEOUT: Duration = Duration::from_millis(300);

/// The built-in seed's simulator, in strict mode: the client must never
/// send a parameter the CMS API reference does not document.
pub(super) async fn start_sim() -> SimHandle {
    let sim = CallBridgeSim::start(
        Seed::source_document().expect("built-in seed"),
        SimCredentials::new(USER, PASSWORD),
    )
    .await
    .expect("simulator starts");
    sim.set_strict(true);
    sim
}

/// The simulator's config with short timeouts and a quick 3-attempt retry.
pub(super) fn fast_config(sim: &SimHandle) -> CallBridgeConfig {
    let mut cfg = sim.client_config();
    cfg.timeout = TIMEOUT;
    cfg.connect_timeout = TIMEOUT;
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        multiplier: 2,
    };
    cfg
}

pub(super) fn client(sim: &SimHandle) -> CallBridgeClient {
    CallBridgeClient::new(fast_config(sim)).expect("client")
}

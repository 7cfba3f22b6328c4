//! Recovery of half-made spaces: a node that dies after the Call Bridge made
//! a meeting's coSpace but before the meeting was stored leaves a row in
//! `space_intents` (written before the saga, removed in the transaction that
//! stores the meeting). Any node's sweep finds such rows once they are older
//! than any creation can take, deletes the coSpace they name (found by its
//! URI and its `cdrTag`), and forgets them. Safe on several nodes at once:
//! deleting a coSpace already gone counts as done.

use crate::callbridge::{self, CallBridgeClient};
use crate::clock::{to_millis, Clock};
use crate::db::Db;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// Older than this, an intent is a dead node's: no saga lasts that long.
pub const STALE_AFTER: Duration = Duration::minutes(10);
/// How often each node sweeps.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoverReport {
    /// Half-made spaces deleted on the Call Bridge.
    pub deleted: u64,
    /// Intents with no space on the Call Bridge (it died before making one).
    pub nothing_made: u64,
    /// The Call Bridge did not answer: tried again next sweep.
    pub failed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// One sweep at `now`.
pub async fn sweep(
    db: &Db,
    cb: &CallBridgeClient,
    now: DateTime<Utc>,
) -> Result<RecoverReport, RecoverError> {
    #[derive(sqlx::FromRow)]
    struct Intent {
        request_id: String,
        uri: String,
    }
    let stale: Vec<Intent> = sqlx::query_as(
        "SELECT request_id, uri FROM space_intents WHERE created_at <= $1 ORDER BY created_at",
    )
    .bind(to_millis(now - STALE_AFTER))
    .fetch_all(db)
    .await?;
    let mut report = RecoverReport::default();
    for Intent { request_id, uri } in stale {
        // Stored after all (a race with the storing transaction): keep it.
        let stored: Option<String> =
            sqlx::query_scalar("SELECT id FROM meetings WHERE request_id = $1")
                .bind(&request_id)
                .fetch_optional(db)
                .await?;
        if stored.is_none() {
            match callbridge::find_request_space(cb, &uri, &request_id).await {
                Ok(Some(cospace)) => match callbridge::delete_meeting_space(cb, &cospace).await {
                    Ok(_) => {
                        tracing::warn!(target: "jobs", %cospace, %request_id, "recovery: deleted a half-made meeting space");
                        report.deleted += 1;
                    }
                    Err(e) => {
                        tracing::warn!(target: "jobs", %cospace, "recovery: the Call Bridge did not delete the space: {e}");
                        report.failed += 1;
                        continue;
                    }
                },
                Ok(None) => report.nothing_made += 1,
                Err(e) => {
                    tracing::warn!(target: "jobs", %request_id, "recovery: the Call Bridge did not answer: {e}");
                    report.failed += 1;
                    continue;
                }
            }
        }
        sqlx::query("DELETE FROM space_intents WHERE request_id = $1")
            .bind(&request_id)
            .execute(db)
            .await?;
    }
    if report != RecoverReport::default() {
        tracing::info!(
            target: "jobs",
            deleted = report.deleted,
            nothing_made = report.nothing_made,
            failed = report.failed,
            "recovery of half-made spaces done"
        );
    }
    Ok(report)
}

/// Sweeps every [`EVERY`], for ever.
pub async fn run_periodic(db: Db, cb: Arc<CallBridgeClient>, clock: Arc<dyn Clock>) {
    loop {
        tokio::time::sleep(EVERY).await;
        if let Err(e) = sweep(&db, &cb, clock.now()).await {
            tracing::error!(target: "jobs", "recovery sweep failed: {e}");
        }
    }
}

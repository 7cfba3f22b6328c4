//! The daily cleanup (SPEC §6): at 01:15 GMT delete the temporary spaces of
//! meetings that ended 24 hours or more before the run, through the Call
//! Bridge API. A recurring meeting's space stays until its last occurrence
//! has ended (an endless series keeps it). Idempotent, and run by one node at
//! a time (a lease in the database); a space the Call Bridge fails to delete
//! stays listed and is tried again at the next run.

use super::lease;
use crate::callbridge::{self, CallBridgeClient};
use crate::clock::{from_millis, to_millis, Clock};
use crate::db::Db;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;

pub const JOB: &str = "cleanup";
/// How long after a meeting ends its temporary space is kept.
pub const GRACE: Duration = Duration::hours(24);
/// How long one node may hold the job before another can take over.
const LEASE: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Temporary spaces looked at.
    pub examined: u64,
    /// Deleted on the Call Bridge (or already gone) and forgotten here.
    pub deleted: u64,
    /// The Call Bridge refused or did not answer: kept for the next run.
    pub failed: u64,
    /// Not yet due (a meeting ends later, or repeats without end).
    pub kept: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    #[error("cleanup database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The first 01:15 UTC strictly after `now`.
pub fn next_run_after(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(1, 15, 0).unwrap_or_default());
    if today > now {
        today
    } else {
        today + Duration::days(1)
    }
}

/// When the last occurrence of a stored meeting ends (its exceptions
/// applied: a moved last occurrence counts where it went); None when it
/// never does.
pub fn meeting_end(
    ends_at: i64,
    rrule: Option<&str>,
    tz: &str,
    local_start: &str,
    duration_minutes: i64,
    exceptions: &[crate::db::series::ExceptionRow],
) -> Option<DateTime<Utc>> {
    let Some(rule) = rrule.filter(|r| !r.trim().is_empty()) else {
        return Some(from_millis(ends_at));
    };
    match crate::db::series::base_series(rule, tz, local_start, duration_minutes) {
        Some(mut series) => {
            crate::db::series::apply(&mut series, exceptions);
            match series.series_end() {
                crate::recurrence::SeriesEnd::At(t) => Some(t),
                // Every occurrence cancelled: over when the first was due.
                crate::recurrence::SeriesEnd::NoOccurrences => Some(from_millis(ends_at)),
                crate::recurrence::SeriesEnd::Endless => None,
            }
        }
        // A rule we cannot read: never guess that it is over.
        None => None,
    }
}

/// A temporary space the scheduler made.
#[derive(sqlx::FromRow)]
struct TemporarySpace {
    id: String,
    cospace_id: Option<String>,
    created_at: i64,
}

/// A meeting held in such a space, with what its end depends on.
#[derive(sqlx::FromRow)]
struct HeldMeeting {
    id: String,
    ends_at: i64,
    rrule: Option<String>,
    time_zone: String,
    local_start: String,
    duration_minutes: i64,
}

/// One run: takes the lease, deletes what is due, gives the lease back.
/// `Ok(None)` when another node holds the lease.
pub async fn run_once(
    db: &Db,
    cb: &CallBridgeClient,
    now: DateTime<Utc>,
    node: &str,
) -> Result<Option<CleanupReport>, CleanupError> {
    let now_ms = to_millis(now);
    if !lease::acquire(db, JOB, node, now_ms, to_millis(now + LEASE)).await? {
        tracing::info!(target: "jobs", "cleanup: another scheduler node is running it");
        return Ok(None);
    }
    let result = sweep(db, cb, now).await;
    lease::release(db, JOB, node).await?;
    let report = result?;
    tracing::info!(
        target: "jobs",
        examined = report.examined,
        deleted = report.deleted,
        failed = report.failed,
        kept = report.kept,
        "cleanup of temporary spaces done"
    );
    Ok(Some(report))
}

async fn sweep(
    db: &Db,
    cb: &CallBridgeClient,
    now: DateTime<Utc>,
) -> Result<CleanupReport, CleanupError> {
    let mut report = CleanupReport::default();
    let due = now - GRACE;
    let spaces: Vec<TemporarySpace> = sqlx::query_as(
        "SELECT id, cospace_id, created_at FROM spaces WHERE temporary = 1 ORDER BY created_at, id",
    )
    .fetch_all(db)
    .await?;
    for space in spaces {
        let TemporarySpace {
            id: space_id,
            cospace_id,
            created_at,
        } = space;
        report.examined += 1;
        let meetings: Vec<HeldMeeting> = sqlx::query_as(
            "SELECT id, ends_at, rrule, time_zone, local_start, duration_minutes FROM meetings WHERE space_id = $1",
        )
        .bind(&space_id)
        .fetch_all(db)
        .await?;
        let last_end = if meetings.is_empty() {
            // Left behind by an interrupted deletion: due a day after it was made.
            Some(from_millis(created_at))
        } else {
            let mut last = Some(DateTime::<Utc>::MIN_UTC);
            for m in &meetings {
                // Only a series has exceptions.
                let exceptions = match m.rrule {
                    Some(_) => crate::db::series::load_exceptions(db, &m.id).await?,
                    None => Vec::new(),
                };
                let end = meeting_end(
                    m.ends_at,
                    m.rrule.as_deref(),
                    &m.time_zone,
                    &m.local_start,
                    m.duration_minutes,
                    &exceptions,
                );
                last = match (last, end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            last
        };
        match last_end {
            Some(end) if end <= due => {}
            _ => {
                report.kept += 1;
                continue;
            }
        }
        if let Some(cospace) = &cospace_id {
            if let Err(e) = callbridge::delete_meeting_space(cb, cospace).await {
                tracing::warn!(target: "jobs", %cospace, "cleanup: the Call Bridge did not delete the space: {e}");
                report.failed += 1;
                continue;
            }
        }
        let mut tx = crate::db::begin_write(db).await?;
        sqlx::query("UPDATE meetings SET space_id = NULL WHERE space_id = $1")
            .bind(&space_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM spaces WHERE id = $1")
            .bind(&space_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        report.deleted += 1;
    }
    Ok(report)
}

/// Runs the cleanup every day at 01:15 GMT, for ever.
pub async fn run_daily(db: Db, cb: Arc<CallBridgeClient>, clock: Arc<dyn Clock>, node: String) {
    loop {
        let now = clock.now();
        let next = next_run_after(now);
        let wait = (next - now)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(60));
        tokio::time::sleep(wait).await;
        if let Err(e) = run_once(&db, &cb, clock.now(), &node).await {
            tracing::error!(target: "jobs", "cleanup failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn runs_at_quarter_past_one_gmt() {
        assert_eq!(
            next_run_after(t("2026-11-25T00:00:00Z")),
            t("2026-11-25T01:15:00Z")
        );
        assert_eq!(
            next_run_after(t("2026-11-25T01:15:00Z")),
            t("2026-11-26T01:15:00Z")
        );
        assert_eq!(
            next_run_after(t("2026-11-25T23:59:00Z")),
            t("2026-11-26T01:15:00Z")
        );
    }

    #[test]
    fn series_ends() {
        let end = to_millis(t("2026-11-25T10:00:00Z"));
        assert_eq!(
            meeting_end(end, None, "UTC", "", 0, &[]),
            Some(t("2026-11-25T10:00:00Z"))
        );
        // Weekly, 3 times from Wed Nov 25 09:00 Paris (08:00Z): last ends Dec 9 09:00Z.
        assert_eq!(
            meeting_end(
                end,
                Some("FREQ=WEEKLY;COUNT=3"),
                "Europe/Paris",
                "2026-11-25T09:00",
                60,
                &[]
            ),
            Some(t("2026-12-09T09:00:00Z"))
        );
        assert_eq!(
            meeting_end(
                end,
                Some("FREQ=DAILY"),
                "Europe/Paris",
                "2026-11-25T09:00",
                60,
                &[]
            ),
            None
        );
        assert_eq!(
            meeting_end(
                end,
                Some("NONSENSE"),
                "Europe/Paris",
                "2026-11-25T09:00",
                60,
                &[]
            ),
            None
        );
        // The last occurrence cancelled: the series ends a week earlier;
        // moved later: it ends where it went.
        use crate::db::series::ExceptionRow;
        let cancelled = ExceptionRow {
            original: "2026-12-09T09:00".into(),
            cancelled: true,
            starts_at: None,
            ends_at: None,
            name: None,
        };
        let weekly = |ex: &[ExceptionRow]| {
            meeting_end(
                end,
                Some("FREQ=WEEKLY;COUNT=3"),
                "Europe/Paris",
                "2026-11-25T09:00",
                60,
                ex,
            )
        };
        assert_eq!(weekly(&[cancelled]), Some(t("2026-12-02T09:00:00Z")));
        let moved = ExceptionRow {
            original: "2026-12-02T09:00".into(),
            cancelled: false,
            starts_at: Some(to_millis(t("2026-12-20T08:00:00Z"))),
            ends_at: Some(to_millis(t("2026-12-20T09:30:00Z"))),
            name: None,
        };
        assert_eq!(weekly(&[moved]), Some(t("2026-12-20T09:30:00Z")));
    }
}

//! A repeating meeting as stored: its rule, zone, local start and length in
//! `meetings`, its exceptions (cancelled, moved or renamed occurrences) in
//! `meeting_exceptions`, keyed by the occurrence's original local start in
//! the meeting's zone. Every reader of a series (pages, e-mails, the API,
//! the cleanup) builds it through [`load_series`] or [`base_series`] +
//! [`apply`], so that all of them see the same occurrences.

use crate::clock::from_millis;
use crate::recurrence::{Override, Series};
use chrono::NaiveDateTime;
use chrono_tz::Tz;

/// How an occurrence is named in forms, URLs and the database: its original
/// local start, `YYYY-MM-DDTHH:MM`.
pub const ORIGINAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

pub fn parse_original(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), ORIGINAL_FORMAT).ok()
}

pub fn format_original(t: NaiveDateTime) -> String {
    t.format(ORIGINAL_FORMAT).to_string()
}

/// One stored exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRow {
    pub original: String,
    pub cancelled: bool,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub name: Option<String>,
}

/// The exceptions of a meeting, by original start.
pub async fn load_exceptions<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    meeting_id: &str,
) -> Result<Vec<ExceptionRow>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        original: String,
        cancelled: i64,
        starts_at: Option<i64>,
        ends_at: Option<i64>,
        name: Option<String>,
    }
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT original, cancelled, starts_at, ends_at, name FROM meeting_exceptions \
         WHERE meeting_id = $1 ORDER BY original",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ExceptionRow {
            original: r.original,
            cancelled: r.cancelled != 0,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            name: r.name,
        })
        .collect())
}

/// The series as stored (rule, zone, local start, length) without its
/// exceptions; None for a meeting that does not repeat or a row that cannot
/// be read (logged by the callers that care).
pub fn base_series(rrule: &str, tz: &str, local_start: &str, minutes: i64) -> Option<Series> {
    let tz: Tz = tz.parse().ok()?;
    let start = parse_original(local_start)?;
    let rule = crate::recurrence::Recurrence::from_rrule(rrule).ok()?;
    Series::new(tz, start, chrono::Duration::minutes(minutes), rule).ok()
}

/// Applies stored exceptions; one that no longer names an occurrence (the
/// rule was edited since) is skipped.
pub fn apply(series: &mut Series, rows: &[ExceptionRow]) {
    for r in rows {
        let Some(original) = parse_original(&r.original) else {
            continue;
        };
        let applied = if r.cancelled {
            series.cancel(original)
        } else {
            match (r.starts_at, r.ends_at) {
                (Some(s), Some(e)) => series.edit(
                    original,
                    Override {
                        start: from_millis(s),
                        end: from_millis(e),
                        name: r.name.clone(),
                    },
                ),
                _ => Ok(()),
            }
        };
        if let Err(e) = applied {
            tracing::debug!("exception {} skipped: {e}", r.original);
        }
    }
}

/// A meeting's rule, zone, local start and length as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRule {
    pub rrule: Option<String>,
    pub time_zone: String,
    pub local_start: String,
    pub duration_minutes: i64,
}

/// The stored series of a repeating meeting with its exceptions applied.
pub async fn load_series(
    conn: &mut sqlx::AnyConnection,
    meeting_id: &str,
) -> Result<Option<Series>, sqlx::Error> {
    let row: Option<StoredRule> = sqlx::query_as(
        "SELECT rrule, time_zone, local_start, duration_minutes FROM meetings WHERE id = $1",
    )
    .bind(meeting_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(StoredRule {
        rrule: Some(rrule),
        time_zone,
        local_start,
        duration_minutes,
    }) = row
    else {
        return Ok(None);
    };
    let Some(mut series) = base_series(&rrule, &time_zone, &local_start, duration_minutes) else {
        return Ok(None);
    };
    let rows = load_exceptions(&mut *conn, meeting_id).await?;
    apply(&mut series, &rows);
    Ok(Some(series))
}

/// Gives the meeting `to` the attendees of `from`, in their order: the new
/// part of a split series, or the first occurrence a series leaves behind.
pub async fn copy_attendees(
    conn: &mut sqlx::AnyConnection,
    from: &str,
    to: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO meeting_attendees (meeting_id, position, email, role) \
         SELECT $1, position, email, role FROM meeting_attendees WHERE meeting_id = $2",
    )
    .bind(to)
    .bind(from)
    .execute(conn)
    .await
    .map(|_| ())
}

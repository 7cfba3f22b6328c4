//! One-time data steps run at start after the SQL migrations, each
//! recorded in `data_steps` (migration 0006) in the same transaction as its
//! work, so that it runs once even when several nodes start together: the
//! second waits for the first's marker and then finds it.
//!
//! `series-on-rule`: a series used to be stored with the date the person
//! chose as its start even when its rule does not produce that date (weekly
//! on Tuesdays, first date a Friday). The scheduler showed that date as the
//! first occurrence and then the rule's dates; RFC 5545 calls such a set
//! undefined. Each one is split so that every occurrence people were shown
//! stays where it was and every stored series starts on its rule: the
//! series keeps its id, attendees and exceptions and now starts at the
//! rule's first date after the old start (a COUNT keeps the number of those
//! dates, so the last one stays), and the old first occurrence becomes a
//! meeting of its own (same space, name, organizer and attendees; where an
//! edit had moved or renamed it, as edited; not made when it was
//! cancelled). A series whose rule produced nothing after its start becomes
//! a meeting that does not repeat (one whose every occurrence was
//! cancelled is left as it is). No mail is sent: invitations already sent
//! stay as they were until the next change of the meeting.

use super::series::{apply, base_series, format_original, load_exceptions};
use super::Db;
use crate::clock::to_millis;
use crate::recurrence::{resolve_local, Series};
use chrono::{DateTime, Utc};

pub const SERIES_ON_RULE: &str = "series-on-rule";

/// Runs the steps not yet recorded. `now` stamps what they write.
pub async fn run(db: &Db, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = super::begin_write(db).await?;
    let claimed = sqlx::query(
        "INSERT INTO data_steps (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(SERIES_ON_RULE)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return tx.rollback().await;
    }
    let moved = series_on_rule(&mut tx, now).await?;
    tx.commit().await?;
    if moved > 0 {
        tracing::info!("data step {SERIES_ON_RULE}: {moved} series now start on their rule");
    }
    Ok(())
}

/// A stored series, as the step reads it.
#[derive(sqlx::FromRow)]
struct StoredSeries {
    id: String,
    name: String,
    rrule: String,
    time_zone: String,
    local_start: String,
    duration_minutes: i64,
}

/// What becomes of one series whose start is off its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The series from the rule's first date after the old start; None
    /// when the rule produced nothing after it.
    pub rest: Option<Series>,
    /// The old first occurrence as a meeting of its own; None when it was
    /// cancelled.
    pub first: Option<FirstMeeting>,
}

/// The old first occurrence, as people were shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstMeeting {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The name an edit gave it.
    pub name: Option<String>,
}

/// How a series whose start its rule does not produce is split; None for
/// one that starts on its rule (nothing to do).
pub fn split_off_rule(series: &Series) -> Option<Split> {
    if series.starts_on_rule() {
        return None;
    }
    let start = series.start();
    let first = if series.exdates().contains(&start) {
        None
    } else if let Some(o) = series.overrides().get(&start) {
        Some(FirstMeeting {
            start: o.start,
            end: o.end,
            name: o.name.clone(),
        })
    } else {
        let at = resolve_local(series.tz(), start);
        Some(FirstMeeting {
            start: at,
            end: at + series.duration(),
            name: None,
        })
    };
    let rest = series
        .second_start()
        .and_then(|second| series.split_at(second).ok())
        .map(|(_, rest)| rest);
    Some(Split { rest, first })
}

async fn series_on_rule(
    tx: &mut sqlx::AnyConnection,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let rows: Vec<StoredSeries> = sqlx::query_as(
        "SELECT id, name, rrule, time_zone, local_start, duration_minutes FROM meetings \
         WHERE rrule IS NOT NULL AND rrule <> '' ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut moved = 0;
    for row in rows {
        let Some(mut series) = base_series(
            &row.rrule,
            &row.time_zone,
            &row.local_start,
            row.duration_minutes,
        ) else {
            continue;
        };
        let exceptions = load_exceptions(&mut *tx, &row.id).await?;
        apply(&mut series, &exceptions);
        let Some(split) = split_off_rule(&series) else {
            continue;
        };
        let old_start = format_original(series.start());
        let (rest, first) = match (split.rest, split.first) {
            (Some(rest), first) => (rest, first),
            // Nothing after the old start: the meeting is its first
            // occurrence and no longer repeats.
            (None, Some(first)) => {
                let local = first.start.with_timezone(&series.tz()).naive_local();
                sqlx::query(
                    "UPDATE meetings SET name = $1, starts_at = $2, ends_at = $3, local_start = $4, \
                     duration_minutes = $5, rrule = NULL, updated_at = $6 WHERE id = $7",
                )
                .bind(first.name.as_deref().unwrap_or(&row.name))
                .bind(to_millis(first.start))
                .bind(to_millis(first.end))
                .bind(format_original(local))
                .bind((first.end - first.start).num_minutes())
                .bind(to_millis(now))
                .bind(&row.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM meeting_exceptions WHERE meeting_id = $1")
                    .bind(&row.id)
                    .execute(&mut *tx)
                    .await?;
                moved += 1;
                continue;
            }
            // Every occurrence it ever had was cancelled: nothing was
            // shown, nothing to keep true.
            (None, None) => continue,
        };
        if let Some(first) = &first {
            let id = uuid::Uuid::new_v4().to_string();
            let local = first.start.with_timezone(&series.tz()).naive_local();
            sqlx::query(
                "INSERT INTO meetings (id, organizer_id, space_id, name, time_zone, starts_at, ends_at, \
                 local_start, duration_minutes, rrule, template_id, request_id, sequence, created_at, updated_at) \
                 SELECT $1, organizer_id, space_id, $2, time_zone, $3, $4, $5, $6, NULL, template_id, NULL, \
                 sequence, created_at, $7 FROM meetings WHERE id = $8",
            )
            .bind(&id)
            .bind(first.name.as_deref().unwrap_or(&row.name))
            .bind(to_millis(first.start))
            .bind(to_millis(first.end))
            .bind(format_original(local))
            .bind((first.end - first.start).num_minutes())
            .bind(to_millis(now))
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
            crate::db::series::copy_attendees(&mut *tx, &row.id, &id).await?;
        }
        sqlx::query("DELETE FROM meeting_exceptions WHERE meeting_id = $1 AND original = $2")
            .bind(&row.id)
            .bind(&old_start)
            .execute(&mut *tx)
            .await?;
        let at = resolve_local(rest.tz(), rest.start());
        sqlx::query(
            "UPDATE meetings SET local_start = $1, starts_at = $2, ends_at = $3, rrule = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(format_original(rest.start()))
        .bind(to_millis(at))
        .bind(to_millis(at + rest.duration()))
        .bind(rest.rule().to_rrule())
        .bind(to_millis(now))
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        moved += 1;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recurrence::{Override, Recurrence};
    use chrono::{NaiveDate, NaiveDateTime, TimeDelta, TimeZone};

    fn local(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn off_rule(rrule: &str) -> Series {
        // Friday 2030-06-07, 09:00 Paris.
        let rule = Recurrence::from_rrule(rrule).unwrap();
        Series::new(
            chrono_tz::Europe::Paris,
            local(2030, 6, 7, 9),
            TimeDelta::minutes(30),
            rule,
        )
        .unwrap()
    }

    fn all(s: &Series) -> Vec<DateTime<Utc>> {
        let from = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2032, 1, 1, 0, 0, 0).unwrap();
        s.occurrences(from, to, 500)
            .iter()
            .map(|o| o.start)
            .collect()
    }

    #[test]
    fn every_occurrence_people_saw_stays() {
        for rrule in [
            "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20300930",
            "FREQ=MONTHLY;BYDAY=-1SA;COUNT=6",
            "FREQ=YEARLY;BYMONTH=3;COUNT=2",
        ] {
            let mut seen = off_rule(rrule);
            let second = seen.second_start().unwrap();
            seen.cancel(second).unwrap();
            let split = split_off_rule(&seen).unwrap();
            let rest = split.rest.unwrap();
            assert!(rest.starts_on_rule(), "{rrule}");
            let first = split.first.unwrap();
            let mut after = vec![first.start];
            after.extend(all(&rest));
            assert_eq!(after, all(&seen), "{rrule}");
        }
    }

    #[test]
    fn an_edited_first_moves_as_edited_and_a_cancelled_one_goes() {
        let mut s = off_rule("FREQ=WEEKLY;BYDAY=TU;COUNT=2");
        let at = Utc.with_ymd_and_hms(2030, 6, 7, 12, 0, 0).unwrap();
        let edit = Override {
            start: at,
            end: at + TimeDelta::hours(1),
            name: Some("Kick-off".into()),
        };
        s.edit(s.start(), edit).unwrap();
        let split = split_off_rule(&s).unwrap();
        assert_eq!(
            split.first,
            Some(FirstMeeting {
                start: at,
                end: at + TimeDelta::hours(1),
                name: Some("Kick-off".into())
            })
        );
        assert_eq!(split.rest.unwrap().start(), local(2030, 6, 11, 9));
        let mut s = off_rule("FREQ=WEEKLY;BYDAY=TU;COUNT=1");
        s.cancel(s.start()).unwrap();
        assert_eq!(
            split_off_rule(&s),
            Some(Split {
                rest: None,
                first: None
            })
        );
    }

    #[test]
    fn a_series_on_its_rule_is_left_alone() {
        let rule = Recurrence::from_rrule("FREQ=WEEKLY;BYDAY=FR").unwrap();
        let s = Series::new(
            chrono_tz::Europe::Paris,
            local(2030, 6, 7, 9),
            TimeDelta::minutes(30),
            rule,
        )
        .unwrap();
        assert_eq!(split_off_rule(&s), None);
    }
}

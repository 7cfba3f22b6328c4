//! Changing one occurrence of a repeating meeting: cancel it (EXDATE), move
//! or rename it (RECURRENCE-ID override), or split the series there ("this
//! and following"), and list the occurrences for the API. Called by the
//! meeting page's forms (`web::wizard`), the REST API (`web::rest`) and
//! C2W. Exceptions are stored as `db::series` reads them.

use super::Meetings;
use crate::auth::users::UserRecord;
use crate::clock::{from_millis, to_millis};
use crate::db::series::{format_original, load_series, parse_original};
use crate::error::internal;
use crate::recurrence::{Override, Series, SeriesError};
use app::api::ssr::PublicError;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// Why an occurrence operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OccurrenceError {
    #[error("This meeting does not exist, or you cannot see it.")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] PublicError),
}

impl From<OccurrenceError> for PublicError {
    fn from(e: OccurrenceError) -> Self {
        match e {
            OccurrenceError::NotFound => PublicError::NotFound,
            OccurrenceError::Invalid(m) => PublicError::Invalid(m),
            OccurrenceError::Internal(p) => p,
        }
    }
}

fn series_error(e: SeriesError) -> OccurrenceError {
    OccurrenceError::Invalid(match e {
        SeriesError::NotAnOccurrence(_) => {
            "There is no occurrence of this meeting at that time.".into()
        }
        SeriesError::NotRecurring => "This meeting does not repeat.".into(),
        SeriesError::SplitAtFirst => {
            "This is the first occurrence: edit the whole meeting instead.".into()
        }
        other => other.to_string(),
    })
}

/// What a change to one occurrence did, for the e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OccurrenceChange {
    Cancelled(NaiveDateTime),
    Moved(NaiveDateTime),
}

/// One occurrence as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceOut {
    /// Original local start in the meeting's zone: what names it in
    /// `/occurrences/{original}`.
    pub original: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub name: String,
    /// Moved or renamed.
    pub changed: bool,
}

impl Meetings {
    /// A meeting's occurrences that end after `from` and start before
    /// `until` (at most `max`), for its organizer or an attendee. A meeting
    /// that does not repeat has one.
    pub async fn list_occurrences(
        &self,
        user: &UserRecord,
        meeting_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<OccurrenceOut>, OccurrenceError> {
        let db = |e: sqlx::Error| OccurrenceError::Internal(internal(e));
        #[derive(sqlx::FromRow)]
        struct Listed {
            name: String,
            local_start: String,
            rrule: Option<String>,
            starts_at: i64,
            ends_at: i64,
        }
        let row: Option<Listed> = sqlx::query_as(
            "SELECT m.name AS name, m.local_start AS local_start, m.rrule AS rrule, \
             m.starts_at AS starts_at, m.ends_at AS ends_at FROM meetings m \
             WHERE m.id = $1 AND (m.organizer_id = $2 OR EXISTS (SELECT 1 FROM meeting_attendees a \
             WHERE a.meeting_id = m.id AND LOWER(a.email) = LOWER($3)))",
        )
        .bind(meeting_id)
        .bind(&user.id)
        .bind(&user.email)
        .fetch_optional(&self.db)
        .await
        .map_err(db)?;
        let Some(Listed {
            name,
            local_start,
            rrule,
            starts_at,
            ends_at,
        }) = row
        else {
            return Err(OccurrenceError::NotFound);
        };
        if rrule.is_none() {
            let (start, end) = (from_millis(starts_at), from_millis(ends_at));
            return Ok((end > from && start < until)
                .then_some(OccurrenceOut {
                    original: local_start,
                    start,
                    end,
                    name,
                    changed: false,
                })
                .into_iter()
                .collect());
        }
        let mut conn = self.db.acquire().await.map_err(db)?;
        let Some(series) = load_series(&mut conn, meeting_id).await.map_err(db)? else {
            return Ok(Vec::new());
        };
        // Back a month: an occurrence may last up to 31 days.
        Ok(series
            .occurrences(from - crate::recurrence::MAX_DURATION, until, max + 64)
            .into_iter()
            .filter(|o| o.end > from && o.start < until)
            .take(max)
            .map(|o| OccurrenceOut {
                original: format_original(o.id),
                start: o.start,
                end: o.end,
                name: o.name.unwrap_or_else(|| name.clone()),
                changed: o.overridden,
            })
            .collect())
    }

    /// The organizer's repeating meeting, locked for a change in `tx`.
    async fn organizer_series(
        &self,
        tx: &mut sqlx::AnyConnection,
        user: &UserRecord,
        meeting_id: &str,
    ) -> Result<Series, OccurrenceError> {
        let mine: Option<String> =
            sqlx::query_scalar("SELECT id FROM meetings WHERE id = $1 AND organizer_id = $2")
                .bind(meeting_id)
                .bind(&user.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| OccurrenceError::Internal(internal(e)))?;
        if mine.is_none() {
            return Err(OccurrenceError::NotFound);
        }
        load_series(tx, meeting_id)
            .await
            .map_err(|e| OccurrenceError::Internal(internal(e)))?
            .ok_or_else(|| series_error(SeriesError::NotRecurring))
    }

    /// Cancels one occurrence (organizer only): attendees get a CANCEL for
    /// that occurrence, written with the change.
    pub async fn cancel_occurrence(
        &self,
        user: &UserRecord,
        meeting_id: &str,
        original: NaiveDateTime,
    ) -> Result<(), OccurrenceError> {
        let result: Result<Result<(), OccurrenceError>, sqlx::Error> = async {
            let mut tx = crate::db::begin_write(&self.db).await?;
            let mut series = match self.organizer_series(&mut tx, user, meeting_id).await {
                Ok(s) => s,
                Err(e) => return Ok(Err(e)),
            };
            if let Err(e) = series.cancel(original) {
                return Ok(Err(series_error(e)));
            }
            sqlx::query(
                "INSERT INTO meeting_exceptions (meeting_id, original, cancelled, starts_at, ends_at, name) \
                 VALUES ($1, $2, 1, NULL, NULL, NULL) \
                 ON CONFLICT (meeting_id, original) DO UPDATE SET cancelled = 1, starts_at = NULL, \
                 ends_at = NULL, name = NULL",
            )
            .bind(meeting_id)
            .bind(format_original(original))
            .execute(&mut *tx)
            .await?;
            self.bump_and_mail(&mut tx, meeting_id, OccurrenceChange::Cancelled(original))
                .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
        .await;
        self.finish(result, "cancel occurrence", meeting_id)
    }

    /// Moves (and optionally renames) one occurrence to `start`–`end`
    /// (organizer only): attendees get a REQUEST for that occurrence.
    pub async fn move_occurrence(
        &self,
        user: &UserRecord,
        meeting_id: &str,
        original: NaiveDateTime,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        name: Option<String>,
    ) -> Result<(), OccurrenceError> {
        let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if let Some(n) = &name {
            if n.chars().count() > super::validate::MAX_NAME || n.chars().any(char::is_control) {
                return Err(OccurrenceError::Invalid(format!(
                    "A meeting name has at most {} characters and no control characters.",
                    super::validate::MAX_NAME
                )));
            }
        }
        if end <= start {
            return Err(OccurrenceError::Invalid(
                "The occurrence must end after it starts.".into(),
            ));
        }
        if end - start > crate::recurrence::MAX_DURATION {
            return Err(OccurrenceError::Invalid(
                "A meeting may last at most 31 days.".into(),
            ));
        }
        let result: Result<Result<(), OccurrenceError>, sqlx::Error> = async {
            let mut tx = crate::db::begin_write(&self.db).await?;
            let mut series = match self.organizer_series(&mut tx, user, meeting_id).await {
                Ok(s) => s,
                Err(e) => return Ok(Err(e)),
            };
            let edit = Override {
                start,
                end,
                name: name.clone(),
            };
            if let Err(e) = series.edit(original, edit) {
                return Ok(Err(series_error(e)));
            }
            sqlx::query(
                "INSERT INTO meeting_exceptions (meeting_id, original, cancelled, starts_at, ends_at, name) \
                 VALUES ($1, $2, 0, $3, $4, $5) \
                 ON CONFLICT (meeting_id, original) DO UPDATE SET cancelled = 0, starts_at = $3, \
                 ends_at = $4, name = $5",
            )
            .bind(meeting_id)
            .bind(format_original(original))
            .bind(to_millis(start))
            .bind(to_millis(end))
            .bind(&name)
            .execute(&mut *tx)
            .await?;
            self.bump_and_mail(&mut tx, meeting_id, OccurrenceChange::Moved(original))
                .await?;
            tx.commit().await?;
            Ok(Ok(()))
        }
        .await;
        self.finish(result, "move occurrence", meeting_id)
    }

    /// Moves one occurrence to a local start and length given in the
    /// meeting's own zone (the form's and the API's way): `start` is
    /// `YYYY-MM-DDTHH:MM`. A start that does not exist in that zone (a
    /// daylight-saving gap) is read as docs/recurrence.md says.
    pub async fn move_occurrence_local(
        &self,
        user: &UserRecord,
        meeting_id: &str,
        original: NaiveDateTime,
        start: &str,
        minutes: i64,
        name: Option<String>,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), OccurrenceError> {
        let Some(local) = parse_original(start) else {
            return Err(OccurrenceError::Invalid(
                "Enter the new start as a date and a time (YYYY-MM-DD and HH:MM).".into(),
            ));
        };
        if !(1..=crate::recurrence::MAX_DURATION.num_minutes()).contains(&minutes) {
            return Err(OccurrenceError::Invalid(
                "The occurrence must last from 1 minute to 31 days.".into(),
            ));
        }
        let tz: Option<String> = sqlx::query_scalar(
            "SELECT time_zone FROM meetings WHERE id = $1 AND organizer_id = $2",
        )
        .bind(meeting_id)
        .bind(&user.id)
        .fetch_optional(&self.db)
        .await
        .map_err(|e| OccurrenceError::Internal(internal(e)))?;
        let Some(tz) = tz else {
            return Err(OccurrenceError::NotFound);
        };
        let tz: Tz = tz.parse().unwrap_or(Tz::UTC);
        if !(crate::recurrence::MIN_YEAR..=crate::recurrence::MAX_YEAR)
            .contains(&chrono::Datelike::year(&local))
        {
            return Err(OccurrenceError::Invalid(format!(
                "The year must be from {} to {}.",
                crate::recurrence::MIN_YEAR,
                crate::recurrence::MAX_YEAR
            )));
        }
        let start = crate::recurrence::resolve_local(tz, local);
        let end = start + chrono::Duration::minutes(minutes);
        self.move_occurrence(user, meeting_id, original, start, end, name)
            .await?;
        Ok((start, end))
    }

    /// "This and following": the series ends before `original`, and a new
    /// meeting (same space, name and attendees) carries the occurrences from
    /// `original` on, with their exceptions. Attendees get an update of the
    /// first part and an invitation to the second. Returns the new meeting's
    /// id, which the organizer then edits.
    pub async fn split_following(
        &self,
        user: &UserRecord,
        meeting_id: &str,
        original: NaiveDateTime,
    ) -> Result<String, OccurrenceError> {
        let new_id = uuid::Uuid::new_v4().to_string();
        let result: Result<Result<(), OccurrenceError>, sqlx::Error> = async {
            let mut tx = crate::db::begin_write(&self.db).await?;
            let series = match self.organizer_series(&mut tx, user, meeting_id).await {
                Ok(s) => s,
                Err(e) => return Ok(Err(e)),
            };
            let (first, second) = match series.split_at(original) {
                Ok(halves) => halves,
                Err(e) => return Ok(Err(series_error(e))),
            };
            let now = to_millis(self.now());
            let second_start = crate::recurrence::resolve_local(second.tz(), second.start());
            sqlx::query(
                "UPDATE meetings SET rrule = $1, sequence = sequence + 1, updated_at = $2 WHERE id = $3",
            )
            .bind(first.rule().to_rrule())
            .bind(now)
            .bind(meeting_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO meetings (id, organizer_id, space_id, name, time_zone, starts_at, ends_at, local_start, \
                 duration_minutes, rrule, template_id, request_id, sequence, created_at, updated_at) \
                 SELECT $1, organizer_id, space_id, name, time_zone, $2, $3, $4, duration_minutes, $5, template_id, \
                 NULL, 0, $6, $6 FROM meetings WHERE id = $7",
            )
            .bind(&new_id)
            .bind(to_millis(second_start))
            .bind(to_millis(second_start + second.duration()))
            .bind(format_original(second.start()))
            .bind(second.rule().to_rrule())
            .bind(now)
            .bind(meeting_id)
            .execute(&mut *tx)
            .await?;
            crate::db::series::copy_attendees(&mut tx, meeting_id, &new_id).await?;
            // Exceptions from `original` on move to the new meeting.
            sqlx::query(
                "UPDATE meeting_exceptions SET meeting_id = $1 WHERE meeting_id = $2 AND original >= $3",
            )
            .bind(&new_id)
            .bind(meeting_id)
            .bind(format_original(original))
            .execute(&mut *tx)
            .await?;
            use crate::mail::compose::Kind;
            if let Some(m) = crate::mail::snapshot(&mut tx, meeting_id).await? {
                self.mail.enqueue(&mut tx, &m, Kind::Update, &m.attendees).await?;
            }
            if let Some(m) = crate::mail::snapshot(&mut tx, &new_id).await? {
                self.mail.enqueue(&mut tx, &m, Kind::Invite, &m.attendees).await?;
            }
            tx.commit().await?;
            Ok(Ok(()))
        }
        .await;
        self.finish(result, "split series", meeting_id)?;
        Ok(new_id)
    }

    /// Bumps the meeting's SEQUENCE and writes the occurrence's mail to
    /// every attendee, in `tx`.
    async fn bump_and_mail(
        &self,
        tx: &mut sqlx::AnyConnection,
        meeting_id: &str,
        change: OccurrenceChange,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE meetings SET sequence = sequence + 1, updated_at = $1 WHERE id = $2")
            .bind(to_millis(self.now()))
            .bind(meeting_id)
            .execute(&mut *tx)
            .await?;
        if let Some(mut m) = crate::mail::snapshot(&mut *tx, meeting_id).await? {
            use crate::mail::compose::Kind;
            let kind = match change {
                OccurrenceChange::Cancelled(o) => {
                    m.instance = Some(o);
                    Kind::Cancel
                }
                OccurrenceChange::Moved(o) => {
                    m.instance = Some(o);
                    Kind::Update
                }
            };
            let to = m.attendees.clone();
            self.mail.enqueue(&mut *tx, &m, kind, &to).await?;
        }
        Ok(())
    }

    fn finish(
        &self,
        result: Result<Result<(), OccurrenceError>, sqlx::Error>,
        what: &str,
        meeting_id: &str,
    ) -> Result<(), OccurrenceError> {
        match result {
            Ok(Ok(())) => {
                self.mail.wake();
                tracing::info!(meeting = %meeting_id, "{what}");
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(e) => Err(OccurrenceError::Internal(internal(format!(
                "{what} {meeting_id}: {e}"
            )))),
        }
    }
}

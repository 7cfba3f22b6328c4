//! The wizard's conflict check: does the meeting being booked overlap
//! another meeting of the organizer, or a meeting already booked in the
//! existing space chosen? A warning, never a refusal: people do book over
//! their own meetings.

use super::validate::When;
use super::Meetings;
use crate::auth::users::UserRecord;
use crate::clock::{from_millis, to_millis};
use crate::db::series::{apply, base_series, format_original, load_exceptions};
use crate::recurrence::{find_conflicts, Series};
use app::i18n::Lang;
use chrono::Duration;
use chrono_tz::Tz;

/// How far from the new meeting's start occurrences are compared.
pub const HORIZON_DAYS: i64 = 2 * 366;
/// How many warnings the wizard shows at most.
pub const MAX_WARNINGS: usize = 5;

/// One stored meeting that might clash.
#[derive(sqlx::FromRow)]
struct Booked {
    id: String,
    name: String,
    rrule: Option<String>,
    time_zone: String,
    local_start: String,
    duration_minutes: i64,
    starts_at: i64,
    ends_at: i64,
}

impl Meetings {
    /// Warnings, in `lang`, for the meeting at `when` (skipping the meeting
    /// being edited, `editing`): its occurrences that overlap one of the
    /// organizer's meetings, or one already booked in `existing_space` (a
    /// coSpace id). Expansion is bounded: two years from its start, at most
    /// [`MAX_WARNINGS`] warnings.
    pub async fn conflicts(
        &self,
        user: &UserRecord,
        when: &When,
        editing: Option<&str>,
        existing_space: Option<&str>,
        lang: Lang,
    ) -> Result<Vec<String>, sqlx::Error> {
        let now = self.now();
        let Some(candidate) = base_series(
            when.rrule.as_deref().unwrap_or(""),
            when.tz.name(),
            &format_original(when.local_start),
            i64::from(when.duration_minutes),
        ) else {
            return Ok(Vec::new());
        };
        let rows: Vec<Booked> = sqlx::query_as(
            "SELECT m.id AS id, m.name AS name, m.rrule AS rrule, m.time_zone AS time_zone, \
             m.local_start AS local_start, m.duration_minutes AS duration_minutes, \
             m.starts_at AS starts_at, m.ends_at AS ends_at \
             FROM meetings m LEFT JOIN spaces s ON s.id = m.space_id \
             WHERE (m.organizer_id = $1 OR (s.cospace_id IS NOT NULL AND s.cospace_id = $2)) \
             AND m.id <> $3 AND (m.rrule IS NOT NULL OR m.ends_at > $4) \
             ORDER BY m.starts_at LIMIT 2000",
        )
        .bind(&user.id)
        .bind(existing_space.unwrap_or(""))
        .bind(editing.unwrap_or(""))
        .bind(to_millis(now))
        .fetch_all(&self.db)
        .await?;
        let mut others: Vec<Series> = Vec::with_capacity(rows.len());
        let mut names: Vec<String> = Vec::with_capacity(rows.len());
        for b in rows {
            let series = match b.rrule {
                // A series, with its cancelled and moved occurrences.
                Some(rule) => {
                    match base_series(&rule, &b.time_zone, &b.local_start, b.duration_minutes) {
                        Some(mut s) => {
                            apply(&mut s, &load_exceptions(&self.db, &b.id).await?);
                            Some(s)
                        }
                        None => None,
                    }
                }
                None => {
                    // A single meeting: its stored UTC times are the truth.
                    let tz: Tz = b.time_zone.parse().unwrap_or(Tz::UTC);
                    let start = from_millis(b.starts_at).with_timezone(&tz).naive_local();
                    Series::new(
                        tz,
                        start,
                        from_millis(b.ends_at) - from_millis(b.starts_at),
                        crate::recurrence::Recurrence::none(),
                    )
                    .ok()
                }
            };
            let Some(series) = series else { continue };
            others.push(series);
            names.push(b.name);
        }
        let viewer: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        // From the new meeting's start (or now, for an edit of a series
        // that began earlier) over the next two years of it.
        let from = when.start.max(now);
        let found = find_conflicts(
            &candidate,
            &others,
            from,
            from + Duration::days(HORIZON_DAYS),
            MAX_WARNINGS,
        );
        Ok(found
            .into_iter()
            .map(|c| {
                let day = c.occurrence.start.with_timezone(&viewer).date_naive();
                let when = format!(
                    "{}, {}, {}",
                    crate::present::weekday_text(day, lang),
                    crate::present::date_text(day, lang),
                    crate::present::time_range(c.other_start, c.other_end, viewer, lang)
                );
                let other = &names[c.other];
                match lang {
                    Lang::En => format!("Overlaps “{other}” on {when}."),
                    Lang::Fr => format!("Chevauche « {other} » le {when}."),
                }
            })
            .collect())
    }
}

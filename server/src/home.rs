//! The home page: the signed-in user's upcoming meetings grouped by day in
//! their time zone, and their spaces.

use crate::clock::{from_millis, to_millis, Clock};
use crate::db::Db;
use crate::error::internal;
use app::api::ssr::{Backend, PublicError, SessionUser};
use app::i18n::Lang;
use app::model::{HomeData, MeetingDay, MeetingDetails, MeetingRow, SpaceView, WizardPage};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// How many meetings the home page lists before "See more".
pub const HOME_LIMIT: i64 = 20;

pub struct SchedulerBackend {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub meetings: Arc<crate::meetings::Meetings>,
}

impl SchedulerBackend {
    async fn record(
        &self,
        user: &SessionUser,
    ) -> Result<crate::auth::users::UserRecord, PublicError> {
        crate::auth::users::find_by_id(&self.db, &user.id)
            .await
            .map_err(internal)?
            .ok_or_else(|| PublicError::Invalid("Your account no longer exists.".into()))
    }
}

/// Every IANA zone name, for the wizard's list.
pub fn time_zone_names() -> Vec<String> {
    let mut names: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name().to_string())
        .collect();
    names.sort();
    names
}

/// "Today, Nov 25, 2026", "Tomorrow, Nov 26, 2026", "Friday, Nov 27, 2026".
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    let date = day.format("%b %-d, %Y");
    match (day - today).num_days() {
        0 => format!("Today, {date}"),
        1 => format!("Tomorrow, {date}"),
        -1 => format!("Yesterday, {date}"),
        _ => format!("{}, {date}", day.format("%A")),
    }
}

/// "10:00 – 11:00" in `tz`; an end on a later day says so.
pub fn time_range(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let days = (e.date_naive() - s.date_naive()).num_days();
    let suffix = match days {
        0 => String::new(),
        1 => " (+1 day)".into(),
        n => format!(" (+{n} days)"),
    };
    format!("{} – {}{suffix}", s.format("%H:%M"), e.format("%H:%M"))
}

/// "Last login Nov 25, 2026 at 18:59" for the sign-in before this one.
pub fn last_login_text(previous: Option<i64>, current: Option<i64>, tz: Tz) -> String {
    match (previous, current) {
        (Some(ms), _) => {
            let t = from_millis(ms).with_timezone(&tz);
            format!(
                "Last login {} at {}",
                t.format("%b %-d, %Y"),
                t.format("%H:%M")
            )
        }
        (None, Some(_)) => "This is your first sign-in. Welcome!".into(),
        (None, None) => "Never signed in".into(),
    }
}

pub struct Upcoming {
    pub id: String,
    pub name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub space: Option<String>,
    pub join_url: Option<String>,
}

/// Groups meetings (sorted by start) into days in `tz`. A meeting running
/// since an earlier day is listed under today.
pub fn group_by_day(meetings: Vec<Upcoming>, now: DateTime<Utc>, tz: Tz) -> Vec<MeetingDay> {
    let today = now.with_timezone(&tz).date_naive();
    let mut days: Vec<(NaiveDate, MeetingDay)> = Vec::new();
    for m in meetings {
        let (start, end) = (from_millis(m.starts_at), from_millis(m.ends_at));
        let day = start.with_timezone(&tz).date_naive().max(today);
        let row = MeetingRow {
            id: m.id,
            time_range: time_range(start, end, tz),
            name: m.name,
            now: start <= now && now < end,
            space: m.space.unwrap_or_else(|| "Temporary space".into()),
            organized_by: "You".into(),
            join_url: m.join_url,
        };
        match days.last_mut() {
            Some((d, group)) if *d == day => group.meetings.push(row),
            _ => days.push((
                day,
                MeetingDay {
                    label: day_label(day, today),
                    meetings: vec![row],
                },
            )),
        }
    }
    days.into_iter().map(|(_, g)| g).collect()
}

#[async_trait::async_trait]
impl Backend for SchedulerBackend {
    async fn wizard(
        &self,
        user: &SessionUser,
        draft: Option<&str>,
        lang: Lang,
    ) -> Result<WizardPage, PublicError> {
        let record = self.record(user).await?;
        let (templates, spaces, notice) = match self.meetings.choices(&record).await {
            Ok(c) => (c.templates, c.spaces, None),
            Err(e) => {
                let public = internal(format!("listing Call Bridge choices: {e}"));
                let id = match public {
                    PublicError::Internal { id } => id,
                    other => other.to_string(),
                };
                let notice = match lang {
                    Lang::En => format!("The Call Bridge cannot be reached, so templates and spaces cannot be listed. Try again in a moment (error id {id})."),
                    Lang::Fr => format!("Le Call Bridge est injoignable : les modèles et espaces ne peuvent pas être listés. Réessayez dans un instant (identifiant d'erreur {id})."),
                };
                (Vec::new(), Vec::new(), Some(notice))
            }
        };
        let mut d = match draft {
            Some(id) => match self
                .meetings
                .load_draft(&record.id, id)
                .await
                .map_err(internal)?
            {
                Some(d) => d,
                None => {
                    let mut d = self.meetings.new_draft(&record, &templates);
                    d.errors.push(app::model::FieldError {
                        field: "form".into(),
                        message: app::i18n::t(lang, "err.draft_gone").into(),
                    });
                    d
                }
            },
            None => self.meetings.new_draft(&record, &templates),
        };
        d.step = d.step.clamp(1, 3);
        Ok(WizardPage {
            draft: d,
            templates,
            spaces,
            time_zones: time_zone_names(),
            notice,
        })
    }

    async fn meeting(
        &self,
        user: &SessionUser,
        id: &str,
        lang: Lang,
    ) -> Result<MeetingDetails, PublicError> {
        let record = self.record(user).await?;
        self.meetings.details(&record, id, lang).await
    }

    async fn home(&self, user: &SessionUser) -> Result<HomeData, PublicError> {
        let now = self.clock.now();
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let record = crate::auth::users::find_by_id(&self.db, &user.id)
            .await
            .map_err(internal)?
            .ok_or_else(|| PublicError::Invalid("Your account no longer exists.".into()))?;
        let rows: Vec<(String, String, i64, i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT m.id, m.name, m.starts_at, m.ends_at, s.name, s.join_url \
             FROM meetings m LEFT JOIN spaces s ON s.id = m.space_id \
             WHERE m.organizer_id = $1 AND m.ends_at > $2 \
             ORDER BY m.starts_at, m.id LIMIT $3",
        )
        .bind(&user.id)
        .bind(to_millis(now))
        .bind(HOME_LIMIT + 1)
        .fetch_all(&self.db)
        .await
        .map_err(internal)?;
        let has_more = rows.len() as i64 > HOME_LIMIT;
        let meetings = rows
            .into_iter()
            .take(HOME_LIMIT as usize)
            .map(|(id, name, starts_at, ends_at, space, join_url)| Upcoming {
                id,
                name,
                starts_at,
                ends_at,
                space,
                join_url,
            })
            .collect();
        let spaces: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, name, uri, join_url FROM spaces WHERE owner_id = $1 AND temporary = FALSE ORDER BY name, id",
        )
        .bind(&user.id)
        .fetch_all(&self.db)
        .await
        .map_err(internal)?;
        Ok(HomeData {
            display_name: record.display_name,
            last_login: last_login_text(record.previous_login_at, record.last_login_at, tz),
            time_zone: tz.name().to_string(),
            days: group_by_day(meetings, now, tz),
            has_more,
            spaces: spaces
                .into_iter()
                .map(|(id, name, uri, join_url)| SpaceView {
                    id,
                    name,
                    uri,
                    join_url,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn day_labels() {
        let today = NaiveDate::from_ymd_opt(2021, 8, 21).unwrap();
        assert_eq!(day_label(today, today), "Today, Aug 21, 2021");
        assert_eq!(
            day_label(today.succ_opt().unwrap(), today),
            "Tomorrow, Aug 22, 2021"
        );
        assert_eq!(
            day_label(NaiveDate::from_ymd_opt(2021, 8, 27).unwrap(), today),
            "Friday, Aug 27, 2021"
        );
    }

    #[test]
    fn time_ranges_are_in_the_viewers_zone() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            time_range(utc(2021, 8, 21, 8, 0), utc(2021, 8, 21, 9, 30), paris),
            "10:00 – 11:30"
        );
        assert_eq!(
            time_range(utc(2021, 8, 21, 21, 0), utc(2021, 8, 21, 23, 0), paris),
            "23:00 – 01:00 (+1 day)"
        );
        // Winter time: one hour ahead of UTC only.
        assert_eq!(
            time_range(utc(2021, 12, 1, 8, 0), utc(2021, 12, 1, 9, 0), paris),
            "09:00 – 10:00"
        );
    }

    #[test]
    fn last_login_texts() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let t = to_millis(utc(2026, 11, 25, 17, 59));
        assert_eq!(
            last_login_text(Some(t), Some(t), paris),
            "Last login Nov 25, 2026 at 18:59"
        );
        assert!(last_login_text(None, Some(t), paris).contains("first sign-in"));
    }

    #[test]
    fn grouping_by_day_with_now_badge() {
        let now = utc(2021, 8, 21, 10, 0);
        let m = |id: &str, s: DateTime<Utc>, e: DateTime<Utc>| Upcoming {
            id: id.into(),
            name: format!("Meeting {id}"),
            starts_at: to_millis(s),
            ends_at: to_millis(e),
            space: None,
            join_url: None,
        };
        let days = group_by_day(
            vec![
                m("a", utc(2021, 8, 20, 23, 0), utc(2021, 8, 21, 11, 0)),
                m("b", utc(2021, 8, 21, 14, 0), utc(2021, 8, 21, 15, 0)),
                m("c", utc(2021, 8, 22, 9, 0), utc(2021, 8, 22, 10, 0)),
            ],
            now,
            Tz::UTC,
        );
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].label, "Today, Aug 21, 2021");
        assert_eq!(days[0].meetings.len(), 2);
        assert!(days[0].meetings[0].now);
        assert!(!days[0].meetings[1].now);
        assert_eq!(days[1].label, "Tomorrow, Aug 22, 2021");
        assert_eq!(days[1].meetings[0].organized_by, "You");
    }
}

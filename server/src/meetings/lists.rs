//! The lists of meetings a person sees: the home page (upcoming meetings
//! they organize or are invited to, grouped by day in their zone, with a
//! Now badge, and their own spaces) and the full list behind "See more".
//! A repeating meeting is listed by its real occurrences, exceptions
//! applied. Called by `web::backend`.

use super::visible::own_and_invited;
use super::Meetings;
use crate::auth::users::UserRecord;
use crate::clock::{from_millis, to_millis};
use crate::db::series::{apply, base_series, load_exceptions};
use crate::error::internal;
use crate::present::{day_label, last_login_text, time_range};
use app::api::ssr::PublicError;
use app::i18n::Lang;
use app::model::{HomeData, MeetingDay, MeetingRow, MeetingsPage, SpaceView};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// How many meetings the home page lists before "See more".
pub const HOME_LIMIT: i64 = 20;
/// Meetings per page of the full list ("See more").
pub const PAGE_SIZE: i64 = 50;

/// One meeting (or one occurrence of a series) in a list.
pub struct Upcoming {
    pub id: String,
    pub name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub space: Option<String>,
    pub join_url: Option<String>,
    /// None when the viewer organizes it.
    pub organizer: Option<String>,
    /// The attendees' answers in words (the organizer's lists only).
    pub answers: String,
    /// The space's coSpace on the Call Bridge.
    pub cospace_id: Option<String>,
    /// Who is in it now (filled for running meetings by the home page).
    pub live: Option<app::model::LiveView>,
}

/// Groups meetings (sorted by start) into days in `tz`. A meeting running
/// since an earlier day is listed under today.
pub fn group_by_day(
    meetings: Vec<Upcoming>,
    now: DateTime<Utc>,
    tz: Tz,
    lang: Lang,
) -> Vec<MeetingDay> {
    let today = now.with_timezone(&tz).date_naive();
    let mut days: Vec<(NaiveDate, MeetingDay)> = Vec::new();
    for m in meetings {
        let (start, end) = (from_millis(m.starts_at), from_millis(m.ends_at));
        let day = start.with_timezone(&tz).date_naive().max(today);
        let row = MeetingRow {
            id: m.id,
            time_range: time_range(start, end, tz, lang),
            name: m.name,
            now: start <= now && now < end,
            space: m.space.unwrap_or_default(),
            organized_by: m
                .organizer
                .unwrap_or_else(|| app::i18n::t(lang, "wizard.you").to_string()),
            join_url: m.join_url,
            answers: m.answers,
            live: m.live,
        };
        match days.last_mut() {
            Some((d, group)) if *d == day => group.meetings.push(row),
            _ => days.push((
                day,
                MeetingDay {
                    label: day_label(day, today, lang),
                    meetings: vec![row],
                },
            )),
        }
    }
    days.into_iter().map(|(_, g)| g).collect()
}

/// A listed meeting as stored, with the viewer's join link.
#[derive(Clone, sqlx::FromRow)]
struct ListedRow {
    id: String,
    name: String,
    starts_at: i64,
    ends_at: i64,
    space_name: Option<String>,
    join_url: Option<String>,
    organizer_name: String,
    organizer_id: String,
    cospace_id: Option<String>,
}

/// A listed series: the meeting and its stored rule.
#[derive(sqlx::FromRow)]
struct ListedSeriesRow {
    #[sqlx(flatten)]
    meeting: ListedRow,
    rrule: String,
    time_zone: String,
    local_start: String,
    duration_minutes: i64,
}

/// The columns of a listed meeting; `$join_url` is the viewer's join link
/// (the organizer's is the space's, an attendee's their role's).
macro_rules! listed_columns {
    ($join_url:expr) => {
        concat!(
            "m.id AS id, m.name AS name, m.starts_at AS starts_at, m.ends_at AS ends_at, \
             s.name AS space_name, ",
            $join_url,
            " AS join_url, u.display_name AS organizer_name, m.organizer_id AS organizer_id, \
             s.cospace_id AS cospace_id"
        )
    };
}

macro_rules! own_columns {
    ($($extra:expr)?) => {
        concat!(listed_columns!("s.join_url") $(, $extra)?)
    };
}

macro_rules! invited_columns {
    ($($extra:expr)?) => {
        concat!(
            listed_columns!(
                "(SELECT sa.join_url FROM space_access sa JOIN meeting_attendees a ON a.role = sa.role \
                 WHERE sa.space_id = m.space_id AND a.meeting_id = m.id AND lower(a.email) = lower($2))"
            ) $(, $extra)?
        )
    };
}

macro_rules! listed_from {
    () => {
        " FROM meetings m JOIN users u ON u.id = m.organizer_id LEFT JOIN spaces s ON s.id = m.space_id"
    };
}

/// The series' own columns, after the listed ones.
macro_rules! series_columns {
    () => {
        ", m.rrule AS rrule, m.time_zone AS time_zone, m.local_start AS local_start, \
         m.duration_minutes AS duration_minutes"
    };
}

/// Meetings that do not repeat and have not ended (`$3`): the first `$4`
/// by start of each part (organized, invited), up to twice `$4` rows in
/// all, which the caller sorts together (with the series' occurrences) and
/// cuts. `$5` is `$3` less the longest a meeting lasts: with it, each part
/// reads its index from there in start order and stops at the limit. No
/// sort over both parts here: SQLite would sort each part again into a
/// temporary b-tree of its own to merge them (on 50 meetings, 140 µs with
/// that sort, 61 µs without).
pub(crate) const SINGLES: &str = own_and_invited!(
    own: own_columns!(),
    invited: invited_columns!(),
    from: listed_from!(),
    filter: "m.rrule IS NULL AND m.ends_at > $3 AND m.starts_at > $5",
    inner: " ORDER BY m.starts_at, m.id LIMIT $4",
    outer: ""
);

/// Repeating meetings, by first start, at most 1,000.
pub(crate) const SERIES: &str = own_and_invited!(
    own: own_columns!(series_columns!()),
    invited: invited_columns!(series_columns!()),
    from: listed_from!(),
    filter: "m.rrule IS NOT NULL",
    inner: " ORDER BY m.starts_at, m.id LIMIT 1000",
    outer: " ORDER BY starts_at, id LIMIT 1000"
);

impl Meetings {
    /// Meetings the user organizes or is invited to that have not ended,
    /// by start; `limit + 1` rows so the caller knows whether more exist.
    pub async fn upcoming(
        &self,
        user: &UserRecord,
        offset: i64,
        limit: i64,
        lang: Lang,
    ) -> Result<Vec<Upcoming>, PublicError> {
        let now = self.now();
        let wanted = (offset + limit + 1).max(0);
        // The list's reads on one connection: each use of the pool costs a
        // round trip to the connection's thread when it is given back.
        let mut conn = self.db.acquire().await.map_err(internal)?;
        // Meetings that do not repeat: the first of each part, sorted
        // together with the series' occurrences below.
        let singles: Vec<ListedRow> = sqlx::query_as(SINGLES)
            .bind(&user.id)
            .bind(&user.email)
            .bind(to_millis(now))
            .bind(wanted)
            .bind(to_millis(now - crate::recurrence::MAX_DURATION))
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        // Repeating meetings: each series is expanded into its real occurrences.
        let series: Vec<ListedSeriesRow> = sqlx::query_as(SERIES)
            .bind(&user.id)
            .bind(&user.email)
            .fetch_all(&mut *conn)
            .await
            .map_err(internal)?;
        let to_upcoming = |r: ListedRow| Upcoming {
            organizer: (r.organizer_id != user.id).then_some(r.organizer_name),
            id: r.id,
            name: r.name,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            space: r.space_name,
            join_url: r.join_url,
            answers: String::new(),
            cospace_id: r.cospace_id,
            live: None,
        };
        let mut all: Vec<Upcoming> = singles.into_iter().map(to_upcoming).collect();
        for s in series {
            let exceptions = load_exceptions(&mut *conn, &s.meeting.id)
                .await
                .map_err(internal)?;
            let occurrences =
                base_series(&s.rrule, &s.time_zone, &s.local_start, s.duration_minutes)
                    .map(|mut series| {
                        apply(&mut series, &exceptions);
                        series.occurrences(
                            now - chrono::Duration::days(2),
                            now + chrono::Duration::days(366 * 50),
                            wanted as usize + 2,
                        )
                    })
                    .unwrap_or_default();
            for o in occurrences.into_iter().filter(|o| o.end > now) {
                let mut u = to_upcoming(s.meeting.clone());
                u.starts_at = to_millis(o.start);
                u.ends_at = to_millis(o.end);
                if let Some(n) = o.name {
                    u.name = n;
                }
                all.push(u);
            }
        }
        all.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        let mut shown: Vec<Upcoming> = all
            .into_iter()
            .skip(offset.max(0) as usize)
            .take((limit + 1).max(0) as usize)
            .collect();
        // The organizer sees how the attendees answered.
        let mut organized: Vec<String> = shown
            .iter()
            .filter(|u| u.organizer.is_none())
            .map(|u| u.id.clone())
            .collect();
        organized.sort_unstable();
        organized.dedup();
        let counts = Self::answer_counts(&mut conn, &organized)
            .await
            .map_err(internal)?;
        for u in shown.iter_mut().filter(|u| u.organizer.is_none()) {
            if let Some(c) = counts.get(&u.id) {
                u.answers = c.text(lang);
            }
        }
        Ok(shown)
    }

    /// The home page: the next meetings by day, and the user's own spaces
    /// (a notice instead when the Call Bridge does not answer).
    pub async fn home_page(&self, user: &UserRecord, lang: Lang) -> Result<HomeData, PublicError> {
        let now = self.now();
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let mut meetings = self.upcoming(user, 0, HOME_LIMIT, lang).await?;
        let has_more = meetings.len() as i64 > HOME_LIMIT;
        meetings.truncate(HOME_LIMIT as usize);
        // Running meetings: who is in their space (cached per coSpace).
        let now_ms = to_millis(now);
        for m in meetings
            .iter_mut()
            .filter(|m| m.starts_at <= now_ms && now_ms < m.ends_at)
        {
            if let Some(cospace) = &m.cospace_id {
                m.live = self.live.of(&self.cb, cospace).await;
            }
        }
        let (spaces, spaces_notice) = match self.own_spaces(user).await {
            Ok(spaces) => (spaces, None),
            Err(e) => {
                let public = internal(format!("listing the user's spaces: {e}"));
                let notice = match lang {
                    Lang::En => format!("Your spaces cannot be listed right now: the Call Bridge does not answer. ({public})"),
                    Lang::Fr => format!("Vos espaces ne peuvent pas être listés : le Call Bridge ne répond pas. ({public})"),
                };
                (Vec::new(), Some(notice))
            }
        };
        Ok(HomeData {
            display_name: user.display_name.clone(),
            last_login: last_login_text(user.previous_login_at, user.last_login_at, tz, lang),
            time_zone: tz.name().to_string(),
            days: group_by_day(meetings, now, tz, lang),
            has_more,
            spaces: spaces
                .into_iter()
                .map(|s| SpaceView {
                    id: s.id,
                    name: s.name,
                    uri: s.uri,
                    join_url: s.join_url,
                })
                .collect(),
            spaces_notice,
        })
    }

    /// Page `page` (from 1) of the full list of upcoming meetings.
    pub async fn meetings_page(
        &self,
        user: &UserRecord,
        page: u32,
        lang: Lang,
    ) -> Result<MeetingsPage, PublicError> {
        let now = self.now();
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let page = page.clamp(1, 10_000);
        let offset = i64::from(page - 1) * PAGE_SIZE;
        let mut meetings = self.upcoming(user, offset, PAGE_SIZE, lang).await?;
        let has_next = meetings.len() as i64 > PAGE_SIZE;
        meetings.truncate(PAGE_SIZE as usize);
        Ok(MeetingsPage {
            days: group_by_day(meetings, now, tz, lang),
            page,
            has_next,
            time_zone: tz.name().to_string(),
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
    fn grouping_by_day_with_now_badge() {
        let now = utc(2021, 8, 21, 10, 0);
        let m = |id: &str, s: DateTime<Utc>, e: DateTime<Utc>| Upcoming {
            id: id.into(),
            name: format!("Meeting {id}"),
            starts_at: to_millis(s),
            ends_at: to_millis(e),
            space: None,
            join_url: None,
            organizer: None,
            answers: String::new(),
            cospace_id: None,
            live: None,
        };
        let days = group_by_day(
            vec![
                m("a", utc(2021, 8, 20, 23, 0), utc(2021, 8, 21, 11, 0)),
                m("b", utc(2021, 8, 21, 14, 0), utc(2021, 8, 21, 15, 0)),
                m("c", utc(2021, 8, 22, 9, 0), utc(2021, 8, 22, 10, 0)),
            ],
            now,
            Tz::UTC,
            Lang::En,
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

//! Reading one meeting for its page: what its organizer or an invited
//! attendee may see (an attendee gets only their own role's dial-in), the
//! next occurrences of a series, and the delivery of each invitation.
//! Called by `web::backend` (the meeting page), `api` and `drafts`.

use super::Meetings;
use crate::auth::users::UserRecord;
use crate::clock::from_millis;
use crate::db::series::{format_original, load_series};
use crate::db::{access, placeholders};
use crate::error::internal;
use crate::present::{day_label, repeat_words, time_range};
use app::api::ssr::PublicError;
use app::i18n::{t, Lang};
use app::model::{Attendee, DialIn, MeetingDetails, OccurrenceView};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A stored meeting as one viewer may see it (see `Meetings::load_visible`).
pub(crate) struct Visible {
    pub name: String,
    pub organizer_username: String,
    pub organizer_name: String,
    pub is_organizer: bool,
    pub time_zone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub rrule: Option<String>,
    pub space_name: String,
    /// The space's coSpace on the Call Bridge.
    pub cospace_id: Option<String>,
    pub dial_in: Vec<DialIn>,
    pub attendees: Vec<Attendee>,
}

/// [`Visible`] with the meeting's id, from [`Meetings::load_visible_many`].
pub(crate) struct VisibleMeeting {
    pub id: String,
    pub meeting: Visible,
}

/// A meeting row with its organizer and space, as read for its page.
#[derive(Clone, sqlx::FromRow)]
struct MeetingRow {
    id: String,
    name: String,
    organizer_id: String,
    organizer_username: String,
    organizer_name: String,
    time_zone: String,
    starts_at: i64,
    ends_at: i64,
    rrule: Option<String>,
    space_name: String,
    space_id: Option<String>,
    cospace_id: Option<String>,
}

/// One attendee of one meeting.
#[derive(sqlx::FromRow)]
struct AttendeeRow {
    meeting_id: String,
    email: String,
    role: String,
}

/// A stored role as a viewer's dial-in information.
pub(crate) fn dial_in(a: access::AccessRow) -> DialIn {
    DialIn {
        role: a.role,
        uri: a.uri.unwrap_or_default(),
        call_id: a.call_id.unwrap_or_default(),
        passcode: a.passcode.unwrap_or_default(),
        join_url: a.join_url.unwrap_or_default(),
    }
}

/// How many upcoming occurrences the meeting page lists.
pub const OCCURRENCES_SHOWN: usize = 10;

impl Meetings {
    /// A meeting for its organizer or an invited attendee (None for anyone
    /// else). An attendee gets only their own role's dial-in information.
    pub(crate) async fn load_visible(
        &self,
        user: &UserRecord,
        id: &str,
    ) -> Result<Option<Visible>, sqlx::Error> {
        Ok(self
            .load_visible_many(user, &[id.to_string()])
            .await?
            .pop()
            .map(|v| v.meeting))
    }

    /// [`Self::load_visible`] for several meetings in three queries, in the
    /// order of `ids`; those the user may not see are left out.
    pub(crate) async fn load_visible_many(
        &self,
        user: &UserRecord,
        ids: &[String],
    ) -> Result<Vec<VisibleMeeting>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT m.id AS id, m.name AS name, m.organizer_id AS organizer_id, u.username AS organizer_username, \
             u.display_name AS organizer_name, m.time_zone AS time_zone, m.starts_at AS starts_at, \
             m.ends_at AS ends_at, m.rrule AS rrule, COALESCE(s.name, '') AS space_name, m.space_id AS space_id, s.cospace_id AS cospace_id \
             FROM meetings m JOIN users u ON u.id = m.organizer_id LEFT JOIN spaces s ON s.id = m.space_id \
             WHERE m.id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, MeetingRow>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.db).await?;
        let sql = format!(
            "SELECT meeting_id, email, role FROM meeting_attendees WHERE meeting_id IN ({}) \
             ORDER BY meeting_id, position",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, AttendeeRow>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id);
        }
        let attendees = q.fetch_all(&self.db).await?;
        let space_ids: Vec<String> = rows.iter().filter_map(|r| r.space_id.clone()).collect();
        let access = access::for_spaces(&self.db, &space_ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for id in ids {
            let Some(row) = rows.iter().find(|r| &r.id == id) else {
                continue;
            };
            let row = row.clone();
            let mine: Vec<Attendee> = attendees
                .iter()
                .filter(|a| &a.meeting_id == id)
                .map(|a| Attendee {
                    email: a.email.clone(),
                    role: a.role.clone(),
                })
                .collect();
            let is_organizer = row.organizer_id == user.id;
            let my_role = mine
                .iter()
                .find(|a| a.email.eq_ignore_ascii_case(&user.email))
                .map(|a| a.role.clone());
            if !is_organizer && my_role.is_none() {
                continue;
            }
            let dial_in = access
                .iter()
                .filter(|a| Some(&a.space_id) == row.space_id.as_ref())
                .map(|a| a.access.clone())
                .filter(|a| is_organizer || my_role.as_deref() == Some(a.role.as_str()))
                .map(dial_in)
                .collect();
            out.push(VisibleMeeting {
                id: id.clone(),
                meeting: Visible {
                    name: row.name,
                    organizer_username: row.organizer_username,
                    organizer_name: row.organizer_name,
                    is_organizer,
                    time_zone: row.time_zone,
                    starts_at: row.starts_at,
                    ends_at: row.ends_at,
                    rrule: row.rrule,
                    space_name: row.space_name,
                    cospace_id: row.cospace_id,
                    dial_in,
                    attendees: mine,
                },
            });
        }
        Ok(out)
    }

    /// The meeting page: for its organizer or an invited attendee.
    pub async fn details(
        &self,
        user: &UserRecord,
        id: &str,
        lang: Lang,
    ) -> Result<MeetingDetails, PublicError> {
        let Some(v) = self.load_visible(user, id).await.map_err(internal)? else {
            return Err(PublicError::NotFound);
        };
        let is_organizer = v.is_organizer;
        let viewer_tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let deliveries = if is_organizer {
            let emails: Vec<String> = v.attendees.iter().map(|a| a.email.clone()).collect();
            let answers = self
                .answers_of(&[id.to_string()])
                .await
                .map_err(internal)?
                .remove(id)
                .unwrap_or_default();
            self.mail
                .deliveries(id, &emails)
                .await
                .map_err(internal)?
                .into_iter()
                .zip(emails)
                .map(|(row, email)| {
                    let answer = answers.get(&email.to_ascii_lowercase()).copied();
                    let mut d = crate::mail::status::delivery(email, row, viewer_tz, lang);
                    if let Some(a) = answer {
                        d.answer = a.word().to_string();
                        d.answer_text = a.done(lang).to_string();
                    } else {
                        d.answer_text = match lang {
                            Lang::En => "No answer yet",
                            Lang::Fr => "Pas encore de réponse",
                        }
                        .to_string();
                    }
                    d
                })
                .collect()
        } else {
            Vec::new()
        };
        let now = self.now();
        let meeting_tz: Tz = v.time_zone.parse().unwrap_or(Tz::UTC);
        // A repeating meeting: its next occurrences, exceptions applied.
        let (upcoming, first) = if v.rrule.is_some() {
            let mut conn = self.db.acquire().await.map_err(internal)?;
            match load_series(&mut conn, id).await.map_err(internal)? {
                Some(s) => (
                    // From a month back (one may still be running), as far
                    // ahead as it takes: the count bounds the work.
                    s.occurrences(
                        now - chrono::Duration::days(32),
                        now + chrono::Duration::days(366 * 50),
                        OCCURRENCES_SHOWN + 64,
                    )
                    .into_iter()
                    .filter(|o| o.end > now)
                    .take(OCCURRENCES_SHOWN)
                    .collect::<Vec<_>>(),
                    Some(s.start()),
                ),
                None => (Vec::new(), None),
            }
        } else {
            (Vec::new(), None)
        };
        let in_zone = |t: DateTime<Utc>| t.with_timezone(&meeting_tz);
        let occurrences: Vec<OccurrenceView> = upcoming
            .iter()
            .map(|o| OccurrenceView {
                original: format_original(o.id),
                when: format!(
                    "{}, {}",
                    day_label(
                        o.start.with_timezone(&viewer_tz).date_naive(),
                        now.with_timezone(&viewer_tz).date_naive(),
                        lang
                    ),
                    time_range(o.start, o.end, viewer_tz, lang)
                ),
                name: o.name.clone().unwrap_or_default(),
                moved: o.overridden,
                now: o.start <= now && now < o.end,
                first: Some(o.id) == first,
                date: in_zone(o.start).format("%Y-%m-%d").to_string(),
                from: in_zone(o.start).format("%H:%M").to_string(),
                to: in_zone(o.end).format("%H:%M").to_string(),
            })
            .collect();
        // The page shows the current or next occurrence of a series.
        let (start, end) = upcoming
            .first()
            .map(|o| (o.start, o.end))
            .unwrap_or((from_millis(v.starts_at), from_millis(v.ends_at)));
        let local = start.with_timezone(&viewer_tz);
        let running = start <= now && now < end;
        let live = match (&v.cospace_id, running) {
            (Some(cospace), true) => self.live.of(&self.cb, cospace).await,
            _ => None,
        };
        Ok(MeetingDetails {
            id: id.to_string(),
            name: v.name,
            when: format!(
                "{}, {}",
                day_label(
                    local.date_naive(),
                    now.with_timezone(&viewer_tz).date_naive(),
                    lang
                ),
                time_range(start, end, viewer_tz, lang)
            ),
            time_zone: viewer_tz.name().to_string(),
            repeat: repeat_words(
                v.rrule.as_deref(),
                meeting_tz,
                from_millis(v.starts_at)
                    .with_timezone(&meeting_tz)
                    .naive_local(),
                lang,
            ),
            space_name: v.space_name,
            organizer: if is_organizer {
                t(lang, "wizard.you").to_string()
            } else {
                v.organizer_name
            },
            is_organizer,
            now: start <= now && now < end,
            dial_in: v.dial_in,
            attendees: v.attendees,
            deliveries,
            occurrences,
            meeting_time_zone: meeting_tz.name().to_string(),
            live,
        })
    }
}

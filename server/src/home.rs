//! The home page: the signed-in user's upcoming meetings grouped by day in
//! their time zone, and their spaces.

use crate::clock::{from_millis, to_millis, Clock};
use crate::db::Db;
use crate::error::internal;
use app::api::ssr::{Backend, PublicError, SessionUser};
use app::i18n::Lang;
use app::model::{
    AdminData, BridgeRow, HomeData, MeetingDay, MeetingDetails, MeetingRow, MeetingsPage,
    QueuedMail, SpaceView, WizardPage,
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// How many meetings the home page lists before "See more".
pub const HOME_LIMIT: i64 = 20;
/// Meetings per page of the full list ("See more").
pub const PAGE_SIZE: i64 = 50;

pub struct SchedulerBackend {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub meetings: Arc<crate::meetings::Meetings>,
    /// The administration side, set once it is bound (it needs the router,
    /// which needs this backend).
    pub admin: Arc<std::sync::OnceLock<crate::admin::AdminHandle>>,
}

/// How many outbox mails the administrators' page lists.
pub const ADMIN_MAIL_ROWS: i64 = 100;

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

const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "Nov 25, 2026" / "25 nov. 2026".
pub fn date_text(day: NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::En => day.format("%b %-d, %Y").to_string(),
        Lang::Fr => format!(
            "{} {} {}",
            day.day(),
            MONTHS_FR[day.month0() as usize],
            day.year()
        ),
    }
}

/// "Friday" / "vendredi".
pub fn weekday_text(day: NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::En => day.format("%A").to_string(),
        Lang::Fr => DAYS_FR[day.weekday().num_days_from_monday() as usize].to_string(),
    }
}

/// "Today, Nov 25, 2026", "Tomorrow, Nov 26, 2026", "Friday, Nov 27, 2026"
/// ("Aujourd'hui, 25 nov. 2026", ... in French).
pub fn day_label(day: NaiveDate, today: NaiveDate, lang: Lang) -> String {
    let date = date_text(day, lang);
    let relative = match ((day - today).num_days(), lang) {
        (0, Lang::En) => "Today".to_string(),
        (1, Lang::En) => "Tomorrow".into(),
        (-1, Lang::En) => "Yesterday".into(),
        (0, Lang::Fr) => "Aujourd'hui".into(),
        (1, Lang::Fr) => "Demain".into(),
        (-1, Lang::Fr) => "Hier".into(),
        _ => weekday_text(day, lang),
    };
    format!("{relative}, {date}")
}

/// "10:00 – 11:00" in `tz`; an end on a later day says so.
pub fn time_range(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let days = (e.date_naive() - s.date_naive()).num_days();
    let suffix = match (days, lang) {
        (0, _) => String::new(),
        (1, Lang::En) => " (+1 day)".into(),
        (1, Lang::Fr) => " (+1 jour)".into(),
        (n, Lang::En) => format!(" (+{n} days)"),
        (n, Lang::Fr) => format!(" (+{n} jours)"),
    };
    format!("{} – {}{suffix}", s.format("%H:%M"), e.format("%H:%M"))
}

/// "Last login Nov 25, 2026 at 18:59" for the sign-in before this one.
pub fn last_login_text(previous: Option<i64>, current: Option<i64>, tz: Tz, lang: Lang) -> String {
    match (previous, current, lang) {
        (Some(ms), _, _) => {
            let t = from_millis(ms).with_timezone(&tz);
            let (date, time) = (date_text(t.date_naive(), lang), t.format("%H:%M"));
            match lang {
                Lang::En => format!("Last login {date} at {time}"),
                Lang::Fr => format!("Dernière connexion le {date} à {time}"),
            }
        }
        (None, Some(_), Lang::En) => "This is your first sign-in. Welcome!".into(),
        (None, Some(_), Lang::Fr) => "C'est votre première connexion. Bienvenue !".into(),
        (None, None, Lang::En) => "Never signed in".into(),
        (None, None, Lang::Fr) => "Jamais connecté".into(),
    }
}

pub struct Upcoming {
    pub id: String,
    pub name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub space: Option<String>,
    pub join_url: Option<String>,
    /// None when the viewer organizes it.
    pub organizer: Option<String>,
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

type UpcomingRow = (
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
);
type SeriesRow = (
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    i64,
);

macro_rules! upcoming_columns {
    () => {
        "m.id, m.name, m.starts_at, m.ends_at, s.name, \
         CASE WHEN m.organizer_id = $1 THEN s.join_url ELSE \
           (SELECT sa.join_url FROM space_access sa JOIN meeting_attendees a ON a.role = sa.role \
            WHERE sa.space_id = m.space_id AND a.meeting_id = m.id AND lower(a.email) = lower($2)) END, \
         u.display_name, m.organizer_id"
    };
}

macro_rules! upcoming_from {
    () => {
        " FROM meetings m JOIN users u ON u.id = m.organizer_id LEFT JOIN spaces s ON s.id = m.space_id"
    };
}

macro_rules! upcoming_visible {
    () => {
        "(m.organizer_id = $1 OR EXISTS \
           (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = m.id AND lower(a.email) = lower($2)))"
    };
}

impl SchedulerBackend {
    /// Meetings the user organizes or is invited to that have not ended,
    /// by start; `limit + 1` rows so the caller knows whether more exist.
    async fn upcoming(
        &self,
        user: &crate::auth::users::UserRecord,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Upcoming>, PublicError> {
        let now = self.clock.now();
        let wanted = (offset + limit + 1).max(0);
        // Meetings that do not repeat: the database sorts and limits them.
        let singles: Vec<UpcomingRow> = sqlx::query_as(concat!(
            "SELECT ",
            upcoming_columns!(),
            upcoming_from!(),
            " WHERE m.rrule IS NULL AND m.ends_at > $3 AND ",
            upcoming_visible!(),
            " ORDER BY m.starts_at, m.id LIMIT $4"
        ))
        .bind(&user.id)
        .bind(&user.email)
        .bind(to_millis(now))
        .bind(wanted)
        .fetch_all(&self.db)
        .await
        .map_err(internal)?;
        // Repeating meetings: each series is expanded into its real occurrences.
        let series: Vec<SeriesRow> = sqlx::query_as(concat!(
            "SELECT ",
            upcoming_columns!(),
            ", m.rrule, m.time_zone, m.local_start, m.duration_minutes",
            upcoming_from!(),
            " \
             WHERE m.rrule IS NOT NULL AND $3 >= 0 AND ",
            upcoming_visible!(),
            " ORDER BY m.starts_at, m.id LIMIT 1000"
        ))
        .bind(&user.id)
        .bind(&user.email)
        .bind(to_millis(now))
        .fetch_all(&self.db)
        .await
        .map_err(internal)?;
        let to_upcoming = |(
            id,
            name,
            starts_at,
            ends_at,
            space,
            join_url,
            organizer_name,
            organizer_id,
        ): UpcomingRow| Upcoming {
            id,
            name,
            starts_at,
            ends_at,
            space,
            join_url,
            organizer: (organizer_id != user.id).then_some(organizer_name),
        };
        let mut all: Vec<Upcoming> = singles.into_iter().map(to_upcoming).collect();
        for (base, rrule, tz, local_start, minutes) in series.into_iter().map(|r| {
            (
                (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7),
                r.8,
                r.9,
                r.10,
                r.11,
            )
        }) {
            let exceptions = crate::meetings::occurrences::load_exceptions(&self.db, &base.0)
                .await
                .map_err(internal)?;
            let occurrences =
                crate::meetings::occurrences::base_series(&rrule, &tz, &local_start, minutes)
                    .map(|mut s| {
                        crate::meetings::occurrences::apply(&mut s, &exceptions);
                        s.occurrences(
                            now - chrono::Duration::days(2),
                            now + chrono::Duration::days(366 * 50),
                            wanted as usize + 2,
                        )
                    })
                    .unwrap_or_default();
            for o in occurrences.into_iter().filter(|o| o.end > now) {
                let mut u = to_upcoming(base.clone());
                u.starts_at = to_millis(o.start);
                u.ends_at = to_millis(o.end);
                if let Some(n) = o.name {
                    u.name = n;
                }
                all.push(u);
            }
        }
        all.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        Ok(all
            .into_iter()
            .skip(offset.max(0) as usize)
            .take((limit + 1).max(0) as usize)
            .collect())
    }
}

#[async_trait::async_trait]
impl Backend for SchedulerBackend {
    async fn admin(&self, user: &SessionUser, lang: Lang) -> Result<AdminData, PublicError> {
        // Read again: the session's copy may predate a revoked right.
        let record = self.record(user).await?;
        if !record.is_admin {
            return Err(PublicError::AdminsOnly);
        }
        let tz: Tz = record.time_zone.parse().unwrap_or(Tz::UTC);
        let at = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let (status, bridges) = match self.admin.get() {
            Some(admin) => {
                let st = admin.status().await;
                let bridges = st
                    .c2w
                    .links
                    .iter()
                    .map(|b| BridgeRow {
                        address: b.address.clone(),
                        up: b.up,
                        guid: b.guid.clone().unwrap_or_default(),
                        since: at(b.since),
                        last_error: b.last_error.clone().unwrap_or_default(),
                        connections: b.connections,
                    })
                    .collect();
                (crate::admin::cli::status_lines(&st), bridges)
            }
            None => (Vec::new(), Vec::new()),
        };
        let queue = self
            .meetings
            .mail
            .queue(ADMIN_MAIL_ROWS)
            .await
            .map_err(internal)?;
        let gone = match lang {
            Lang::En => "(deleted meeting)",
            Lang::Fr => "(réunion supprimée)",
        };
        Ok(AdminData {
            status,
            bridges,
            time_zone: tz.name().to_owned(),
            mail_pending: queue.pending,
            mail_sent: queue.sent,
            mail_failed: queue.failed,
            mail: queue
                .newest
                .into_iter()
                .map(|q| QueuedMail {
                    queued: at(from_millis(q.created_at)),
                    meeting: q.meeting_name.unwrap_or_else(|| gone.to_owned()),
                    delivery: crate::meetings::delivery(q.row.email.clone(), Some(q.row), tz, lang),
                })
                .collect(),
        })
    }

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
        let repeat_text = (d.step == 3)
            .then(|| crate::meetings::validate::time(&d, lang, self.clock.now()).ok())
            .flatten()
            .and_then(|w| {
                w.rrule
                    .as_deref()
                    .map(|r| crate::meetings::repeat_words(Some(r), w.tz, w.local_start, lang))
            });
        Ok(WizardPage {
            repeat_text,
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

    async fn home(&self, user: &SessionUser, lang: Lang) -> Result<HomeData, PublicError> {
        let now = self.clock.now();
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let record = self.record(user).await?;
        let mut meetings = self.upcoming(&record, 0, HOME_LIMIT).await?;
        let has_more = meetings.len() as i64 > HOME_LIMIT;
        meetings.truncate(HOME_LIMIT as usize);
        let (spaces, spaces_notice) = match self.meetings.own_spaces(&record).await {
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
            display_name: record.display_name.clone(),
            last_login: last_login_text(record.previous_login_at, record.last_login_at, tz, lang),
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

    async fn meetings_page(
        &self,
        user: &SessionUser,
        page: u32,
        lang: Lang,
    ) -> Result<MeetingsPage, PublicError> {
        let now = self.clock.now();
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let record = self.record(user).await?;
        let page = page.clamp(1, 10_000);
        let offset = i64::from(page - 1) * PAGE_SIZE;
        let mut meetings = self.upcoming(&record, offset, PAGE_SIZE).await?;
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
    fn day_labels() {
        let today = NaiveDate::from_ymd_opt(2021, 8, 21).unwrap();
        assert_eq!(day_label(today, today, Lang::En), "Today, Aug 21, 2021");
        assert_eq!(
            day_label(today.succ_opt().unwrap(), today, Lang::En),
            "Tomorrow, Aug 22, 2021"
        );
        assert_eq!(
            day_label(
                NaiveDate::from_ymd_opt(2021, 8, 27).unwrap(),
                today,
                Lang::En
            ),
            "Friday, Aug 27, 2021"
        );
    }

    #[test]
    fn time_ranges_are_in_the_viewers_zone() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            time_range(
                utc(2021, 8, 21, 8, 0),
                utc(2021, 8, 21, 9, 30),
                paris,
                Lang::En
            ),
            "10:00 – 11:30"
        );
        assert_eq!(
            time_range(
                utc(2021, 8, 21, 21, 0),
                utc(2021, 8, 21, 23, 0),
                paris,
                Lang::En
            ),
            "23:00 – 01:00 (+1 day)"
        );
        // Winter time: one hour ahead of UTC only.
        assert_eq!(
            time_range(
                utc(2021, 12, 1, 8, 0),
                utc(2021, 12, 1, 9, 0),
                paris,
                Lang::En
            ),
            "09:00 – 10:00"
        );
    }

    #[test]
    fn french_dates() {
        let today = NaiveDate::from_ymd_opt(2021, 8, 21).unwrap();
        assert_eq!(
            day_label(today, today, Lang::Fr),
            "Aujourd'hui, 21 août 2021"
        );
        assert_eq!(
            day_label(
                NaiveDate::from_ymd_opt(2021, 8, 27).unwrap(),
                today,
                Lang::Fr
            ),
            "vendredi, 27 août 2021"
        );
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let t = to_millis(utc(2026, 11, 25, 17, 59));
        assert_eq!(
            last_login_text(Some(t), None, paris, Lang::Fr),
            "Dernière connexion le 25 nov. 2026 à 18:59"
        );
    }

    #[test]
    fn last_login_texts() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let t = to_millis(utc(2026, 11, 25, 17, 59));
        assert_eq!(
            last_login_text(Some(t), Some(t), paris, Lang::En),
            "Last login Nov 25, 2026 at 18:59"
        );
        assert!(last_login_text(None, Some(t), paris, Lang::En).contains("first sign-in"));
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

//! A person's private calendar feed: the address (an unguessable token of
//! which only the SHA-256 is kept; renewing replaces it, which kills the old
//! one) and the calendar it serves: the meetings they organize or are
//! invited to by e-mail, exceptions applied, from [`WINDOW_BACK_DAYS`] back
//! to [`WINDOW_AHEAD_DAYS`] ahead, written by `mail::ics` with the
//! invitations' UIDs. Called by `web::feed`.

use super::visible::own_and_invited;
use super::Meetings;
use crate::auth::random_token;
use crate::auth::users::UserRecord;
use crate::clock::{from_millis, to_millis};
use crate::db::series::load_series;
use crate::error::internal;
use app::api::ssr::PublicError;
use chrono::Duration;
use sha2::{Digest, Sha256};

/// How far back the feed reaches.
pub const WINDOW_BACK_DAYS: i64 = 90;
/// How far ahead the feed reaches (two years).
pub const WINDOW_AHEAD_DAYS: i64 = 731;
/// The most meetings one feed holds.
pub const MAX_MEETINGS: i64 = 2000;

/// The token's path segment ends with this (clients like a file name).
pub const SUFFIX: &str = ".ics";

/// A feed's meeting, and the person's (`$2`) role in it.
macro_rules! feed_columns {
    () => {
        "m.id AS id, m.updated_at AS updated_at, m.starts_at AS starts_at, \
         CASE WHEN m.rrule IS NULL THEN 0 ELSE 1 END AS is_series, \
         (SELECT a.role FROM meeting_attendees a WHERE a.meeting_id = m.id AND lower(a.email) = lower($2) \
          ORDER BY a.position LIMIT 1) AS role, m.organizer_id AS organizer_id"
    };
}
/// The person's meetings in the window (`$3`..`$4`), at most `$5`: every
/// series that starts before its end (its occurrences are checked after).
pub(crate) const FEED: &str = own_and_invited!(
    own: feed_columns!(),
    invited: feed_columns!(),
    from: " FROM meetings m",
    filter: "m.starts_at < $4 AND (m.rrule IS NOT NULL OR m.ends_at > $3)",
    inner: " ORDER BY m.starts_at, m.id LIMIT $5",
    outer: " ORDER BY starts_at, id LIMIT $5"
);

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A feed as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The iCalendar text.
    pub body: String,
    /// A strong validator of `body` (quoted, for the ETag header).
    pub etag: String,
}

/// A meeting in the feed's window: its id, when it last changed, and the
/// viewer's role in it (None: they organize it).
#[derive(sqlx::FromRow)]
struct FeedRow {
    id: String,
    updated_at: i64,
    is_series: i64,
    role: Option<String>,
    organizer_id: String,
}

impl Meetings {
    /// When the person's current feed address was made (None: they have none).
    pub async fn feed_created(&self, user: &UserRecord) -> Result<Option<i64>, PublicError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
                .bind(&user.id)
                .fetch_optional(&self.db)
                .await
                .map_err(internal)?;
        Ok(row.map(|(t,)| t))
    }

    /// A new feed address for the person (the old one, if any, stops
    /// working); returns its token, the only time it is visible.
    pub async fn renew_feed(&self, user: &UserRecord) -> Result<String, PublicError> {
        let token = random_token();
        let mut tx = crate::db::begin_write(&self.db).await.map_err(internal)?;
        sqlx::query(
            "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
        )
        .bind(&user.id)
        .bind(digest(&token))
        .bind(to_millis(self.now()))
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(token)
    }

    /// The feed behind `token` (None for anything that is not a live
    /// feed's token).
    pub async fn feed(&self, token: &str) -> Result<Option<Feed>, PublicError> {
        if !crate::auth::is_token_shaped(token) {
            return Ok(None);
        }
        let owner: Option<(String,)> =
            sqlx::query_as("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
                .bind(digest(token))
                .fetch_optional(&self.db)
                .await
                .map_err(internal)?;
        let Some((user_id,)) = owner else {
            return Ok(None);
        };
        let Some(user) = crate::auth::users::find_by_id(&self.db, &user_id)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        Ok(Some(self.feed_of(&user).await?))
    }

    /// The person's meetings in the window as one calendar.
    pub async fn feed_of(&self, user: &UserRecord) -> Result<Feed, PublicError> {
        let now = self.now();
        let (from, to) = (
            now - Duration::days(WINDOW_BACK_DAYS),
            now + Duration::days(WINDOW_AHEAD_DAYS),
        );
        let rows: Vec<FeedRow> = sqlx::query_as(FEED)
            .bind(&user.id)
            .bind(&user.email)
            .bind(to_millis(from))
            .bind(to_millis(to))
            .bind(MAX_MEETINGS)
            .fetch_all(&self.db)
            .await
            .map_err(internal)?;
        let mut conn = self.db.acquire().await.map_err(internal)?;
        let mut events = Vec::new();
        for row in rows {
            // A series is in the feed while one of its occurrences is in
            // the window (cancelled ones do not count).
            if row.is_series == 1 {
                let Some(series) = load_series(&mut conn, &row.id).await.map_err(internal)? else {
                    continue;
                };
                if series.occurrences(from, to, 1).is_empty() {
                    continue;
                }
            }
            let Some(m) = crate::mail::snapshot(&mut conn, &row.id)
                .await
                .map_err(internal)?
            else {
                continue;
            };
            let role = if row.organizer_id == user.id {
                None
            } else {
                row.role.clone()
            };
            events.extend(crate::mail::compose::feed_events(
                &m,
                role.as_deref(),
                from_millis(row.updated_at),
            ));
        }
        let name = format!(
            "{} — {}",
            user.display_name,
            app::i18n::t(user_lang(user), "app.name")
        );
        let body = crate::mail::ics::write_feed(&name, &events);
        let hash = Sha256::digest(body.as_bytes());
        let etag = format!(
            "\"{}\"",
            hash.iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Ok(Feed { body, etag })
    }
}

fn user_lang(user: &UserRecord) -> app::i18n::Lang {
    app::i18n::Lang::from_code(&user.locale).unwrap_or_default()
}

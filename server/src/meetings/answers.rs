//! Attendees' answers (accepted, tentative, declined) given with the links
//! of their invitation, without signing in: checking a link for the
//! confirmation page (which records nothing: mail scanners open links),
//! recording it once, and the answers as the meeting page and the home page
//! show them. An answer is to the meeting (a whole series). Called by
//! `web::answers`, `read` and `lists`.

use super::Meetings;
use crate::auth::signed::find_server_secret;
use crate::clock::to_millis;
use crate::db::{fetch_for_ids, fetch_for_ids_on};
use crate::error::internal;
use crate::mail::answers::{self, Answer, AnswerLink, AnswerToken};
use app::api::ssr::PublicError;
use app::i18n::Lang;
use std::collections::HashMap;

/// A valid, unused answer link, as its confirmation page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRequest {
    pub token: AnswerToken,
    pub meeting_name: String,
    pub organizer_name: String,
    /// What this attendee answered before, if anything.
    pub current: Option<Answer>,
}

/// An answer just recorded, with fresh links to change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecorded {
    pub request: AnswerRequest,
    /// The two other answers (new single-use links).
    pub change: Vec<AnswerLink>,
}

/// How many attendees gave each answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerCounts {
    pub accepted: u32,
    pub tentative: u32,
    pub declined: u32,
}

impl AnswerCounts {
    /// "2 accepted, 1 declined" (empty when nobody answered).
    pub fn text(&self, lang: Lang) -> String {
        let mut parts = Vec::new();
        for (n, en, fr) in [
            (self.accepted, "accepted", "accepté"),
            (self.tentative, "tentative", "peut-être"),
            (self.declined, "declined", "refusé"),
        ] {
            if n > 0 {
                parts.push(match lang {
                    Lang::En => format!("{n} {en}"),
                    // "2 acceptés", "1 peut-être".
                    Lang::Fr if n > 1 && !fr.ends_with('e') => format!("{n} {fr}s"),
                    Lang::Fr => format!("{n} {fr}"),
                });
            }
        }
        parts.join(", ")
    }
}

/// One answer of one attendee.
#[derive(sqlx::FromRow)]
struct AnswerRow {
    meeting_id: String,
    email: String,
    answer: String,
}

impl Meetings {
    /// The answer link `token` if it is genuine, unused, and its attendee is
    /// still invited to its meeting; None for anything else (forged,
    /// altered, used, meeting gone, attendee removed), without saying which.
    pub async fn answer_request(&self, token: &str) -> Result<Option<AnswerRequest>, PublicError> {
        let mut conn = self.db.acquire().await.map_err(internal)?;
        self.check(&mut conn, token).await.map_err(internal)
    }

    async fn check(
        &self,
        conn: &mut sqlx::AnyConnection,
        token: &str,
    ) -> Result<Option<AnswerRequest>, sqlx::Error> {
        let Some(secret) = find_server_secret(&mut *conn, answers::SECRET).await? else {
            return Ok(None);
        };
        let Some(token) = AnswerToken::verify(&secret, token) else {
            return Ok(None);
        };
        let used: Option<(i64,)> =
            sqlx::query_as("SELECT used_at FROM answer_token_uses WHERE nonce = $1")
                .bind(&token.nonce)
                .fetch_optional(&mut *conn)
                .await?;
        if used.is_some() {
            return Ok(None);
        }
        let meeting: Option<(String, String)> = sqlx::query_as(
            "SELECT m.name, u.display_name FROM meetings m JOIN users u ON u.id = m.organizer_id \
             JOIN meeting_attendees a ON a.meeting_id = m.id \
             WHERE m.id = $1 AND lower(a.email) = $2",
        )
        .bind(&token.meeting_id)
        .bind(&token.email)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((meeting_name, organizer_name)) = meeting else {
            return Ok(None);
        };
        let current: Option<(String,)> = sqlx::query_as(
            "SELECT answer FROM attendee_answers WHERE meeting_id = $1 AND email = $2",
        )
        .bind(&token.meeting_id)
        .bind(&token.email)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(Some(AnswerRequest {
            token,
            meeting_name,
            organizer_name,
            current: current.and_then(|(a,)| Answer::from_word(&a)),
        }))
    }

    /// Records the answer of link `token` (confirmed on its page), once: the
    /// same link again changes nothing. None when the link is not valid
    /// (see [`Self::answer_request`]).
    pub async fn record_answer(&self, token: &str) -> Result<Option<AnswerRecorded>, PublicError> {
        let now = to_millis(self.now());
        let mut tx = crate::db::begin_write(&self.db).await.map_err(internal)?;
        let Some(request) = self.check(&mut tx, token).await.map_err(internal)? else {
            return Ok(None);
        };
        let t = &request.token;
        let fresh = sqlx::query(
            "INSERT INTO answer_token_uses (nonce, meeting_id, used_at) VALUES ($1, $2, $3) \
             ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(&t.nonce)
        .bind(&t.meeting_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        if fresh != 1 {
            // Used by another request in between.
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO attendee_answers (meeting_id, email, answer, answered_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (meeting_id, email) DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
        )
        .bind(&t.meeting_id)
        .bind(&t.email)
        .bind(t.answer.word())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let secret = crate::auth::signed::server_secret(&mut tx, answers::SECRET, now)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        let change = answers::links(
            &self.mail.public_url(),
            &secret,
            &t.meeting_id,
            &t.email,
            t.lang,
        )
        .into_iter()
        .filter(|l| l.answer != t.answer)
        .collect();
        tracing::info!(target: "server::meetings", meeting = %t.meeting_id, answer = t.answer.word(), "attendee answered");
        Ok(Some(AnswerRecorded { request, change }))
    }

    /// The answers given to these meetings, by meeting, then by e-mail
    /// (lower case).
    pub(crate) async fn answers_of(
        &self,
        meeting_ids: &[String],
    ) -> Result<HashMap<String, HashMap<String, Answer>>, sqlx::Error> {
        let mut out: HashMap<String, HashMap<String, Answer>> = HashMap::new();
        let rows: Vec<AnswerRow> = fetch_for_ids(
            &self.db,
            "SELECT meeting_id, email, answer FROM attendee_answers WHERE meeting_id IN",
            meeting_ids,
        )
        .await?;
        for row in rows {
            if let Some(a) = Answer::from_word(&row.answer) {
                out.entry(row.meeting_id)
                    .or_default()
                    .insert(row.email.to_ascii_lowercase(), a);
            }
        }
        Ok(out)
    }

    /// How many of each meeting's current attendees gave each answer.
    pub(crate) async fn answer_counts(
        conn: &mut sqlx::AnyConnection,
        meeting_ids: &[String],
    ) -> Result<HashMap<String, AnswerCounts>, sqlx::Error> {
        let mut out: HashMap<String, AnswerCounts> = HashMap::new();
        // Only attendees still invited count (one removed keeps no say).
        let rows: Vec<AnswerRow> = fetch_for_ids_on(
            conn,
            "SELECT r.meeting_id AS meeting_id, r.email AS email, r.answer AS answer \
             FROM attendee_answers r JOIN meeting_attendees a \
               ON a.meeting_id = r.meeting_id AND lower(a.email) = r.email \
             WHERE r.meeting_id IN",
            meeting_ids,
        )
        .await?;
        for row in rows {
            let c = out.entry(row.meeting_id).or_default();
            match Answer::from_word(&row.answer) {
                Some(Answer::Accepted) => c.accepted += 1,
                Some(Answer::Tentative) => c.tentative += 1,
                Some(Answer::Declined) => c.declined += 1,
                None => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_words() {
        let c = AnswerCounts {
            accepted: 2,
            tentative: 0,
            declined: 1,
        };
        assert_eq!(c.text(Lang::En), "2 accepted, 1 declined");
        assert_eq!(c.text(Lang::Fr), "2 acceptés, 1 refusé");
        let c = AnswerCounts {
            accepted: 1,
            tentative: 3,
            declined: 2,
        };
        assert_eq!(c.text(Lang::En), "1 accepted, 3 tentative, 2 declined");
        assert_eq!(c.text(Lang::Fr), "1 accepté, 3 peut-être, 2 refusés");
        assert_eq!(AnswerCounts::default().text(Lang::En), "");
    }
}

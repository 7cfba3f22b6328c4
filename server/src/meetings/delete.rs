//! Deleting a meeting: its temporary space on the Call Bridge first (so a
//! refusal leaves everything as it was), then its rows and the attendees'
//! cancellations in one transaction. Called by the meeting page
//! (`web::wizard`), `api` and C2W.

use super::{cb_unreachable, Meetings};
use crate::auth::users::UserRecord;
use crate::callbridge;
use crate::error::internal;
use app::api::ssr::PublicError;
use app::i18n::Lang;

impl Meetings {
    /// Deletes a meeting (organizer only) and its temporary space. The space
    /// goes first: if the Call Bridge refuses, the meeting stays and can be
    /// deleted again.
    pub async fn delete(&self, user: &UserRecord, id: &str) -> Result<(), PublicError> {
        #[derive(sqlx::FromRow)]
        struct Stored {
            space_id: Option<String>,
            cospace_id: Option<String>,
            temporary: Option<i64>,
        }
        let row: Option<Stored> = sqlx::query_as(
            "SELECT m.space_id, s.cospace_id, s.temporary FROM meetings m LEFT JOIN spaces s ON s.id = m.space_id \
             WHERE m.id = $1 AND m.organizer_id = $2",
        )
        .bind(id)
        .bind(&user.id)
        .fetch_optional(&self.db)
        .await
        .map_err(internal)?;
        let Some(Stored {
            space_id,
            cospace_id,
            temporary,
        }) = row
        else {
            return Err(PublicError::NotFound);
        };
        // A space shared with the other part of a split series stays.
        let shared: Option<String> =
            sqlx::query_scalar("SELECT id FROM meetings WHERE space_id = $1 AND id <> $2 LIMIT 1")
                .bind(&space_id)
                .bind(id)
                .fetch_optional(&self.db)
                .await
                .map_err(internal)?;
        let temporary = temporary.map(|t| t != 0 && shared.is_none());
        if let (Some(cospace), Some(true)) = (&cospace_id, temporary) {
            if let Err(e) = callbridge::delete_meeting_space(&self.cb, cospace).await {
                let public = internal(format!("delete space {cospace}: {e}"));
                return Err(PublicError::Invalid(cb_unreachable(
                    Lang::from_code(&user.locale).unwrap_or_default(),
                    &public,
                )));
            }
        }
        // The space is gone now: the rows must follow. A failure here is
        // tried again a few times (a retry by the user also heals it: the
        // Call Bridge then answers that the space is already gone).
        let space_row = space_id.filter(|_| temporary == Some(true));
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.forget(id, space_row.as_deref()).await {
                Ok(()) => break,
                Err(e) if attempt < 3 => {
                    tracing::warn!(meeting = %id, attempt, "deleting the meeting's rows failed, trying again: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => return Err(internal(format!("delete meeting {id}: {e}"))),
            }
        }
        self.mail.wake();
        tracing::info!(meeting = %id, "meeting deleted");
        Ok(())
    }

    /// Deletes a meeting's rows (and its space's, when given) and writes
    /// the cancellations, in one transaction.
    async fn forget(&self, id: &str, space_id: Option<&str>) -> Result<(), sqlx::Error> {
        let mut tx = crate::db::begin_write(&self.db).await?;
        // What the cancellations need, read before the rows go.
        if let Some(mut m) = crate::mail::snapshot(&mut tx, id).await? {
            m.sequence += 1;
            let to = m.attendees.clone();
            self.mail
                .enqueue(&mut tx, &m, crate::mail::compose::Kind::Cancel, &to)
                .await?;
        }
        sqlx::query("DELETE FROM meetings WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(space_id) = space_id {
            sqlx::query("DELETE FROM spaces WHERE id = $1")
                .bind(space_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
}

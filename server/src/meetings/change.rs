//! Changing a whole meeting (or series): its name, time, repetition and
//! attendees; the space stays. Updates go to those who stay, invitations to
//! those added, cancellations to those removed, in the same transaction.
//! Called by `drafts` (the wizard's Save) and `api`. One occurrence is
//! changed in `occurrences`.

use super::create::insert_attendees;
use super::validate;
use super::Meetings;
use crate::auth::users::UserRecord;
use crate::clock::to_millis;
use crate::error::internal;
use crate::mail::compose::Recipient;
use app::api::ssr::PublicError;
use app::model::Draft;

impl Meetings {
    /// Saves an edited meeting: name, time and attendees. The space stays.
    pub(super) async fn update(
        &self,
        user: &UserRecord,
        d: &Draft,
        when: &validate::When,
    ) -> Result<String, String> {
        let Some(id) = d.meeting_id.clone() else {
            return Err("no meeting to update".into());
        };
        let result: Result<bool, sqlx::Error> = async {
            let mut tx = crate::db::begin_write(&self.db).await?;
            let before: Vec<Recipient> = sqlx::query_as(
                "SELECT email, role FROM meeting_attendees WHERE meeting_id = $1 ORDER BY position",
            )
            .bind(&id)
            .fetch_all(&mut *tx)
            .await?;
            // A new time, zone, length or rule: the old exceptions named
            // occurrences of another series; they go.
            let local_start = when.local_start.format("%Y-%m-%dT%H:%M").to_string();
            sqlx::query(
                "DELETE FROM meeting_exceptions WHERE meeting_id = $1 AND meeting_id IN \
                 (SELECT id FROM meetings WHERE id = $1 AND organizer_id = $2 AND NOT \
                 (local_start = $3 AND time_zone = $4 AND duration_minutes = $5 AND COALESCE(rrule, '') = $6))",
            )
            .bind(&id)
            .bind(&user.id)
            .bind(&local_start)
            .bind(when.tz.name())
            .bind(i64::from(when.duration_minutes))
            .bind(when.rrule.clone().unwrap_or_default())
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(
                "UPDATE meetings SET name = $1, time_zone = $2, starts_at = $3, ends_at = $4, local_start = $5, \
                 duration_minutes = $6, rrule = $7, sequence = sequence + 1, updated_at = $8 \
                 WHERE id = $9 AND organizer_id = $10",
            )
            .bind(d.name.trim())
            .bind(when.tz.name())
            .bind(to_millis(when.start))
            .bind(to_millis(when.end))
            .bind(when.local_start.format("%Y-%m-%dT%H:%M").to_string())
            .bind(i64::from(when.duration_minutes))
            .bind(&when.rrule)
            .bind(to_millis(self.now()))
            .bind(&id)
            .bind(&user.id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM meeting_attendees WHERE meeting_id = $1").bind(&id).execute(&mut *tx).await?;
            insert_attendees(&mut tx, &id, &d.attendees).await?;
            // Updates to those who stay, invitations to those added,
            // cancellations to those removed: with the change or not at all.
            if let Some(m) = crate::mail::snapshot(&mut tx, &id).await? {
                use crate::mail::compose::Kind;
                let among = |people: &[Recipient], e: &str| people.iter().any(|p| p.email.eq_ignore_ascii_case(e));
                let (kept, added): (Vec<_>, Vec<_>) =
                    m.attendees.iter().cloned().partition(|a| among(&before, &a.email));
                let removed: Vec<Recipient> =
                    before.iter().filter(|b| !among(&m.attendees, &b.email)).cloned().collect();
                self.mail.enqueue(&mut tx, &m, Kind::Update, &kept).await?;
                self.mail.enqueue(&mut tx, &m, Kind::Invite, &added).await?;
                self.mail.enqueue(&mut tx, &m, Kind::Cancel, &removed).await?;
            }
            tx.commit().await?;
            self.mail.wake();
            Ok(true)
        }
        .await;
        match result {
            Ok(true) => Ok(id),
            Ok(false) => Err(PublicError::NotFound.to_string()),
            Err(e) => Err(internal(format!("update meeting: {e}")).to_string()),
        }
    }
}

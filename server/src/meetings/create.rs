//! Creating a meeting: the Call Bridge saga (a space from the template, or
//! an existing space), then the space, its roles, the meeting, its
//! attendees and their invitations stored in one transaction; a failure
//! after the space was made removes it again. Idempotent per draft. Called
//! by `drafts` (the wizard's Create) and `api` (REST and C2W).

use super::read::Visible;
use super::validate;
use super::{cb_unreachable, Meetings};
use crate::auth::users::UserRecord;
use crate::callbridge::{self, CreatedSpace, SpaceRequest, SpaceSource};
use crate::clock::to_millis;
use crate::db::batch::Batch;
use crate::error::internal;
use app::i18n::Lang;
use app::model::{Attendee, Draft};

/// A meeting [`Meetings::create`] made, or found made by an earlier
/// request with the same id.
pub(super) struct Created {
    pub id: String,
    /// The meeting as this create stored it, as its organizer sees it;
    /// None when an earlier request made it (read it from the database).
    pub stored: Option<Visible>,
}

impl Meetings {
    /// Creates the space (saga) and stores the meeting in one transaction;
    /// if storing fails, the space is removed again. Idempotent per draft
    /// id; `fresh_id`: the id was made for this request (no earlier
    /// request can have used it, so it is not looked up).
    pub(super) async fn create(
        &self,
        user: &UserRecord,
        d: &Draft,
        when: &validate::When,
        owner_jid: Option<String>,
    ) -> Result<Created, String> {
        self.create_with(user, d, when, owner_jid, false).await
    }

    pub(super) async fn create_with(
        &self,
        user: &UserRecord,
        d: &Draft,
        when: &validate::When,
        owner_jid: Option<String>,
        fresh_id: bool,
    ) -> Result<Created, String> {
        let lang = Lang::from_code(&user.locale).unwrap_or_default();
        if !fresh_id {
            if let Ok(Some(id)) =
                sqlx::query_scalar::<_, String>("SELECT id FROM meetings WHERE request_id = $1")
                    .bind(&d.id)
                    .fetch_optional(&self.db)
                    .await
            {
                return Ok(Created { id, stored: None });
            }
        }
        let source = if d.space_mode == "existing" {
            SpaceSource::Existing {
                cospace_id: d.space_id.clone(),
                template_id: None,
            }
        } else {
            SpaceSource::Template {
                template_id: d.template_id.clone(),
            }
        };
        let creates_space = matches!(source, SpaceSource::Template { .. });
        let request = SpaceRequest {
            request_id: d.id.clone(),
            name: d.name.trim().to_string(),
            source,
            uri_base: slug(&d.name),
            web_bridge_url: self.join_base_url.clone(),
            owner_jid,
            organizer_name: Some(user.display_name.clone()),
        };
        // Written (and committed) before the Call Bridge is asked: should
        // this node die before the meeting is stored, the recovery sweep
        // (jobs::recover) removes the space it made.
        if creates_space {
            let uri = callbridge::space_uri(&request.uri_base, &request.request_id);
            let mut intent = Batch::new();
            intent.push(
                "INSERT INTO space_intents (request_id, owner_id, uri, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (request_id) DO NOTHING",
                vec![
                    (&request.request_id).into(),
                    (&user.id).into(),
                    uri.into(),
                    to_millis(self.now()).into(),
                ],
            );
            if let Err(e) = self.writer.write(intent).await {
                return Err(internal(format!("record space intent: {e}")).to_string());
            }
        }
        let forget_intent = || async {
            let _ = sqlx::query("DELETE FROM space_intents WHERE request_id = $1")
                .bind(&request.request_id)
                .execute(&self.db)
                .await;
        };
        let space = match callbridge::saga::create_meeting_space_with(
            &self.cb,
            &self.directory.templates,
            &request,
        )
        .await
        {
            Ok(s) => s,
            Err(e) => {
                // Compensated: nothing left behind, unless the undo failed
                // or the coSpace's creation itself failed: its answer may
                // have been lost after the Call Bridge made it, and the
                // look for it may have failed too. The intent then stays,
                // and the recovery sweep looks again later.
                if e.compensation.succeeded() && e.step != callbridge::SagaStep::CreateCoSpace {
                    forget_intent().await;
                }
                let public = internal(format!("create meeting space: {e}"));
                return Err(cb_unreachable(lang, &public));
            }
        };
        match self.store(user, d, when, &space).await {
            Ok(created) => Ok(created),
            Err(e) => {
                let public = internal(format!("store meeting: {e}"));
                // A writer that stopped may have committed the meeting
                // before it could say so: the space is not undone here.
                // Had it not committed, the intent is still there and the
                // recovery sweep removes the space.
                let unknown = matches!(e, crate::db::group::WriteError::Stopped);
                if space.origin != callbridge::SpaceOrigin::Existing && !unknown {
                    match callbridge::delete_meeting_space(&self.cb, &space.cospace_id).await {
                        Ok(_) => forget_intent().await,
                        Err(e) => {
                            internal(format!(
                                "undo space {} after a failed store: {e}",
                                space.cospace_id
                            ));
                        }
                    }
                }
                Err(public.to_string())
            }
        }
    }

    async fn store(
        &self,
        user: &UserRecord,
        d: &Draft,
        when: &validate::When,
        space: &CreatedSpace,
    ) -> Result<Created, crate::db::group::WriteError> {
        let now = to_millis(self.now());
        let meeting_id = uuid::Uuid::new_v4().to_string();
        let space_id = uuid::Uuid::new_v4().to_string();
        let temporary = space.origin != callbridge::SpaceOrigin::Existing;
        let name = d.name.trim().to_string();
        let local_start = when.local_start.format("%Y-%m-%dT%H:%M").to_string();
        let space_name = space.name.clone().unwrap_or_else(|| name.clone());
        // The invitations, composed before the transaction from what is
        // about to be stored (the same facts `mail::snapshot` would read
        // back): rendering them does not hold the writer's turn.
        let series = when.rrule.as_deref().and_then(|r| {
            crate::db::series::base_series(
                r,
                when.tz.name(),
                &local_start,
                i64::from(when.duration_minutes),
            )
        });
        let invitation = crate::mail::meeting_mail(
            crate::mail::MeetingFacts {
                meeting_id: meeting_id.clone(),
                name: name.clone(),
                time_zone: when.tz.name().to_string(),
                starts_at: to_millis(when.start),
                ends_at: to_millis(when.end),
                rrule: when.rrule.clone(),
                sequence: 0,
                organizer_name: user.display_name.clone(),
                organizer_email: user.email.clone(),
                attendees: d
                    .attendees
                    .iter()
                    .map(|a| crate::mail::compose::Recipient {
                        email: a.email.clone(),
                        role: a.role.clone(),
                    })
                    .collect(),
                access: space
                    .access_methods
                    .iter()
                    .map(|a| crate::db::access::AccessRow {
                        role: a.role.clone(),
                        uri: a.uri.clone(),
                        call_id: a.call_id.clone(),
                        passcode: a.passcode.clone(),
                        join_url: a.join_url.clone(),
                    })
                    .collect(),
            },
            series,
        );
        let mail = self
            .mail
            .compose_ahead(
                &invitation,
                crate::mail::compose::Kind::Invite,
                &invitation.attendees,
            )
            .await?;
        // The invitations are claimed for this process's outbox worker as
        // they are written, and handed to it once committed (no claim and
        // no read back of the messages; should this node die first, the
        // claim runs out and any node sends them).
        let hand_off = self.mail.hand_off_claim();
        // The transaction's statements, sent together (one round trip to a
        // SQLite connection's thread instead of one per statement).
        let mut batch = Batch::new();
        // The space is now the meeting's: no recovery for it.
        batch.push(
            "DELETE FROM space_intents WHERE request_id = $1",
            vec![(&d.id).into()],
        );
        batch.push(
            "INSERT INTO spaces (id, owner_id, cospace_id, name, uri, call_id, join_url, temporary, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                (&space_id).into(),
                (&user.id).into(),
                (&space.cospace_id).into(),
                (&space_name).into(),
                space.uri.clone().unwrap_or_default().into(),
                (&space.call_id).into(),
                (&space.join_url).into(),
                i64::from(temporary).into(),
                now.into(),
            ],
        );
        push_access(&mut batch, &space_id, &space.access_methods);
        batch.push(
            "INSERT INTO meetings (id, organizer_id, space_id, name, time_zone, starts_at, ends_at, local_start, \
             duration_minutes, rrule, template_id, request_id, sequence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13)",
            vec![
                (&meeting_id).into(),
                (&user.id).into(),
                (&space_id).into(),
                (&name).into(),
                when.tz.name().into(),
                to_millis(when.start).into(),
                to_millis(when.end).into(),
                (&local_start).into(),
                i64::from(when.duration_minutes).into(),
                (&when.rrule).into(),
                (&d.template_id).into(),
                (&d.id).into(),
                now.into(),
            ],
        );
        push_attendees(&mut batch, &meeting_id, &d.attendees);
        // The invitations commit (or not) with the meeting.
        crate::mail::push_composed(&mut batch, &mail, hand_off.as_ref());
        self.writer.write(batch).await?;
        match &hand_off {
            Some(claim) => self.mail.hand_over(claim, &mail),
            None => self.mail.wake(),
        }
        tracing::info!(meeting = %meeting_id, cospace = %space.cospace_id, "meeting created");
        // What was stored, as `read::load_visible` reads it back for the
        // organizer (tests/it compares the answer with a read).
        let stored = Visible {
            name,
            organizer_username: user.username.clone(),
            organizer_name: user.display_name.clone(),
            is_organizer: true,
            time_zone: when.tz.name().to_string(),
            starts_at: to_millis(when.start),
            ends_at: to_millis(when.end),
            rrule: when.rrule.clone(),
            space_name: space_name.clone(),
            cospace_id: Some(space.cospace_id.clone()),
            dial_in: invitation
                .access
                .into_iter()
                .map(super::read::dial_in)
                .collect(),
            attendees: d.attendees.clone(),
        };
        Ok(Created {
            id: meeting_id,
            stored: Some(stored),
        })
    }
}

/// Rows written by one INSERT of attendees or roles: a meeting's lists are
/// short, and 100 rows keep a statement's parameters far below either
/// database's limit.
const ROWS_PER_INSERT: usize = 100;

/// A space's roles, one INSERT for all of them.
fn push_access(batch: &mut Batch, space_id: &str, roles: &[callbridge::RoleAccess]) {
    for (c, chunk) in roles.chunks(ROWS_PER_INSERT).enumerate() {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", crate::db::placeholders(i * 9 + 1, 9)))
            .collect();
        let sql = format!(
            "INSERT INTO space_access (space_id, position, role, access_method_id, uri, call_id, passcode, secret, join_url) \
             VALUES {}",
            rows.join(", ")
        );
        let mut values = Vec::with_capacity(chunk.len() * 9);
        for (i, a) in chunk.iter().enumerate() {
            values.extend([
                space_id.into(),
                ((c * ROWS_PER_INSERT + i) as i64).into(),
                (&a.role).into(),
                (&a.access_method_id).into(),
                (&a.uri).into(),
                (&a.call_id).into(),
                (&a.passcode).into(),
                (&a.secret).into(),
                (&a.join_url).into(),
            ]);
        }
        batch.push(sql, values);
    }
}

/// A meeting's attendees in their order, one INSERT for all of them.
pub(super) fn push_attendees(batch: &mut Batch, meeting_id: &str, attendees: &[Attendee]) {
    for (c, chunk) in attendees.chunks(ROWS_PER_INSERT).enumerate() {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", crate::db::placeholders(i * 4 + 1, 4)))
            .collect();
        let sql = format!(
            "INSERT INTO meeting_attendees (meeting_id, position, email, role) VALUES {}",
            rows.join(", ")
        );
        let mut values = Vec::with_capacity(chunk.len() * 4);
        for (i, a) in chunk.iter().enumerate() {
            values.extend([
                meeting_id.into(),
                ((c * ROWS_PER_INSERT + i) as i64).into(),
                (&a.email).into(),
                (&a.role).into(),
            ]);
        }
        batch.push(sql, values);
    }
}

/// [`push_attendees`] run on its own, in the caller's transaction.
pub(super) async fn insert_attendees(
    tx: &mut sqlx::AnyConnection,
    meeting_id: &str,
    attendees: &[Attendee],
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    push_attendees(&mut batch, meeting_id, attendees);
    batch.run(tx).await
}

/// A URI-safe start for the space's URI, from the meeting's name.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('.') && !out.is_empty() {
            out.push('.');
        }
        if out.len() >= 24 {
            break;
        }
    }
    let out = out.trim_end_matches('.').to_string();
    if out.is_empty() {
        "meeting".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Weekly Sync: Team A"), "weekly.sync.team.a");
        assert_eq!(slug("!!!"), "meeting");
        assert_eq!(slug("Réunion d'équipe"), "r.union.d.quipe");
        assert!(slug(&"x".repeat(100)).len() <= 24);
    }
}

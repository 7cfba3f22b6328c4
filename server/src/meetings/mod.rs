//! Meetings: the wizard's drafts, creation through the Call Bridge saga,
//! the meeting page, editing and deletion. One implementation, used by the
//! web app (and later the API and C2W).

pub mod api;
pub mod conflicts;
pub mod directory;
pub mod occurrences;
pub mod validate;

use crate::auth::users::UserRecord;
use crate::callbridge::{self, CallBridgeClient, CreatedSpace, SpaceRequest, SpaceSource};
use crate::clock::{from_millis, to_millis, Clock};
use crate::db::Db;
use crate::error::internal;
use app::api::ssr::PublicError;
use app::i18n::{t, Lang};
use app::model::{
    Attendee, DialIn, Draft, FieldError, MeetingDetails, OccurrenceView, SpaceChoice,
    TemplateChoice,
};
use app::timeform::{fmt_duration, fmt_hm};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::sync::Arc;

/// role, uri, call ID, passcode, join link.
pub(crate) type AccessRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

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
    pub dial_in: Vec<DialIn>,
    pub attendees: Vec<Attendee>,
}

/// How many upcoming occurrences the meeting page lists.
pub const OCCURRENCES_SHOWN: usize = 10;

/// Drafts untouched for this long are purged.
pub const DRAFT_LIFETIME_MS: i64 = 24 * 3600 * 1000;

pub struct Meetings {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub cb: Arc<CallBridgeClient>,
    /// Join links are built on this web bridge address.
    pub join_base_url: String,
    /// Invitation e-mails: written to the outbox with each change.
    pub mail: Arc<crate::mail::Mailer>,
    /// The Call Bridge's users and spaces, read at most every 30 s.
    pub directory: directory::Directory,
}

/// What the user may choose from on the Call Bridge.
pub struct Choices {
    pub templates: Vec<TemplateChoice>,
    pub spaces: Vec<SpaceChoice>,
    pub cb_user_jid: Option<String>,
}

/// Where the wizard goes after a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the draft (at its current step).
    Draft(String),
    /// Done: go there.
    To(String),
}

impl Meetings {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The Call Bridge user that is this user: same e-mail, or a JID that
    /// is the e-mail or starts with the username.
    async fn cb_user(
        &self,
        user: &UserRecord,
    ) -> Result<Option<callbridge::User>, callbridge::CallBridgeError> {
        let users = self.directory.users(&self.cb).await?;
        Ok(users
            .iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&user.email))
                    || u.user_jid.as_deref().is_some_and(|j| {
                        j.eq_ignore_ascii_case(&user.email)
                            || j.split('@')
                                .next()
                                .is_some_and(|local| local.eq_ignore_ascii_case(&user.username))
                    })
            })
            .cloned())
    }

    /// The user's own spaces on the Call Bridge (not those the scheduler
    /// made): what the home page lists under "My spaces".
    pub async fn own_spaces(
        &self,
        user: &UserRecord,
    ) -> Result<Vec<SpaceChoice>, callbridge::CallBridgeError> {
        let Some(jid) = self.cb_user(user).await?.and_then(|u| u.user_jid) else {
            return Ok(Vec::new());
        };
        self.spaces_of(&jid).await
    }

    async fn spaces_of(&self, jid: &str) -> Result<Vec<SpaceChoice>, callbridge::CallBridgeError> {
        let base = reqwest::Url::parse(&self.join_base_url).ok();
        Ok(self
            .directory
            .spaces(&self.cb)
            .await?
            .iter()
            .filter(|s| {
                s.owner_jid
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(jid))
            })
            .map(|s| SpaceChoice {
                name: s.name.clone().unwrap_or_else(|| s.id.clone()),
                uri: s.uri.clone().unwrap_or_default(),
                join_url: match (&base, s.call_id.as_deref()) {
                    (Some(base), Some(call_id)) => {
                        callbridge::saga::join_url(base, call_id, s.secret.as_deref())
                    }
                    _ => None,
                },
                id: s.id.clone(),
            })
            .collect())
    }

    /// The user's templates (with their roles) and own spaces on the Call Bridge.
    pub async fn choices(&self, user: &UserRecord) -> Result<Choices, callbridge::CallBridgeError> {
        let Some(cb_user) = self.cb_user(user).await? else {
            return Ok(Choices {
                templates: Vec::new(),
                spaces: Vec::new(),
                cb_user_jid: None,
            });
        };
        let mut templates = Vec::new();
        for tpl in self.cb.templates_of_user(&cb_user.id).await? {
            let roles = self
                .cb
                .access_method_templates(&tpl.id)
                .await?
                .into_iter()
                .filter_map(|a| a.name)
                .collect();
            templates.push(TemplateChoice {
                id: tpl.id,
                name: tpl.name.unwrap_or_default(),
                description: tpl.description.unwrap_or_default(),
                roles,
            });
        }
        let jid = cb_user.user_jid.clone();
        let spaces = match &jid {
            Some(jid) => self.spaces_of(jid).await?,
            None => Vec::new(),
        };
        Ok(Choices {
            templates,
            spaces,
            cb_user_jid: jid,
        })
    }

    /// A fresh draft: next half hour today in the user's zone, one hour.
    pub fn new_draft(&self, user: &UserRecord, templates: &[TemplateChoice]) -> Draft {
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let local = self.now().with_timezone(&tz);
        let minutes = (local
            .time()
            .signed_duration_since(chrono::NaiveTime::MIN)
            .num_minutes() as u32
            / 30
            + 1)
            * 30;
        let date = if minutes >= 24 * 60 {
            local.date_naive() + chrono::Duration::days(1)
        } else {
            local.date_naive()
        };
        let roles = templates
            .first()
            .map(|t| t.roles.clone())
            .unwrap_or_default();
        Draft {
            step: 1,
            space_mode: "new".into(),
            template_id: templates.first().map(|t| t.id.clone()).unwrap_or_default(),
            date: date.format("%Y-%m-%d").to_string(),
            from: fmt_hm(minutes % (24 * 60)),
            duration: fmt_duration(60),
            time_zone: tz.name().to_string(),
            repeat: "none".into(),
            repeat_end: "never".into(),
            new_role: roles.first().cloned().unwrap_or_default(),
            ..Draft::default()
        }
    }

    pub async fn load_draft(&self, user_id: &str, id: &str) -> Result<Option<Draft>, sqlx::Error> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT data FROM meeting_drafts WHERE id = $1 AND user_id = $2 AND updated_at > $3",
        )
        .bind(id)
        .bind(user_id)
        .bind(to_millis(self.now()) - DRAFT_LIFETIME_MS)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.and_then(|(data,)| serde_json::from_str(&data).ok()))
    }

    async fn save_draft(&self, user_id: &str, d: &Draft) -> Result<(), sqlx::Error> {
        let data = serde_json::to_string(d).unwrap_or_default();
        let now = to_millis(self.now());
        sqlx::query(
            "INSERT INTO meeting_drafts (id, user_id, data, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at \
             WHERE meeting_drafts.user_id = excluded.user_id",
        )
        .bind(&d.id)
        .bind(user_id)
        .bind(data)
        .bind(now)
        .execute(&self.db)
        .await?;
        sqlx::query("DELETE FROM meeting_drafts WHERE updated_at <= $1")
            .bind(now - DRAFT_LIFETIME_MS)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn delete_draft(&self, user_id: &str, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM meeting_drafts WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Applies a wizard post: merges the step's fields, runs the button's
    /// action, stores the draft, and says where to go.
    pub async fn wizard_post(
        &self,
        user: &UserRecord,
        form: &HashMap<String, String>,
        lang: Lang,
    ) -> Result<Next, PublicError> {
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        let action = get("action");
        let draft_id = get("draft");
        let choices = self.choices(user).await;
        let (templates, spaces) = match &choices {
            Ok(c) => (c.templates.clone(), c.spaces.clone()),
            Err(_) => (Vec::new(), Vec::new()),
        };
        let mut d = if draft_id.is_empty() {
            let mut d = self.new_draft(user, &templates);
            d.id = uuid::Uuid::new_v4().to_string();
            d
        } else {
            match self
                .load_draft(&user.id, &draft_id)
                .await
                .map_err(internal)?
            {
                Some(d) => d,
                None => return Err(PublicError::Invalid(t(lang, "err.draft_gone").into())),
            }
        };
        if action == "cancel" {
            self.delete_draft(&user.id, &d.id).await.map_err(internal)?;
            return Ok(Next::To(match &d.meeting_id {
                Some(id) => format!("/meetings/{id}"),
                None => "/".into(),
            }));
        }
        let posted_step: u8 = get("step").parse().unwrap_or(d.step).clamp(1, 3);
        d.errors.clear();
        d.rev += 1;
        merge(&mut d, posted_step, form);
        let template_ids: Vec<String> = templates.iter().map(|t| t.id.clone()).collect();
        let space_ids: Vec<String> = spaces.iter().map(|s| s.id.clone()).collect();
        let roles: Vec<String> = templates
            .iter()
            .find(|t| t.id == d.template_id)
            .map(|t| t.roles.clone())
            .unwrap_or_default();
        if let Err(e) = &choices {
            let public = internal(format!("listing Call Bridge choices: {e}"));
            d.errors.push(FieldError {
                field: "form".into(),
                message: cb_unreachable(lang, &public),
            });
        }
        let editing = d.meeting_id.is_some();
        match action.as_str() {
            "back" => d.step = posted_step.saturating_sub(1).max(1),
            "next" => {
                let errors = match posted_step {
                    1 if editing => {
                        // The space and template of a meeting stay; only the name is checked.
                        validate::general(&d, lang, &[d.template_id.clone()], &[])
                            .into_iter()
                            .filter(|e| e.field == "name")
                            .collect()
                    }
                    1 => validate::general(&d, lang, &template_ids, &space_ids),
                    2 => match validate::time(&d, lang, self.now()) {
                        Ok(when) => {
                            // Overlaps are warnings for the last step.
                            let space = (d.space_mode == "existing").then_some(d.space_id.as_str());
                            d.warnings = self
                                .conflicts(user, &when, d.meeting_id.as_deref(), space, lang)
                                .await
                                .map_err(internal)?;
                            Vec::new()
                        }
                        Err(e) => e,
                    },
                    _ => Vec::new(),
                };
                if errors.is_empty() && d.errors.is_empty() {
                    d.step = (posted_step + 1).min(3);
                    if d.step == 3 && !roles.contains(&d.new_role) {
                        d.new_role = roles.first().cloned().unwrap_or_default();
                    }
                } else {
                    d.step = posted_step;
                    d.errors.extend(errors);
                }
            }
            "add" => {
                d.step = 3;
                match validate::new_attendee(&d, lang, &roles) {
                    Ok(a) => {
                        d.attendees.push(a);
                        d.new_email.clear();
                    }
                    Err(errors) => d.errors.extend(errors),
                }
            }
            a if a.starts_with("remove:") => {
                d.step = 3;
                if let Ok(i) = a["remove:".len()..].parse::<usize>() {
                    if i < d.attendees.len() {
                        d.attendees.remove(i);
                    }
                }
            }
            "create" => {
                d.step = 3;
                let mut errors = if editing {
                    Vec::new()
                } else {
                    validate::general(&d, lang, &template_ids, &space_ids)
                };
                let when = validate::time(&d, lang, self.now());
                if let Err(e) = &when {
                    errors.extend(e.clone());
                }
                // An address typed but not added yet counts as added.
                if !d.new_email.trim().is_empty() {
                    match validate::new_attendee(&d, lang, &roles) {
                        Ok(a) => {
                            d.attendees.push(a);
                            d.new_email.clear();
                        }
                        Err(e) => errors.extend(e),
                    }
                }
                errors.extend(validate::attendees(&d, lang, &roles));
                if let (true, Ok(when)) = (errors.is_empty() && d.errors.is_empty(), when) {
                    let result = if editing {
                        self.update(user, &d, &when).await
                    } else {
                        self.create(
                            user,
                            &d,
                            &when,
                            choices.as_ref().ok().and_then(|c| c.cb_user_jid.clone()),
                        )
                        .await
                    };
                    match result {
                        Ok(id) => {
                            self.delete_draft(&user.id, &d.id).await.map_err(internal)?;
                            let flag = if editing { "updated" } else { "created" };
                            return Ok(Next::To(format!("/?{flag}={id}")));
                        }
                        Err(message) => d.errors.push(FieldError {
                            field: "form".into(),
                            message,
                        }),
                    }
                } else {
                    // Go back to the first step with a problem.
                    d.step = errors
                        .iter()
                        .map(|e| match e.field.as_str() {
                            "name" | "space_id" | "template_id" => 1,
                            "new_email" => 3,
                            _ => 2,
                        })
                        .min()
                        .unwrap_or(3);
                    d.errors.extend(errors);
                }
            }
            _ => d.step = posted_step,
        }
        self.save_draft(&user.id, &d).await.map_err(internal)?;
        Ok(Next::Draft(format!(
            "/schedule?draft={}&rev={}",
            d.id, d.rev
        )))
    }

    /// Creates the space (saga) and stores the meeting in one transaction;
    /// if storing fails, the space is removed again. Idempotent per draft id.
    async fn create(
        &self,
        user: &UserRecord,
        d: &Draft,
        when: &validate::When,
        owner_jid: Option<String>,
    ) -> Result<String, String> {
        let lang = Lang::from_code(&user.locale).unwrap_or_default();
        if let Ok(Some((id,))) =
            sqlx::query_as::<_, (String,)>("SELECT id FROM meetings WHERE request_id = $1")
                .bind(&d.id)
                .fetch_optional(&self.db)
                .await
        {
            return Ok(id);
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
            let turn = crate::db::write_turn(&self.db).await;
            if let Err(e) = sqlx::query(
                "INSERT INTO space_intents (request_id, owner_id, uri, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (request_id) DO NOTHING",
            )
            .bind(&request.request_id)
            .bind(&user.id)
            .bind(&uri)
            .bind(to_millis(self.now()))
            .execute(&self.db)
            .await
            {
                return Err(internal(format!("record space intent: {e}")).to_string());
            }
            drop(turn);
        }
        let forget_intent = || async {
            let _ = sqlx::query("DELETE FROM space_intents WHERE request_id = $1")
                .bind(&request.request_id)
                .execute(&self.db)
                .await;
        };
        let space = match callbridge::create_meeting_space(&self.cb, &request).await {
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
            Ok(id) => Ok(id),
            Err(e) => {
                let public = internal(format!("store meeting: {e}"));
                if space.origin != callbridge::SpaceOrigin::Existing {
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
    ) -> Result<String, sqlx::Error> {
        let now = to_millis(self.now());
        let meeting_id = uuid::Uuid::new_v4().to_string();
        let space_id = uuid::Uuid::new_v4().to_string();
        let temporary = space.origin != callbridge::SpaceOrigin::Existing;
        let (mut tx, _turn) = crate::db::begin_write(&self.db).await?;
        // The space is now the meeting's: no recovery for it.
        sqlx::query("DELETE FROM space_intents WHERE request_id = $1")
            .bind(&d.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO spaces (id, owner_id, cospace_id, name, uri, call_id, join_url, temporary, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&space_id)
        .bind(&user.id)
        .bind(&space.cospace_id)
        .bind(space.name.clone().unwrap_or_else(|| d.name.trim().to_string()))
        .bind(space.uri.clone().unwrap_or_default())
        .bind(&space.call_id)
        .bind(&space.join_url)
        .bind(i64::from(temporary))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for (i, a) in space.access_methods.iter().enumerate() {
            sqlx::query(
                "INSERT INTO space_access (space_id, position, role, access_method_id, uri, call_id, passcode, secret, join_url) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&space_id)
            .bind(i as i64)
            .bind(&a.role)
            .bind(&a.access_method_id)
            .bind(&a.uri)
            .bind(&a.call_id)
            .bind(&a.passcode)
            .bind(&a.secret)
            .bind(&a.join_url)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO meetings (id, organizer_id, space_id, name, time_zone, starts_at, ends_at, local_start, \
             duration_minutes, rrule, template_id, request_id, sequence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13)",
        )
        .bind(&meeting_id)
        .bind(&user.id)
        .bind(&space_id)
        .bind(d.name.trim())
        .bind(when.tz.name())
        .bind(to_millis(when.start))
        .bind(to_millis(when.end))
        .bind(when.local_start.format("%Y-%m-%dT%H:%M").to_string())
        .bind(i64::from(when.duration_minutes))
        .bind(&when.rrule)
        .bind(&d.template_id)
        .bind(&d.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_attendees(&mut tx, &meeting_id, &d.attendees).await?;
        // The invitations commit (or not) with the meeting.
        if let Some(m) = crate::mail::snapshot(&mut tx, &meeting_id).await? {
            self.mail
                .enqueue(
                    &mut tx,
                    &m,
                    crate::mail::compose::Kind::Invite,
                    &m.attendees,
                )
                .await?;
        }
        tx.commit().await?;
        self.mail.wake();
        tracing::info!(meeting = %meeting_id, cospace = %space.cospace_id, "meeting created");
        Ok(meeting_id)
    }

    /// Saves an edited meeting: name, time and attendees. The space stays.
    async fn update(
        &self,
        user: &UserRecord,
        d: &Draft,
        when: &validate::When,
    ) -> Result<String, String> {
        let Some(id) = d.meeting_id.clone() else {
            return Err("no meeting to update".into());
        };
        let result: Result<bool, sqlx::Error> = async {
            let (mut tx, _turn) = crate::db::begin_write(&self.db).await?;
            let before: Vec<(String, String)> = sqlx::query_as(
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
                let was = |e: &str| before.iter().any(|(b, _)| b.eq_ignore_ascii_case(e));
                let (kept, added): (Vec<_>, Vec<_>) =
                    m.attendees.iter().cloned().partition(|(e, _)| was(e));
                let removed: Vec<(String, String)> = before
                    .iter()
                    .filter(|(b, _)| !m.attendees.iter().any(|(e, _)| e.eq_ignore_ascii_case(b)))
                    .cloned()
                    .collect();
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

    /// A draft to edit an existing meeting (organizer only).
    pub async fn edit_draft(&self, user: &UserRecord, id: &str) -> Result<String, PublicError> {
        let m = self.details(user, id, Lang::En).await?;
        if !m.is_organizer {
            return Err(PublicError::NotFound);
        }
        let row: (String, String, i64, String, Option<String>) = sqlx::query_as(
            "SELECT local_start, time_zone, duration_minutes, COALESCE(template_id, ''), rrule FROM meetings WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.db)
        .await
        .map_err(internal)?;
        let (local_start, tz, duration, template_id, rrule) = row;
        let (date, from) = local_start.split_once('T').unwrap_or(("", ""));
        let r = draft_repeat(rrule.as_deref(), &tz);
        let d = Draft {
            id: uuid::Uuid::new_v4().to_string(),
            rev: 1,
            step: 1,
            meeting_id: Some(id.to_string()),
            name: m.name,
            space_mode: "new".into(),
            template_id,
            date: date.into(),
            from: from.into(),
            duration: fmt_duration(u32::try_from(duration).unwrap_or(60)),
            time_zone: tz,
            repeat: r.repeat,
            repeat_end: r.end,
            repeat_count: r.count,
            repeat_until: r.until,
            repeat_interval: r.interval,
            repeat_days: r.days,
            repeat_monthly: r.monthly,
            new_role: m
                .attendees
                .first()
                .map(|a| a.role.clone())
                .unwrap_or_default(),
            attendees: m.attendees,
            ..Draft::default()
        };
        self.save_draft(&user.id, &d).await.map_err(internal)?;
        Ok(format!("/schedule?draft={}&rev=1", d.id))
    }

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
            .map(|(_, v)| v))
    }

    /// [`Self::load_visible`] for several meetings in three queries, in the
    /// order of `ids`; those the user may not see are left out.
    pub(crate) async fn load_visible_many(
        &self,
        user: &UserRecord,
        ids: &[String],
    ) -> Result<Vec<(String, Visible)>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // "$1, $2, ..." for the ids: only placeholders go into the text.
        let list = |first: usize, n: usize| {
            (first..first + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
            String,
            Option<String>,
        );
        let sql = format!(
            "SELECT m.id, m.name, m.organizer_id, u.username, u.display_name, m.time_zone, m.starts_at, m.ends_at, \
             m.rrule, COALESCE(s.name, ''), m.space_id \
             FROM meetings m JOIN users u ON u.id = m.organizer_id LEFT JOIN spaces s ON s.id = m.space_id \
             WHERE m.id IN ({})",
            list(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.db).await?;
        let sql = format!(
            "SELECT meeting_id, email, role FROM meeting_attendees WHERE meeting_id IN ({}) \
             ORDER BY meeting_id, position",
            list(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id);
        }
        let attendees = q.fetch_all(&self.db).await?;
        let space_ids: Vec<String> = rows.iter().filter_map(|r| r.10.clone()).collect();
        let access: Vec<(String, AccessRow)> = if space_ids.is_empty() {
            Vec::new()
        } else {
            type A = (
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let sql = format!(
                "SELECT space_id, role, uri, call_id, passcode, join_url FROM space_access \
                 WHERE space_id IN ({}) ORDER BY space_id, position",
                list(1, space_ids.len())
            );
            let mut q = sqlx::query_as::<_, A>(sqlx::AssertSqlSafe(sql));
            for id in &space_ids {
                q = q.bind(id);
            }
            q.fetch_all(&self.db)
                .await?
                .into_iter()
                .map(|(space, role, uri, call_id, passcode, join_url)| {
                    (space, (role, uri, call_id, passcode, join_url))
                })
                .collect()
        };
        let mut out = Vec::with_capacity(rows.len());
        for id in ids {
            let Some(row) = rows.iter().find(|r| &r.0 == id) else {
                continue;
            };
            let (
                _,
                name,
                organizer_id,
                organizer_username,
                organizer_name,
                time_zone,
                starts_at,
                ends_at,
                rrule,
                space_name,
                space_id,
            ) = row.clone();
            let mine: Vec<(String, String)> = attendees
                .iter()
                .filter(|(m, _, _)| m == id)
                .map(|(_, e, r)| (e.clone(), r.clone()))
                .collect();
            let is_organizer = organizer_id == user.id;
            let my_role = mine
                .iter()
                .find(|(e, _)| e.eq_ignore_ascii_case(&user.email))
                .map(|(_, r)| r.clone());
            if !is_organizer && my_role.is_none() {
                continue;
            }
            let dial_in = access
                .iter()
                .filter(|(space, _)| Some(space) == space_id.as_ref())
                .map(|(_, a)| a.clone())
                .filter(|(role, ..)| is_organizer || my_role.as_deref() == Some(role.as_str()))
                .map(|(role, uri, call_id, passcode, join_url)| DialIn {
                    role,
                    uri: uri.unwrap_or_default(),
                    call_id: call_id.unwrap_or_default(),
                    passcode: passcode.unwrap_or_default(),
                    join_url: join_url.unwrap_or_default(),
                })
                .collect();
            out.push((
                id.clone(),
                Visible {
                    name,
                    organizer_username,
                    organizer_name,
                    is_organizer,
                    time_zone,
                    starts_at,
                    ends_at,
                    rrule,
                    space_name,
                    dial_in,
                    attendees: mine
                        .into_iter()
                        .map(|(email, role)| Attendee { email, role })
                        .collect(),
                },
            ));
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
            self.mail
                .deliveries(id, &emails)
                .await
                .map_err(internal)?
                .into_iter()
                .zip(emails)
                .map(|(row, email)| delivery(email, row, viewer_tz, lang))
                .collect()
        } else {
            Vec::new()
        };
        let now = self.now();
        let meeting_tz: Tz = v.time_zone.parse().unwrap_or(Tz::UTC);
        // A repeating meeting: its next occurrences, exceptions applied.
        let (upcoming, first) = if v.rrule.is_some() {
            let mut conn = self.db.acquire().await.map_err(internal)?;
            match occurrences::load_series(&mut conn, id)
                .await
                .map_err(internal)?
            {
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
                original: occurrences::format_original(o.id),
                when: format!(
                    "{}, {}",
                    crate::home::day_label(
                        o.start.with_timezone(&viewer_tz).date_naive(),
                        now.with_timezone(&viewer_tz).date_naive(),
                        lang
                    ),
                    crate::home::time_range(o.start, o.end, viewer_tz, lang)
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
        Ok(MeetingDetails {
            id: id.to_string(),
            name: v.name,
            when: format!(
                "{}, {}",
                crate::home::day_label(
                    local.date_naive(),
                    now.with_timezone(&viewer_tz).date_naive(),
                    lang
                ),
                crate::home::time_range(start, end, viewer_tz, lang)
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
        })
    }

    /// Deletes a meeting (organizer only) and its temporary space. The space
    /// goes first: if the Call Bridge refuses, the meeting stays and can be
    /// deleted again.
    pub async fn delete(&self, user: &UserRecord, id: &str) -> Result<(), PublicError> {
        let row: Option<(Option<String>, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT m.space_id, s.cospace_id, s.temporary FROM meetings m LEFT JOIN spaces s ON s.id = m.space_id \
             WHERE m.id = $1 AND m.organizer_id = $2",
        )
        .bind(id)
        .bind(&user.id)
        .fetch_optional(&self.db)
        .await
        .map_err(internal)?;
        let Some((space_id, cospace_id, temporary)) = row else {
            return Err(PublicError::NotFound);
        };
        // A space shared with the other part of a split series stays.
        let shared: Option<(String,)> =
            sqlx::query_as("SELECT id FROM meetings WHERE space_id = $1 AND id <> $2 LIMIT 1")
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
        let (mut tx, _turn) = crate::db::begin_write(&self.db).await?;
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

/// One attendee's e-mail status, in words.
pub(crate) fn delivery(
    email: String,
    row: Option<crate::mail::DeliveryRow>,
    tz: Tz,
    lang: Lang,
) -> app::model::Delivery {
    let en = lang == Lang::En;
    let at = |ms: i64| {
        from_millis(ms)
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let Some(r) = row else {
        return app::model::Delivery {
            email,
            status: "none".into(),
            status_text: if en { "Not sent" } else { "Non envoyé" }.into(),
            detail: String::new(),
        };
    };
    let what = match (r.kind.as_str(), en) {
        ("cancel", true) => "Cancellation",
        ("cancel", false) => "Annulation",
        ("update", true) => "Update",
        ("update", false) => "Mise à jour",
        (_, true) => "Invitation",
        (_, false) => "Invitation",
    };
    let error = r.last_error.clone().unwrap_or_default();
    let (status_text, detail) = match (r.status.as_str(), en) {
        ("sent", true) => (
            "Sent".to_string(),
            format!("{what} sent {}", r.sent_at.map(at).unwrap_or_default()),
        ),
        ("sent", false) => (
            "Envoyé".to_string(),
            format!(
                "{what} envoyée le {}",
                r.sent_at.map(at).unwrap_or_default()
            ),
        ),
        ("failed", true) => (
            "Failed".to_string(),
            format!(
                "{what} not delivered after {} attempt(s): {error}",
                r.attempts
            ),
        ),
        ("failed", false) => (
            "Échec".to_string(),
            format!(
                "{what} non remise après {} tentative(s) : {error}",
                r.attempts
            ),
        ),
        (_, true) if r.attempts > 0 => (
            "Waiting to retry".to_string(),
            format!(
                "{what}: attempt {} failed ({error}); next try {}",
                r.attempts,
                at(r.next_attempt_at)
            ),
        ),
        (_, false) if r.attempts > 0 => (
            "Nouvelle tentative prévue".to_string(),
            format!(
                "{what} : la tentative {} a échoué ({error}) ; prochain essai {}",
                r.attempts,
                at(r.next_attempt_at)
            ),
        ),
        (_, true) => ("Waiting to be sent".to_string(), what.to_string()),
        (_, false) => ("En attente d'envoi".to_string(), what.to_string()),
    };
    app::model::Delivery {
        email,
        status: r.status,
        status_text,
        detail,
    }
}

async fn insert_attendees(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    meeting_id: &str,
    attendees: &[Attendee],
) -> Result<(), sqlx::Error> {
    for (i, a) in attendees.iter().enumerate() {
        sqlx::query("INSERT INTO meeting_attendees (meeting_id, position, email, role) VALUES ($1, $2, $3, $4)")
            .bind(meeting_id)
            .bind(i as i64)
            .bind(&a.email)
            .bind(&a.role)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Copies the fields of `step` from the form into the draft.
fn merge(d: &mut Draft, step: u8, form: &HashMap<String, String>) {
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.chars().take(2048).collect::<String>())
    };
    match step {
        1 => {
            if let Some(v) = get("name") {
                d.name = v;
            }
            if d.meeting_id.is_none() {
                d.space_mode = if get("space_mode").as_deref() == Some("existing") {
                    "existing"
                } else {
                    "new"
                }
                .into();
                d.space_id = get("space_id").unwrap_or_default();
                if let Some(v) = get("template_id") {
                    d.template_id = v;
                }
            }
        }
        2 => {
            d.date = get("date").unwrap_or_default();
            let (from, to, dur) = (
                get("from").unwrap_or_default(),
                get("to").unwrap_or_default(),
                get("duration").unwrap_or_default(),
            );
            let (prev_to, prev_dur) = (
                get("prev_to").unwrap_or_default(),
                get("prev_duration").unwrap_or_default(),
            );
            d.from = from.clone();
            match app::timeform::Span::from_form(&from, &to, &dur, &prev_to, &prev_dur) {
                Ok(span) => d.duration = fmt_duration(span.duration),
                Err(e) => {
                    d.errors.push(FieldError {
                        field: if e == app::timeform::SpanError::EndNotAfterStart {
                            "to"
                        } else {
                            "from"
                        }
                        .into(),
                        message: e.message().into(),
                    });
                }
            }
            if let Some(v) = get("time_zone") {
                d.time_zone = v;
            }
            d.repeat = get("repeat").unwrap_or_else(|| "none".into());
            d.repeat_end = get("repeat_end").unwrap_or_else(|| "never".into());
            d.repeat_count = get("repeat_count").unwrap_or_default();
            d.repeat_until = get("repeat_until").unwrap_or_default();
            d.repeat_interval = get("repeat_interval").unwrap_or_default();
            d.repeat_monthly = get("repeat_monthly").unwrap_or_default();
            d.repeat_days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
                .into_iter()
                .filter(|c| form.contains_key(&format!("repeat_day_{c}")))
                .map(str::to_string)
                .collect();
        }
        _ => {
            d.new_email = get("new_email").unwrap_or_default();
            if let Some(v) = get("new_role") {
                d.new_role = v;
            }
        }
    }
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

fn cb_unreachable(lang: Lang, public: &PublicError) -> String {
    let id = match public {
        PublicError::Internal { id } => id.clone(),
        other => other.to_string(),
    };
    match lang {
        Lang::En => format!("The Call Bridge could not complete the request, so nothing was created or changed. Try again in a moment (error id {id})."),
        Lang::Fr => format!("Le Call Bridge n'a pas pu traiter la demande : rien n'a été créé ni modifié. Réessayez dans un instant (identifiant d'erreur {id})."),
    }
}

/// The wizard's Repeat choice in words.
/// The repetition in words from the rule and the first start ("Every 2
/// weeks on Monday and Thursday, 10 times"); [`repeat_text`] when the rule
/// cannot be read.
pub fn repeat_words(
    rrule: Option<&str>,
    tz: Tz,
    local_start: chrono::NaiveDateTime,
    lang: Lang,
) -> String {
    use crate::recurrence::{Lang as RLang, Recurrence, Series};
    let series = rrule
        .and_then(|r| Recurrence::from_rrule(r).ok())
        .and_then(|rule| Series::new(tz, local_start, chrono::Duration::minutes(1), rule).ok());
    match series {
        Some(s) => s.describe(match lang {
            Lang::En => RLang::En,
            Lang::Fr => RLang::Fr,
        }),
        None => repeat_text(rrule, lang),
    }
}

/// The repetition in words from the rule alone (no start to name days by).
pub fn repeat_text(rrule: Option<&str>, lang: Lang) -> String {
    let Some(rule) = rrule else {
        return t(lang, "wizard.repeat.none").into();
    };
    let freq = rule
        .split(';')
        .find_map(|p| p.strip_prefix("FREQ="))
        .unwrap_or("");
    let key = match freq {
        "DAILY" => "wizard.repeat.daily",
        "WEEKLY" => "wizard.repeat.weekly",
        "MONTHLY" => "wizard.repeat.monthly",
        "YEARLY" => "wizard.repeat.yearly",
        _ => "wizard.repeat.none",
    };
    let mut text = t(lang, key).to_string();
    if let Some(n) = rule.split(';').find_map(|p| p.strip_prefix("COUNT=")) {
        text.push_str(&match lang {
            Lang::En => format!(", {n} times"),
            Lang::Fr => format!(", {n} fois"),
        });
    }
    if let Some(u) = rule.split(';').find_map(|p| p.strip_prefix("UNTIL=")) {
        // By bytes only when they are ASCII: any text can reach here.
        if let (Some(y), Some(m), Some(d)) = (u.get(..4), u.get(4..6), u.get(6..8)) {
            text.push_str(&match lang {
                Lang::En => format!(", until {y}-{m}-{d}"),
                Lang::Fr => format!(", jusqu'au {d}/{m}/{y}"),
            });
        }
    }
    text
}

/// The wizard's repeat fields of a stored rule.
/// A stored rule as the wizard's repeat fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RepeatFields {
    repeat: String,
    end: String,
    count: String,
    until: String,
    interval: String,
    days: Vec<String>,
    monthly: String,
}

fn draft_repeat(rrule: Option<&str>, tz: &str) -> RepeatFields {
    use crate::recurrence::{End, Frequency, MonthDay, Recurrence, Until};
    let none = RepeatFields {
        repeat: "none".into(),
        end: "never".into(),
        ..RepeatFields::default()
    };
    let Some(rule) = rrule.and_then(|r| Recurrence::from_rrule(r).ok()) else {
        return none;
    };
    let tz: Tz = tz.parse().unwrap_or(Tz::UTC);
    let mut f = RepeatFields {
        interval: if rule.interval > 1 {
            rule.interval.to_string()
        } else {
            String::new()
        },
        ..none
    };
    f.repeat = match &rule.freq {
        Frequency::None => return f,
        Frequency::Daily => "daily".into(),
        Frequency::Weekly { days } => {
            f.days = days
                .iter()
                .map(|w| validate::weekday_code(*w).to_string())
                .collect();
            "weekly".into()
        }
        Frequency::Monthly { on } => {
            f.monthly = match on {
                Some(MonthDay::Nth { nth: -1, .. }) => "last".into(),
                Some(MonthDay::Nth { .. }) => "weekday".into(),
                _ => "day".into(),
            };
            "monthly".into()
        }
        Frequency::Yearly { .. } => "yearly".into(),
    };
    match rule.end {
        End::Count(n) => {
            f.end = "count".into();
            f.count = n.to_string();
        }
        End::Until(u) => {
            f.end = "until".into();
            f.until = match u {
                Until::Date(d) => d,
                Until::Utc(t) => t.with_timezone(&tz).date_naive(),
            }
            .format("%Y-%m-%d")
            .to_string();
        }
        End::Never => {}
    }
    f
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

    #[test]
    fn repeat_texts() {
        assert_eq!(repeat_text(None, Lang::En), "No repeat");
        assert_eq!(
            repeat_text(Some("FREQ=WEEKLY;COUNT=10"), Lang::En),
            "Weekly, 10 times"
        );
        assert_eq!(
            repeat_text(Some("FREQ=DAILY;UNTIL=20261231T225959Z"), Lang::Fr),
            "Tous les jours, jusqu'au 31/12/2026"
        );
        // Found by the `recurrence_rule` fuzz target: a multi-byte character
        // in the first eight bytes of UNTIL panicked (slicing inside it).
        assert_eq!(
            repeat_text(Some("FREQ=DAILY;UNTIL=2026123é"), Lang::En),
            "Daily"
        );
        assert_eq!(
            repeat_text(Some("FREQ=DAILY;UNTIL=€€€"), Lang::Fr),
            "Tous les jours"
        );
        let r = draft_repeat(Some("FREQ=DAILY;UNTIL=20261231T225959Z"), "Europe/Paris");
        assert_eq!(
            (r.repeat.as_str(), r.end.as_str(), r.until.as_str()),
            ("daily", "until", "2026-12-31")
        );
        let r = draft_repeat(
            Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10"),
            "Europe/Paris",
        );
        assert_eq!(
            r,
            RepeatFields {
                repeat: "weekly".into(),
                end: "count".into(),
                count: "10".into(),
                until: String::new(),
                interval: "2".into(),
                days: vec!["MO".into(), "TH".into()],
                monthly: String::new(),
            }
        );
        let r = draft_repeat(Some("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630"), "UTC");
        assert_eq!(
            (r.repeat.as_str(), r.monthly.as_str(), r.until.as_str()),
            ("monthly", "last", "2027-06-30")
        );
    }
}

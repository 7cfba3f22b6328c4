//! The web app's backend: the `app::api::ssr::Backend` trait the pages'
//! server functions call, one function per page, each a thin call into the
//! service that owns the data (`meetings` for the home page, the list, the
//! wizard and the meeting page; `admin` and `mail` for the administrators'
//! page). The signed-in person is the record the session middleware read
//! for the same request (never one kept from an earlier request, which may
//! predate a revoked right or a deleted account).

use crate::admin::WeakAdminHandle;
use crate::auth::users::{self, UserRecord};
use crate::clock::from_millis;
use crate::db::Db;
use crate::error::internal;
use crate::meetings::Meetings;
use app::api::ssr::{Backend, PublicError, SessionUser};
use app::i18n::Lang;
use app::model::{
    AdminData, BridgeRow, HomeData, MeetingDetails, MeetingsPage, QueuedMail, WizardPage,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::sync::{Arc, OnceLock};

/// How many outbox mails the administrators' page lists.
pub const ADMIN_MAIL_ROWS: i64 = 100;

pub struct SchedulerBackend {
    pub db: Db,
    pub meetings: Arc<Meetings>,
    /// The administration side, set once it is bound (it needs the router,
    /// which needs this backend).
    pub admin: Arc<OnceLock<WeakAdminHandle>>,
}

impl SchedulerBackend {
    /// The signed-in person's record: the one the session middleware read
    /// for this very request (from its extensions, which leptos_axum puts
    /// in the page's context), else read again.
    async fn record(&self, user: &SessionUser) -> Result<UserRecord, PublicError> {
        let read_by_middleware = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<users::SignedIn>().cloned())
            .and_then(|signed_in| signed_in.0)
            .filter(|record| record.id == user.id);
        if let Some(record) = read_by_middleware {
            return Ok(record);
        }
        users::find_by_id(&self.db, &user.id)
            .await
            .map_err(internal)?
            .ok_or_else(|| PublicError::Invalid("Your account no longer exists.".into()))
    }
}

#[async_trait::async_trait]
impl Backend for SchedulerBackend {
    async fn home(&self, user: &SessionUser, lang: Lang) -> Result<HomeData, PublicError> {
        let record = self.record(user).await?;
        self.meetings.home_page(&record, lang).await
    }

    async fn meetings_page(
        &self,
        user: &SessionUser,
        page: u32,
        lang: Lang,
    ) -> Result<MeetingsPage, PublicError> {
        let record = self.record(user).await?;
        self.meetings.meetings_page(&record, page, lang).await
    }

    async fn first_meeting(&self, form: &str, lang: Lang) -> Result<Option<String>, PublicError> {
        Ok(self.meetings.first_meeting_line(form, lang))
    }

    async fn wizard(
        &self,
        user: &SessionUser,
        draft: Option<&str>,
        lang: Lang,
    ) -> Result<WizardPage, PublicError> {
        let record = self.record(user).await?;
        self.meetings.wizard_page(&record, draft, lang).await
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

    /// The `scheduler status` lines, each C2W link, and the outbox.
    async fn admin(&self, user: &SessionUser, lang: Lang) -> Result<AdminData, PublicError> {
        let record = self.record(user).await?;
        if !record.is_admin {
            return Err(PublicError::AdminsOnly);
        }
        let tz: Tz = record.time_zone.parse().unwrap_or(Tz::UTC);
        let at = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let (status, bridges) = match self.admin.get().and_then(WeakAdminHandle::upgrade) {
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
                    delivery: crate::mail::status::delivery(
                        q.row.email.clone(),
                        Some(q.row),
                        tz,
                        lang,
                    ),
                })
                .collect(),
        })
    }
}

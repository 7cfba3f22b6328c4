//! E-mail invitations with calendar files, through a durable outbox.
//!
//! The meeting code writes one `mail_outbox` row per recipient in the same
//! transaction as the meeting change ([`Mailer::enqueue`]); a background
//! worker ([`Mailer::run`]) sends them through a [`backend::MailBackend`]:
//! SMTP (configured with `scheduler email ...`), a directory of `.eml`
//! files (demo mode: `<data-dir>/mail/`), or memory (tests). See docs/mail.md.

pub mod answers;
pub mod backend;
pub mod compose;
pub mod ics;
pub mod outbox;
pub mod status;

use crate::address::valid_email;
use crate::admin::config::{ConfigStore, EmailConfig};
use crate::clock::{to_millis, Clock};
use crate::db::Db;
use app::i18n::Lang;
use backend::{FileBackend, MailBackend, SmtpBackend};
use chrono_tz::Tz;
use compose::{Kind, MeetingMail, Recipient, Sender};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Notify};

pub use outbox::OutboxOptions;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Config(#[from] crate::admin::config::ConfigError),
    #[error(transparent)]
    Backend(#[from] backend::BackendError),
}

/// The sender when none is configured.
pub const DEFAULT_SENDER: &str = "scheduler@localhost.localdomain";

/// The delivery state of the last message to one attendee.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub email: String,
    pub kind: String,
    /// pending | sent | failed
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub next_attempt_at: i64,
}

/// The outbox and its worker.
pub struct Mailer {
    db: Db,
    clock: Arc<dyn Clock>,
    config: ConfigStore,
    demo: bool,
    pub options: OutboxOptions,
    /// Replaces the configured backend (tests: a memory backend).
    forced: Mutex<Option<Arc<dyn MailBackend>>>,
    /// The SMTP backend built from the configuration it was built from.
    smtp: Mutex<Option<(EmailConfig, Arc<dyn MailBackend>)>>,
    wake: Notify,
    /// Where people reach this server (answer links, calendar feeds).
    public_url: Mutex<String>,
}

/// The public address when none is set.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

impl Mailer {
    pub fn new(db: Db, clock: Arc<dyn Clock>, data_dir: impl Into<PathBuf>, demo: bool) -> Self {
        Self {
            db,
            clock,
            config: ConfigStore::new(data_dir),
            demo,
            options: OutboxOptions::default(),
            forced: Mutex::new(None),
            smtp: Mutex::new(None),
            wake: Notify::new(),
            public_url: Mutex::new(DEFAULT_PUBLIC_URL.to_string()),
        }
    }

    /// Sets where people reach this server (`--public-url`): answer links
    /// and calendar feed addresses are built on it.
    pub fn set_public_url(&self, url: &str) {
        *self.public_url.lock().unwrap_or_else(|e| e.into_inner()) =
            url.trim_end_matches('/').to_string();
    }

    /// Where people reach this server, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Demo mode's mail catcher.
    pub fn catcher_dir(&self) -> PathBuf {
        self.config.dir().join("mail")
    }

    /// Sends through `backend` from now on, whatever the configuration says.
    pub fn set_backend(&self, backend: Arc<dyn MailBackend>) {
        *self.forced.lock().unwrap_or_else(|e| e.into_inner()) = Some(backend);
        self.wake.notify_one();
    }

    /// Wakes the worker (call after committing rows).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn email_config(&self) -> Result<EmailConfig, MailError> {
        Ok(self.config.load()?.email)
    }

    /// The From: of invitations, from the configuration.
    pub fn sender(&self) -> Sender {
        let cfg = self.email_config().unwrap_or_default();
        let address = cfg
            .sender
            .clone()
            .filter(|s| valid_email(s))
            .or_else(|| cfg.username.clone().filter(|u| valid_email(u)))
            .unwrap_or_else(|| DEFAULT_SENDER.to_string());
        Sender {
            address,
            name: cfg.organizer_name.clone().filter(|n| !n.trim().is_empty()),
        }
    }

    /// The backend to send through now; None while no e-mail server is configured.
    pub fn backend(&self) -> Result<Option<Arc<dyn MailBackend>>, MailError> {
        if let Some(b) = self
            .forced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(Some(b));
        }
        if self.demo {
            return Ok(Some(Arc::new(FileBackend::new(self.catcher_dir()))));
        }
        let cfg = self.email_config()?;
        let mut cached = self.smtp.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((built_from, b)) = cached.as_ref() {
            if *built_from == cfg {
                return Ok(Some(b.clone()));
            }
        }
        let built = SmtpBackend::new(&cfg, |name| self.config.resolve(name))?;
        Ok(match built {
            Some(b) => {
                let b: Arc<dyn MailBackend> = Arc::new(b);
                *cached = Some((cfg, b.clone()));
                Some(b)
            }
            None => {
                *cached = None;
                None
            }
        })
    }

    /// One pass of the worker (tests call it directly).
    pub async fn run_once(&self) -> Result<outbox::Pass, MailError> {
        let Some(backend) = self.backend()? else {
            return Ok(outbox::Pass::default());
        };
        let from = self.sender().address;
        outbox::run_once(
            &self.db,
            self.clock.as_ref(),
            backend.as_ref(),
            &from,
            &self.options,
        )
        .await
    }

    /// Sends due messages until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut reported = false;
        loop {
            if *stop.borrow() {
                return;
            }
            match self.run_once().await {
                Ok(pass) => {
                    reported = false;
                    if pass.sent > 0 {
                        tracing::info!(target: "server::mail", sent = pass.sent, retried = pass.retried, failed = pass.failed, "outbox pass");
                    }
                    if pass != outbox::Pass::default() {
                        // More may be due right away.
                        continue;
                    }
                }
                Err(e) if !reported => {
                    reported = true;
                    tracing::error!(target: "server::mail", "mail outbox: {e}");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.options.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Writes one message per recipient, inside the caller's transaction.
    /// A message that cannot be built (bad address) is stored as failed so
    /// the organizer sees it.
    pub async fn enqueue(
        &self,
        conn: &mut sqlx::AnyConnection,
        m: &MeetingMail,
        kind: Kind,
        recipients: &[Recipient],
    ) -> Result<(), sqlx::Error> {
        let sender = self.sender();
        let now = self.clock.now();
        let public_url = self.public_url();
        let secret = match kind {
            Kind::Cancel => Vec::new(),
            _ => crate::auth::signed::server_secret(conn, answers::SECRET, to_millis(now)).await?,
        };
        for Recipient { email, role } in recipients {
            let locale: Option<String> = sqlx::query_scalar(
                "SELECT locale FROM users WHERE LOWER(email) = LOWER($1) LIMIT 1",
            )
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
            let lang = locale.and_then(|l| Lang::from_code(&l)).unwrap_or_default();
            // Answers are to the series: an occurrence's mail answers it too.
            let links = match kind {
                Kind::Cancel => Vec::new(),
                _ => answers::links(&public_url, &secret, &m.meeting_id, email, lang),
            };
            let to = compose::Addressee {
                email,
                role,
                lang,
                answers: &links,
            };
            let (message, status, error) = match compose::render_for(m, kind, &to, &sender, now) {
                Ok(msg) => (msg, "pending", None),
                Err(e) => (String::new(), "failed", Some(e.to_string())),
            };
            sqlx::query(
                "INSERT INTO mail_outbox (id, meeting_id, recipient, kind, message, status, attempts, \
                 next_attempt_at, last_error, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $7)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&m.meeting_id)
            .bind(email)
            .bind(kind.word())
            .bind(message)
            .bind(status)
            .bind(to_millis(now))
            .bind(error)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// The last message to each of `emails` about this meeting.
    pub async fn deliveries(
        &self,
        meeting_id: &str,
        emails: &[String],
    ) -> Result<Vec<Option<DeliveryRow>>, sqlx::Error> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT recipient AS email, kind, status, attempts, last_error, sent_at, next_attempt_at \
             FROM mail_outbox WHERE meeting_id = $1 ORDER BY created_at, id",
        )
        .bind(meeting_id)
        .fetch_all(&self.db)
        .await?;
        Ok(emails
            .iter()
            .map(|email| {
                rows.iter()
                    .rev()
                    .find(|r| r.email.eq_ignore_ascii_case(email))
                    .map(|r| DeliveryRow {
                        email: email.clone(),
                        ..r.clone()
                    })
            })
            .collect())
    }
}

/// The outbox as the administrators' page shows it.
#[derive(Debug, Clone, Default)]
pub struct QueueSnapshot {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    /// The newest mails, newest first.
    pub newest: Vec<QueuedRow>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedRow {
    pub created_at: i64,
    pub meeting_id: String,
    /// None when the meeting is gone (a cancellation outlives it).
    pub meeting_name: Option<String>,
    #[sqlx(flatten)]
    pub row: DeliveryRow,
}

impl Mailer {
    /// How many mails wait, were sent, or failed, and the newest `limit`.
    pub async fn queue(&self, limit: i64) -> Result<QueueSnapshot, sqlx::Error> {
        #[derive(sqlx::FromRow)]
        struct StatusCount {
            status: String,
            n: i64,
        }
        let counts: Vec<StatusCount> =
            sqlx::query_as("SELECT status, COUNT(*) AS n FROM mail_outbox GROUP BY status")
                .fetch_all(&self.db)
                .await?;
        let count = |status: &str| {
            counts
                .iter()
                .find(|c| c.status == status)
                .map_or(0, |c| c.n)
        };
        let newest: Vec<QueuedRow> = sqlx::query_as(
            "SELECT o.created_at, o.meeting_id, m.name AS meeting_name, o.recipient AS email, o.kind, \
             o.status, o.attempts, o.last_error, o.sent_at, o.next_attempt_at \
             FROM mail_outbox o LEFT JOIN meetings m ON m.id = o.meeting_id \
             ORDER BY o.created_at DESC, o.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        Ok(QueueSnapshot {
            pending: count("pending"),
            sent: count("sent"),
            failed: count("failed"),
            newest,
        })
    }
}

/// What the mails need of a meeting, read inside a transaction (before a
/// delete removes it).
pub async fn snapshot(
    conn: &mut sqlx::AnyConnection,
    meeting_id: &str,
) -> Result<Option<MeetingMail>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct MeetingRow {
        name: String,
        time_zone: String,
        starts_at: i64,
        ends_at: i64,
        rrule: Option<String>,
        sequence: i64,
        organizer_name: String,
        organizer_email: String,
        space_id: Option<String>,
    }
    let row: Option<MeetingRow> = sqlx::query_as(
        "SELECT m.name, m.time_zone, m.starts_at, m.ends_at, m.rrule, m.sequence, \
         u.display_name AS organizer_name, u.email AS organizer_email, m.space_id \
         FROM meetings m JOIN users u ON u.id = m.organizer_id WHERE m.id = $1",
    )
    .bind(meeting_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(MeetingRow {
        name,
        time_zone: tz,
        starts_at: starts,
        ends_at: ends,
        rrule,
        sequence,
        organizer_name: org_name,
        organizer_email: org_email,
        space_id,
    }) = row
    else {
        return Ok(None);
    };
    let attendees: Vec<Recipient> = sqlx::query_as(
        "SELECT email, role FROM meeting_attendees WHERE meeting_id = $1 ORDER BY position",
    )
    .bind(meeting_id)
    .fetch_all(&mut *conn)
    .await?;
    let access = crate::db::access::for_space(&mut *conn, &space_id.unwrap_or_default()).await?;
    // A repeating meeting: the rule as iCalendar wants it next to
    // DTSTART;TZID (UNTIL in UTC), and the exceptions that still apply.
    let series = match rrule {
        Some(_) => crate::db::series::load_series(&mut *conn, meeting_id).await?,
        None => None,
    };
    let (rrule, exdates, overrides) = match (&rrule, series) {
        (Some(_), Some(series)) => (
            Some(series.to_ical_rrule()).filter(|r| !r.is_empty()),
            series.exdates().iter().copied().collect(),
            series
                .overrides()
                .iter()
                .map(|(original, o)| compose::OccurrenceMail {
                    original: *original,
                    start: o.start,
                    end: o.end,
                    name: o.name.clone(),
                })
                .collect(),
        ),
        (rrule, _) => (rrule.clone(), Vec::new(), Vec::new()),
    };
    Ok(Some(MeetingMail {
        meeting_id: meeting_id.to_string(),
        name,
        tz: tz.parse().unwrap_or(Tz::UTC),
        start: crate::clock::from_millis(starts),
        end: crate::clock::from_millis(ends),
        rrule,
        sequence,
        exdates,
        overrides,
        instance: None,
        organizer: ics::Person {
            name: Some(org_name),
            email: org_email,
        },
        attendees,
        access,
    }))
}

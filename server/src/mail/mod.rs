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
pub mod smtp;
pub mod status;

use crate::address::valid_email;
use crate::admin::config::{ConfigStore, EmailConfig};
use crate::clock::{to_millis, Clock};
use crate::db::batch::Batch;
use crate::db::Db;
use app::i18n::Lang;
use backend::{FileBackend, MailBackend};
use chrono_tz::Tz;
use compose::{Kind, MeetingMail, Recipient, Sender};
use smtp::SmtpBackend;
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
    Backend(#[from] smtp::BackendError),
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
    /// The answer links' secret once it is known to be committed (see
    /// [`Mailer::answers_secret`]): a secret never changes once made.
    answers_secret: std::sync::OnceLock<Vec<u8>>,
    /// Rows this process claimed for its own worker as it wrote them, to
    /// send next (see [`Mailer::hand_off_claim`]).
    handed: Mutex<Vec<outbox::Claimed>>,
    /// The claim of handed rows: this process's own.
    hand_off_token: String,
    /// The worker is running ([`Mailer::run`]): rows may be handed to it.
    worker_running: std::sync::atomic::AtomicBool,
}

/// Rows waiting in memory for the worker at most: past this, new rows are
/// written unclaimed and the worker finds them in the table.
const HANDED_AT_MOST: usize = 1_000;

/// A claim for this process's worker on rows about to be written: the
/// rows are written claimed until `until`, and handed to the worker once
/// committed ([`Mailer::hand_over`]).
#[derive(Debug, Clone)]
pub struct HandOff {
    token: String,
    until: i64,
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
            answers_secret: std::sync::OnceLock::new(),
            handed: Mutex::new(Vec::new()),
            hand_off_token: format!("handed-{}", uuid::Uuid::new_v4()),
            worker_running: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The secret answer links are signed with. Kept once read outside any
    /// transaction (the worker does so when it starts): the first one made
    /// inside a transaction might yet be rolled back, so until then it is
    /// read (or made) on `conn`, in the caller's transaction.
    async fn answers_secret(
        &self,
        conn: &mut sqlx::AnyConnection,
        now_ms: i64,
    ) -> Result<Vec<u8>, sqlx::Error> {
        if let Some(s) = self.answers_secret.get() {
            return Ok(s.clone());
        }
        crate::auth::signed::server_secret(conn, answers::SECRET, now_ms).await
    }

    /// Makes (or reads) the answer links' secret in a transaction of its
    /// own and keeps it.
    async fn keep_answers_secret(&self) -> Result<(), sqlx::Error> {
        if self.answers_secret.get().is_some() {
            return Ok(());
        }
        let mut conn = self.db.acquire().await?;
        let now = to_millis(self.clock.now());
        let secret = crate::auth::signed::server_secret(&mut conn, answers::SECRET, now).await?;
        let _ = self.answers_secret.set(secret);
        Ok(())
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

    /// A claim for rows about to be written, when this process's worker
    /// runs and has room: the rows then need neither a claim by the worker
    /// (a write) nor a read of their messages. None: write them unclaimed.
    pub fn hand_off_claim(&self) -> Option<HandOff> {
        use std::sync::atomic::Ordering;
        if !self.worker_running.load(Ordering::Acquire)
            || self.handed.lock().unwrap_or_else(|e| e.into_inner()).len() >= HANDED_AT_MOST
        {
            return None;
        }
        Some(HandOff {
            token: self.hand_off_token.clone(),
            until: to_millis(self.clock.now()) + self.options.lease.num_milliseconds(),
        })
    }

    /// Gives the worker the rows of `composed`, written with `claim` and
    /// committed, and wakes it.
    pub fn hand_over(&self, claim: &HandOff, composed: &Composed) {
        let rows = composed
            .messages
            .iter()
            .filter(|o| o.status == "pending")
            .map(|o| outbox::Claimed {
                id: o.id.clone(),
                recipient: o.recipient.clone(),
                message: Some(o.message.clone()),
                attempts: 0,
                token: claim.token.clone(),
                until: claim.until,
            });
        self.handed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(rows);
        self.wake.notify_one();
    }

    /// The handed rows whose claim still has `margin_ms` to run, in the
    /// order they were written; the others are left to a later claim.
    fn take_handed(&self, now_ms: i64, margin_ms: i64) -> Vec<outbox::Claimed> {
        let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
        let mut rows = std::mem::take(&mut *handed);
        rows.retain(|r| r.until - margin_ms > now_ms);
        rows
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
        let cfg = self.email_config()?;
        // Demo mode keeps its mail in the local catcher, unless an e-mail
        // server was configured (`scheduler email server ...`).
        if self.demo && cfg.server.is_none() {
            return Ok(Some(Arc::new(FileBackend::new(self.catcher_dir()))));
        }
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
        // Handed rows with less than half their lease left are not sent
        // from memory: their claim could run out while they are sent, and
        // another pass take them too. They are claimed again later, as are
        // those taken while no e-mail server is configured (dropped here).
        let handed = self.take_handed(
            to_millis(self.clock.now()),
            self.options.lease.num_milliseconds() / 2,
        );
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
            handed,
        )
        .await
    }

    /// Sends due messages until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        use std::sync::atomic::Ordering;
        /// Rows are no longer handed to a worker that stopped.
        struct Running<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        self.worker_running.store(true, Ordering::Release);
        let _running = Running(&self.worker_running);
        let mut reported = false;
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.keep_answers_secret().await {
                tracing::debug!(target: "server::mail", "answer links' secret not kept yet: {e}");
            }
            match self.run_once().await {
                Ok(pass) => {
                    reported = false;
                    if pass.sent > 0 {
                        tracing::info!(target: "server::mail", sent = pass.sent, retried = pass.retried, failed = pass.failed, "outbox pass");
                    }
                    if (pass.sent + pass.retried + pass.failed) as i64 >= self.options.batch {
                        // A full batch: more may be due right away. (A row
                        // enqueued during the pass left a wake-up behind.)
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
        let composed = self.compose_on(conn, m, kind, recipients).await?;
        insert_composed(conn, &composed).await
    }

    /// [`Mailer::enqueue`]'s messages composed ahead, on a connection of
    /// the pool, for [`insert_composed`] to write in the caller's
    /// transaction: a new meeting's invitations are made before its
    /// transaction begins, so that the writer's turn it holds (SQLite has
    /// one writer) is not spent rendering mail.
    pub async fn compose_ahead(
        &self,
        m: &MeetingMail,
        kind: Kind,
        recipients: &[Recipient],
    ) -> Result<Composed, sqlx::Error> {
        if kind != Kind::Cancel {
            self.keep_answers_secret().await?;
        }
        let mut conn = self.db.acquire().await?;
        self.compose_on(&mut conn, m, kind, recipients).await
    }

    async fn compose_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        m: &MeetingMail,
        kind: Kind,
        recipients: &[Recipient],
    ) -> Result<Composed, sqlx::Error> {
        let sender = self.sender();
        let now = self.clock.now();
        let public_url = self.public_url();
        let secret = match kind {
            Kind::Cancel => Vec::new(),
            _ => self.answers_secret(conn, to_millis(now)).await?,
        };
        let locales = locales_of(conn, recipients).await?;
        let mut messages = Vec::with_capacity(recipients.len());
        for (Recipient { email, role }, locale) in recipients.iter().zip(locales) {
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
            messages.push(match compose::render_for(m, kind, &to, &sender, now) {
                Ok(message) => Outgoing {
                    id: uuid::Uuid::new_v4().to_string(),
                    recipient: email.clone(),
                    message,
                    status: "pending",
                    error: None,
                },
                Err(e) => Outgoing {
                    id: uuid::Uuid::new_v4().to_string(),
                    recipient: email.clone(),
                    message: String::new(),
                    status: "failed",
                    error: Some(e.to_string()),
                },
            });
        }
        Ok(Composed {
            meeting_id: m.meeting_id.clone(),
            kind,
            at: to_millis(now),
            messages,
        })
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

/// Messages composed for one meeting, not yet in the outbox.
#[derive(Debug, Clone)]
pub struct Composed {
    meeting_id: String,
    kind: Kind,
    /// When they were composed: the rows' creation and first due time.
    at: i64,
    messages: Vec<Outgoing>,
}

/// One composed message: `pending`, or `failed` with why it could not be
/// built.
#[derive(Debug, Clone)]
struct Outgoing {
    /// The outbox row's id.
    id: String,
    recipient: String,
    message: String,
    status: &'static str,
    error: Option<String>,
}

/// Rows written by one INSERT: 9 values each, far below either
/// database's limit on a statement's parameters.
const OUTBOX_ROWS_PER_INSERT: usize = 100;

/// Writes composed messages to the outbox, in the caller's transaction
/// (see [`push_composed`]), unclaimed.
pub async fn insert_composed(
    conn: &mut sqlx::AnyConnection,
    c: &Composed,
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    push_composed(&mut batch, c, None);
    batch.run(conn).await
}

/// The statements that write composed messages to the outbox: the rows,
/// then their messages (a table of their own, so that the worker's updates
/// of a row do not write its message again). With `claim`, the pending
/// rows are written claimed by this process's worker (see
/// [`Mailer::hand_over`]).
pub fn push_composed(batch: &mut Batch, c: &Composed, claim: Option<&HandOff>) {
    for chunk in c.messages.chunks(OUTBOX_ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = i * 9;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, 0, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7,
                    p + 6,
                    p + 8,
                    p + 9
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO mail_outbox (id, meeting_id, recipient, kind, status, attempts, \
             next_attempt_at, last_error, created_at, claimed_until, claimed_by) VALUES {}",
            rows.join(", ")
        );
        let mut values = Vec::with_capacity(chunk.len() * 9);
        for o in chunk {
            let claim = claim.filter(|_| o.status == "pending");
            values.extend([
                (&o.id).into(),
                (&c.meeting_id).into(),
                (&o.recipient).into(),
                c.kind.word().into(),
                o.status.into(),
                c.at.into(),
                (&o.error).into(),
                claim.map(|h| h.until).into(),
                claim.map(|h| h.token.clone()).into(),
            ]);
        }
        batch.push(sql, values);
        let sql = format!(
            "INSERT INTO mail_outbox_messages (id, message) VALUES {}",
            (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut values = Vec::with_capacity(chunk.len() * 2);
        for o in chunk {
            values.extend([(&o.id).into(), (&o.message).into()]);
        }
        batch.push(sql, values);
    }
}

/// Each recipient's locale, if they have an account (by address, in any
/// case), in `recipients`' order; one query for all of them.
async fn locales_of(
    conn: &mut sqlx::AnyConnection,
    recipients: &[Recipient],
) -> Result<Vec<Option<String>>, sqlx::Error> {
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Known {
        email: String,
        locale: String,
    }
    let list = (1..=recipients.len())
        .map(|i| format!("LOWER(${i})"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT email, locale FROM users WHERE LOWER(email) IN ({list}) ORDER BY id");
    let mut q = sqlx::query_as::<_, Known>(sqlx::AssertSqlSafe(sql));
    for r in recipients {
        q = q.bind(r.email.clone());
    }
    let known = q.fetch_all(&mut *conn).await?;
    Ok(recipients
        .iter()
        .map(|r| {
            let wanted = r.email.to_lowercase();
            known
                .iter()
                .find(|k| k.email.to_lowercase() == wanted)
                .map(|k| k.locale.clone())
        })
        .collect())
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
    // A repeating meeting: its rule and the exceptions that still apply.
    let series = match rrule {
        Some(_) => crate::db::series::load_series(&mut *conn, meeting_id).await?,
        None => None,
    };
    Ok(Some(meeting_mail(
        MeetingFacts {
            meeting_id: meeting_id.to_string(),
            name,
            time_zone: tz,
            starts_at: starts,
            ends_at: ends,
            rrule,
            sequence,
            organizer_name: org_name,
            organizer_email: org_email,
            attendees,
            access,
        },
        series,
    )))
}

/// A meeting as stored, as much as the mails need of it: what
/// [`snapshot`] reads, or what a create has in hand before it stores it.
#[derive(Debug, Clone)]
pub struct MeetingFacts {
    pub meeting_id: String,
    pub name: String,
    pub time_zone: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub rrule: Option<String>,
    pub sequence: i64,
    pub organizer_name: String,
    pub organizer_email: String,
    pub attendees: Vec<Recipient>,
    pub access: Vec<compose::Access>,
}

/// The mails' view of a meeting; `series` is the meeting's series with
/// its exceptions applied (None for one that does not repeat).
pub fn meeting_mail(f: MeetingFacts, series: Option<crate::recurrence::Series>) -> MeetingMail {
    // A repeating meeting: the rule as iCalendar wants it next to
    // DTSTART;TZID (UNTIL in UTC), and the exceptions that still apply.
    let (rrule, exdates, overrides) = match (&f.rrule, series) {
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
    MeetingMail {
        meeting_id: f.meeting_id,
        name: f.name,
        tz: f.time_zone.parse().unwrap_or(Tz::UTC),
        start: crate::clock::from_millis(f.starts_at),
        end: crate::clock::from_millis(f.ends_at),
        rrule,
        sequence: f.sequence,
        exdates,
        overrides,
        instance: None,
        organizer: ics::Person {
            name: Some(f.organizer_name),
            email: f.organizer_email,
        },
        attendees: f.attendees,
        access: f.access,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(email: &str) -> Recipient {
        Recipient {
            email: email.into(),
            role: "Guest".into(),
        }
    }

    #[tokio::test]
    async fn locales_are_found_by_address_in_any_case_in_the_recipients_order() {
        let (db, _dir) = crate::db::test_db().await;
        for (id, email, locale) in [
            ("u1", "Anne@Example.com", "fr"),
            ("u2", "bob@example.com", "en"),
        ] {
            sqlx::query(
                "INSERT INTO users (id, username, display_name, email, locale, created_at) VALUES ($1, $1, $1, $2, $3, 0)",
            )
            .bind(id)
            .bind(email)
            .bind(locale)
            .execute(&db)
            .await
            .unwrap();
        }
        let mut conn = db.acquire().await.unwrap();
        let got = locales_of(
            &mut conn,
            &[
                to("bob@EXAMPLE.com"),
                to("nobody@example.com"),
                to("anne@example.com"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(got, vec![Some("en".into()), None, Some("fr".into())]);
        assert!(locales_of(&mut conn, &[]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn demo_mode_sends_to_its_catcher_until_an_email_server_is_configured() {
        let (db, dir) = crate::db::test_db().await;
        let clock = Arc::new(crate::clock::ManualClock::new(chrono::Utc::now()));
        let mail = Mailer::new(db.clone(), clock, dir.path(), true);
        let one = |id: &str| Composed {
            meeting_id: "m1".into(),
            kind: Kind::Invite,
            at: 0,
            messages: vec![Outgoing {
                id: format!("row-{id}"),
                recipient: format!("{id}@example.com"),
                message: format!("Subject: {id}\r\n\r\nHello\r\n"),
                status: "pending",
                error: None,
            }],
        };
        let mut conn = db.acquire().await.unwrap();
        insert_composed(&mut conn, &one("first")).await.unwrap();
        assert_eq!(mail.run_once().await.unwrap().sent, 1);
        let caught = std::fs::read_dir(mail.catcher_dir()).unwrap().count();
        assert_eq!(caught, 1);

        // A server is configured: the message goes to it (here nothing
        // listens on the port, so the try fails), not to the catcher.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = crate::admin::config::ConfigStore::new(dir.path());
        let mut cfg = store.load().unwrap();
        cfg.email.server = Some(crate::admin::config::EmailServer {
            host: "127.0.0.1".into(),
            port,
        });
        store.save(&cfg).unwrap();
        insert_composed(&mut conn, &one("second")).await.unwrap();
        let pass = mail.run_once().await.unwrap();
        assert_eq!((pass.sent, pass.retried), (0, 1));
        assert_eq!(
            std::fs::read_dir(mail.catcher_dir()).unwrap().count(),
            caught
        );
    }

    #[tokio::test]
    async fn composed_messages_go_in_one_insert_per_hundred_rows() {
        let (db, _dir) = crate::db::test_db().await;
        let composed = Composed {
            meeting_id: "m1".into(),
            kind: Kind::Invite,
            at: 1_000,
            messages: (0..(OUTBOX_ROWS_PER_INSERT + 3))
                .map(|i| Outgoing {
                    id: format!("row-{i}"),
                    recipient: format!("p{i}@example.com"),
                    message: format!("message {i}"),
                    status: if i == 0 { "failed" } else { "pending" },
                    error: (i == 0).then(|| "bad address".to_string()),
                })
                .collect(),
        };
        let mut conn = db.acquire().await.unwrap();
        insert_composed(&mut conn, &composed).await.unwrap();
        #[derive(Debug, PartialEq, sqlx::FromRow)]
        struct Row {
            recipient: String,
            kind: String,
            message: String,
            status: String,
            last_error: Option<String>,
            next_attempt_at: i64,
            created_at: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT o.recipient, o.kind, m.message, o.status, o.last_error, o.next_attempt_at, o.created_at \
             FROM mail_outbox o JOIN mail_outbox_messages m ON m.id = o.id WHERE o.meeting_id = 'm1' ORDER BY o.recipient",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(rows.len(), OUTBOX_ROWS_PER_INSERT + 3);
        let first = rows
            .iter()
            .find(|r| r.recipient == "p0@example.com")
            .unwrap();
        assert_eq!(
            first,
            &Row {
                recipient: "p0@example.com".into(),
                kind: "invite".into(),
                message: "message 0".into(),
                status: "failed".into(),
                last_error: Some("bad address".into()),
                next_attempt_at: 1_000,
                created_at: 1_000,
            }
        );
        let last = rows
            .iter()
            .find(|r| r.recipient == "p102@example.com")
            .unwrap();
        assert_eq!(
            (last.message.as_str(), last.status.as_str()),
            ("message 102", "pending")
        );
    }

    /// A mailer whose worker counts as running, sending to memory, and
    /// one invitation to hand to it.
    async fn handing() -> (
        Arc<Mailer>,
        Arc<crate::clock::ManualClock>,
        backend::MemoryBackend,
        Db,
        tempfile::TempDir,
    ) {
        let (db, dir) = crate::db::test_db().await;
        let clock = Arc::new(crate::clock::ManualClock::new(chrono::Utc::now()));
        let mail = Arc::new(Mailer::new(db.clone(), clock.clone(), dir.path(), false));
        let mem = backend::MemoryBackend::new();
        mail.set_backend(Arc::new(mem.clone()));
        mail.worker_running
            .store(true, std::sync::atomic::Ordering::Release);
        (mail, clock, mem, db, dir)
    }

    fn invitation(to: &str, at: i64) -> Composed {
        Composed {
            meeting_id: "m1".into(),
            kind: Kind::Invite,
            at,
            messages: vec![Outgoing {
                id: format!("row-{to}"),
                recipient: to.into(),
                message: format!("Subject: to {to}\r\n\r\nHello\r\n"),
                status: "pending",
                error: None,
            }],
        }
    }

    /// Writes `c` claimed for the worker, commits and hands it over.
    async fn write_handed(mail: &Mailer, db: &Db, c: &Composed) {
        let claim = mail.hand_off_claim().expect("the worker takes rows");
        let mut batch = Batch::new();
        push_composed(&mut batch, c, Some(&claim));
        let mut tx = crate::db::begin_write(db).await.unwrap();
        batch.run(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        mail.hand_over(&claim, c);
    }

    async fn status_of(db: &Db, id: &str) -> (String, Option<String>) {
        sqlx::query_as("SELECT status, claimed_by FROM mail_outbox WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn rows_handed_to_the_worker_are_written_claimed_and_sent_once() {
        let (mail, clock, mem, db, _dir) = handing().await;
        write_handed(
            &mail,
            &db,
            &invitation("ann@example.com", to_millis(clock.now())),
        )
        .await;
        // In the table, claimed by this process: no other pass takes it.
        let (status, by) = status_of(&db, "row-ann@example.com").await;
        assert_eq!(status, "pending");
        assert_eq!(by.as_deref(), Some(mail.hand_off_token.as_str()));
        let other = outbox::claim(&db, to_millis(clock.now()), &mail.options, "node-2")
            .await
            .unwrap();
        assert!(other.is_empty());

        assert_eq!(mail.run_once().await.unwrap().sent, 1);
        assert_eq!(mem.sent().len(), 1);
        assert_eq!(mem.sent()[0].to, "ann@example.com");
        assert_eq!(
            status_of(&db, "row-ann@example.com").await,
            ("sent".to_string(), None)
        );
        // Sent once: neither memory nor the table has it again.
        assert_eq!(mail.run_once().await.unwrap().sent, 0);
        assert_eq!(mem.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_handed_row_that_fails_is_retried_from_the_table() {
        let (mail, clock, mem, db, _dir) = handing().await;
        mem.fail_with(Some(backend::SendError::transient("relay down")));
        write_handed(
            &mail,
            &db,
            &invitation("bob@example.com", to_millis(clock.now())),
        )
        .await;
        let pass = mail.run_once().await.unwrap();
        assert_eq!((pass.sent, pass.retried), (0, 1));
        assert_eq!(
            status_of(&db, "row-bob@example.com").await,
            ("pending".to_string(), None)
        );
        mem.fail_with(None);
        clock.advance(mail.options.backoff(1));
        assert_eq!(mail.run_once().await.unwrap().sent, 1);
        assert_eq!(mem.sent().len(), 1);
    }

    /// A handed row the worker comes to late, with its claim nearly run
    /// out, is left to the table: sent once its claim ran out, not twice.
    #[tokio::test]
    async fn a_handed_row_whose_claim_nearly_ran_out_is_sent_from_the_table() {
        let (mail, clock, mem, db, _dir) = handing().await;
        write_handed(
            &mail,
            &db,
            &invitation("cy@example.com", to_millis(clock.now())),
        )
        .await;
        clock.advance(mail.options.lease - chrono::Duration::seconds(1));
        assert_eq!(mail.run_once().await.unwrap().sent, 0);
        assert!(mem.sent().is_empty());
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(mail.run_once().await.unwrap().sent, 1);
        assert_eq!(mail.run_once().await.unwrap().sent, 0);
        assert_eq!(mem.sent().len(), 1);
    }

    /// No rows are handed to a worker that does not run, nor past the
    /// limit of rows waiting in memory.
    #[tokio::test]
    async fn rows_are_handed_only_to_a_running_worker_with_room() {
        let (mail, clock, _mem, _db, _dir) = handing().await;
        assert!(mail.hand_off_claim().is_some());
        mail.worker_running
            .store(false, std::sync::atomic::Ordering::Release);
        assert!(mail.hand_off_claim().is_none());
        mail.worker_running
            .store(true, std::sync::atomic::Ordering::Release);
        let claim = mail.hand_off_claim().unwrap();
        let many = Composed {
            messages: (0..HANDED_AT_MOST)
                .map(|i| Outgoing {
                    id: format!("row-{i}"),
                    recipient: format!("p{i}@example.com"),
                    message: String::new(),
                    status: "pending",
                    error: None,
                })
                .collect(),
            ..invitation("x@example.com", to_millis(clock.now()))
        };
        mail.hand_over(&claim, &many);
        assert!(mail.hand_off_claim().is_none());
    }
}

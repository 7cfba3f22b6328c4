//! The durable outbox: rows written with the meeting change, claimed with a
//! lease, sent with retries and exponential backoff.
//!
//! States: `pending` → `sent`, or `pending` → (retry after backoff) … →
//! `failed` after [`OutboxOptions::max_attempts`] tries or a permanent
//! refusal. A claim sets `claimed_until` (a lease) and `claimed_by` (a token
//! for this claim); another node skips leased rows, and a crashed node's
//! rows are taken again once the lease runs out.

use super::backend::{MailBackend, SendError};
use super::MailError;
use crate::clock::{from_millis, to_millis, Clock};
use crate::db::Db;
use chrono::Duration;
use futures_util::StreamExt;

/// Tunables of the outbox.
#[derive(Debug, Clone)]
pub struct OutboxOptions {
    /// Tries before a message is marked failed.
    pub max_attempts: i64,
    /// Wait after the first failure; doubled after each next one.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claim holds a row.
    pub lease: Duration,
    /// Rows claimed at once.
    pub batch: i64,
    /// How often the worker looks for due rows (it is also woken on enqueue).
    pub poll: std::time::Duration,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_backoff: Duration::seconds(30),
            max_backoff: Duration::hours(1),
            lease: Duration::minutes(2),
            batch: 50,
            poll: std::time::Duration::from_millis(500),
        }
    }
}

impl OutboxOptions {
    /// The wait after `attempts` failed tries (1 → base, 2 → 2×base, …).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exp = attempts.clamp(1, 30) - 1;
        let ms = self
            .base_backoff
            .num_milliseconds()
            .saturating_mul(1i64 << exp);
        Duration::milliseconds(ms.min(self.max_backoff.num_milliseconds()))
    }
}

/// One claimed row.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub recipient: String,
    /// None if its message is missing from `mail_outbox_messages` (a
    /// database edited by hand): the row then fails for good.
    pub message: Option<String>,
    pub attempts: i64,
    /// The claim's token (`claimed_by`): only its holder records the outcome.
    pub token: String,
    /// When the claim runs out (`claimed_until`).
    pub until: i64,
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Claims up to `batch` due rows for `token` until now + lease.
pub async fn claim(
    db: &Db,
    now: i64,
    opts: &OutboxOptions,
    token: &str,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let until = now + opts.lease.num_milliseconds();
    // The outer WHERE repeats the test, so a row another node claimed in
    // the meantime is not taken twice. On PostgreSQL, rows another node is
    // claiming right now are skipped rather than waited for; SQLite has one
    // writer at a time anyway.
    let sql = match crate::db::backend(db) {
        crate::db::Backend::Postgres => {
            "UPDATE mail_outbox SET claimed_until = $1, claimed_by = $2 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
                          AND (claimed_until IS NULL OR claimed_until <= $3) \
                          ORDER BY next_attempt_at, created_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $3)"
        }
        crate::db::Backend::Sqlite => {
            "UPDATE mail_outbox SET claimed_until = $1, claimed_by = $2 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
                          AND (claimed_until IS NULL OR claimed_until <= $3) \
                          ORDER BY next_attempt_at, created_at LIMIT $4) \
             AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $3)"
        }
    };
    // In the writer's queue like every other write of this process: on
    // SQLite, a write outside it met a create's transaction in SQLite's busy
    // handler, which sleeps (up to 100 ms) between tries. The claimed rows
    // come back from the UPDATE itself (RETURNING: SQLite 3.35, PostgreSQL).
    #[derive(sqlx::FromRow)]
    struct Returned {
        id: String,
        recipient: String,
        attempts: i64,
        created_at: i64,
    }
    let turn = crate::db::write_turn(db).await;
    let sql = format!("{sql} RETURNING id, recipient, attempts, created_at");
    let mut rows: Vec<Returned> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(until)
        .bind(token)
        .bind(now)
        .bind(opts.batch)
        .fetch_all(db)
        .await?;
    drop(turn);
    rows.sort_by_key(|r| r.created_at);
    // Their messages, read (not written) from their own table.
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut messages: std::collections::HashMap<String, String> = crate::db::fetch_for_ids(
        db,
        "SELECT id, message FROM mail_outbox_messages WHERE id IN",
        &ids,
    )
    .await?
    .into_iter()
    .collect();
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            message: messages.remove(&r.id),
            id: r.id,
            recipient: r.recipient,
            attempts: r.attempts,
            token: token.to_string(),
            until,
        })
        .collect())
}

/// Records the outcome of one try. Only the holder of the claim may.
pub async fn settle(
    db: &Db,
    row: &Claimed,
    now: i64,
    outcome: Result<(), SendError>,
    opts: &OutboxOptions,
) -> Result<Pass, sqlx::Error> {
    let mut tx = crate::db::begin_write(db).await?;
    let pass = settle_on(&mut tx, row, now, outcome, opts).await?;
    tx.commit().await?;
    Ok(pass)
}

/// [`settle`] on a connection (a pass's transaction).
async fn settle_on(
    db: &mut sqlx::AnyConnection,
    row: &Claimed,
    now: i64,
    outcome: Result<(), SendError>,
    opts: &OutboxOptions,
) -> Result<Pass, sqlx::Error> {
    let attempts = row.attempts + 1;
    let mut pass = Pass::default();
    match outcome {
        Ok(()) => {
            sqlx::query(
                "UPDATE mail_outbox SET status = 'sent', attempts = $1, sent_at = $2, claimed_until = NULL, \
                 claimed_by = NULL, last_error = NULL WHERE id = $3 AND claimed_by = $4",
            )
            .bind(attempts)
            .bind(now)
            .bind(&row.id)
            .bind(&row.token)
            .execute(&mut *db)
            .await?;
            pass.sent = 1;
        }
        Err(e) => {
            let give_up = e.permanent || attempts >= opts.max_attempts;
            let status = if give_up { "failed" } else { "pending" };
            let next = now + opts.backoff(attempts).num_milliseconds();
            let message: String = e.message.chars().take(500).collect();
            sqlx::query(
                "UPDATE mail_outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, \
                 claimed_until = NULL, claimed_by = NULL WHERE id = $5 AND claimed_by = $6",
            )
            .bind(status)
            .bind(attempts)
            .bind(next)
            .bind(&message)
            .bind(&row.id)
            .bind(&row.token)
            .execute(&mut *db)
            .await?;
            if give_up {
                tracing::warn!(target: "server::mail", id = %row.id, attempts, error = %message, "invitation e-mail failed for good");
                pass.failed = 1;
            } else {
                tracing::info!(target: "server::mail", id = %row.id, attempts, retry_at = %from_millis(next), error = %message, "invitation e-mail will be retried");
                pass.retried = 1;
            }
        }
    }
    Ok(pass)
}

/// Records sent rows (as [`settle_on`] does one): only the claim's holder,
/// one statement per claim (and per [`crate::db::IDS_PER_LIST`] rows).
async fn mark_sent(conn: &mut sqlx::AnyConnection, sent: &[Tried]) -> Result<(), sqlx::Error> {
    let mut tokens: Vec<&str> = sent.iter().map(|t| t.row.token.as_str()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    for token in tokens {
        let of_claim: Vec<&Tried> = sent.iter().filter(|t| t.row.token == token).collect();
        for chunk in of_claim.chunks(crate::db::IDS_PER_LIST) {
            let at = chunk.iter().map(|t| t.at).max().unwrap_or_default();
            let sql = format!(
                "UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, \
                 claimed_until = NULL, claimed_by = NULL, last_error = NULL \
                 WHERE claimed_by = $2 AND id IN ({})",
                crate::db::placeholders(3, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(at)
                .bind(token.to_string());
            for t in chunk {
                q = q.bind(t.row.id.clone());
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Recipients sent to at once in a pass.
const SENDS_AT_ONCE: usize = 4;

/// A claimed row and how sending it went.
struct Tried {
    row: Claimed,
    outcome: Result<(), SendError>,
    at: i64,
}

/// One pass: claim what is due, send it with `handed` (rows this process
/// claimed as it wrote them, sent first), record the outcomes.
pub async fn run_once(
    db: &Db,
    clock: &dyn Clock,
    backend: &dyn MailBackend,
    from: &str,
    opts: &OutboxOptions,
    handed: Vec<Claimed>,
) -> Result<Pass, MailError> {
    let token = uuid::Uuid::new_v4().to_string();
    // Handed rows fill the pass first; the table fills the rest of it, and
    // any due row when none were handed (a full pass comes back at once).
    let wanted = opts.batch - handed.len() as i64;
    let mut rows = handed;
    if wanted > 0 {
        let claim_opts = OutboxOptions {
            batch: wanted,
            ..opts.clone()
        };
        rows.extend(claim(db, to_millis(clock.now()), &claim_opts, &token).await?);
    }
    let mut total = Pass::default();
    if rows.is_empty() {
        crate::metrics::outbox_pass(0, 0, 0);
        return Ok(total);
    }
    // A recipient's messages go one after the other, in the order they were
    // written (an invitation before its update); several recipients' at
    // once, each on a connection of its own, so that a relay's round trips
    // overlap.
    let mut by_recipient: Vec<Vec<Claimed>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for row in rows {
        let i = *index
            .entry(row.recipient.to_ascii_lowercase())
            .or_insert_with(|| {
                by_recipient.push(Vec::new());
                by_recipient.len() - 1
            });
        by_recipient[i].push(row);
    }
    let send_all = |rows: Vec<Claimed>| async move {
        let mut tried = Vec::with_capacity(rows.len());
        for row in rows {
            let outcome = match &row.message {
                Some(message) => backend.send(from, &row.recipient, message.as_bytes()).await,
                None => Err(SendError::permanent(
                    "the message is missing from the outbox",
                )),
            };
            if outcome.is_ok() {
                tracing::debug!(target: "server::mail", id = %row.id, "invitation e-mail sent");
            }
            tried.push(Tried {
                row,
                outcome,
                at: to_millis(clock.now()),
            });
        }
        tried
    };
    let outcomes: Vec<Tried> = futures_util::stream::iter(by_recipient)
        .map(send_all)
        .buffer_unordered(SENDS_AT_ONCE)
        .collect::<Vec<Vec<Tried>>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    // The outcomes of the pass in one write: should this node die before
    // it commits, the lease runs out and the rows are sent again (mail is
    // at least once, as before when each row was settled on its own). The
    // sent rows, the usual case, in one statement.
    let (sent, others): (Vec<Tried>, Vec<Tried>) =
        outcomes.into_iter().partition(|t| t.outcome.is_ok());
    total.sent = sent.len();
    if others.is_empty() {
        let _turn = crate::db::write_turn(db).await;
        let mut conn = db.acquire().await?;
        mark_sent(&mut conn, &sent).await?;
    } else {
        let mut tx = crate::db::begin_write(db).await?;
        mark_sent(&mut tx, &sent).await?;
        for t in others {
            let p = settle_on(&mut tx, &t.row, t.at, t.outcome, opts).await?;
            total.retried += p.retried;
            total.failed += p.failed;
        }
        tx.commit().await?;
    }
    crate::metrics::outbox_pass(total.sent, total.retried, total.failed);
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::mail::backend::MemoryBackend;
    use chrono::{TimeZone, Utc};

    async fn add(db: &Db, id: &str, to: &str, now: i64) {
        add_row(db, id, to, now).await;
        add_message(db, id, "Subject: x\r\n\r\nbody").await;
    }

    /// Row `id`'s message.
    async fn add_message(db: &Db, id: &str, message: &str) {
        sqlx::query("INSERT INTO mail_outbox_messages (id, message) VALUES ($1, $2)")
            .bind(id)
            .bind(message)
            .execute(db)
            .await
            .unwrap();
    }

    /// A row without its message.
    async fn add_row(db: &Db, id: &str, to: &str, now: i64) {
        sqlx::query(
            "INSERT INTO mail_outbox (id, meeting_id, recipient, kind, next_attempt_at, created_at) \
             VALUES ($1, 'm', $2, 'invite', $3, $3)",
        )
        .bind(id)
        .bind(to)
        .bind(now)
        .execute(db)
        .await
        .unwrap();
    }

    async fn row(db: &Db, id: &str) -> (String, i64, Option<String>) {
        sqlx::query_as("SELECT status, attempts, last_error FROM mail_outbox WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap()
    }

    fn opts() -> OutboxOptions {
        OutboxOptions {
            max_attempts: 3,
            ..OutboxOptions::default()
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let o = OutboxOptions::default();
        assert_eq!(o.backoff(1), Duration::seconds(30));
        assert_eq!(o.backoff(2), Duration::seconds(60));
        assert_eq!(o.backoff(3), Duration::seconds(120));
        assert_eq!(o.backoff(20), Duration::hours(1));
        assert_eq!(o.backoff(1000), Duration::hours(1));
    }

    #[tokio::test]
    async fn retries_with_backoff_then_delivers() {
        let (db, _dir) = crate::db::test_db().await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
        let mem = MemoryBackend::new();
        add(&db, "a", "bob@example.com", to_millis(clock.now())).await;
        mem.fail_with(Some(SendError::transient("connection refused")));
        let o = opts();
        let p = run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
            .await
            .unwrap();
        assert_eq!(
            p,
            Pass {
                sent: 0,
                retried: 1,
                failed: 0
            }
        );
        assert_eq!(
            row(&db, "a").await,
            ("pending".into(), 1, Some("connection refused".into()))
        );
        // Not due yet: nothing is tried.
        mem.fail_with(None);
        clock.advance(Duration::seconds(29));
        assert_eq!(
            run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
                .await
                .unwrap(),
            Pass::default()
        );
        clock.advance(Duration::seconds(1));
        let p = run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
            .await
            .unwrap();
        assert_eq!(p.sent, 1);
        assert_eq!(row(&db, "a").await.0, "sent");
        assert_eq!(mem.sent().len(), 1);
        assert_eq!(mem.sent()[0].to, "bob@example.com");
        // Sent rows are never sent again.
        clock.advance(Duration::hours(2));
        assert_eq!(
            run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
                .await
                .unwrap(),
            Pass::default()
        );
        assert_eq!(mem.sent().len(), 1);
    }

    #[tokio::test]
    async fn fails_after_max_attempts_or_a_permanent_refusal() {
        let (db, _dir) = crate::db::test_db().await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
        let mem = MemoryBackend::new();
        let o = opts();
        add(&db, "a", "bob@example.com", to_millis(clock.now())).await;
        mem.fail_with(Some(SendError::transient("451 try later")));
        for i in 1..=3 {
            let p = run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
                .await
                .unwrap();
            assert_eq!(p.retried + p.failed, 1, "try {i}");
            clock.advance(Duration::hours(1));
        }
        assert_eq!(row(&db, "a").await.0, "failed");
        assert_eq!(row(&db, "a").await.1, 3);
        mem.fail_with(None);
        clock.advance(Duration::hours(5));
        assert_eq!(
            run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
                .await
                .unwrap(),
            Pass::default()
        );

        add(&db, "b", "carol@example.com", to_millis(clock.now())).await;
        mem.fail_with(Some(SendError::permanent("550 no such user")));
        let p = run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
            .await
            .unwrap();
        assert_eq!(p.failed, 1);
        assert_eq!(
            row(&db, "b").await,
            ("failed".into(), 1, Some("550 no such user".into()))
        );
    }

    #[tokio::test]
    async fn sends_the_message_of_its_own_table_and_fails_a_row_without_one() {
        let (db, _dir) = crate::db::test_db().await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
        let mem = MemoryBackend::new();
        let o = opts();
        let now = to_millis(clock.now());
        add(&db, "a", "bob@example.com", now).await;
        add_row(&db, "b", "carol@example.com", now).await;
        let p = run_once(&db, &clock, &mem, "s@example.com", &o, Vec::new())
            .await
            .unwrap();
        assert_eq!((p.sent, p.retried, p.failed), (1, 0, 1));
        let sent = mem.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to, "bob@example.com");
        assert_eq!(sent[0].message, "Subject: x\r\n\r\nbody");
        assert_eq!(row(&db, "a").await.0, "sent");
        assert_eq!(
            row(&db, "b").await,
            (
                "failed".into(),
                1,
                Some("the message is missing from the outbox".into())
            )
        );
    }

    /// Sends through a [`MemoryBackend`], 50 ms late for a message that
    /// says "slow".
    struct SlowFor(MemoryBackend);

    #[async_trait::async_trait]
    impl MailBackend for SlowFor {
        async fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<(), SendError> {
            if String::from_utf8_lossy(message).contains("slow") {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            self.0.send(from, to, message).await
        }
    }

    #[tokio::test]
    async fn recipients_are_sent_to_at_once_each_in_order() {
        let (db, _dir) = crate::db::test_db().await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
        let mem = MemoryBackend::new();
        let now = to_millis(clock.now());
        for (i, (id, to, body)) in [
            ("a", "bob@example.com", "invite, slow"),
            ("b", "carol@example.com", "invite"),
            ("c", "Bob@Example.com", "update"),
        ]
        .into_iter()
        .enumerate()
        {
            add_row(&db, id, to, now + i as i64).await;
            add_message(&db, id, &format!("Subject: {body}\r\n\r\n{body}")).await;
        }
        clock.advance(Duration::seconds(1));
        let p = run_once(
            &db,
            &clock,
            &SlowFor(mem.clone()),
            "s@example.com",
            &opts(),
            Vec::new(),
        )
        .await
        .unwrap();
        assert_eq!(p.sent, 3);
        let order: Vec<String> = mem.sent().into_iter().map(|m| m.message).collect();
        assert_eq!(
            order,
            [
                // Carol's did not wait for Bob's slow one...
                "Subject: invite\r\n\r\ninvite",
                // ...and Bob's update came after his invitation.
                "Subject: invite, slow\r\n\r\ninvite, slow",
                "Subject: update\r\n\r\nupdate",
            ]
        );
    }

    #[tokio::test]
    async fn a_lease_keeps_other_nodes_off_until_it_expires() {
        let (db, _dir) = crate::db::test_db().await;
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
        let o = opts();
        add(&db, "a", "bob@example.com", to_millis(clock.now())).await;
        let now = to_millis(clock.now());
        let first = claim(&db, now, &o, "node-1").await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(claim(&db, now, &o, "node-2").await.unwrap().is_empty());
        // Node 1 dies; its lease runs out and node 2 takes the row.
        clock.advance(o.lease);
        let later = to_millis(clock.now());
        let second = claim(&db, later, &o, "node-2").await.unwrap();
        assert_eq!(second.len(), 1);
        // Node 1 coming back cannot overwrite node 2's claim.
        settle(&db, &first[0], later, Ok(()), &o).await.unwrap();
        assert_eq!(row(&db, "a").await.0, "pending");
        settle(&db, &second[0], later, Ok(()), &o).await.unwrap();
        assert_eq!(row(&db, "a").await.0, "sent");
    }
}

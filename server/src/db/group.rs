//! Group commit on SQLite: write transactions that are one [`Batch`] each
//! (a new meeting, its space's intent) are queued to one writer, which
//! runs those waiting together in one transaction, each in a savepoint of
//! its own, and answers each once the transaction committed.
//!
//! Why: SQLite has one writer at a time, and each write of a request held
//! this process's turn at it (`super::write_turn`) across its round trips
//! to the connection's thread, each a wake-up of the request's task among
//! all the others. Under 50 concurrent creates a create waited 71 ms of
//! its 75 ms for the turn (`bench/run.sh`, "writer wait/create"). The
//! writer here has a thread and a connection of its own: a group of k
//! batches costs k + 2 round trips (BEGIN, the batches, COMMIT) on a thread
//! that does nothing else, and holds the turn once.
//!
//! A batch that fails is rolled back to its savepoint and answered with
//! its error; the others commit. Nothing is answered before the commit:
//! an acknowledged write is in the database's log, so a crash of the
//! process loses none (see `SQLITE_SYNCHRONOUS`). On PostgreSQL, whose
//! writers do not queue, each batch is a transaction of the pool's.

use super::batch::Batch;
use super::{Backend, Db};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// How long after a group committed the log is checkpointed (its pages
/// copied into the database file, both synced): at most that often while
/// writes come in, and once more after the last.
const CHECKPOINT_AFTER: std::time::Duration = std::time::Duration::from_millis(100);

/// Batches in one transaction at most: a group's transaction holds the
/// database's write lock, which other processes (the `scheduler` commands)
/// wait for.
const GROUP_AT_MOST: usize = 64;

/// Why a batch given to the writer was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The batch itself failed (rolled back; the group's others were not).
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The group's transaction could not begin, or its commit failed: no
    /// batch of the group was written.
    #[error("the group's transaction failed: {0}")]
    Group(Arc<sqlx::Error>),
    /// The writer's thread is gone (the server is stopping).
    #[error("the database writer stopped")]
    Stopped,
}

struct Job {
    batch: Batch,
    done: oneshot::Sender<Result<(), WriteError>>,
}

/// Writes batches, each in a transaction (grouped on SQLite).
#[derive(Clone)]
pub struct GroupWriter {
    db: Db,
    /// SQLite: the writer's queue.
    queue: Option<mpsc::UnboundedSender<Job>>,
}

impl GroupWriter {
    /// On SQLite, opens the writer's own connection (the settings of the
    /// pool's) on a thread of its own, which ends when the last handle is
    /// dropped. On PostgreSQL, nothing to open.
    pub async fn start(db: &Db) -> Result<Self, sqlx::Error> {
        if super::backend(db) != Backend::Sqlite {
            return Ok(Self {
                db: db.clone(),
                queue: None,
            });
        }
        let url = db.connect_options().database_url.to_string();
        let (opened_tx, opened_rx) = oneshot::channel();
        let (queue, jobs) = mpsc::unbounded_channel();
        let pool = db.clone();
        // The writer tells the checkpointer it wrote (at most one message
        // waits); the checkpointer ends when the writer does.
        let (wrote, wrote_rx) = mpsc::channel(1);
        tokio::spawn(checkpoints(db.clone(), wrote_rx));
        std::thread::Builder::new()
            .name("db-group-writer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = opened_tx.send(Err(sqlx::Error::Io(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let conn = match open_writer(&url).await {
                        Ok(c) => {
                            let _ = opened_tx.send(Ok(()));
                            c
                        }
                        Err(e) => {
                            let _ = opened_tx.send(Err(e));
                            return;
                        }
                    };
                    run(pool, conn, jobs, wrote).await;
                });
            })
            .map_err(sqlx::Error::Io)?;
        opened_rx.await.map_err(|_| sqlx::Error::WorkerCrashed)??;
        Ok(Self {
            db: db.clone(),
            queue: Some(queue),
        })
    }

    /// Writes `batch` in a transaction; returns once it committed.
    pub async fn write(&self, batch: Batch) -> Result<(), WriteError> {
        let started = std::time::Instant::now();
        let outcome = self.write_now(batch).await;
        crate::metrics::db_write(started.elapsed());
        outcome
    }

    async fn write_now(&self, batch: Batch) -> Result<(), WriteError> {
        let Some(queue) = &self.queue else {
            let mut tx = super::begin_write(&self.db).await?;
            batch.run(&mut tx).await?;
            tx.commit().await?;
            return Ok(());
        };
        let (done, answer) = oneshot::channel();
        queue
            .send(Job { batch, done })
            .map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?
    }
}

/// The writer's connection: the pool's settings, a smaller page cache, and
/// no checkpoint of its own. SQLite checkpoints the log in the connection whose commit makes it
/// pass 1,000 pages, which was the writer's: at 470 creates/s it stopped
/// for one several times a second (copying the pages, two syncs), and
/// every create waiting for a write waited with it (with a 20 ms Call
/// Bridge and 50 clients, 16.4 ms of writes per create, 8.6 ms since:
/// `bench/run.sh`, "write time/create"). [`checkpoints`] runs them
/// on a connection of the pool instead, beside the writer. (The pool's
/// connections keep their own at 1,000 pages: should that task fail, the
/// log still does not grow without end.)
async fn open_writer(url: &str) -> Result<sqlx::AnyConnection, sqlx::Error> {
    let mut conn = super::open_sqlite_connection(url).await?;
    sqlx::query("PRAGMA wal_autocheckpoint = 0")
        .execute(&mut conn)
        .await?;
    sqlx::query(WRITER_CACHE).execute(&mut conn).await?;
    Ok(conn)
}

/// The writer's page cache: 512 KiB (SQLite's default is 2 MB). It only
/// writes, and the pages an insert needs (the B-trees' upper levels, the
/// leaves it lands on) are few; the rest come from the operating system's
/// cache of the file.
const WRITER_CACHE: &str = "PRAGMA cache_size = -512";

/// Checkpoints the log [`CHECKPOINT_AFTER`] after the writer wrote, without
/// waiting for the writer or for readers (`PASSIVE`: what a reader still
/// uses is copied by a later one), until the writer ends.
async fn checkpoints(db: Db, mut wrote: mpsc::Receiver<()>) {
    while wrote.recv().await.is_some() {
        tokio::time::sleep(CHECKPOINT_AFTER).await;
        while wrote.try_recv().is_ok() {}
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&db)
            .await
        {
            tracing::warn!(error = %e, "checkpoint of the SQLite log failed");
        }
    }
}

/// The writer: a group of what waits, in one transaction, until the queue
/// closes.
async fn run(
    db: Db,
    mut conn: sqlx::AnyConnection,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    wrote: mpsc::Sender<()>,
) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_AT_MOST {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (batches, answers): (Vec<Batch>, Vec<_>) =
            group.into_iter().map(|j| (j.batch, j.done)).unzip();
        crate::metrics::db_group(batches.len());
        // This process's other writers (on the pool) wait meanwhile.
        let turn = super::write_turn(&db).await;
        let outcomes = write_group(&mut conn, batches).await;
        drop(turn);
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            let _ = answer.send(outcome);
        }
        let _ = wrote.try_send(());
    }
    use sqlx::Connection;
    let _ = conn.close().await;
}

/// Runs `batches` in one transaction, each in a savepoint; the outcome of
/// each, in order.
async fn write_group(
    conn: &mut sqlx::AnyConnection,
    batches: Vec<Batch>,
) -> Vec<Result<(), WriteError>> {
    let n = batches.len();
    let group_failed = |e: sqlx::Error| {
        let e = Arc::new(e);
        (0..n)
            .map(|_| Err(WriteError::Group(e.clone())))
            .collect::<Vec<_>>()
    };
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        return group_failed(e);
    }
    let mut outcomes = Vec::with_capacity(n);
    for batch in batches {
        let mut job = Batch::new();
        job.push("SAVEPOINT grouped", Vec::new());
        job.append(batch);
        job.push("RELEASE grouped", Vec::new());
        match job.run(conn).await {
            Ok(()) => outcomes.push(Ok(())),
            Err(e) => {
                // Undone alone. Should the undo fail, SQLite ended the
                // whole transaction (an I/O error, a full disk): nothing
                // of the group is written.
                if let Err(undo) = exec(conn, "ROLLBACK TO grouped; RELEASE grouped").await {
                    let _ = exec(conn, "ROLLBACK").await;
                    tracing::error!(error = %e, undo = %undo, "a grouped write failed and could not be undone alone");
                    return group_failed(e);
                }
                outcomes.push(Err(WriteError::Db(e)));
            }
        }
    }
    if let Err(e) = exec(conn, "COMMIT").await {
        let _ = exec(conn, "ROLLBACK").await;
        return group_failed(e);
    }
    outcomes
}

async fn exec(conn: &mut sqlx::AnyConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(&mut *conn).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn count(db: &Db) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(db)
            .await
            .unwrap()
    }

    fn insert(a: i64) -> Batch {
        let mut b = Batch::new();
        b.push("INSERT INTO t (a) VALUES ($1)", vec![a.into()]);
        b
    }

    /// Many writers at once: each batch is written (the writer groups
    /// them), a failing one is not and the others of its group are.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_batches_commit_alone_in_their_savepoints() {
        let (db, _dir) = crate::db::test_db().await;
        sqlx::query("CREATE TABLE t (a INTEGER PRIMARY KEY)")
            .execute(&db)
            .await
            .unwrap();
        let writer = GroupWriter::start(&db).await.unwrap();
        writer.write(insert(-1)).await.unwrap();
        let mut tasks = Vec::new();
        for a in 0..200 {
            let w = writer.clone();
            // Every tenth repeats the key written first: it fails.
            let key = if a % 10 == 9 { -1 } else { a };
            tasks.push(tokio::spawn(async move { (a, w.write(insert(key)).await) }));
        }
        let mut failed = 0;
        for t in tasks {
            let (a, outcome) = t.await.unwrap();
            match outcome {
                Ok(()) => assert_ne!(a % 10, 9, "{a} was written"),
                Err(WriteError::Db(_)) => failed += 1,
                Err(e) => panic!("{a}: {e}"),
            }
        }
        assert_eq!(failed, 20);
        assert_eq!(count(&db).await, 181);
        // A failing statement in the middle of a batch: none of its rows.
        let mut b = insert(1000);
        b.push("INSERT INTO t (a) VALUES ($1)", vec![0.into()]);
        assert!(matches!(writer.write(b).await, Err(WriteError::Db(_))));
        assert_eq!(count(&db).await, 181);
        writer.write(insert(1001)).await.unwrap();
        assert_eq!(count(&db).await, 182);
    }

    /// The writer does not checkpoint the log itself; its writes reach the
    /// database file shortly after anyway, from the checkpointer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_checkpointed_beside_the_writer() {
        let (db, dir) = crate::db::test_db().await;
        sqlx::query("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            .execute(&db)
            .await
            .unwrap();
        // What is in the file now (earlier commits were checkpointed by
        // the connections that made them, or not: either way, from here).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&db)
            .await
            .unwrap();
        let file = dir.path().join("t.db");
        let before = std::fs::metadata(&file).unwrap().len();
        let writer = GroupWriter::start(&db).await.unwrap();
        for a in 0..20 {
            let mut b = Batch::new();
            b.push(
                "INSERT INTO t (a, b) VALUES ($1, $2)",
                vec![a.into(), "x".repeat(4000).into()],
            );
            writer.write(b).await.unwrap();
        }
        // Far fewer than the 1,000 pages of an automatic checkpoint.
        let mut grew = false;
        for _ in 0..50 {
            tokio::time::sleep(CHECKPOINT_AFTER).await;
            if std::fs::metadata(&file).unwrap().len() > before + 20 * 4000 {
                grew = true;
                break;
            }
        }
        assert!(grew, "the rows never reached the database file");
    }
}

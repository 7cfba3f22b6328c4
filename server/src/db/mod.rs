//! The database: the pool, migrations and one-time data steps, write
//! transactions, statements sent together ([`batch`]) and grouped into one
//! transaction ([`group`]), and the stored
//! shapes several services read ([`series`]: a repeating meeting with its
//! exceptions; [`access`]: a space's roles and their dial-in information).
//!
//! Queries use `$1`-style parameters and portable SQL so that the same text
//! serves SQLite (default) and PostgreSQL.

pub mod access;
pub mod backup;
pub mod batch;
pub mod group;
pub mod series;
pub mod steps;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::path::Path;
use std::time::Duration;

/// A pool on SQLite (`sqlite:` URLs, the embedded default) or PostgreSQL
/// (`postgres:`/`postgresql:` URLs, for several scheduler nodes). The same
/// queries and migrations serve both.
pub type Db = AnyPool;

/// `$first, $first+1, ...` for `n` values: only placeholders go into the
/// text of a query, never the values.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids in one `IN (...)` list: far below either database's limit on a
/// statement's parameters.
pub const IDS_PER_LIST: usize = 500;

/// The rows of `select` (a query ending in `IN`, whose other parameters
/// are none) for every one of `ids`, in lists of [`IDS_PER_LIST`].
pub async fn fetch_for_ids<T>(db: &Db, select: &str, ids: &[String]) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = db.acquire().await?;
    fetch_for_ids_on(&mut conn, select, ids).await
}

/// [`fetch_for_ids`] on a connection the caller holds (a page's other
/// reads, or a transaction).
pub async fn fetch_for_ids_on<T>(
    conn: &mut sqlx::AnyConnection,
    select: &str,
    ids: &[String],
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_LIST) {
        let sql = format!("{select} ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The schema's migrations, in order. A released migration never changes:
/// a new schema is a new file (`server/tests/upgrade.rs` checks that a
/// database of an earlier release migrates and keeps its meetings).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("bad database URL: {0}")]
    Url(String),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Opens (creating a SQLite file if needed) the database, applies the
/// migrations, then the one-time data steps ([`steps`]).
pub async fn connect(url: &str, data_dir: &Path) -> Result<Db, DbError> {
    sqlx::any::install_default_drivers();
    let (url, max) = match Backend::of(url) {
        Some(Backend::Sqlite) => {
            std::fs::create_dir_all(data_dir).map_err(|source| DbError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            // sqlx's SQLite defaults: foreign keys on, 5 s busy timeout;
            // the journal mode and durability are set below.
            let url = if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            use_wal(&url).await?;
            // Eight connections in all, as before there was a group
            // writer (`group::GroupWriter`, which has the eighth): each
            // keeps a page cache of up to 2 MB.
            (url, 7)
        }
        Some(Backend::Postgres) => (url.to_string(), 16),
        None => return Err(DbError::Url("expected a sqlite: or postgres: URL".into())),
    };
    let sqlite = Backend::of(&url) == Some(Backend::Sqlite);
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        // A SQLite connection is a file this process holds open: there is
        // no peer to have gone away, and the ping before each use was a
        // round trip to the connection's worker thread (about one in three
        // of a create's). A PostgreSQL connection is still checked.
        .test_before_acquire(!sqlite)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    set_up_sqlite(conn).await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    MIGRATOR.run(&pool).await?;
    steps::run(&pool, chrono::Utc::now()).await?;
    Ok(pool)
}

/// Gives a SQLite connection the settings every connection of the pool
/// has (durability, temporary b-trees).
async fn set_up_sqlite(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query(SQLITE_SYNCHRONOUS).execute(&mut *conn).await?;
    sqlx::query(SQLITE_TEMP_STORE).execute(&mut *conn).await?;
    Ok(())
}

/// A SQLite connection of its own, outside the pool, set up as the pool's
/// (for [`group::GroupWriter`]).
pub(crate) async fn open_sqlite_connection(url: &str) -> Result<sqlx::AnyConnection, sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    set_up_sqlite(&mut conn).await?;
    Ok(conn)
}

/// A migrated SQLite database in a new temporary directory, for unit tests;
/// the database lasts as long as the directory.
#[cfg(test)]
pub async fn test_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (connect(&url, dir.path()).await.unwrap(), dir)
}

/// Each SQLite connection's durability: in WAL mode, `NORMAL` syncs the
/// log at checkpoints only, not at every commit. A commit is in the log
/// (the operating system's cache) when it returns, so a crash of the
/// process loses nothing; a power cut or an operating system crash may
/// lose the last commits (docs/operations.md, "Database").
const SQLITE_SYNCHRONOUS: &str = "PRAGMA synchronous = NORMAL";

/// Where each SQLite connection keeps its temporary b-trees (the sorts of
/// an `ORDER BY` no index gives, a `UNION ALL`'s merge, `IN (SELECT ...)`
/// lists): in memory. The default is a temporary file, made and removed
/// again by each query that needs one: the home page's list of meetings
/// (`meetings::visible`, three sorts) took 340 µs on 50 meetings, 140 µs
/// in memory. What they hold is a query's intermediate rows, bounded by
/// the lists' limits.
const SQLITE_TEMP_STORE: &str = "PRAGMA temp_store = MEMORY";

/// Puts a SQLite database in WAL mode (a setting kept in the file): readers
/// then never block the writer nor the writer them, and a commit appends
/// to the log instead of rewriting pages through a rollback journal.
/// Done on a connection of its own before the pool opens, since changing
/// the mode needs the database to itself.
async fn use_wal(url: &str) -> Result<(), DbError> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    // An in-memory database answers "memory": it has no log to keep.
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(DbError::Url(format!(
            "the SQLite database refused WAL mode (it answered {mode})"
        )));
    }
    Ok(())
}

/// Which database `db` is on.
pub fn backend(db: &Db) -> Backend {
    Backend::of(db.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
}

/// Which database a connection is to.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Begins a transaction that will write, holding this process's turn at
/// the database's writer until it commits or is dropped (rolled back). On SQLite the writers of one process queue for their turn here,
/// in order, instead of polling SQLite's lock in its busy handler (which
/// sleeps up to 100 ms between tries, so that under load writers waited
/// seconds for a lock that was free most of the time); the transaction then
/// takes the write lock at `BEGIN` (`BEGIN IMMEDIATE`): a deferred one that
/// reads first and writes second fails at once with "database is locked"
/// when another writer (another process) came in between. PostgreSQL needs
/// neither.
pub async fn begin_write(db: &Db) -> Result<WriteTx, sqlx::Error> {
    match write_turn(db).await {
        Some(turn) => Ok(WriteTx {
            tx: db.begin_with("BEGIN IMMEDIATE").await?,
            _turn: Some(turn),
        }),
        None => Ok(WriteTx {
            tx: db.begin().await?,
            _turn: None,
        }),
    }
}

/// A write transaction and the writer's turn it holds: used as the
/// connection it runs on (`&mut *tx`), ended by [`WriteTx::commit`].
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<WriteTurn>,
}

impl WriteTx {
    /// Commits, then gives the writer's turn back.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Undoes everything, then gives the writer's turn back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// This process's turn at a SQLite database's writer (None on PostgreSQL):
/// for a single write outside [`begin_write`] on a busy path.
pub async fn write_turn(db: &Db) -> Option<WriteTurn> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Gates = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
    static GATES: OnceLock<Gates> = OnceLock::new();
    if backend(db) != Backend::Sqlite {
        return None;
    }
    let url = db.connect_options().database_url.to_string();
    let gate = {
        let mut gates = GATES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        gates.entry(url).or_default().clone()
    };
    let started = std::time::Instant::now();
    let turn = WriteTurn(gate.lock_owned().await);
    crate::metrics::db_write_turn_wait(started.elapsed());
    Some(turn)
}

/// Held while a process writes to a SQLite database (see [`begin_write`]).
pub struct WriteTurn(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>);

/// Is the database answering?
pub async fn ping(db: &Db) -> bool {
    sqlx::query("SELECT 1").execute(db).await.is_ok()
}

#[cfg(test)]
mod tests {
    /// SQLite is built with its query planner stability guarantee (see
    /// `.cargo/config.toml`): without it, a statement with a bound LIMIT is
    /// parsed and planned again at each execution.
    #[tokio::test]
    async fn sqlite_plans_do_not_follow_bound_values() {
        let (db, _dir) = super::test_db().await;
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&db)
            .await
            .unwrap();
        assert!(
            options.iter().any(|o| o == "ENABLE_QPSG"),
            "SQLite without ENABLE_QPSG: {options:?}"
        );
        // And without memory statistics (a process-wide mutex per malloc).
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "SQLite with memory statistics: {options:?}"
        );
    }

    /// Every connection of the pool, not only the first, has the settings
    /// `connect` gives: WAL (kept in the file), NORMAL durability and its
    /// temporary b-trees in memory.
    #[tokio::test]
    async fn sqlite_connections_are_set_up() {
        let (db, _dir) = super::test_db().await;
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = db.acquire().await.unwrap();
            let wal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            // synchronous: 1 is NORMAL; temp_store: 2 is MEMORY.
            assert_eq!((wal.as_str(), synchronous, temp_store), ("wal", 1, 2));
            held.push(conn);
        }
    }
}

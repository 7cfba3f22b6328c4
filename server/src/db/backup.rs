//! Backups of the SQLite database and restores of them (`cms-scheduler backup`,
//! `cms-scheduler restore`). A backup is SQLite's `VACUUM INTO`: a consistent
//! copy taken inside one read transaction, so the service keeps running and
//! writing while it is made. A restore checks the copy (integrity, and that
//! its migrations are ones this release knows), keeps the current database
//! beside it, puts the copy in place and migrates it to this release.
//! PostgreSQL is backed up with its own tools (`docs/operations.md`).

use super::Backend;
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backups of a PostgreSQL database are made with pg_dump and restored with pg_restore \
         (see docs/operations.md)"
    )]
    Postgres,
    #[error("not a SQLite database URL: {0}")]
    Url(String),
    #[error("{0} already exists: choose another name or remove it first")]
    Exists(String),
    #[error("there is no database at {0}")]
    NoDatabase(String),
    #[error("{path} is not a usable backup: {why}")]
    BadBackup { path: String, why: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] super::DbError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What a backup or a restore holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub meetings: i64,
    pub users: i64,
    /// The newest migration applied.
    pub schema_version: i64,
    pub bytes: u64,
}

/// The file of a `sqlite:` URL (`sqlite://path?options`, `sqlite:path`).
pub fn sqlite_path(url: &str) -> Result<PathBuf, BackupError> {
    match Backend::of(url) {
        Some(Backend::Sqlite) => {}
        Some(Backend::Postgres) => return Err(BackupError::Postgres),
        None => return Err(BackupError::Url(url.to_string())),
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(BackupError::Url(url.to_string()));
    }
    Ok(PathBuf::from(path))
}

async fn open(path: &Path, mode: &str) -> Result<sqlx::AnyConnection, BackupError> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode={mode}", path.display());
    Ok(sqlx::AnyConnection::connect(&url).await?)
}

/// Checks a database file and says what it holds.
async fn inspect(path: &Path) -> Result<Contents, BackupError> {
    let bad = |why: String| BackupError::BadBackup {
        path: path.display().to_string(),
        why,
    };
    let bytes = std::fs::metadata(path).map_err(io(path))?.len();
    let mut conn = open(path, "ro").await.map_err(|e| bad(e.to_string()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| bad(e.to_string()))?;
    if check != "ok" {
        return Err(bad(format!("integrity check: {check}")));
    }
    let count = |table: &'static str| format!("SELECT COUNT(*) FROM {table}");
    let mut one = async |sql: String| -> Result<i64, BackupError> {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut conn)
            .await
            .map_err(|e| bad(format!("not a scheduler database ({e})")))
    };
    let meetings = one(count("meetings")).await?;
    let users = one(count("users")).await?;
    let schema_version =
        one("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations".into()).await?;
    // A migration this release does not know: the backup is from a newer one.
    #[derive(sqlx::FromRow)]
    struct Applied {
        version: i64,
        checksum: Vec<u8>,
    }
    let applied: Vec<Applied> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| bad(e.to_string()))?;
    let known = super::MIGRATOR.iter().collect::<Vec<_>>();
    for Applied { version, checksum } in &applied {
        match known.iter().find(|m| m.version == *version) {
            None => {
                return Err(bad(format!(
                    "it was made by a newer release (schema version {version}); restore it with that release"
                )))
            }
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                return Err(bad(format!(
                    "its schema version {version} differs from this release's"
                )))
            }
            Some(_) => {}
        }
    }
    let _ = conn.close().await;
    Ok(Contents {
        meetings,
        users,
        schema_version,
        bytes,
    })
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Copies the database at `database_url` to `target` (which must not exist)
/// while the service may be running, and checks the copy.
pub async fn backup(database_url: &str, target: &Path) -> Result<Contents, BackupError> {
    let source = sqlite_path(database_url)?;
    if !source.exists() {
        return Err(BackupError::NoDatabase(source.display().to_string()));
    }
    if target.exists() {
        return Err(BackupError::Exists(target.display().to_string()));
    }
    // Written under another name, then renamed: a crash leaves no
    // half-written file under the backup's name.
    let partial = parent(target).join(format!(
        ".{}.partial",
        target.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_file(&partial);
    let mut conn = open(&source, "ro").await?;
    let made = sqlx::query("VACUUM INTO $1")
        .bind(partial.display().to_string())
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    if let Err(e) = made {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    let checked = async {
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io(&partial))?;
        inspect(&partial).await
    }
    .await;
    let contents = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    if target.exists() {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Exists(target.display().to_string()));
    }
    std::fs::rename(&partial, target).map_err(io(target))?;
    sync_dir(&parent(target))?;
    Ok(contents)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub contents: Contents,
    /// Where the database that was replaced now is (None if there was none).
    pub previous: Option<PathBuf>,
}

/// Puts the backup `from` in place of the database at `database_url` (the
/// service must be stopped: the caller checks), keeping the replaced one
/// beside it, and migrates the restored database to this release.
pub async fn restore(
    database_url: &str,
    from: &Path,
    stamp: &str,
) -> Result<Restored, BackupError> {
    let target = sqlite_path(database_url)?;
    if !from.exists() {
        return Err(BackupError::NoDatabase(from.display().to_string()));
    }
    inspect(from).await?;
    let dir = parent(&target);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let incoming = dir.join(format!(
        ".{}.restoring",
        target.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::copy(from, &incoming).map_err(io(&incoming))?;
    std::fs::File::open(&incoming)
        .and_then(|f| f.sync_all())
        .map_err(io(&incoming))?;
    // The database being replaced goes aside with its WAL and shared-memory
    // files: a WAL left next to the restored file would be replayed into it.
    let previous = if target.exists() {
        let aside = dir.join(format!(
            "{}.before-restore-{stamp}",
            target.file_name().unwrap_or_default().to_string_lossy()
        ));
        for suffix in ["-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", target.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                std::fs::rename(&from, &to).map_err(io(&from))?;
            }
        }
        std::fs::rename(&target, &aside).map_err(io(&target))?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&incoming, &target).map_err(io(&target))?;
    sync_dir(&dir)?;
    // An older backup is brought up to this release's schema now.
    let db = super::connect(database_url, &dir).await?;
    db.close().await;
    let contents = inspect(&target).await?;
    Ok(Restored { contents, previous })
}

/// Runs `PRAGMA wal_checkpoint` so that a copy of the file alone is whole
/// (used by tests that copy files directly).
pub async fn checkpoint(db: &super::Db) -> Result<(), sqlx::Error> {
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_urls() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/x/scheduler.db?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/x/scheduler.db")
        );
        assert_eq!(
            sqlite_path("sqlite:data/scheduler.db").unwrap(),
            PathBuf::from("data/scheduler.db")
        );
        assert!(matches!(
            sqlite_path("postgres://u@h/db"),
            Err(BackupError::Postgres)
        ));
        assert!(sqlite_path("sqlite::memory:").is_err());
        assert!(sqlite_path("mysql://x").is_err());
    }

    #[tokio::test]
    async fn a_backup_restores_and_refuses_what_it_must() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("scheduler.db").display());
        let db = super::super::connect(&url, dir.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, time_zone, created_at) \
             VALUES ('u1', 'ann', 'Ann', 'ann@example.com', 'UTC', 0)",
        )
        .execute(&db)
        .await
        .unwrap();
        let target = dir.path().join("copy.db");
        let made = backup(&url, &target).await.unwrap();
        assert_eq!((made.users, made.meetings), (1, 0));
        assert!(made.schema_version >= 2);
        // Never over an existing file.
        assert!(matches!(
            backup(&url, &target).await,
            Err(BackupError::Exists(_))
        ));
        // A file that is not a database is refused, and nothing is replaced.
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all").unwrap();
        assert!(matches!(
            restore(&url, &junk, "t0").await,
            Err(BackupError::BadBackup { .. })
        ));
        // Changes after the backup are gone after the restore; the replaced
        // database is kept.
        sqlx::query("DELETE FROM users").execute(&db).await.unwrap();
        db.close().await;
        let restored = restore(&url, &target, "t1").await.unwrap();
        assert_eq!(restored.contents.users, 1);
        let previous = restored.previous.unwrap();
        assert_eq!(
            inspect(&previous).await.unwrap().users,
            0,
            "the replaced one, as it was"
        );
        // A backup from a newer release (an unknown migration) is refused.
        let db = super::super::connect(&url, dir.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES (9999, 'future', CURRENT_TIMESTAMP, TRUE, x'00', 0)",
        )
        .execute(&db)
        .await
        .unwrap();
        checkpoint(&db).await.unwrap();
        db.close().await;
        let future = dir.path().join("future.db");
        std::fs::copy(dir.path().join("scheduler.db"), &future).unwrap();
        let err = restore(&url, &future, "t2").await.unwrap_err();
        assert!(err.to_string().contains("newer release"), "{err}");
    }
}

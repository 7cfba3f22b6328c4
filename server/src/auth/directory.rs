//! Where users and their passwords come from: local accounts in the
//! database (`LocalDirectory`), and the organization's directory
//! (`auth::ldap`) behind them (`Directories`). Which wins for a name in
//! both: a local account with a password is only ever signed in with that
//! password; any other name goes to the directory (docs/directory.md).

use super::ldap::{LdapDirectory, LdapError};
use super::password;
use super::users::{self, UserRecord};
use crate::db::Db;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("user directory unavailable: {0}")]
    Unavailable(String),
    /// The organization's directory is down or misconfigured: the person
    /// is told to try again later, the cause goes to the log.
    #[error(transparent)]
    Directory(#[from] LdapError),
}

#[async_trait::async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// The user when the credentials are right, `None` when they are not.
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, DirectoryError>;

    /// The signed-in user as they are now: the same, refreshed from the
    /// directory, or `None` when the directory no longer has them (their
    /// sessions and tokens are then ended).
    async fn recheck(
        &self,
        user: UserRecord,
        _now_ms: i64,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        Ok(Some(user))
    }
}

/// Accounts stored in the scheduler's database with Argon2id hashes.
pub struct LocalDirectory {
    db: Db,
}

impl LocalDirectory {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl UserDirectory for LocalDirectory {
    async fn authenticate(
        &self,
        username: &str,
        pw: &str,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        let found = users::find_for_login(&self.db, username)
            .await
            .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        verify_local(found, pw).await
    }
}

/// Checks `pw` against a local account's hash, taking as long whether or
/// not the account exists (a dummy hash is verified for a missing one).
async fn verify_local(
    found: Option<users::LoginRecord>,
    pw: &str,
) -> Result<Option<UserRecord>, DirectoryError> {
    let pw = pw.to_owned();
    tokio::task::spawn_blocking(move || match found {
        Some(users::LoginRecord {
            user,
            password_hash: Some(hash),
        }) => password::verify(&pw, &hash).then_some(user),
        _ => {
            password::verify_dummy(&pw);
            None
        }
    })
    .await
    .map_err(|e| DirectoryError::Unavailable(e.to_string()))
}

/// Local accounts first, then the organization's directory.
pub struct Directories {
    db: Db,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    ldap: LdapDirectory,
}

impl Directories {
    pub fn new(
        db: Db,
        ldap: LdapDirectory,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Self {
        Self { clock, db, ldap }
    }
}

#[async_trait::async_trait]
impl UserDirectory for Directories {
    async fn authenticate(
        &self,
        username: &str,
        pw: &str,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        let found = users::find_for_login(&self.db, username)
            .await
            .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        let local_password = found.as_ref().is_some_and(|l| l.password_hash.is_some());
        let cfg = match self.ldap.config() {
            Ok(cfg) => cfg,
            // A broken configuration file must not lock out local accounts.
            Err(e) if local_password => {
                tracing::warn!("directory settings unreadable: {e}");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let Some(cfg) = cfg.filter(|_| !local_password) else {
            // The account already read: the local check does not read it again.
            return verify_local(found, pw).await;
        };
        let Some(person) = self.ldap.sign_in(&cfg, username, pw).await? else {
            return Ok(None);
        };
        let now = crate::clock::to_millis(self.clock.now());
        match users::store_directory_person(&self.db, &person, now).await {
            Ok(user) => Ok(Some(user)),
            Err(users::UserError::Taken(name)) => {
                tracing::warn!(username = %name, "a local account appeared during a directory sign-in");
                Ok(None)
            }
            Err(e) => Err(LdapError::Misconfigured(format!(
                "the directory entry {} cannot be a scheduler account: {e}",
                person.dn
            ))
            .into()),
        }
    }

    async fn recheck(
        &self,
        user: UserRecord,
        now_ms: i64,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        if !user.is_directory_user() {
            return Ok(Some(user));
        }
        let cfg = match self.ldap.config() {
            Ok(Some(cfg)) => cfg,
            Ok(None) => return Ok(Some(user)),
            Err(e) => {
                tracing::warn!("directory settings unreadable, re-check skipped: {e}");
                return Ok(Some(user));
            }
        };
        let due = user
            .directory_checked_at
            .is_none_or(|at| now_ms - at >= i64::from(cfg.recheck_seconds) * 1000);
        if !due {
            return Ok(Some(user));
        }
        let db_err = |e: sqlx::Error| DirectoryError::Unavailable(e.to_string());
        match self.ldap.recheck(&cfg, &user.username).await {
            Ok(Some(person)) => {
                match users::store_directory_person(&self.db, &person, now_ms).await {
                    Ok(fresh) => {
                        if fresh.is_admin != user.is_admin {
                            tracing::info!(user = %fresh.username, admin = fresh.is_admin, "administrator membership changed in the directory");
                        }
                        Ok(Some(fresh))
                    }
                    Err(e) => {
                        tracing::warn!(user = %user.username, "directory re-check could not be stored: {e}");
                        users::mark_directory_checked(&self.db, &user.id, now_ms)
                            .await
                            .map_err(db_err)?;
                        Ok(Some(user))
                    }
                }
            }
            Ok(None) => {
                tracing::info!(user = %user.username, "no longer in the directory: sessions ended");
                users::end_directory_user(&self.db, &user.id)
                    .await
                    .map_err(db_err)?;
                Ok(None)
            }
            Err(e) => {
                // Down: the person keeps their session; asked again after
                // the next interval.
                tracing::warn!(user = %user.username, "directory re-check failed: {e}");
                users::mark_directory_checked(&self.db, &user.id, now_ms)
                    .await
                    .map_err(db_err)?;
                Ok(Some(user))
            }
        }
    }
}

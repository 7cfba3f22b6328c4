//! Where users and their passwords come from. The local database is the
//! first source; an LDAP directory can be added as a second implementation.

use super::password;
use super::users::{self, UserRecord};
use crate::db::Db;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("user directory unavailable: {0}")]
    Unavailable(String),
}

#[async_trait::async_trait]
pub trait UserDirectory: Send + Sync + 'static {
    /// The user when the credentials are right, `None` when they are not.
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, DirectoryError>;
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
        let pw = pw.to_owned();
        let ok = tokio::task::spawn_blocking(move || match found {
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
        .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        Ok(ok)
    }
}

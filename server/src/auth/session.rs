//! Server-side sessions. The cookie holds a random token; the database holds
//! only its SHA-256, the user and the expiry.

use super::random_token;
use super::users::UserRecord;
use crate::db::Db;
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "sid";
/// Sessions last 7 days from sign-in.
pub const LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a session for `user_id`, returning the cookie value.
pub async fn create(db: &Db, user_id: &str, now_ms: i64) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(digest(&token))
    .bind(user_id)
    .bind(now_ms)
    .bind(now_ms + LIFETIME_MS)
    .execute(db)
    .await?;
    Ok(token)
}

/// The user of a live session.
pub async fn lookup(db: &Db, token: &str, now_ms: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    if !super::is_token_shaped(token) {
        return Ok(None);
    }
    let user_id: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(digest(token))
            .bind(now_ms)
            .fetch_optional(db)
            .await?;
    match user_id {
        Some(id) => super::users::find_by_id(db, &id).await,
        None => Ok(None),
    }
}

pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(digest(token))
        .execute(db)
        .await?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub async fn delete_expired(db: &Db, now_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(db)
        .await?
        .rows_affected())
}

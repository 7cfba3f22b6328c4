//! API tokens: `Authorization: Bearer sch_...` for integrations. Created by
//! an administrator (`cms-scheduler user token <username>`), shown once, stored as
//! a SHA-256 hash.

use super::users::UserRecord;
use crate::db::Db;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "sch_";

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Makes a token for the user; returns it (the only time it is visible).
pub async fn create(
    db: &Db,
    user_id: &str,
    name: &str,
    now_ms: i64,
) -> Result<String, sqlx::Error> {
    let token = format!("{PREFIX}{}", super::random_token());
    sqlx::query(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(digest(&token))
    .bind(user_id)
    .bind(name)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(token)
}

/// The user a token belongs to.
pub async fn lookup(db: &Db, token: &str, now_ms: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    let Some(rest) = token.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    if !super::is_token_shaped(rest) {
        return Ok(None);
    }
    let hash = digest(token);
    let Some(super::users::TokenOwner {
        user,
        last_used_at: last_used,
    }) = super::users::find_by_token_hash(db, &hash).await?
    else {
        return Ok(None);
    };
    // Recorded at most once a minute: a write per request would make every
    // API call queue behind SQLite's single writer. In this process's
    // writer queue like its other writes (outside it, the UPDATE met a
    // create's transaction in SQLite's busy handler, which sleeps); the
    // condition again in the statement, so that of the calls that all saw
    // the old time at once only the first writes.
    if last_used.is_none_or(|t| now_ms - t >= LAST_USED_RESOLUTION_MS) {
        let _turn = crate::db::write_turn(db).await;
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 \
             AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(now_ms)
        .bind(&hash)
        .bind(now_ms - LAST_USED_RESOLUTION_MS)
        .execute(db)
        .await?;
    }
    Ok(Some(user))
}

/// How precisely `last_used_at` is kept.
pub const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// Removes every token of a user named `name`; returns how many.
pub async fn revoke(db: &Db, user_id: &str, name: &str) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND name = $2")
            .bind(user_id)
            .bind(name)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

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
    super::users::find_by_session_hash(db, &digest(token), now_ms).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::{self, NewUser};

    #[tokio::test]
    async fn a_live_session_finds_its_user_and_nothing_else_does() {
        let (db, _dir) = crate::db::test_db().await;
        let now = 1_700_000_000_000;
        let new = |username, email| NewUser {
            username,
            display_name: "A Person",
            email,
            password: Some("long enough"),
            time_zone: "Europe/Paris",
            jid: None,
        };
        let alice = users::create(&db, new("alice", "alice@example.com"), now)
            .await
            .unwrap();
        users::create(&db, new("bob", "bob@example.com"), now)
            .await
            .unwrap();
        let token = create(&db, &alice, now).await.unwrap();

        let found = lookup(&db, &token, now + 1).await.unwrap().unwrap();
        assert_eq!(
            (found.id.as_str(), found.username.as_str()),
            (alice.as_str(), "alice")
        );
        // Expired, unknown, not shaped like a token, or ended: no one.
        assert!(lookup(&db, &token, now + LIFETIME_MS)
            .await
            .unwrap()
            .is_none());
        assert!(lookup(&db, &random_token(), now + 1)
            .await
            .unwrap()
            .is_none());
        assert!(lookup(&db, "x", now + 1).await.unwrap().is_none());
        delete(&db, &token).await.unwrap();
        assert!(lookup(&db, &token, now + 1).await.unwrap().is_none());
    }
}

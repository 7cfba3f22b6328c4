//! User accounts in the database.

use super::password;
use crate::db::Db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub time_zone: String,
    pub locale: String,
    pub last_login_at: Option<i64>,
    pub previous_login_at: Option<i64>,
    pub is_admin: bool,
    /// The directory entry this user signs in as; `None` for local accounts.
    pub directory_dn: Option<String>,
    /// Their Call Bridge user's JID: for a directory person the one the
    /// directory's mapping gave, for a local account the one set with
    /// `cms-scheduler user add --jid` (or `cms-scheduler user jid`). None: no Call
    /// Bridge user.
    pub jid: Option<String>,
    /// When the directory last confirmed this user (ms).
    pub directory_checked_at: Option<i64>,
}

impl UserRecord {
    /// Signs in through the directory (LDAP), not with a local password.
    pub fn is_directory_user(&self) -> bool {
        self.directory_dn.is_some()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("the username {0} is taken")]
    Taken(String),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password: Option<&'a str>,
    pub time_zone: &'a str,
    /// The JID of their Call Bridge user (a local account has none unless
    /// given one).
    pub jid: Option<&'a str>,
}

/// A JID as stored: trimmed and lower-cased (CMS compares JIDs without
/// case); an empty one is none.
pub fn normalize_jid(jid: &str) -> Option<String> {
    let jid = jid.trim().to_lowercase();
    (!jid.is_empty()).then_some(jid)
}

/// Usernames are case-insensitive: stored and looked up in lower case.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

fn validate(u: &NewUser<'_>) -> Result<(), UserError> {
    let name = normalize_username(u.username);
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(UserError::Invalid(
            "a username has 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
        ));
    }
    let display = u.display_name.trim();
    if display.is_empty() || display.chars().count() > 128 || display.chars().any(char::is_control)
    {
        return Err(UserError::Invalid(
            "a display name has 1 to 128 characters and no control characters".into(),
        ));
    }
    let email = u.email.trim();
    if !crate::address::valid_email(email) {
        return Err(UserError::Invalid(format!(
            "{email:?} is not a valid e-mail address"
        )));
    }
    if u.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(UserError::Invalid(format!(
            "unknown time zone {:?}",
            u.time_zone
        )));
    }
    if let Some(p) = u.password {
        if p.chars().count() < password::MIN_LENGTH || p.len() > password::MAX_LENGTH {
            return Err(UserError::Invalid(format!(
                "a password has at least {} characters",
                password::MIN_LENGTH
            )));
        }
    }
    Ok(())
}

pub async fn create(db: &Db, u: NewUser<'_>, now_ms: i64) -> Result<String, UserError> {
    validate(&u)?;
    let username = normalize_username(u.username);
    let hash = match u.password {
        Some(p) => {
            let p = p.to_owned();
            Some(
                tokio::task::spawn_blocking(move || password::hash(&p))
                    .await
                    .map_err(|e| UserError::Invalid(format!("hashing task failed: {e}")))??,
            )
        }
        None => None,
    };
    let id = uuid::Uuid::new_v4().to_string();
    let result = sqlx::query(
        "INSERT INTO users (id, username, display_name, email, password_hash, time_zone, jid, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&username)
    .bind(u.display_name.trim())
    .bind(u.email.trim())
    .bind(hash)
    .bind(u.time_zone)
    .bind(u.jid.and_then(normalize_jid))
    .bind(now_ms)
    .execute(db)
    .await;
    match result {
        Ok(_) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(UserError::Taken(username)),
        Err(e) => Err(e.into()),
    }
}

/// A `users` row as the rest of the server reads it.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    username: String,
    display_name: String,
    email: String,
    time_zone: String,
    locale: String,
    last_login_at: Option<i64>,
    previous_login_at: Option<i64>,
    is_admin: i64,
    directory_dn: Option<String>,
    jid: Option<String>,
    directory_checked_at: Option<i64>,
}

impl From<UserRow> for UserRecord {
    fn from(r: UserRow) -> Self {
        UserRecord {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            time_zone: r.time_zone,
            locale: r.locale,
            last_login_at: r.last_login_at,
            previous_login_at: r.previous_login_at,
            is_admin: r.is_admin != 0,
            directory_dn: r.directory_dn,
            jid: r.jid,
            directory_checked_at: r.directory_checked_at,
        }
    }
}

macro_rules! columns {
    () => {
        "id, username, display_name, email, time_zone, locale, last_login_at, previous_login_at, is_admin, \
         directory_dn, jid, directory_checked_at"
    };
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
    Ok(sqlx::query_as::<_, UserRow>(sql)
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(UserRecord::from))
}

/// The user a live session (by its id's hash) belongs to, in one query: a
/// page's session check was two round trips to the database.
pub async fn find_by_session_hash(
    db: &Db,
    id_hash: &str,
    now_ms: i64,
) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM users WHERE id = (SELECT user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2)"
    );
    Ok(sqlx::query_as::<_, UserRow>(sql)
        .bind(id_hash)
        .bind(now_ms)
        .fetch_optional(db)
        .await?
        .map(UserRecord::from))
}

/// The signed-in person's whole record as a request's session middleware
/// read it (after the directory re-check), for the REST handlers: they need
/// more of it than the pages' `RequestAuth` carries, and reading it again
/// was one more database round trip per API call.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Option<UserRecord>);

/// The owner of an API token (by the token's hash) and when the token was
/// last used, in one query.
pub struct TokenOwner {
    pub user: UserRecord,
    pub last_used_at: Option<i64>,
}

pub async fn find_by_token_hash(db: &Db, hash: &str) -> Result<Option<TokenOwner>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        token_last_used_at: Option<i64>,
    }
    let sql = concat!(
        "SELECT ",
        columns!(),
        ", (SELECT last_used_at FROM api_tokens WHERE token_hash = $1) AS token_last_used_at \
         FROM users WHERE id = (SELECT user_id FROM api_tokens WHERE token_hash = $1)"
    );
    Ok(sqlx::query_as::<_, Row>(sql)
        .bind(hash)
        .fetch_optional(db)
        .await?
        .map(|r| TokenOwner {
            user: r.user.into(),
            last_used_at: r.token_last_used_at,
        }))
}

/// The user with this username (any case).
pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    Ok(find_for_login(db, username).await?.map(|l| l.user))
}

/// A user and their password hash, for signing in.
pub struct LoginRecord {
    pub user: UserRecord,
    /// None for directory users.
    pub password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: Option<String>,
}

/// The user and their password hash (None for directory users).
pub async fn find_for_login(db: &Db, username: &str) -> Result<Option<LoginRecord>, sqlx::Error> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        ", password_hash FROM users WHERE username = $1"
    );
    Ok(sqlx::query_as::<_, LoginRow>(sql)
        .bind(normalize_username(username))
        .fetch_optional(db)
        .await?
        .map(|r| LoginRecord {
            user: r.user.into(),
            password_hash: r.password_hash,
        }))
}

/// Makes a user an administrator, or no longer one. Answers whether the
/// user exists.
pub async fn set_admin(db: &Db, username: &str, admin: bool) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET is_admin = $1 WHERE username = $2")
        .bind(i64::from(admin))
        .bind(normalize_username(username))
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets (or with `None` clears) the Call Bridge JID of a local account.
/// Answers whether there is such a local account (a directory person's JID
/// comes from the directory's mapping only).
pub async fn set_jid(db: &Db, username: &str, jid: Option<&str>) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE users SET jid = $1 WHERE username = $2 AND directory_dn IS NULL")
            .bind(jid.and_then(normalize_jid))
            .bind(normalize_username(username))
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a successful sign-in: the last one becomes the previous one.
pub async fn record_login(db: &Db, id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET previous_login_at = last_login_at, last_login_at = $1 WHERE id = $2",
    )
    .bind(now_ms)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_password(db: &Db, username: &str, new_password: &str) -> Result<bool, UserError> {
    if new_password.chars().count() < password::MIN_LENGTH
        || new_password.len() > password::MAX_LENGTH
    {
        return Err(UserError::Invalid(format!(
            "a password has at least {} characters",
            password::MIN_LENGTH
        )));
    }
    let p = new_password.to_owned();
    let hash = tokio::task::spawn_blocking(move || password::hash(&p))
        .await
        .map_err(|e| UserError::Invalid(format!("hashing task failed: {e}")))??;
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(hash)
        .bind(normalize_username(username))
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What the directory says about a person at sign-in or at a re-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryPerson {
    pub username: String,
    pub dn: String,
    pub display_name: String,
    pub email: String,
    /// An IANA zone from the directory, when it has a valid one.
    pub time_zone: Option<String>,
    pub jid: Option<String>,
    pub is_admin: bool,
}

/// Creates or refreshes the `users` row of a directory person (no
/// password hash) and answers it. A local account with a password is never
/// taken over: the caller checks that first (`auth::directory`).
pub async fn store_directory_person(
    db: &Db,
    p: &DirectoryPerson,
    now_ms: i64,
) -> Result<UserRecord, UserError> {
    let username = normalize_username(&p.username);
    let tz = p.time_zone.as_deref().unwrap_or("UTC");
    validate(&NewUser {
        username: &username,
        display_name: &p.display_name,
        email: &p.email,
        password: None,
        time_zone: tz,
        jid: None,
    })?;
    let updated = sqlx::query(
        "UPDATE users SET display_name = $1, email = $2, is_admin = $3, directory_dn = $4, \
         jid = $5, directory_checked_at = $6, source = 'ldap', \
         time_zone = CASE WHEN $7 = '' THEN time_zone ELSE $7 END \
         WHERE username = $8 AND password_hash IS NULL",
    )
    .bind(p.display_name.trim())
    .bind(p.email.trim())
    .bind(i64::from(p.is_admin))
    .bind(&p.dn)
    .bind(&p.jid)
    .bind(now_ms)
    .bind(p.time_zone.as_deref().unwrap_or(""))
    .bind(&username)
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        let id = uuid::Uuid::new_v4().to_string();
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, display_name, email, password_hash, source, \
             time_zone, is_admin, directory_dn, jid, directory_checked_at, created_at) \
             VALUES ($1, $2, $3, $4, NULL, 'ldap', $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&username)
        .bind(p.display_name.trim())
        .bind(p.email.trim())
        .bind(tz)
        .bind(i64::from(p.is_admin))
        .bind(&p.dn)
        .bind(&p.jid)
        .bind(now_ms)
        .bind(now_ms)
        .execute(db)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(UserError::Taken(username))
            }
            Err(e) => return Err(e.into()),
        }
    }
    find_by_username(db, &username)
        .await?
        .ok_or_else(|| UserError::Invalid(format!("{username} vanished while signing in")))
}

/// Records that the directory was asked about this user at `now_ms`.
pub async fn mark_directory_checked(db: &Db, id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET directory_checked_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A person the directory no longer has: their sessions and API tokens
/// end, they are no administrator, and they must sign in again (which the
/// directory will refuse). The row stays: their meetings keep an organizer.
pub async fn end_directory_user(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    let mut tx = crate::db::begin_write(db).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET is_admin = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user<'a>(username: &'a str, email: &'a str, tz: &'a str) -> NewUser<'a> {
        NewUser {
            username,
            display_name: "A Person",
            email,
            password: Some("long enough"),
            time_zone: tz,
            jid: None,
        }
    }

    #[test]
    fn validation_refuses_bad_input() {
        assert!(validate(&user("alice", "alice@example.com", "Europe/Paris")).is_ok());
        assert!(validate(&user("", "alice@example.com", "UTC")).is_err());
        assert!(validate(&user("al ice", "alice@example.com", "UTC")).is_err());
        assert!(validate(&user("alice", "alice@example", "UTC")).is_err());
        assert!(validate(&user("alice", "alice@exa\r\nmple.com", "UTC")).is_err());
        assert!(validate(&user("alice", "alice@example.com", "Mars/Olympus")).is_err());
        let mut short = user("alice", "alice@example.com", "UTC");
        short.password = Some("short");
        assert!(validate(&short).is_err());
    }
}

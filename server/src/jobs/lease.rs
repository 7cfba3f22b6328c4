//! A lease in the database: one holder at a time per job name, taken over
//! when it expires (its holder died). Portable SQL (SQLite and PostgreSQL).

use crate::db::Db;

/// Takes (or renews) the lease `name` for `holder` until `until_ms`, if it is
/// free, expired, or already held by `holder`. True when taken.
pub async fn acquire(
    db: &Db,
    name: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO job_leases (name, holder, until_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
         WHERE job_leases.until_ms <= $4 OR job_leases.holder = excluded.holder",
    )
    .bind(name)
    .bind(holder)
    .bind(until_ms)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back (only if `holder` still has it).
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE job_leases SET until_ms = 0 WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db)
        .await?;
    Ok(())
}

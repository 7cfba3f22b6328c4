//! A space's ways in, as stored in `space_access`: one row per role (access
//! method) with its URI, call ID, passcode and web join link. Read by the
//! meeting page (dial-in information) and the e-mails.

/// One role's dial-in information.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessRow {
    pub role: String,
    pub uri: Option<String>,
    pub call_id: Option<String>,
    pub passcode: Option<String>,
    pub join_url: Option<String>,
}

/// [`AccessRow`] with the space it belongs to, for reading several spaces at once.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SpaceAccessRow {
    pub space_id: String,
    #[sqlx(flatten)]
    pub access: AccessRow,
}

/// The roles of one space, in their template's order.
pub async fn for_space(
    conn: &mut sqlx::AnyConnection,
    space_id: &str,
) -> Result<Vec<AccessRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT role, uri, call_id, passcode, join_url FROM space_access WHERE space_id = $1 ORDER BY position",
    )
    .bind(space_id)
    .fetch_all(conn)
    .await
}

/// The roles of several spaces, by space then position.
pub async fn for_spaces(
    db: &super::Db,
    space_ids: &[String],
) -> Result<Vec<SpaceAccessRow>, sqlx::Error> {
    if space_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT space_id, role, uri, call_id, passcode, join_url FROM space_access \
         WHERE space_id IN ({}) ORDER BY space_id, position",
        super::placeholders(1, space_ids.len())
    );
    let mut q = sqlx::query_as::<_, SpaceAccessRow>(sqlx::AssertSqlSafe(sql));
    for id in space_ids {
        q = q.bind(id);
    }
    q.fetch_all(db).await
}

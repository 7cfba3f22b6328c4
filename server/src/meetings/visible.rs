//! Which meetings a person sees in a list: those they organize and those
//! they are invited to (by e-mail address, in any case), as one SQL text
//! of two parts that each use an index. `m.organizer_id = $1 OR EXISTS
//! (an attendee with their address)` could use neither, so every list
//! walked every meeting of every user (on a copy of the schema with
//! 36,000 meetings, a home page's query took 27-54 ms in SQLite, 1-2 ms
//! now; the `plans` test keeps each part on its index).

/// `SELECT * FROM (own) UNION ALL SELECT * FROM (invited)` and `$outer`:
/// user `$1` (e-mail `$2`) organizes the first part's meetings (by
/// `meetings_organizer_start`, or `meetings_series_organizer` for series:
/// migration 0009) and is invited to the second's, without organizing
/// them (by `meeting_attendees_email`), so no meeting is in both. Each part
/// selects `$own`/`$invited` (the same column names) `$from` (which names
/// the meetings table `m`) where `$filter`, then `$inner` (its ORDER BY
/// and LIMIT, so that each part reads only what the whole can show).
macro_rules! own_and_invited {
    (own: $own:expr, invited: $invited:expr, from: $from:expr, filter: $filter:expr,
     inner: $inner:expr, outer: $outer:expr) => {
        concat!(
            "SELECT * FROM (SELECT ",
            $own,
            $from,
            " WHERE m.organizer_id = $1 AND ",
            $filter,
            $inner,
            ") AS own_meetings UNION ALL SELECT * FROM (SELECT ",
            $invited,
            $from,
            " WHERE m.id IN (SELECT meeting_id FROM meeting_attendees WHERE lower(email) = lower($2)) \
             AND m.organizer_id <> $1 AND ",
            $filter,
            $inner,
            ") AS invited_meetings",
            $outer
        )
    };
}
pub(crate) use own_and_invited;

#[cfg(test)]
mod tests {
    use crate::db::Db;
    use sqlx::any::AnyRow;
    use sqlx::Row;

    /// One text column of every row.
    fn column(rows: &[AnyRow], name: &str) -> Vec<String> {
        rows.iter().map(|r| r.get::<String, _>(name)).collect()
    }

    const HOUR: i64 = 3_600_000;
    const NOW: i64 = 1_800_000_000_000;

    async fn user(db: &Db, id: &str, email: &str) {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, created_at) VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(id)
        .bind(id)
        .bind(id.to_uppercase())
        .bind(email)
        .execute(db)
        .await
        .unwrap();
    }

    async fn meeting(
        db: &Db,
        id: &str,
        organizer: &str,
        start: i64,
        rrule: Option<&str>,
        attendees: &[&str],
    ) {
        sqlx::query(
            "INSERT INTO meetings (id, organizer_id, name, time_zone, starts_at, ends_at, rrule, created_at, updated_at) \
             VALUES ($1, $2, $3, 'UTC', $4, $5, $6, 0, 0)",
        )
        .bind(id)
        .bind(organizer)
        .bind(format!("Meeting {id}"))
        .bind(start)
        .bind(start + HOUR)
        .bind(rrule)
        .execute(db)
        .await
        .unwrap();
        for (i, a) in attendees.iter().enumerate() {
            sqlx::query("INSERT INTO meeting_attendees (meeting_id, position, email, role) VALUES ($1, $2, $3, 'guest')")
                .bind(id)
                .bind(i as i64)
                .bind(*a)
                .execute(db)
                .await
                .unwrap();
        }
    }

    /// The first `limit` meetings of SINGLES, sorted and cut as
    /// `lists::upcoming` does with its two parts.
    async fn singles(db: &Db, id: &str, email: &str, limit: i64) -> Vec<String> {
        let rows = sqlx::query(super::super::lists::SINGLES)
            .bind(id)
            .bind(email)
            .bind(NOW)
            .bind(limit)
            .bind(NOW - crate::recurrence::MAX_DURATION.num_milliseconds())
            .fetch_all(db)
            .await
            .unwrap();
        assert!(
            rows.len() as i64 <= 2 * limit,
            "each part stops at the limit"
        );
        let mut listed: Vec<(i64, String)> = rows
            .iter()
            .map(|r| (r.get::<i64, _>("starts_at"), r.get::<String, _>("id")))
            .collect();
        listed.sort();
        listed.truncate(limit as usize);
        listed.into_iter().map(|(_, id)| id).collect()
    }

    #[tokio::test]
    async fn own_and_invited_meetings_once_each_in_start_order() {
        let (db, _dir) = crate::db::test_db().await;
        user(&db, "ann", "Ann@Example.com").await;
        user(&db, "bob", "bob@example.com").await;
        // Ann's own (also listing herself), Bob's with Ann invited in
        // another case, one without her, one that ended, and a series.
        meeting(
            &db,
            "a1",
            "ann",
            NOW + 3 * HOUR,
            None,
            &["ann@example.com", "bob@example.com"],
        )
        .await;
        meeting(&db, "b1", "bob", NOW + HOUR, None, &["ANN@example.COM"]).await;
        meeting(
            &db,
            "b2",
            "bob",
            NOW + 2 * HOUR,
            None,
            &["carol@example.com"],
        )
        .await;
        meeting(&db, "b3", "bob", NOW - 2 * HOUR, None, &["ann@example.com"]).await;
        meeting(&db, "b4", "bob", NOW - HOUR / 2, None, &["ann@example.com"]).await;
        meeting(
            &db,
            "a2",
            "ann",
            NOW - 30 * 24 * HOUR,
            Some("FREQ=DAILY"),
            &[],
        )
        .await;
        assert_eq!(
            singles(&db, "ann", "Ann@Example.com", 10).await,
            ["b4", "b1", "a1"],
            "b4 still runs"
        );
        assert_eq!(
            singles(&db, "ann", "ann@example.com", 2).await,
            ["b4", "b1"]
        );
        assert_eq!(
            singles(&db, "bob", "bob@example.com", 10).await,
            ["b4", "b1", "b2", "a1"]
        );
        assert_eq!(singles(&db, "carol", "carol@example.com", 10).await, ["b2"]);
        let series = sqlx::query(super::super::lists::SERIES)
            .bind("ann")
            .bind("ann@example.com")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(column(&series, "id"), ["a2"]);
    }

    /// SQLite's plan for each list reads the person's rows by index: no
    /// part walks the meetings table, nor an index of everyone's meetings.
    #[tokio::test]
    async fn plans() {
        let (db, _dir) = crate::db::test_db().await;
        let queries: [(&str, &str, usize); 4] = [
            ("singles", super::super::lists::SINGLES, 5),
            ("series", super::super::lists::SERIES, 2),
            ("feed", super::super::feed::FEED, 5),
            ("api list", super::super::api::LIST_CANDIDATES, 7),
        ];
        for (name, sql, params) in queries {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
            for i in 0..params {
                q = q.bind(i as i64);
            }
            let plan = column(&q.fetch_all(&db).await.unwrap(), "detail");
            let text = plan.join("\n");
            assert!(
                !plan
                    .iter()
                    .any(|l| l.starts_with("SCAN m ") || l == "SCAN m"),
                "{name} walks the meetings:\n{text}"
            );
            assert!(!text.contains("meetings_start"), "{name}:\n{text}");
            assert!(text.contains("meeting_attendees_email"), "{name}:\n{text}");
            assert!(
                text.contains("meetings_organizer_start")
                    || text.contains("meetings_series_organizer")
                    || text.contains("meetings_organizer_end"),
                "{name}:\n{text}"
            );
        }
    }
}

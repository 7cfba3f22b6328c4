//! Statements sent together: on SQLite as one multi-statement query, on
//! PostgreSQL one after the other.
//!
//! Why: sqlx runs each SQLite connection on a thread of its own, and every
//! statement is a round trip to it (the request's task sends the statement,
//! the connection's thread wakes, runs it and sends the outcome back, the
//! task wakes). A new meeting's transaction is seven statements; as one
//! query it is one round trip. sqlx binds a `$n` of any statement of a
//! multi-statement query to the query's n-th value, so each statement's
//! own `$1, $2, ...` are numbered on after the statements before it.

use super::Backend;

/// A value bound to a statement of a [`Batch`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    /// A number or NULL (PostgreSQL checks a NULL's type against its
    /// column's).
    MaybeInt(Option<i64>),
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::MaybeText(v)
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::MaybeText(v.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::MaybeInt(v)
    }
}

/// One statement of a batch: its SQL with `$1...$n` of its own, and its
/// values.
#[derive(Debug, Clone)]
struct Statement {
    sql: String,
    values: Vec<Value>,
}

/// Statements to run in order on one connection (usually a transaction's):
/// they stop at the first that fails, whose error is returned.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    statements: Vec<Statement>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a statement whose placeholders are `$1..$n` for `values`.
    pub fn push(&mut self, sql: impl Into<String>, values: Vec<Value>) {
        let sql = sql.into();
        debug_assert_eq!(
            highest_placeholder(&sql),
            values.len(),
            "placeholders and values of: {sql}"
        );
        self.statements.push(Statement { sql, values });
    }

    /// Adds `other`'s statements after these.
    pub fn append(&mut self, other: Batch) {
        self.statements.extend(other.statements);
    }

    /// Runs the statements on `conn`.
    pub async fn run(self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        match super::backend_of(conn) {
            Backend::Sqlite => {
                if self.statements.is_empty() {
                    return Ok(());
                }
                let (sql, values) = self.into_one();
                bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), values)
                    .execute(&mut *conn)
                    .await?;
            }
            Backend::Postgres => {
                for s in self.statements {
                    bind_all(sqlx::query(sqlx::AssertSqlSafe(s.sql)), s.values)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// The statements as one query: each one's placeholders numbered on
    /// after the values of the statements before it.
    fn into_one(self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        for s in self.statements {
            if !sql.is_empty() {
                sql.push_str(";\n");
            }
            renumber(&s.sql, values.len(), &mut sql);
            values.extend(s.values);
        }
        (sql, values)
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for v in values {
        q = match v {
            Value::Text(t) => q.bind(t),
            Value::MaybeText(t) => q.bind(t),
            Value::Int(i) => q.bind(i),
            Value::MaybeInt(i) => q.bind(i),
        };
    }
    q
}

/// A piece of a statement's text: SQL as written, or a `$n` outside quotes.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(usize),
}

/// `sql` cut into text and the placeholders outside quoted strings and
/// names.
fn pieces(sql: &str) -> Vec<Piece<'_>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut from) = (0, 0);
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                out.push(Piece::Text(&sql[from..i]));
                out.push(Piece::Placeholder(
                    sql[i + 1..i + 1 + digits].parse().unwrap_or(0),
                ));
                i += 1 + digits;
                from = i;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out.push(Piece::Text(&sql[from..]));
    out
}

/// Appends `sql` to `out` with every `$n` outside quotes made `$(n + by)`.
fn renumber(sql: &str, by: usize, out: &mut String) {
    for piece in pieces(sql) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(n) => {
                out.push('$');
                out.push_str(&(n + by).to_string());
            }
        }
    }
}

/// The highest `$n` of `sql` outside quotes (0 for none).
fn highest_placeholder(sql: &str) -> usize {
    pieces(sql)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(n) => Some(n),
            Piece::Text(_) => None,
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_outside_quotes() {
        let mut out = String::new();
        renumber("SELECT '$1', $1, \"$2\", $12 WHERE x = $2", 10, &mut out);
        assert_eq!(out, "SELECT '$1', $11, \"$2\", $22 WHERE x = $12");
        assert_eq!(highest_placeholder("SELECT $3, '$9', $1"), 3);
        assert_eq!(highest_placeholder("SELECT 1"), 0);
    }

    #[test]
    fn statements_become_one_query_with_their_values_in_order() {
        let mut b = Batch::new();
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![1.into(), "x".into()],
        );
        b.push("DELETE FROM t WHERE a = $1", vec![Value::Int(2)]);
        let (sql, values) = b.into_one();
        assert_eq!(
            sql,
            "INSERT INTO t (a, b) VALUES ($1, $2);\nDELETE FROM t WHERE a = $3"
        );
        assert_eq!(
            values,
            vec![Value::Int(1), Value::Text("x".into()), Value::Int(2)]
        );
    }

    async fn rows(db: &super::super::Db) -> Vec<(i64, Option<String>)> {
        sqlx::query_as("SELECT a, b FROM t ORDER BY a")
            .fetch_all(db)
            .await
            .unwrap()
    }

    /// On SQLite, the batch's statements run as one query in a
    /// transaction: all of them or, when one fails, none.
    #[tokio::test]
    async fn a_batch_runs_in_order_and_stops_at_a_failure() {
        let (db, _dir) = super::super::test_db().await;
        sqlx::query("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            .execute(&db)
            .await
            .unwrap();
        let mut tx = super::super::begin_write(&db).await.unwrap();
        let mut b = Batch::new();
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![1.into(), None::<String>.into()],
        );
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)",
            vec![2.into(), "two".into(), 3.into(), "three".into()],
        );
        b.push(
            "UPDATE t SET b = $1 WHERE a = $2",
            vec!["one".into(), 1.into()],
        );
        b.run(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            rows(&db).await,
            vec![
                (1, Some("one".into())),
                (2, Some("two".into())),
                (3, Some("three".into()))
            ]
        );

        let mut tx = super::super::begin_write(&db).await.unwrap();
        let mut b = Batch::new();
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![4.into(), "four".into()],
        );
        // A key that exists: this statement fails, the next does not run.
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![1.into(), "again".into()],
        );
        b.push("DELETE FROM t WHERE a = $1", vec![2.into()]);
        assert!(b.run(&mut tx).await.is_err());
        drop(tx);
        assert_eq!(rows(&db).await.len(), 3);
    }
}

//! Requests of signed-in web-app users relayed by a web bridge, answered by
//! the same meeting service as the web app and the REST API.

use super::protocol::{RelayError, RelayHandler, RelayedUser};
use crate::auth::users::{self, UserRecord};
use crate::db::Db;
use crate::meetings::api::{ApiError, MeetingInput};
use crate::meetings::Meetings;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The meeting service behind C2W.
pub struct MeetingsRelay {
    meetings: Arc<Meetings>,
}

impl MeetingsRelay {
    pub fn new(meetings: Arc<Meetings>) -> Self {
        Self { meetings }
    }
}

/// The user with this e-mail address (case-insensitive), if exactly one.
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = lower($1) LIMIT 2")
            .bind(email.trim())
            .fetch_all(db)
            .await?;
    match ids.as_slice() {
        [id] => users::find_by_id(db, id).await,
        _ => Ok(None),
    }
}

fn internal(e: sqlx::Error) -> RelayError {
    tracing::error!(target: "c2w", "C2WService - user lookup failed: {e}");
    RelayError::new("internal", "Something went wrong on the server.")
}

fn api_error(e: ApiError) -> RelayError {
    RelayError {
        code: e.code().to_string(),
        message: e.to_string(),
        detail: e.field().map(|f| json!({ "field": f })),
    }
}

fn bad_request(e: serde_json::Error) -> RelayError {
    RelayError::new("invalid", format!("bad parameters: {e}"))
}

fn to_value<T: serde::Serialize>(v: T) -> Result<Value, RelayError> {
    serde_json::to_value(v).map_err(|e| RelayError::new("internal", e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    max: Option<u32>,
}

#[derive(Deserialize)]
struct IdParams {
    id: String,
}

#[derive(Deserialize)]
struct UpdateParams {
    id: String,
    meeting: MeetingInput,
}

#[derive(Deserialize)]
struct CreateParams {
    meeting: MeetingInput,
}

#[derive(Deserialize)]
struct JoinParams {
    link: String,
}

impl MeetingsRelay {
    async fn user(&self, who: &RelayedUser) -> Result<UserRecord, RelayError> {
        let db = &self.meetings.db;
        let found = match who {
            RelayedUser::Username(name) => {
                users::find_by_username(db, name).await.map_err(internal)?
            }
            RelayedUser::Email(email) => find_by_email(db, email).await.map_err(internal)?,
        };
        found.ok_or_else(|| {
            RelayError::new(
                "unknownUser",
                "This user has no scheduler account; they cannot schedule meetings.",
            )
        })
    }
}

#[async_trait::async_trait]
impl RelayHandler for MeetingsRelay {
    async fn handle(
        &self,
        who: &RelayedUser,
        op: &str,
        params: Value,
    ) -> Result<Value, RelayError> {
        let m = &self.meetings;
        if op == "join.resolve" {
            let p: JoinParams = serde_json::from_value(params).map_err(bad_request)?;
            return match crate::web::join::resolve(&p.link, &m.join_base_url) {
                Some(url) => Ok(json!({ "url": url })),
                None => Err(RelayError::new(
                    "invalid",
                    "This is not a meeting ID or a meeting link.",
                )),
            };
        }
        let user = self.user(who).await?;
        match op {
            "meetings.list" => {
                let p: ListParams = serde_json::from_value(params).map_err(bad_request)?;
                let from = p.from.unwrap_or_else(|| m.clock.now());
                let until = p.until.unwrap_or(from + Duration::days(30));
                let list = m
                    .list_api(&user, from, until, p.max.unwrap_or(100))
                    .await
                    .map_err(api_error)?;
                to_value(json!({ "meetings": list }))
            }
            "meetings.get" => {
                let p: IdParams = serde_json::from_value(params).map_err(bad_request)?;
                to_value(m.get_api(&user, &p.id).await.map_err(api_error)?)
            }
            "meetings.create" => {
                let p: CreateParams = serde_json::from_value(params).map_err(bad_request)?;
                to_value(m.create_api(&user, p.meeting).await.map_err(api_error)?)
            }
            "meetings.update" => {
                let p: UpdateParams = serde_json::from_value(params).map_err(bad_request)?;
                to_value(
                    m.update_api(&user, &p.id, p.meeting)
                        .await
                        .map_err(api_error)?,
                )
            }
            "meetings.delete" => {
                let p: IdParams = serde_json::from_value(params).map_err(bad_request)?;
                m.delete_api(&user, &p.id).await.map_err(api_error)?;
                Ok(json!({ "id": p.id }))
            }
            other => Err(RelayError::unsupported(other)),
        }
    }
}

//! The meeting service for integrations: the scheduler's REST API and
//! requests relayed by web bridges over C2W. The same validation, saga and
//! storage as the wizard (one implementation, several entrances).

use super::{validate, Meetings};
use crate::auth::users::UserRecord;
use crate::clock::{from_millis, to_millis};
use crate::error::internal;
use app::api::ssr::PublicError;
use app::i18n::Lang;
use app::model::{Attendee, DialIn, Draft, FieldError};
use app::timeform::fmt_duration;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Most meetings one list call returns.
pub const MAX_LIST: u32 = 500;

/// The columns of a candidate for the API's list.
macro_rules! candidate_columns {
    () => {
        "m.id AS id, m.rrule AS rrule, m.time_zone AS time_zone, m.local_start AS local_start, \
         m.duration_minutes AS duration_minutes, m.starts_at AS starts_at"
    };
}

/// A page of the API's list, candidates in start order after the keyset
/// (`$5`, `$6`), at most `$7`: the user's (`$1`, `$2`) meetings that start
/// before `$3` and have not ended by `$4` (series: checked after).
pub(crate) const LIST_CANDIDATES: &str = super::visible::own_and_invited!(
    own: candidate_columns!(),
    invited: candidate_columns!(),
    from: " FROM meetings m",
    filter: "m.starts_at < $3 AND (m.ends_at > $4 OR m.rrule IS NOT NULL) \
             AND (m.starts_at > $5 OR (m.starts_at = $5 AND m.id > $6))",
    inner: " ORDER BY m.starts_at, m.id LIMIT $7",
    outer: " ORDER BY starts_at, id LIMIT $7"
);

/// A meeting to create or the new state of one to update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeetingInput {
    pub name: String,
    /// A coSpace template of the user (default: their first). Ignored on update.
    #[serde(default)]
    pub template_id: Option<String>,
    /// Use this existing space of the user instead of a new one. Ignored on update.
    #[serde(default)]
    pub space_id: Option<String>,
    /// Local wall-clock start in `time_zone`: "YYYY-MM-DDTHH:MM". For a
    /// repeating meeting the chosen date: the first meeting is the first
    /// the rule produces on or after it ([`MeetingOut::start`]).
    pub start: String,
    pub duration_minutes: u32,
    /// IANA zone, e.g. "Europe/Paris".
    pub time_zone: String,
    /// "none" (default), "daily", "weekly", "monthly" or "yearly".
    #[serde(default)]
    pub repeat: Option<String>,
    /// End the repetition after this many meetings...
    #[serde(default)]
    pub repeat_count: Option<u32>,
    /// ...or on this local date (YYYY-MM-DD).
    #[serde(default)]
    pub repeat_until: Option<String>,
    /// Every N days, weeks, months or years (1 to 1000; default 1).
    #[serde(default)]
    pub repeat_interval: Option<u32>,
    /// Weekly: on these days, "MO".."SU" (default: the start's weekday).
    #[serde(default)]
    pub repeat_days: Option<Vec<String>>,
    /// Monthly: "day" (the start's day of the month, default), "weekday"
    /// (the start's nth weekday) or "last" (the last such weekday).
    #[serde(default)]
    pub repeat_monthly: Option<String>,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// Makes creation idempotent: the same id twice makes one meeting.
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingOut {
    pub id: String,
    pub name: String,
    /// The organizer's username.
    pub organizer: String,
    pub is_organizer: bool,
    /// The first meeting, UTC, RFC 3339: for a repeating meeting the first
    /// instant its rule produces on or after the start asked for.
    pub start: String,
    pub end: String,
    pub time_zone: String,
    /// RFC 5545 RRULE body; absent when it does not repeat.
    pub rrule: Option<String>,
    pub space_name: String,
    /// One entry per role (for an attendee: only their own role).
    pub dial_in: Vec<DialIn>,
    pub attendees: Vec<Attendee>,
}

/// Errors with a stable code for API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("This meeting does not exist, or you cannot see it.")]
    NotFound,
    #[error("{0}")]
    CallBridge(String),
    #[error("Something went wrong on the server (error id {0}).")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid",
            ApiError::NotFound => "notFound",
            ApiError::CallBridge(_) => "callBridgeUnavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<PublicError> for ApiError {
    fn from(e: PublicError) -> Self {
        match e {
            PublicError::Internal { id } => ApiError::Internal(id),
            // The API has no administrators' routes; nothing to tell.
            PublicError::NotFound | PublicError::AdminsOnly => ApiError::NotFound,
            PublicError::Invalid(message) => ApiError::CallBridge(message),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn first(errors: Vec<FieldError>) -> ApiError {
    let api_field = |f: &str| match f {
        "name" => "name",
        "space_id" => "spaceId",
        "template_id" => "templateId",
        "date" | "from" | "to" | "duration" => "start",
        "time_zone" => "timeZone",
        "repeat" => "repeat",
        "repeat_count" => "repeatCount",
        "repeat_interval" => "repeatInterval",
        "repeat_days" => "repeatDays",
        "repeat_monthly" => "repeatMonthly",
        "repeat_until" => "repeatUntil",
        "new_email" => "attendees",
        _ => "request",
    };
    match errors.into_iter().next() {
        Some(e) => invalid(api_field(&e.field), e.message),
        None => invalid("request", "invalid request"),
    }
}

/// A request id the saga accepts: 1 to 80 of [A-Za-z0-9._-].
pub(crate) fn valid_request_id(id: &str) -> bool {
    (1..=80).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn rfc3339(ms: i64) -> String {
    from_millis(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The wizard's draft for an API input.
pub(crate) fn draft_from(
    input: &MeetingInput,
    id: String,
    meeting_id: Option<String>,
    template_id: String,
) -> Result<Draft, ApiError> {
    let (date, from) = input.start.split_once('T').ok_or_else(|| {
        invalid(
            "start",
            "start must be a local date and time, YYYY-MM-DDTHH:MM",
        )
    })?;
    if input.duration_minutes == 0 || input.duration_minutes > app::timeform::MAX_DURATION {
        return Err(invalid(
            "durationMinutes",
            "durationMinutes must be between 1 and 1440",
        ));
    }
    let repeat = input.repeat.clone().unwrap_or_else(|| "none".into());
    if !matches!(
        repeat.as_str(),
        "none" | "daily" | "weekly" | "monthly" | "yearly"
    ) {
        return Err(invalid(
            "repeat",
            "repeat must be none, daily, weekly, monthly or yearly",
        ));
    }
    let (repeat_end, repeat_count, repeat_until) = match (input.repeat_count, &input.repeat_until) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "repeatCount",
                "give repeatCount or repeatUntil, not both",
            ))
        }
        (Some(n), None) => ("count", n.to_string(), String::new()),
        (None, Some(u)) => ("until", String::new(), u.clone()),
        (None, None) => ("never", String::new(), String::new()),
    };
    Ok(Draft {
        id,
        rev: 1,
        step: 3,
        meeting_id,
        name: input.name.clone(),
        space_mode: if input.space_id.is_some() {
            "existing"
        } else {
            "new"
        }
        .into(),
        space_id: input.space_id.clone().unwrap_or_default(),
        template_id,
        date: date.into(),
        from: from.chars().take(5).collect(),
        duration: fmt_duration(input.duration_minutes),
        time_zone: input.time_zone.clone(),
        repeat,
        repeat_end: repeat_end.into(),
        repeat_count,
        repeat_until,
        repeat_interval: input
            .repeat_interval
            .map(|n| n.to_string())
            .unwrap_or_default(),
        repeat_days: input.repeat_days.clone().unwrap_or_default(),
        repeat_monthly: input.repeat_monthly.clone().unwrap_or_default(),
        attendees: input.attendees.clone(),
        ..Draft::default()
    })
}

/// What `create_api` checks before it asks the Call Bridge for anything:
/// the draft against the user's templates and spaces and the chosen
/// template's roles, at `now`. The first problem, or the meeting's time.
pub(crate) fn check_create(
    d: &Draft,
    template_ids: &[String],
    space_ids: &[String],
    roles: &[String],
    now: DateTime<Utc>,
) -> Result<validate::When, ApiError> {
    let mut errors = validate::general(d, Lang::En, template_ids, space_ids);
    let when = validate::time(d, Lang::En, now);
    if let Err(e) = &when {
        errors.extend(e.clone());
    }
    errors.extend(validate::attendees(d, Lang::En, roles));
    match (errors.is_empty(), when) {
        (true, Ok(w)) => Ok(w),
        _ => Err(first(errors)),
    }
}

impl Meetings {
    pub async fn create_api(
        &self,
        user: &UserRecord,
        input: MeetingInput,
    ) -> Result<MeetingOut, ApiError> {
        let request_id = match &input.request_id {
            Some(id) if valid_request_id(id) => id.clone(),
            Some(_) => {
                return Err(invalid(
                    "requestId",
                    "requestId has 1 to 80 letters, digits, '.', '_' or '-'",
                ))
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        // Only a meeting in an existing space needs the list of spaces.
        let choices = self
            .choices_with(user, input.space_id.is_some())
            .await
            .map_err(|e| {
                ApiError::CallBridge(
                    internal(format!("listing Call Bridge choices: {e}")).to_string(),
                )
            })?;
        let template_id = input
            .template_id
            .clone()
            .or_else(|| choices.templates.first().map(|t| t.id.clone()))
            .unwrap_or_default();
        let d = draft_from(&input, request_id, None, template_id)?;
        let template_ids: Vec<String> = choices.templates.iter().map(|t| t.id.clone()).collect();
        let space_ids: Vec<String> = choices.spaces.iter().map(|s| s.id.clone()).collect();
        let roles: Vec<String> = choices
            .templates
            .iter()
            .find(|t| t.id == d.template_id)
            .map(|t| t.roles.clone())
            .unwrap_or_default();
        let when = check_create(&d, &template_ids, &space_ids, &roles, self.now())?;
        // Without a requestId the id is new: no earlier request can have
        // made this meeting.
        let fresh_id = input.request_id.is_none();
        let created = self
            .create_with(user, &d, &when, choices.cb_user_jid.clone(), fresh_id)
            .await
            .map_err(ApiError::CallBridge)?;
        match created.stored {
            Some(v) => Ok(meeting_out(&created.id, v)),
            // Made by an earlier request with this requestId: as stored.
            None => self.get_api(user, &created.id).await,
        }
    }

    pub async fn update_api(
        &self,
        user: &UserRecord,
        id: &str,
        input: MeetingInput,
    ) -> Result<MeetingOut, ApiError> {
        let template_id: Option<String> = sqlx::query_scalar(
            "SELECT COALESCE(template_id, '') FROM meetings WHERE id = $1 AND organizer_id = $2",
        )
        .bind(id)
        .bind(&user.id)
        .fetch_optional(&self.db)
        .await
        .map_err(|e| ApiError::from(internal(e)))?;
        let Some(template_id) = template_id else {
            return Err(ApiError::NotFound);
        };
        let d = draft_from(
            &input,
            uuid::Uuid::new_v4().to_string(),
            Some(id.to_string()),
            template_id.clone(),
        )?;
        let mut errors: Vec<FieldError> =
            validate::general(&d, Lang::En, std::slice::from_ref(&template_id), &[])
                .into_iter()
                .filter(|e| e.field == "name")
                .collect();
        let when = validate::time(&d, Lang::En, self.now());
        if let Err(e) = &when {
            errors.extend(e.clone());
        }
        // Roles are those of the meeting's template when the Call Bridge answers;
        // otherwise the roles already in use stay valid.
        let roles: Vec<String> = match self.directory.templates.get(&self.cb, &template_id).await {
            Ok(t) => t.roles(),
            Err(_) => self
                .details(user, id, Lang::En)
                .await?
                .dial_in
                .into_iter()
                .map(|d| d.role)
                .collect(),
        };
        errors.extend(validate::attendees(&d, Lang::En, &roles));
        let when = match (errors.is_empty(), when) {
            (true, Ok(w)) => w,
            _ => return Err(first(errors)),
        };
        self.update(user, &d, &when).await.map_err(|m| {
            if m == PublicError::NotFound.to_string() {
                ApiError::NotFound
            } else {
                ApiError::CallBridge(m)
            }
        })?;
        self.get_api(user, id).await
    }

    pub async fn delete_api(&self, user: &UserRecord, id: &str) -> Result<(), ApiError> {
        self.delete(user, id).await.map_err(ApiError::from)
    }

    pub async fn get_api(&self, user: &UserRecord, id: &str) -> Result<MeetingOut, ApiError> {
        let Some(v) = self
            .load_visible(user, id)
            .await
            .map_err(|e| ApiError::from(internal(e)))?
        else {
            return Err(ApiError::NotFound);
        };
        Ok(meeting_out(id, v))
    }

    /// The user's meetings (organized or attended) overlapping [from, until),
    /// by start, `max` at most after skipping `offset`.
    pub async fn list_api(
        &self,
        user: &UserRecord,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<MeetingOut>, ApiError> {
        self.list_api_page(user, from, until, max, 0).await
    }

    pub async fn list_api_page(
        &self,
        user: &UserRecord,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        max: u32,
        offset: u32,
    ) -> Result<Vec<MeetingOut>, ApiError> {
        if until <= from {
            return Err(invalid("untilTime", "untilTime must be after fromTime"));
        }
        // Meetings that do not repeat overlap by their times; a repeating one
        // is a candidate once it has started before `until`, and stays if
        // one of its real occurrences (exceptions applied) overlaps. The
        // candidates are read in start order, a chunk at a time (keyset on
        // start and id), until the page is full: a page of 100 out of
        // 10,000 meetings reads about 100 rows, not 10,000.
        #[derive(sqlx::FromRow)]
        struct Candidate {
            id: String,
            rrule: Option<String>,
            time_zone: String,
            local_start: String,
            duration_minutes: i64,
            starts_at: i64,
        }
        let wanted = (offset as usize).saturating_add(max.min(MAX_LIST) as usize);
        let chunk = (wanted + 16) as i64;
        let mut ids: Vec<String> = Vec::new();
        let (mut after_start, mut after_id) = (i64::MIN, String::new());
        while ids.len() < wanted {
            let rows: Vec<Candidate> = sqlx::query_as(LIST_CANDIDATES)
                .bind(&user.id)
                .bind(&user.email)
                .bind(to_millis(until))
                .bind(to_millis(from))
                .bind(after_start)
                .bind(&after_id)
                .bind(chunk)
                .fetch_all(&self.db)
                .await
                .map_err(|e| ApiError::from(internal(e)))?;
            let last_chunk = (rows.len() as i64) < chunk;
            for c in rows {
                if ids.len() >= wanted {
                    break;
                }
                let id = c.id;
                (after_start, after_id) = (c.starts_at, id.clone());
                if let Some(rule) = c.rrule {
                    let Some(mut series) = crate::db::series::base_series(
                        &rule,
                        &c.time_zone,
                        &c.local_start,
                        c.duration_minutes,
                    ) else {
                        continue;
                    };
                    let exceptions = crate::db::series::load_exceptions(&self.db, &id)
                        .await
                        .map_err(|e| ApiError::from(internal(e)))?;
                    crate::db::series::apply(&mut series, &exceptions);
                    let overlaps = series
                        .occurrences(from - crate::recurrence::MAX_DURATION, until, 64)
                        .iter()
                        .any(|o| o.end > from && o.start < until);
                    if !overlaps {
                        continue;
                    }
                }
                ids.push(id);
            }
            if last_chunk {
                break;
            }
        }
        // One read for the whole page (a meeting deleted in between is
        // left out).
        let ids: Vec<String> = ids.into_iter().skip(offset as usize).collect();
        Ok(self
            .load_visible_many(user, &ids)
            .await
            .map_err(|e| ApiError::from(internal(e)))?
            .into_iter()
            .map(|v| meeting_out(&v.id, v.meeting))
            .collect())
    }
}

fn meeting_out(id: &str, v: super::read::Visible) -> MeetingOut {
    MeetingOut {
        id: id.to_string(),
        name: v.name,
        organizer: v.organizer_username,
        is_organizer: v.is_organizer,
        start: rfc3339(v.starts_at),
        end: rfc3339(v.ends_at),
        time_zone: v.time_zone,
        rrule: v.rrule,
        space_name: v.space_name,
        dial_in: v.dial_in,
        // Only the organizer sees who else is invited.
        attendees: if v.is_organizer {
            v.attendees
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(valid_request_id("abc-123_x.y"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("has space"));
        assert!(!valid_request_id(&"x".repeat(81)));
    }

    #[test]
    fn input_is_strict_json() {
        let ok: Result<MeetingInput, _> = serde_json::from_str(
            r#"{"name":"A","start":"2030-01-01T10:00","durationMinutes":30,"timeZone":"UTC"}"#,
        );
        assert!(ok.is_ok());
        let unknown: Result<MeetingInput, _> = serde_json::from_str(
            r#"{"name":"A","start":"2030-01-01T10:00","durationMinutes":30,"timeZone":"UTC","bogus":1}"#,
        );
        assert!(unknown.is_err());
    }
}

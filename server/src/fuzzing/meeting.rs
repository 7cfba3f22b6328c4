//! A meeting as the REST API receives it (`POST /api/v1/meetings`).

use crate::address::valid_email;
use crate::db::series::base_series;
use crate::meetings::api::{check_create, draft_from, valid_request_id, MeetingInput};
use crate::present::repeat_words;
use crate::recurrence::{resolve_local, Recurrence};
use app::i18n::Lang;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

/// The user's choices on the Call Bridge, as the demo seed has them.
const TEMPLATE: &str = "19577d25-f7cf-4524-9a26-5fd418dd5f96";
const SPACE: &str = "7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8";
const ROLES: [&str; 2] = ["ExternalAccessMeth", "InternalAccessMeth"];

/// The fixed "now" of the checks.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// `meeting_input`: a request body through the API's JSON reading and the
/// checks `create_api` makes before it calls the Call Bridge. No panic;
/// and what is accepted is what the rest of the scheduler can rely on:
///
/// - a trimmed name without control characters (it goes into mail
///   headers and calendar files), valid attendee addresses;
/// - an end after the start by the given minutes, the start being the
///   local start read as the series reads it (`resolve_local`), so the
///   stored `starts_at` is the first occurrence;
/// - a rule that reads back, and a stored row (rule, zone, local start,
///   minutes) that `base_series` turns back into a series starting there.
pub fn meeting_input(data: &[u8]) {
    let Ok(input) = serde_json::from_slice::<MeetingInput>(data) else {
        return;
    };
    if input
        .request_id
        .as_deref()
        .is_some_and(|id| !valid_request_id(id))
    {
        return;
    }
    let template = input.template_id.clone().unwrap_or_else(|| TEMPLATE.into());
    let Ok(d) = draft_from(&input, "fuzz".into(), None, template) else {
        return;
    };
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let Ok(when) = check_create(
        &d,
        &strings(&[TEMPLATE]),
        &strings(&[SPACE]),
        &strings(&ROLES),
        now(),
    ) else {
        return;
    };
    let name = d.name.trim();
    assert!(
        !name.is_empty() && !name.chars().any(char::is_control),
        "{name:?}"
    );
    for a in &d.attendees {
        assert!(
            valid_email(&a.email) && ROLES.contains(&a.role.as_str()),
            "{a:?}"
        );
    }
    assert!((1..=24 * 60).contains(&when.duration_minutes));
    assert_eq!(
        when.end - when.start,
        TimeDelta::minutes(i64::from(when.duration_minutes))
    );
    assert_eq!(
        when.start,
        resolve_local(when.tz, when.local_start),
        "{} in {}",
        when.local_start,
        when.tz
    );
    let Some(rrule) = &when.rrule else {
        assert!(when.end > now());
        return;
    };
    let rule = Recurrence::from_rrule(rrule).unwrap_or_else(|e| panic!("{rrule:?}: {e}"));
    assert!(rule.repeats(), "{rrule:?}");
    // The row `create` stores, read back as every reader does.
    let local = when.local_start.format("%Y-%m-%dT%H:%M").to_string();
    let series = base_series(
        rrule,
        when.tz.name(),
        &local,
        i64::from(when.duration_minutes),
    )
    .unwrap_or_else(|| panic!("stored row unreadable: {rrule:?} {local} {}", when.tz));
    let first = series.occurrences(when.start, when.end, 1);
    assert_eq!(
        first.first().map(|o| (o.start, o.end)),
        Some((when.start, when.end)),
        "{rrule:?} {local} {}",
        when.tz
    );
    let _ = repeat_words(Some(rrule), when.tz, when.local_start, Lang::En);
}

//! Local wall-clock time to UTC, with a defined answer for the local times
//! that daylight-saving changes skip or repeat.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant a local wall-clock time in `tz` stands for.
///
/// - A time that exists once is that instant.
/// - A time that exists twice (the hour repeated when clocks go back) is the
///   **earlier** instant: 02:30 on 2026-10-25 in Europe/Paris is 00:30Z.
/// - A time that does not exist (the hour skipped when clocks go forward) is
///   read with the offset in force **before** the gap, which lands it as
///   many minutes after the gap as it was into it (RFC 5545 §3.3.5): 02:30
///   on 2026-03-29 in Europe/Paris is 01:30Z, shown as 03:30.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => in_gap(tz, local),
    }
}

/// `local` falls in a gap: use the offset of the last valid local time
/// before it. Gaps are at most a day long (Pacific/Apia, 2011), so two days
/// of 15-minute steps always find one.
fn in_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let step = TimeDelta::minutes(15);
    let mut probe = local;
    for _ in 0..(4 * 48) {
        probe = match probe.checked_sub_signed(step) {
            Some(p) => p,
            None => break,
        };
        let before = match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => t,
            LocalResult::Ambiguous(_, later) => later,
            LocalResult::None => continue,
        };
        let offset = TimeDelta::seconds(i64::from(before.offset().fix().local_minus_utc()));
        if let Some(utc) = local.checked_sub_signed(offset) {
            return utc.and_utc();
        }
        break;
    }
    // Unreachable with real zone data; still an answer rather than a panic.
    local.and_utc()
}

/// The local date of instant `t` in `tz`. Unlike `with_timezone(..)
/// .date_naive()`, never panics at the ends of chrono's range.
pub(crate) fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    let utc = t.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc.checked_add_signed(TimeDelta::seconds(i64::from(offset)))
        .unwrap_or(utc)
        .date()
}

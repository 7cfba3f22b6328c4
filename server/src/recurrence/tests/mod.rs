//! Unit tests for the recurrence module, by topic.

mod dst;
mod first;
mod hostile;
mod overlap;
mod rule;
mod series;
mod split;
mod text;

use super::{Occurrence, Recurrence, Series};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// A local date-time.
pub(super) fn dt(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

pub(super) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}

/// A series of `minutes`-long meetings from `rrule`.
pub(super) fn series(tz: Tz, start: NaiveDateTime, minutes: i64, rrule: &str) -> Series {
    let rule = Recurrence::from_rrule(rrule).unwrap();
    Series::new(tz, start, TimeDelta::minutes(minutes), rule).unwrap()
}

/// Every occurrence from 1900 on, up to 500.
pub(super) fn all(s: &Series) -> Vec<Occurrence> {
    s.occurrences(utc(1900, 1, 1, 0, 0), utc(9999, 12, 31, 0, 0), 500)
}

/// The original local start dates of every occurrence.
pub(super) fn dates(s: &Series) -> Vec<NaiveDate> {
    all(s).iter().map(|o| o.id.date()).collect()
}

/// The UTC starts in `[from, to)`.
pub(super) fn starts(s: &Series, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    s.occurrences(from, to, 1000)
        .iter()
        .map(|o| o.start)
        .collect()
}

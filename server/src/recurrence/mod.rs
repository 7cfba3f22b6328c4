//! Recurring meetings: the rule (an RFC 5545 `RRULE` subset), a series in an
//! IANA time zone with cancelled and edited occurrences, bounded expansion
//! into UTC intervals that keep their local wall-clock time across
//! daylight-saving changes, "this and following" splits, English and French
//! descriptions, and conflict checks. Pure: no I/O, no clock.
//! `docs/recurrence.md` states the rules.
//!
//! ```
//! use server::recurrence::{Lang, Recurrence, Series};
//! use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
//!
//! let rule = Recurrence::from_rrule("FREQ=WEEKLY;BYDAY=MO;COUNT=3").unwrap();
//! let start = NaiveDate::from_ymd_opt(2026, 3, 23).unwrap().and_hms_opt(9, 0, 0).unwrap();
//! let series = Series::new(chrono_tz::Europe::Paris, start, TimeDelta::hours(1), rule).unwrap();
//! let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
//! let hours: Vec<u32> = series
//!     .occurrences(from, to, 10)
//!     .iter()
//!     .map(|o| chrono::Timelike::hour(&o.start))
//!     .collect();
//! assert_eq!(hours, [8, 7, 7]); // 09:00 in Paris: UTC+1, then UTC+2 from Mar 29
//! assert_eq!(series.describe(Lang::En), "Weekly on Monday, 3 times");
//! ```

mod expand;
mod local;
mod overlap;
mod rule;
mod series;
mod text;

#[cfg(test)]
mod tests;

pub use expand::{MAX_PERIODS, MAX_YEAR};
pub use local::resolve_local;
pub use overlap::{find_conflicts, find_conflicts_with, Busy, Conflict, MAX_CHECKED};
pub use rule::{
    weekday_code, End, Frequency, MonthDay, Recurrence, RuleError, Until, MAX_COUNT, MAX_INTERVAL,
    MAX_RRULE_LEN,
};
pub use series::{
    last_occurrence_end, Occurrence, Override, OverrideData, Series, SeriesData, SeriesEnd,
    SeriesError, MAX_DURATION, MIN_YEAR,
};
pub use text::{describe, Lang};

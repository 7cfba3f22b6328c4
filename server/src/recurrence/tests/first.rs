//! Series that start on their rule: the first occurrence is the first
//! instant the rule produces on or after the chosen date.

use super::{dates, day, dt};
use crate::recurrence::{Recurrence, Series, SeriesError};
use chrono::{NaiveDateTime, TimeDelta};
use chrono_tz::{America, Europe, UTC};

fn on_rule(from: NaiveDateTime, rrule: &str) -> Result<Series, SeriesError> {
    let rule = Recurrence::from_rrule(rrule).unwrap();
    Series::on_rule(Europe::Paris, from, TimeDelta::hours(1), rule)
}

#[test]
fn weekly_on_tuesday_from_a_friday_starts_the_next_tuesday() {
    // 2026-02-06 is a Friday.
    let s = on_rule(dt(2026, 2, 6, 9, 0), "FREQ=WEEKLY;BYDAY=TU;COUNT=3").unwrap();
    assert_eq!(s.start(), dt(2026, 2, 10, 9, 0));
    assert!(s.starts_on_rule());
    // COUNT counts from the real first occurrence.
    assert_eq!(
        dates(&s),
        [day(2026, 2, 10), day(2026, 2, 17), day(2026, 2, 24)]
    );
}

#[test]
fn every_two_weeks_keeps_the_weeks_of_the_chosen_date() {
    // Friday 2026-02-06: that week's Tuesday is past, the next week is not
    // one of the rule's, so the first is two weeks on (as dateutil reads it).
    let s = on_rule(dt(2026, 2, 6, 9, 0), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU").unwrap();
    assert_eq!(s.start(), dt(2026, 2, 17, 9, 0));
    assert_eq!(s.rule().to_rrule(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU");
}

#[test]
fn last_saturday_from_the_8th_is_that_month_or_the_next() {
    // 2026-08-08 is a Saturday; August's last is the 29th.
    let s = on_rule(dt(2026, 8, 8, 10, 0), "FREQ=MONTHLY;BYDAY=-1SA").unwrap();
    assert_eq!(s.start(), dt(2026, 8, 29, 10, 0));
    // From the 30th, August's is past: September's (the 26th).
    let s = on_rule(dt(2026, 8, 30, 10, 0), "FREQ=MONTHLY;BYDAY=-1SA").unwrap();
    assert_eq!(s.start(), dt(2026, 9, 26, 10, 0));
}

#[test]
fn a_date_on_the_rule_stays() {
    let s = on_rule(dt(2026, 2, 10, 9, 0), "FREQ=WEEKLY;BYDAY=TU,FR;COUNT=2").unwrap();
    assert_eq!(s.start(), dt(2026, 2, 10, 9, 0));
    assert_eq!(dates(&s), [day(2026, 2, 10), day(2026, 2, 13)]);
    let once = on_rule(dt(2026, 2, 6, 9, 0), "").unwrap();
    assert_eq!(once.start(), dt(2026, 2, 6, 9, 0));
    assert!(once.starts_on_rule());
}

#[test]
fn parts_left_to_the_start_come_from_the_chosen_date() {
    // Yearly in March, day left to the start: the chosen day (the 15th).
    let s = on_rule(dt(2026, 5, 15, 9, 0), "FREQ=YEARLY;BYMONTH=3").unwrap();
    assert_eq!(s.start(), dt(2027, 3, 15, 9, 0));
    assert_eq!(dates(&s)[..2], [day(2027, 3, 15), day(2028, 3, 15)]);
}

#[test]
fn until_before_the_first_occurrence_or_a_rule_that_never_matches_is_refused() {
    assert_eq!(
        on_rule(dt(2026, 2, 6, 9, 0), "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260209").unwrap_err(),
        SeriesError::NoOccurrence(dt(2026, 2, 6, 9, 0))
    );
    // Every 12 months on the 30th, from February: never.
    assert!(matches!(
        on_rule(
            dt(2026, 2, 1, 9, 0),
            "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30"
        ),
        Err(SeriesError::NoOccurrence(_))
    ));
}

#[test]
fn off_rule_series_are_told_apart() {
    let rule = Recurrence::from_rrule("FREQ=WEEKLY;BYDAY=TU").unwrap();
    let off = Series::new(UTC, dt(2026, 2, 6, 9, 0), TimeDelta::hours(1), rule).unwrap();
    assert!(!off.starts_on_rule());
    assert_eq!(off.second_start(), Some(dt(2026, 2, 10, 9, 0)));
    let rule = Recurrence::from_rrule("FREQ=WEEKLY;BYDAY=TU;COUNT=1").unwrap();
    let one = Series::new(UTC, dt(2026, 2, 6, 9, 0), TimeDelta::hours(1), rule).unwrap();
    assert_eq!(one.second_start(), None);
}

#[test]
fn a_gap_time_keeps_its_wall_clock_id() {
    // Weekly on Sunday 02:30 in New York from Friday 2026-03-06: the first is
    // Sunday 2026-03-08, inside the spring-forward gap (03:30 EDT).
    let rule = Recurrence::from_rrule("FREQ=WEEKLY;BYDAY=SU").unwrap();
    let s = Series::on_rule(
        America::New_York,
        dt(2026, 3, 6, 2, 30),
        TimeDelta::hours(1),
        rule,
    )
    .unwrap();
    assert_eq!(s.start(), dt(2026, 3, 8, 2, 30));
    let first = s.occurrences(
        super::utc(2026, 1, 1, 0, 0),
        super::utc(2027, 1, 1, 0, 0),
        1,
    );
    assert_eq!(first[0].start, super::utc(2026, 3, 8, 7, 30));
}

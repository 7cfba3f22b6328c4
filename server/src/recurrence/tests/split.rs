//! "This and following" splits.

use super::{all, dates, day, dt, series, utc};
use crate::recurrence::{End, Override, SeriesError, Until};
use chrono::TimeDelta;
use chrono_tz::{Europe, UTC};

#[test]
fn a_counted_rule_splits_its_count() {
    let s = series(
        UTC,
        dt(2026, 1, 5, 9, 0),
        60,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10",
    );
    let (before, after) = s.split_at(dt(2026, 1, 22, 9, 0)).unwrap();
    assert_eq!(before.rule().end, End::Count(3));
    assert_eq!(after.rule().end, End::Count(7));
    assert_eq!(before.start(), dt(2026, 1, 5, 9, 0));
    assert_eq!(after.start(), dt(2026, 1, 22, 9, 0));
    assert_eq!(
        after.rule().to_rrule(),
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=7"
    );
    let mut joined = all(&before);
    joined.extend(all(&after));
    assert_eq!(joined, all(&s));
}

#[test]
fn an_endless_rule_splits_with_until_the_day_before() {
    let s = series(
        Europe::Paris,
        dt(2026, 1, 13, 10, 0),
        60,
        "FREQ=MONTHLY;BYDAY=2TU",
    );
    let (before, after) = s.split_at(dt(2026, 4, 14, 10, 0)).unwrap();
    assert_eq!(before.rule().end, End::Until(Until::Date(day(2026, 4, 13))));
    assert_eq!(after.rule().end, End::Never);
    assert_eq!(
        dates(&before),
        [day(2026, 1, 13), day(2026, 2, 10), day(2026, 3, 10)]
    );
    let window = (utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    let mut joined = before.occurrences(window.0, window.1, 100);
    joined.extend(after.occurrences(window.0, window.1, 100));
    assert_eq!(joined, s.occurrences(window.0, window.1, 100));
    assert_eq!(
        before.to_ical_rrule(),
        "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20260413T080000Z"
    );
}

#[test]
fn an_until_rule_keeps_its_until_in_the_second_half() {
    let s = series(UTC, dt(2026, 5, 1, 9, 0), 30, "FREQ=DAILY;UNTIL=20260510");
    let (before, after) = s.split_at(dt(2026, 5, 6, 9, 0)).unwrap();
    assert_eq!(dates(&before).len(), 5);
    assert_eq!(after.rule().end, End::Until(Until::Date(day(2026, 5, 10))));
    assert_eq!(dates(&after).len(), 5);
}

#[test]
fn exceptions_go_to_their_half() {
    let mut s = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;COUNT=10");
    s.cancel(dt(2026, 5, 2, 9, 0)).unwrap();
    s.cancel(dt(2026, 5, 8, 9, 0)).unwrap();
    let early = Override {
        start: utc(2026, 5, 3, 15, 0),
        end: utc(2026, 5, 3, 16, 0),
        name: Some("Early".into()),
    };
    let late = Override {
        start: utc(2026, 5, 20, 15, 0),
        end: utc(2026, 5, 20, 16, 0),
        name: None,
    };
    s.edit(dt(2026, 5, 3, 9, 0), early.clone()).unwrap();
    s.edit(dt(2026, 5, 9, 9, 0), late.clone()).unwrap();
    let (before, after) = s.split_at(dt(2026, 5, 6, 9, 0)).unwrap();
    assert_eq!(
        before.exdates().iter().copied().collect::<Vec<_>>(),
        [dt(2026, 5, 2, 9, 0)]
    );
    assert_eq!(
        after.exdates().iter().copied().collect::<Vec<_>>(),
        [dt(2026, 5, 8, 9, 0)]
    );
    assert_eq!(before.overrides().get(&dt(2026, 5, 3, 9, 0)), Some(&early));
    assert_eq!(after.overrides().get(&dt(2026, 5, 9, 9, 0)), Some(&late));
    assert_eq!(before.overrides().len() + after.overrides().len(), 2);
    let mut joined = all(&before);
    joined.extend(all(&after));
    joined.sort_by_key(|o| (o.start, o.id));
    assert_eq!(joined, all(&s));
}

#[test]
fn the_split_occurrence_itself_goes_to_the_second_half() {
    let mut s = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;COUNT=4");
    s.cancel(dt(2026, 5, 3, 9, 0)).unwrap();
    let (before, after) = s.split_at(dt(2026, 5, 3, 9, 0)).unwrap();
    assert!(before.exdates().is_empty());
    assert!(after.exdates().contains(&dt(2026, 5, 3, 9, 0)));
    assert_eq!(dates(&after), [day(2026, 5, 4)]);
}

#[test]
fn split_refusals() {
    let s = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;COUNT=4");
    assert_eq!(
        s.split_at(dt(2026, 5, 1, 9, 0)),
        Err(SeriesError::SplitAtFirst)
    );
    assert_eq!(
        s.split_at(dt(2026, 5, 9, 9, 0)),
        Err(SeriesError::NotAnOccurrence(dt(2026, 5, 9, 9, 0)))
    );
    assert_eq!(
        s.split_at(dt(2026, 5, 2, 9, 30)),
        Err(SeriesError::NotAnOccurrence(dt(2026, 5, 2, 9, 30)))
    );
    let once = series(UTC, dt(2026, 5, 1, 9, 0), 60, "");
    assert_eq!(
        once.split_at(dt(2026, 5, 1, 9, 0)),
        Err(SeriesError::NotRecurring)
    );
}

#[test]
fn halves_keep_zone_duration_and_wall_clock() {
    let s = series(
        Europe::Paris,
        dt(2026, 3, 2, 9, 0),
        45,
        "FREQ=WEEKLY;BYDAY=MO",
    );
    let (_, after) = s.split_at(dt(2026, 3, 30, 9, 0)).unwrap();
    assert_eq!(after.tz(), Europe::Paris);
    assert_eq!(after.duration(), TimeDelta::minutes(45));
    let first = &after.occurrences(utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0), 5)[0];
    assert_eq!(first.start, utc(2026, 3, 30, 7, 0));
}

//! Wall-clock time across daylight-saving changes.

use super::{dt, series, starts, utc};
use crate::recurrence::{resolve_local, Recurrence, Series};
use chrono::{TimeDelta, Timelike};
use chrono_tz::{America, Europe};

#[test]
fn paris_weekly_nine_oclock_keeps_wall_clock_in_spring() {
    // Clocks go forward in Paris on Sunday 2026-03-29.
    let s = series(
        Europe::Paris,
        dt(2026, 3, 16, 9, 0),
        60,
        "FREQ=WEEKLY;COUNT=3",
    );
    assert_eq!(
        starts(&s, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)),
        [
            utc(2026, 3, 16, 8, 0),
            utc(2026, 3, 23, 8, 0),
            utc(2026, 3, 30, 7, 0)
        ]
    );
}

#[test]
fn paris_weekly_nine_oclock_keeps_wall_clock_in_autumn() {
    // Clocks go back in Paris on Sunday 2026-10-25.
    let s = series(
        Europe::Paris,
        dt(2026, 10, 19, 9, 0),
        30,
        "FREQ=WEEKLY;COUNT=2",
    );
    let occ = s.occurrences(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), 10);
    assert_eq!(occ[0].start, utc(2026, 10, 19, 7, 0));
    assert_eq!(occ[1].start, utc(2026, 10, 26, 8, 0));
    assert_eq!(occ[1].end, utc(2026, 10, 26, 8, 30));
    for o in &occ {
        assert_eq!(o.start.with_timezone(&Europe::Paris).hour(), 9);
        assert_eq!(o.id.hour(), 9);
    }
}

#[test]
fn new_york_weekly_keeps_wall_clock_both_ways() {
    // New York: forward on 2026-03-08, back on 2026-11-01.
    let s = series(America::New_York, dt(2026, 3, 2, 9, 0), 60, "FREQ=WEEKLY");
    assert_eq!(
        starts(&s, utc(2026, 3, 1, 0, 0), utc(2026, 3, 12, 0, 0)),
        [utc(2026, 3, 2, 14, 0), utc(2026, 3, 9, 13, 0)]
    );
    assert_eq!(
        starts(&s, utc(2026, 10, 25, 0, 0), utc(2026, 11, 5, 0, 0)),
        [utc(2026, 10, 26, 13, 0), utc(2026, 11, 2, 14, 0)]
    );
}

#[test]
fn paris_time_in_the_spring_gap_moves_forward_by_the_gap() {
    // 02:30 does not exist on 2026-03-29 in Paris: it is 03:30 CEST (01:30Z).
    let s = series(
        Europe::Paris,
        dt(2026, 3, 28, 2, 30),
        60,
        "FREQ=DAILY;COUNT=3",
    );
    let occ = s.occurrences(utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0), 10);
    let got: Vec<_> = occ.iter().map(|o| o.start).collect();
    assert_eq!(
        got,
        [
            utc(2026, 3, 28, 1, 30),
            utc(2026, 3, 29, 1, 30),
            utc(2026, 3, 30, 0, 30)
        ]
    );
    let gap_day = &occ[1];
    assert_eq!(
        gap_day.id,
        dt(2026, 3, 29, 2, 30),
        "the id stays the rule's wall-clock time"
    );
    let local = gap_day.start.with_timezone(&Europe::Paris);
    assert_eq!((local.hour(), local.minute()), (3, 30));
    assert_eq!(
        gap_day.end,
        utc(2026, 3, 29, 2, 30),
        "an hour after its real start"
    );
}

#[test]
fn new_york_time_in_the_spring_gap_moves_forward_by_the_gap() {
    let s = series(
        America::New_York,
        dt(2026, 3, 7, 2, 30),
        60,
        "FREQ=DAILY;COUNT=3",
    );
    assert_eq!(
        starts(&s, utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0)),
        [
            utc(2026, 3, 7, 7, 30),
            utc(2026, 3, 8, 7, 30),
            utc(2026, 3, 9, 6, 30)
        ]
    );
    let moved =
        resolve_local(America::New_York, dt(2026, 3, 8, 2, 30)).with_timezone(&America::New_York);
    assert_eq!((moved.hour(), moved.minute()), (3, 30));
}

#[test]
fn ambiguous_times_take_the_earlier_instant() {
    // Paris repeats 02:00-03:00 on 2026-10-25; New York repeats 01:00-02:00
    // on 2026-11-01. The first (summer-time) instant is taken.
    assert_eq!(
        resolve_local(Europe::Paris, dt(2026, 10, 25, 2, 30)),
        utc(2026, 10, 25, 0, 30)
    );
    assert_eq!(
        resolve_local(America::New_York, dt(2026, 11, 1, 1, 30)),
        utc(2026, 11, 1, 5, 30)
    );
    let s = series(
        America::New_York,
        dt(2026, 10, 31, 1, 30),
        45,
        "FREQ=DAILY;COUNT=3",
    );
    assert_eq!(
        starts(&s, utc(2026, 10, 1, 0, 0), utc(2026, 12, 1, 0, 0)),
        [
            utc(2026, 10, 31, 5, 30),
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 2, 6, 30)
        ]
    );
}

#[test]
fn ordinary_times_resolve_once() {
    assert_eq!(
        resolve_local(Europe::Paris, dt(2026, 1, 15, 9, 0)),
        utc(2026, 1, 15, 8, 0)
    );
    assert_eq!(
        resolve_local(Europe::Paris, dt(2026, 7, 15, 9, 0)),
        utc(2026, 7, 15, 7, 0)
    );
    assert_eq!(
        resolve_local(chrono_tz::UTC, dt(2026, 3, 29, 2, 30)),
        utc(2026, 3, 29, 2, 30)
    );
}

#[test]
fn gap_at_midnight_is_not_dropped() {
    // Chile moves from 00:00 to 01:00 on 2026-09-06: a daily 00:30 meeting
    // is at 01:30 local that day rather than missing (the rrule crate drops
    // it, one reason this module expands rules itself).
    let s = series(
        America::Santiago,
        dt(2026, 9, 4, 0, 30),
        30,
        "FREQ=DAILY;COUNT=4",
    );
    let occ = s.occurrences(utc(2026, 9, 1, 0, 0), utc(2026, 9, 30, 0, 0), 10);
    assert_eq!(occ.len(), 4);
    assert_eq!(occ[2].id, dt(2026, 9, 6, 0, 30));
    assert_eq!(occ[2].start, utc(2026, 9, 6, 4, 30));
    let local = occ[2].start.with_timezone(&America::Santiago);
    assert_eq!((local.hour(), local.minute()), (1, 30));
}

#[test]
fn a_day_skipped_entirely_is_handled() {
    // Samoa skipped 2011-12-30 entirely.
    let t = resolve_local(chrono_tz::Pacific::Apia, dt(2011, 12, 30, 10, 0));
    let local = t.with_timezone(&chrono_tz::Pacific::Apia);
    assert_eq!(local.date_naive(), super::day(2011, 12, 31));
    assert_eq!(local.hour(), 10);
}

#[test]
fn local_end_gives_elapsed_duration_over_the_change() {
    // 23:00 to 04:00 over the spring-forward night is four hours, not five.
    let s = Series::with_local_end(
        Europe::Paris,
        dt(2026, 3, 28, 23, 0),
        dt(2026, 3, 29, 4, 0),
        Recurrence::none(),
    )
    .unwrap();
    assert_eq!(s.duration(), TimeDelta::hours(4));
    let occ = s.occurrences(utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0), 5);
    assert_eq!(
        (occ[0].start, occ[0].end),
        (utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 2, 0))
    );
}

#[test]
fn monthly_series_crosses_both_changes() {
    let s = series(
        Europe::Paris,
        dt(2026, 1, 13, 14, 0),
        60,
        "FREQ=MONTHLY;BYDAY=2TU",
    );
    let hours: Vec<u32> = s
        .occurrences(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), 20)
        .iter()
        .map(|o| o.start.hour())
        .collect();
    // UTC+1 until March, UTC+2 from April to October, UTC+1 again after.
    assert_eq!(hours, [13, 13, 13, 12, 12, 12, 12, 12, 12, 12, 13, 13]);
}

#[test]
fn extreme_local_times_do_not_panic() {
    use chrono::NaiveDateTime;
    for tz in [
        chrono_tz::UTC,
        Europe::Paris,
        America::New_York,
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Etc::GMTPlus12,
    ] {
        for local in [NaiveDateTime::MIN, NaiveDateTime::MAX] {
            let _ = resolve_local(tz, local);
            let _ = Series::with_local_end(tz, dt(2026, 1, 1, 9, 0), local, Recurrence::none());
            let _ = Series::with_local_end(tz, local, dt(2026, 1, 1, 9, 0), Recurrence::daily());
        }
    }
}

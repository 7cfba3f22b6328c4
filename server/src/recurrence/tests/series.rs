//! Expansion, exceptions, bounds and the end of a series.

use super::{all, dates, day, dt, series, utc};
use crate::recurrence::{
    last_occurrence_end, Override, Recurrence, Series, SeriesEnd, SeriesError, MAX_DURATION,
};
use chrono::{Datelike, TimeDelta, Weekday};
use chrono_tz::{Europe, UTC};

#[test]
fn weekly_every_two_weeks_on_monday_and_thursday() {
    let s = series(
        UTC,
        dt(2026, 1, 5, 9, 0),
        60,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10",
    );
    assert_eq!(
        dates(&s),
        [
            day(2026, 1, 5),
            day(2026, 1, 8),
            day(2026, 1, 19),
            day(2026, 1, 22),
            day(2026, 2, 2),
            day(2026, 2, 5),
            day(2026, 2, 16),
            day(2026, 2, 19),
            day(2026, 3, 2),
            day(2026, 3, 5),
        ]
    );
}

#[test]
fn week_start_decides_the_weeks_of_a_biweekly_rule() {
    // RFC 5545's own example: the same rule gives different days with WKST.
    let mo = series(
        UTC,
        dt(1997, 8, 5, 9, 0),
        60,
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
    );
    let su = series(
        UTC,
        dt(1997, 8, 5, 9, 0),
        60,
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
    );
    assert_eq!(
        dates(&mo),
        [
            day(1997, 8, 5),
            day(1997, 8, 10),
            day(1997, 8, 19),
            day(1997, 8, 24)
        ]
    );
    assert_eq!(
        dates(&su),
        [
            day(1997, 8, 5),
            day(1997, 8, 17),
            day(1997, 8, 19),
            day(1997, 8, 31)
        ]
    );
}

#[test]
fn weekly_without_days_uses_the_start_weekday() {
    let s = series(UTC, dt(2026, 1, 7, 9, 0), 60, "FREQ=WEEKLY;COUNT=3");
    assert_eq!(
        dates(&s),
        [day(2026, 1, 7), day(2026, 1, 14), day(2026, 1, 21)]
    );
}

#[test]
fn the_start_is_the_first_occurrence_even_off_rule() {
    // Starts on a Wednesday for a Monday/Thursday rule: the Wednesday counts.
    let s = series(
        UTC,
        dt(2026, 1, 7, 9, 0),
        60,
        "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3",
    );
    assert_eq!(
        dates(&s),
        [day(2026, 1, 7), day(2026, 1, 8), day(2026, 1, 12)]
    );
}

#[test]
fn daily_every_three_days() {
    let s = series(
        UTC,
        dt(2026, 2, 26, 9, 0),
        60,
        "FREQ=DAILY;INTERVAL=3;COUNT=3",
    );
    assert_eq!(
        dates(&s),
        [day(2026, 2, 26), day(2026, 3, 1), day(2026, 3, 4)]
    );
}

#[test]
fn monthly_on_the_31st_skips_shorter_months() {
    let s = series(UTC, dt(2026, 1, 31, 9, 0), 60, "FREQ=MONTHLY;COUNT=7");
    assert_eq!(
        dates(&s),
        [
            day(2026, 1, 31),
            day(2026, 3, 31),
            day(2026, 5, 31),
            day(2026, 7, 31),
            day(2026, 8, 31),
            day(2026, 10, 31),
            day(2026, 12, 31),
        ]
    );
}

#[test]
fn monthly_on_the_last_day() {
    let s = series(
        UTC,
        dt(2028, 1, 31, 9, 0),
        60,
        "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4",
    );
    assert_eq!(
        dates(&s),
        [
            day(2028, 1, 31),
            day(2028, 2, 29),
            day(2028, 3, 31),
            day(2028, 4, 30)
        ]
    );
}

#[test]
fn monthly_on_the_second_tuesday() {
    let s = series(
        UTC,
        dt(2026, 1, 13, 10, 0),
        60,
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=4",
    );
    assert_eq!(
        dates(&s),
        [
            day(2026, 1, 13),
            day(2026, 2, 10),
            day(2026, 3, 10),
            day(2026, 4, 14)
        ]
    );
}

#[test]
fn monthly_on_the_last_friday() {
    let s = series(
        UTC,
        dt(2026, 1, 30, 16, 0),
        60,
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6",
    );
    assert_eq!(
        dates(&s),
        [
            day(2026, 1, 30),
            day(2026, 2, 27),
            day(2026, 3, 27),
            day(2026, 4, 24),
            day(2026, 5, 29),
            day(2026, 6, 26),
        ]
    );
}

#[test]
fn monthly_fifth_monday_skips_months_without_one() {
    let s = series(
        UTC,
        dt(2026, 3, 30, 9, 0),
        60,
        "FREQ=MONTHLY;BYDAY=5MO;COUNT=3",
    );
    assert_eq!(
        dates(&s),
        [day(2026, 3, 30), day(2026, 6, 29), day(2026, 8, 31)]
    );
}

#[test]
fn yearly_on_the_start_date() {
    let s = series(UTC, dt(2026, 8, 21, 9, 0), 60, "FREQ=YEARLY;COUNT=3");
    assert_eq!(
        dates(&s),
        [day(2026, 8, 21), day(2027, 8, 21), day(2028, 8, 21)]
    );
}

#[test]
fn yearly_leap_day_only_in_leap_years() {
    let s = series(UTC, dt(2024, 2, 29, 9, 0), 60, "FREQ=YEARLY;COUNT=3");
    assert_eq!(
        dates(&s),
        [day(2024, 2, 29), day(2028, 2, 29), day(2032, 2, 29)]
    );
    // 2100 is not a leap year.
    let s = series(UTC, dt(2096, 2, 29, 9, 0), 60, "FREQ=YEARLY;COUNT=2");
    assert_eq!(dates(&s), [day(2096, 2, 29), day(2104, 2, 29)]);
}

#[test]
fn yearly_on_the_fourth_thursday_of_november() {
    let s = series(
        UTC,
        dt(2026, 11, 26, 12, 0),
        60,
        "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=2",
    );
    assert_eq!(dates(&s), [day(2026, 11, 26), day(2027, 11, 25)]);
}

#[test]
fn count_and_until_agree() {
    let by_count = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;COUNT=5");
    let by_date = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;UNTIL=20260505");
    let at_start = series(
        UTC,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=DAILY;UNTIL=20260505T090000Z",
    );
    let before = series(
        UTC,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=DAILY;UNTIL=20260505T085959Z",
    );
    assert_eq!(all(&by_count).len(), 5);
    assert_eq!(all(&by_count), all(&by_date));
    assert_eq!(all(&by_count), all(&at_start), "UNTIL is inclusive");
    assert_eq!(all(&before).len(), 4);
}

#[test]
fn until_in_utc_respects_the_local_zone() {
    // 09:00 Paris in May is 07:00Z: an UNTIL at 07:00Z on May 3 keeps May 3.
    let s = series(
        Europe::Paris,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=DAILY;UNTIL=20260503T070000Z",
    );
    assert_eq!(
        dates(&s),
        [day(2026, 5, 1), day(2026, 5, 2), day(2026, 5, 3)]
    );
}

#[test]
fn does_not_repeat_is_one_occurrence() {
    let s = series(Europe::Paris, dt(2026, 8, 21, 10, 0), 90, "");
    let occ = all(&s);
    assert_eq!(occ.len(), 1);
    assert_eq!(
        (occ[0].start, occ[0].end),
        (utc(2026, 8, 21, 8, 0), utc(2026, 8, 21, 9, 30))
    );
    assert_eq!(last_occurrence_end(&s), Some(utc(2026, 8, 21, 9, 30)));
}

#[test]
fn cancelled_occurrences_are_removed_but_still_count() {
    let mut s = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;COUNT=5");
    s.cancel(dt(2026, 5, 3, 9, 0)).unwrap();
    assert_eq!(
        dates(&s),
        [
            day(2026, 5, 1),
            day(2026, 5, 2),
            day(2026, 5, 4),
            day(2026, 5, 5)
        ]
    );
    s.cancel(dt(2026, 5, 3, 9, 0)).unwrap();
    assert_eq!(s.exdates().len(), 1);
    assert!(s.restore(dt(2026, 5, 3, 9, 0)));
    assert_eq!(all(&s).len(), 5);
    assert!(!s.restore(dt(2026, 5, 3, 9, 0)));
}

#[test]
fn cancelling_something_that_is_not_an_occurrence_is_refused() {
    let mut s = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=WEEKLY;COUNT=3");
    for bad in [
        dt(2026, 5, 8, 10, 0), // wrong time
        dt(2026, 5, 9, 9, 0),  // wrong day
        dt(2026, 5, 22, 9, 0), // past COUNT
        dt(2026, 4, 24, 9, 0), // before the start
    ] {
        assert_eq!(s.cancel(bad), Err(SeriesError::NotAnOccurrence(bad)));
    }
    assert!(s.is_occurrence(dt(2026, 5, 15, 9, 0)));
    let until = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;UNTIL=20260510");
    assert!(until.is_occurrence(dt(2026, 5, 10, 9, 0)));
    assert!(!until.is_occurrence(dt(2026, 5, 11, 9, 0)));
    let monthly = series(UTC, dt(2026, 1, 31, 9, 0), 60, "FREQ=MONTHLY");
    assert!(!monthly.is_occurrence(dt(2026, 2, 28, 9, 0)));
    assert!(monthly.is_occurrence(dt(2026, 3, 31, 9, 0)));
}

fn moved(start: chrono::DateTime<chrono::Utc>, minutes: i64, name: Option<&str>) -> Override {
    Override {
        start,
        end: start + TimeDelta::minutes(minutes),
        name: name.map(str::to_string),
    }
}

#[test]
fn an_override_moves_and_renames_an_occurrence() {
    let mut s = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=DAILY;COUNT=3");
    s.edit(
        dt(2026, 5, 5, 9, 0),
        moved(utc(2026, 5, 5, 14, 0), 30, Some("Moved")),
    )
    .unwrap();
    let occ = all(&s);
    assert_eq!(occ.len(), 3);
    assert_eq!(occ[1].id, dt(2026, 5, 5, 9, 0));
    assert_eq!(
        (occ[1].start, occ[1].end),
        (utc(2026, 5, 5, 14, 0), utc(2026, 5, 5, 14, 30))
    );
    assert_eq!(occ[1].name.as_deref(), Some("Moved"));
    assert!(occ[1].overridden && !occ[0].overridden);
}

#[test]
fn an_occurrence_moved_into_the_window_is_in_it() {
    let mut s = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=WEEKLY");
    // Window: the week of May 11. The May 18 occurrence is moved to May 12.
    s.edit(
        dt(2026, 5, 18, 9, 0),
        moved(utc(2026, 5, 12, 15, 0), 60, None),
    )
    .unwrap();
    let occ = s.occurrences(utc(2026, 5, 11, 0, 0), utc(2026, 5, 18, 0, 0), 10);
    let got: Vec<_> = occ.iter().map(|o| (o.id, o.start)).collect();
    assert_eq!(
        got,
        [
            (dt(2026, 5, 11, 9, 0), utc(2026, 5, 11, 9, 0)),
            (dt(2026, 5, 18, 9, 0), utc(2026, 5, 12, 15, 0)),
        ]
    );
}

#[test]
fn an_occurrence_moved_out_of_the_window_is_not_in_it() {
    let mut s = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=WEEKLY");
    s.edit(
        dt(2026, 5, 11, 9, 0),
        moved(utc(2026, 6, 30, 9, 0), 60, None),
    )
    .unwrap();
    let occ = s.occurrences(utc(2026, 5, 10, 0, 0), utc(2026, 5, 17, 0, 0), 10);
    assert!(occ.is_empty(), "{occ:?}");
    let later = s.occurrences(utc(2026, 6, 29, 0, 0), utc(2026, 7, 1, 0, 0), 10);
    assert_eq!(later.len(), 2, "June 29 and the moved one");
    assert_eq!(later[1].id, dt(2026, 5, 11, 9, 0));
}

#[test]
fn cancel_and_edit_replace_each_other() {
    let mut s = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=DAILY;COUNT=3");
    let id = dt(2026, 5, 5, 9, 0);
    s.edit(id, moved(utc(2026, 5, 5, 12, 0), 60, None)).unwrap();
    s.cancel(id).unwrap();
    assert!(s.overrides().is_empty());
    assert_eq!(all(&s).len(), 2);
    s.edit(id, moved(utc(2026, 5, 5, 12, 0), 60, None)).unwrap();
    assert!(s.exdates().is_empty());
    assert_eq!(all(&s)[1].start, utc(2026, 5, 5, 12, 0));
    assert_eq!(
        s.edit(id, moved(utc(2026, 5, 5, 12, 0), 0, None)),
        Err(SeriesError::OverrideEmpty)
    );
    assert_eq!(
        s.edit(dt(2026, 5, 9, 9, 0), moved(utc(2026, 5, 5, 12, 0), 5, None)),
        Err(SeriesError::NotAnOccurrence(dt(2026, 5, 9, 9, 0)))
    );
}

#[test]
fn window_edges_are_half_open() {
    let s = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=DAILY");
    // Running at the window start: in. Starting at the window end: out.
    let occ = s.occurrences(utc(2026, 5, 5, 9, 30), utc(2026, 5, 6, 9, 0), 10);
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].id, dt(2026, 5, 5, 9, 0));
    // Ending exactly at the window start: out.
    assert!(s
        .occurrences(utc(2026, 5, 5, 10, 0), utc(2026, 5, 6, 9, 0), 10)
        .is_empty());
    assert!(s
        .occurrences(utc(2026, 5, 6, 0, 0), utc(2026, 5, 5, 0, 0), 10)
        .is_empty());
    assert!(s
        .occurrences(utc(2026, 5, 1, 0, 0), utc(2026, 6, 1, 0, 0), 0)
        .is_empty());
}

#[test]
fn max_bounds_an_endless_rule() {
    let s = series(UTC, dt(2026, 1, 1, 9, 0), 15, "FREQ=DAILY");
    let occ = s.occurrences(utc(2026, 1, 1, 0, 0), utc(9999, 1, 1, 0, 0), 100);
    assert_eq!(occ.len(), 100);
    assert_eq!(occ[99].id, dt(2026, 4, 10, 9, 0));
}

#[test]
fn a_far_window_of_an_endless_rule_is_cheap_and_right() {
    let s = series(
        Europe::Paris,
        dt(2026, 1, 5, 9, 0),
        60,
        "FREQ=WEEKLY;INTERVAL=2",
    );
    let t = std::time::Instant::now();
    let occ = s.occurrences(utc(2900, 1, 1, 0, 0), utc(2900, 2, 1, 0, 0), 10);
    assert!(t.elapsed() < std::time::Duration::from_millis(200));
    assert!(!occ.is_empty());
    for o in &occ {
        assert!(s.is_occurrence(o.id));
        assert_eq!(o.id.weekday(), Weekday::Mon);
        assert_eq!(((o.id.date() - day(2026, 1, 5)).num_days()) % 14, 0);
    }
}

#[test]
fn a_rule_matching_nothing_terminates() {
    // Every 12 months on the 30th, from February: February has no 30th.
    let s = series(
        UTC,
        dt(2026, 2, 10, 9, 0),
        60,
        "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30",
    );
    let occ = s.occurrences(utc(2026, 1, 1, 0, 0), utc(9999, 1, 1, 0, 0), 1000);
    assert_eq!(occ.len(), 1, "only the start");
    assert_eq!(s.series_end(), SeriesEnd::At(utc(2026, 2, 10, 10, 0)));
    // February 30th, yearly.
    let s = series(
        UTC,
        dt(2026, 2, 10, 9, 0),
        60,
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5",
    );
    assert_eq!(all(&s).len(), 1);
    assert_eq!(last_occurrence_end(&s), Some(utc(2026, 2, 10, 10, 0)));
}

#[test]
fn expansion_stops_at_year_9999() {
    let s = series(UTC, dt(9999, 12, 20, 9, 0), 60, "FREQ=DAILY");
    let occ = s.occurrences(
        utc(9999, 12, 1, 0, 0),
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
        100,
    );
    assert_eq!(occ.len(), 12);
    let s = series(UTC, dt(9999, 12, 20, 9, 0), 60, "FREQ=YEARLY");
    assert_eq!(s.series_end(), SeriesEnd::At(utc(9999, 12, 20, 10, 0)));
}

#[test]
fn the_end_of_a_series() {
    let endless = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=WEEKLY");
    assert_eq!(last_occurrence_end(&endless), None);
    assert_eq!(endless.series_end(), SeriesEnd::Endless);

    let counted = series(
        Europe::Paris,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=MONTHLY;COUNT=3",
    );
    assert_eq!(last_occurrence_end(&counted), Some(utc(2026, 7, 1, 8, 0)));

    let until = series(
        Europe::Paris,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=WEEKLY;UNTIL=20261231",
    );
    // The last Friday of 2026 is Dec 25, in winter time.
    assert_eq!(last_occurrence_end(&until), Some(utc(2026, 12, 25, 9, 0)));
    let until_utc = series(
        Europe::Paris,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=WEEKLY;UNTIL=20261225T075959Z",
    );
    assert_eq!(
        last_occurrence_end(&until_utc),
        Some(utc(2026, 12, 18, 9, 0))
    );
}

#[test]
fn the_end_counts_cancellations_and_moves() {
    let mut s = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;UNTIL=20260505");
    s.cancel(dt(2026, 5, 5, 9, 0)).unwrap();
    s.cancel(dt(2026, 5, 4, 9, 0)).unwrap();
    assert_eq!(last_occurrence_end(&s), Some(utc(2026, 5, 3, 10, 0)));
    // The first occurrence moved after all others ends the series.
    s.edit(dt(2026, 5, 1, 9, 0), moved(utc(2026, 6, 1, 9, 0), 60, None))
        .unwrap();
    assert_eq!(last_occurrence_end(&s), Some(utc(2026, 6, 1, 10, 0)));
    // The last one moved earlier.
    let mut c = series(UTC, dt(2026, 5, 1, 9, 0), 60, "FREQ=DAILY;COUNT=3");
    c.edit(
        dt(2026, 5, 3, 9, 0),
        moved(utc(2026, 5, 1, 12, 0), 60, None),
    )
    .unwrap();
    assert_eq!(last_occurrence_end(&c), Some(utc(2026, 5, 2, 10, 0)));
    // Everything cancelled.
    for d in 1..=3 {
        c.cancel(dt(2026, 5, d, 9, 0)).unwrap();
    }
    assert_eq!(c.series_end(), SeriesEnd::NoOccurrences);
    assert_eq!(last_occurrence_end(&c), None);
}

#[test]
fn series_validation() {
    let start = dt(2026, 5, 10, 9, 0);
    let hour = TimeDelta::hours(1);
    let rule = |s: &str| Recurrence::from_rrule(s).unwrap();
    assert!(matches!(
        Series::new(UTC, start, hour, rule("FREQ=DAILY;UNTIL=20260509")),
        Err(SeriesError::UntilBeforeStart { .. })
    ));
    assert!(matches!(
        Series::new(UTC, start, hour, rule("FREQ=DAILY;UNTIL=20260510T085959Z")),
        Err(SeriesError::UntilBeforeStart { .. })
    ));
    assert!(Series::new(UTC, start, hour, rule("FREQ=DAILY;UNTIL=20260510")).is_ok());
    assert_eq!(
        Series::new(UTC, start, TimeDelta::zero(), Recurrence::none()),
        Err(SeriesError::EmptyDuration)
    );
    assert_eq!(
        Series::new(
            UTC,
            start,
            MAX_DURATION + TimeDelta::seconds(1),
            Recurrence::none()
        ),
        Err(SeriesError::TooLong)
    );
    assert_eq!(
        Series::new(UTC, dt(1850, 1, 1, 9, 0), hour, Recurrence::none()),
        Err(SeriesError::StartOutOfRange)
    );
    assert!(matches!(
        Series::new(UTC, start, hour, Recurrence::daily().every(0)),
        Err(SeriesError::Rule(_))
    ));
    assert_eq!(
        Series::with_local_end(UTC, start, start, Recurrence::none()),
        Err(SeriesError::EmptyDuration)
    );
}

#[test]
fn ical_rrule_puts_until_in_utc() {
    let s = series(
        Europe::Paris,
        dt(2026, 5, 1, 9, 0),
        60,
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261225",
    );
    assert_eq!(
        s.to_ical_rrule(),
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261225T080000Z"
    );
    let back = series(Europe::Paris, dt(2026, 5, 1, 9, 0), 60, &s.to_ical_rrule());
    assert_eq!(all(&back), all(&s));
    assert_eq!(
        series(UTC, dt(2026, 5, 1, 9, 0), 60, "").to_ical_rrule(),
        ""
    );
}

/// Found by the `recurrence_rule` fuzz target: 9999-12-31 at 22:00 in New
/// York is in year 10000 UTC, which RFC 5545 cannot write (it was written
/// `UNTIL=+100000101T030000Z`, which no calendar, not even ours, reads).
#[test]
fn ical_rrule_until_stays_in_year_9999() {
    let s = series(
        chrono_tz::America::New_York,
        dt(2026, 6, 1, 22, 0),
        60,
        "FREQ=YEARLY;UNTIL=99991231",
    );
    assert_eq!(s.to_ical_rrule(), "FREQ=YEARLY;UNTIL=99991231T235959Z");
    assert!(Recurrence::from_rrule(&s.to_ical_rrule()).is_ok());
    // East of Greenwich nothing changes.
    let s = series(
        chrono_tz::Asia::Tokyo,
        dt(2026, 6, 1, 22, 0),
        60,
        "FREQ=YEARLY;UNTIL=99991231",
    );
    assert_eq!(s.to_ical_rrule(), "FREQ=YEARLY;UNTIL=99991231T130000Z");
}

#[test]
fn extreme_windows_do_not_panic() {
    use chrono::DateTime;
    let (min, max) = (
        DateTime::<chrono::Utc>::MIN_UTC,
        DateTime::<chrono::Utc>::MAX_UTC,
    );
    for rrule in [
        "",
        "FREQ=DAILY",
        "FREQ=WEEKLY;COUNT=3",
        "FREQ=MONTHLY;UNTIL=20300101",
    ] {
        for tz in [
            UTC,
            Europe::Paris,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Etc::GMTPlus12,
        ] {
            let mut s = series(tz, dt(2026, 1, 31, 23, 30), 60, rrule);
            s.edit(
                dt(2026, 1, 31, 23, 30),
                moved(max - TimeDelta::minutes(1), 1, None),
            )
            .unwrap();
            assert!(!s.occurrences(min, max, 5).is_empty());
            assert!(s.occurrences(max - TimeDelta::hours(1), max, 5).len() == 1);
            assert!(s.occurrences(min, min + TimeDelta::hours(1), 5).is_empty());
            let _ = s.series_end();
        }
    }
}

#[test]
fn stored_form_round_trips_and_is_validated() {
    use crate::recurrence::SeriesData;
    let mut s = series(
        Europe::Paris,
        dt(2026, 3, 23, 9, 0),
        60,
        "FREQ=WEEKLY;BYDAY=MO;COUNT=5",
    );
    s.cancel(dt(2026, 3, 30, 9, 0)).unwrap();
    s.edit(
        dt(2026, 4, 6, 9, 0),
        moved(utc(2026, 4, 7, 12, 0), 30, Some("Tuesday instead")),
    )
    .unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"tz\":\"Europe/Paris\""), "{json}");
    assert!(
        json.contains("\"rrule\":\"FREQ=WEEKLY;BYDAY=MO;COUNT=5\""),
        "{json}"
    );
    let back: Series = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);

    let mut data = SeriesData::from(s.clone());
    data.tz = "Mars/Olympus_Mons".into();
    assert_eq!(
        Series::try_from(data),
        Err(SeriesError::UnknownZone("Mars/Olympus_Mons".into()))
    );
    let mut data = SeriesData::from(s.clone());
    data.exdates.push(dt(2026, 3, 31, 9, 0));
    assert_eq!(
        Series::try_from(data),
        Err(SeriesError::NotAnOccurrence(dt(2026, 3, 31, 9, 0)))
    );
    let mut data = SeriesData::from(s);
    data.rrule = "FREQ=WEEKLY;COUNT=0".into();
    assert!(matches!(Series::try_from(data), Err(SeriesError::Rule(_))));
    let bad = json.replace("\"duration_secs\":3600", "\"duration_secs\":-5");
    assert!(serde_json::from_str::<Series>(&bad).is_err());
}

#[test]
fn until_beyond_year_9999_is_refused() {
    use crate::recurrence::{End, Until};
    let far = Recurrence {
        end: End::Until(Until::Utc(chrono::DateTime::<chrono::Utc>::MAX_UTC)),
        ..Recurrence::daily()
    };
    let start = dt(2026, 1, 1, 9, 0);
    assert_eq!(
        Series::new(Europe::Paris, start, TimeDelta::hours(1), far),
        Err(SeriesError::UntilOutOfRange)
    );
    let far = Recurrence::daily().until(chrono::NaiveDate::MAX);
    assert_eq!(
        Series::new(Europe::Paris, start, TimeDelta::hours(1), far),
        Err(SeriesError::UntilOutOfRange)
    );
    assert!(Series::new(
        Europe::Paris,
        start,
        TimeDelta::hours(1),
        Recurrence::daily().until(day(9999, 12, 31))
    )
    .is_ok());
}

//! Conflict checks.

use super::{dt, series, utc};
use crate::recurrence::{find_conflicts, find_conflicts_with, Busy, Override};
use chrono_tz::{America, Europe, UTC};

#[test]
fn weekly_meeting_against_a_daily_one() {
    // Mondays 09:30-10:30 against a daily standup 10:00-10:15.
    let candidate = series(UTC, dt(2026, 5, 4, 9, 30), 60, "FREQ=WEEKLY;COUNT=3");
    let standup = series(UTC, dt(2026, 5, 1, 10, 0), 15, "FREQ=DAILY");
    let lunch = series(UTC, dt(2026, 5, 1, 12, 0), 60, "FREQ=DAILY");
    let got = find_conflicts(
        &candidate,
        &[lunch, standup],
        utc(2026, 5, 1, 0, 0),
        utc(2026, 6, 1, 0, 0),
        100,
    );
    assert_eq!(got.len(), 3);
    for (c, d) in got.iter().zip([4, 11, 18]) {
        assert_eq!(c.occurrence.id, dt(2026, 5, d, 9, 30));
        assert_eq!(c.other, 1);
        assert_eq!(c.other_id, Some(dt(2026, 5, d, 10, 0)));
        assert_eq!(c.other_start, utc(2026, 5, d, 10, 0));
        assert_eq!(c.other_end, utc(2026, 5, d, 10, 15));
    }
}

#[test]
fn back_to_back_is_not_a_conflict() {
    let candidate = series(UTC, dt(2026, 5, 4, 10, 0), 60, "");
    let before = series(UTC, dt(2026, 5, 4, 9, 0), 60, "");
    let after = series(UTC, dt(2026, 5, 4, 11, 0), 60, "");
    let window = (utc(2026, 5, 1, 0, 0), utc(2026, 6, 1, 0, 0));
    assert!(find_conflicts(&candidate, &[before, after], window.0, window.1, 10).is_empty());
}

#[test]
fn zones_are_compared_in_utc() {
    // 15:00 Paris is 09:00 New York in May.
    let paris = series(Europe::Paris, dt(2026, 5, 4, 15, 0), 60, "");
    let new_york = series(America::New_York, dt(2026, 5, 4, 9, 30), 30, "");
    let got = find_conflicts(
        &paris,
        &[new_york],
        utc(2026, 5, 1, 0, 0),
        utc(2026, 6, 1, 0, 0),
        10,
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].other_start, utc(2026, 5, 4, 13, 30));
}

#[test]
fn exceptions_count_on_both_sides() {
    let mut candidate = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=DAILY;COUNT=5");
    let mut other = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=DAILY;COUNT=5");
    candidate.cancel(dt(2026, 5, 5, 9, 0)).unwrap();
    other.cancel(dt(2026, 5, 6, 9, 0)).unwrap();
    // The candidate's May 7 moves to the afternoon: no clash that day.
    candidate
        .edit(
            dt(2026, 5, 7, 9, 0),
            Override {
                start: utc(2026, 5, 7, 14, 0),
                end: utc(2026, 5, 7, 15, 0),
                name: None,
            },
        )
        .unwrap();
    let got = find_conflicts(
        &candidate,
        &[other],
        utc(2026, 5, 1, 0, 0),
        utc(2026, 6, 1, 0, 0),
        10,
    );
    let ids: Vec<_> = got.iter().map(|c| c.occurrence.id).collect();
    assert_eq!(ids, [dt(2026, 5, 4, 9, 0), dt(2026, 5, 8, 9, 0)]);
}

#[test]
fn against_busy_intervals_with_a_cap() {
    let candidate = series(UTC, dt(2026, 5, 4, 9, 0), 60, "FREQ=DAILY");
    let busy = [
        Busy {
            start: utc(2026, 5, 1, 0, 0),
            end: utc(2026, 5, 10, 0, 0),
        },
        Busy {
            start: utc(2026, 5, 5, 9, 59),
            end: utc(2026, 5, 5, 10, 30),
        },
        // Empty: ignored.
        Busy {
            start: utc(2026, 5, 6, 9, 30),
            end: utc(2026, 5, 6, 9, 30),
        },
    ];
    let window = (utc(2026, 5, 1, 0, 0), utc(2026, 6, 1, 0, 0));
    let got = find_conflicts_with(&candidate, &busy, window.0, window.1, 100);
    // May 4 to 9 against the long block, May 5 also against the short one.
    assert_eq!(got.len(), 7);
    assert_eq!(
        (got[1].occurrence.id, got[1].other),
        (dt(2026, 5, 5, 9, 0), 0)
    );
    assert_eq!(
        (got[2].occurrence.id, got[2].other),
        (dt(2026, 5, 5, 9, 0), 1)
    );
    assert!(got.iter().all(|c| c.other_id.is_none()));
    assert_eq!(
        find_conflicts_with(&candidate, &busy, window.0, window.1, 2).len(),
        2
    );
    assert!(find_conflicts_with(&candidate, &busy, window.0, window.1, 0).is_empty());
}

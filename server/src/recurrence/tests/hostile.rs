//! Parsing never panics, and whatever parses expands within bounds.

use super::{dt, utc};
use crate::recurrence::{Recurrence, Series};
use chrono::TimeDelta;
use chrono_tz::Tz;

const GARBAGE: &[&str] = &[
    ";",
    ";;;;",
    "=",
    "==",
    "FREQ==DAILY",
    "FREQ=",
    "FREQ=DAILY;INTERVAL=",
    "FREQ=DAILY;INTERVAL=+",
    "FREQ=DAILY;INTERVAL=-",
    "FREQ=DAILY;INTERVAL=18446744073709551616",
    "FREQ=DAILY;INTERVAL=-9223372036854775808",
    "FREQ=DAILY;COUNT=1e3",
    "FREQ=DAILY;UNTIL=",
    "FREQ=DAILY;UNTIL=Z",
    "FREQ=DAILY;UNTIL=9999999999999999",
    "FREQ=DAILY;UNTIL=00000000",
    "FREQ=DAILY;UNTIL=20261231TZZZZZZZ",
    "FREQ=DAILY;UNTIL=2026123éT000000Z",
    "FREQ=DAILY;UNTIL=éééééééé",
    "FREQ=WEEKLY;BYDAY=,,,",
    "FREQ=WEEKLY;BYDAY=M",
    "FREQ=WEEKLY;BYDAY=ΜΟ",
    "FREQ=WEEKLY;BYDAY=1é",
    "FREQ=WEEKLY;BYDAY=é",
    "FREQ=MONTHLY;BYDAY=99999999999999999999MO",
    "FREQ=MONTHLY;BYDAY=-MO",
    "FREQ=MONTHLY;BYDAY=+MO",
    "FREQ=MONTHLY;BYDAY=--1MO",
    "FREQ=MONTHLY;BYMONTHDAY=-",
    "FREQ=MONTHLY;BYMONTHDAY=-128",
    "FREQ=MONTHLY;BYMONTHDAY=255",
    "FREQ=YEARLY;BYMONTH=0",
    "FREQ=YEARLY;BYMONTH=-1",
    "FREQ=YEARLY;BYMONTH=256;BYMONTHDAY=1",
    "\0\0\0",
    "FREQ=DAILY\0",
    "RRULE:RRULE:FREQ=DAILY",
    "rrule",
    "RRULE",
    "RRULé:FREQ=DAILY",
    "é",
    "🎉🎉🎉=🎉",
    "FREQ=🎉",
    "\u{202e}FREQ=DAILY",
    "FREQ=DAILY;COUNT=5\nRRULE:FREQ=WEEKLY",
    "DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY",
];

/// Parses `input`; if it parses, checks it round-trips and expands within
/// bounds. Returns whether it parsed.
fn check(input: &str) -> bool {
    let parsed = Recurrence::from_rrule(input);
    if let Ok(rule) = parsed.clone() {
        let again = Recurrence::from_rrule(&rule.to_rrule()).unwrap();
        assert_eq!(again, rule, "{input:?}");
        // Whatever parses expands quickly and within bounds.
        if let Ok(s) = Series::new(
            Tz::Europe__Paris,
            dt(2026, 1, 31, 9, 0),
            TimeDelta::hours(1),
            rule,
        ) {
            let occ = s.occurrences(utc(2026, 1, 1, 0, 0), utc(9999, 12, 31, 0, 0), 50);
            assert!(occ.len() <= 50);
            let _ = s.series_end();
            let _ = s.describe(crate::recurrence::Lang::Fr);
        }
    }
    parsed.is_ok()
}

#[test]
fn garbage_strings_do_not_panic() {
    for input in GARBAGE {
        assert!(!check(input), "{input:?} should not parse");
    }
    assert!(Recurrence::from_rrule("FREQ=DAILY;INTERVAL=18446744073709551616").is_err());
}

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

#[test]
fn random_rule_like_strings_do_not_panic() {
    let names = [
        "FREQ",
        "INTERVAL",
        "COUNT",
        "UNTIL",
        "BYDAY",
        "BYMONTHDAY",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
        "freq",
        "BYHOUR",
        "",
        "RRULE:FREQ",
    ];
    let values = [
        "DAILY",
        "WEEKLY",
        "MONTHLY",
        "YEARLY",
        "HOURLY",
        "0",
        "1",
        "2",
        "-1",
        "5",
        "12",
        "13",
        "29",
        "30",
        "31",
        "-5",
        "1000",
        "10000",
        "MO",
        "TU,TH",
        "2TU",
        "-1FR",
        "5MO",
        "SU,SA,MO",
        "20260101",
        "20260229",
        "20261231T235959Z",
        "99991231",
        "19000101",
        "é",
        "",
        ",",
        "=",
        "+3",
        "1,2",
    ];
    let good = [
        "INTERVAL=2",
        "INTERVAL=12",
        "INTERVAL=1000",
        "COUNT=5",
        "COUNT=10000",
        "UNTIL=20270101",
        "UNTIL=20261231T235959Z",
        "UNTIL=99991231",
        "BYDAY=MO,TH",
        "BYDAY=2TU",
        "BYDAY=5MO",
        "BYDAY=-1FR",
        "BYDAY=SU",
        "BYMONTHDAY=31",
        "BYMONTHDAY=30",
        "BYMONTHDAY=-1",
        "BYMONTH=2",
        "BYSETPOS=-1",
        "WKST=SU",
    ];
    let mut rng = Lcg(0x5eed);
    let mut valid = 0;
    for round in 0..20_000 {
        let parts = 1 + rng.next() % 5;
        // Half the strings start with a real FREQ, so that many parse.
        let mut s = if round % 2 == 0 {
            format!(
                "FREQ={};",
                rng.pick(&["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
            )
        } else {
            String::new()
        };
        for i in 0..parts {
            if i > 0 {
                s.push_str(rng.pick(&[";", ";", ";", "", "=", ",", " ; "]));
            }
            if rng.next() & 1 == 0 {
                s.push_str(rng.pick(&good));
                continue;
            }
            s.push_str(rng.pick(&names));
            s.push_str(rng.pick(&["=", "=", "=", "", "==", ":"]));
            s.push_str(rng.pick(&values));
        }
        if check(&s) {
            valid += 1;
        }
    }
    assert!(valid > 400, "only {valid} random rules parsed");
}

#[test]
fn random_bytes_do_not_panic() {
    let mut rng = Lcg(42);
    for _ in 0..5000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
        let _ = check(&String::from_utf8_lossy(&bytes));
    }
}

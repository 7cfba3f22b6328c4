//! Descriptions in English and French.

use super::{dt, series};
use crate::recurrence::{describe, Lang, Recurrence};
use chrono_tz::{America, Europe, UTC};

fn en(rrule: &str, start: chrono::NaiveDateTime) -> String {
    series(UTC, start, 60, rrule).describe(Lang::En)
}

fn fr(rrule: &str, start: chrono::NaiveDateTime) -> String {
    series(UTC, start, 60, rrule).describe(Lang::Fr)
}

#[test]
fn english() {
    let mon = dt(2026, 1, 5, 9, 0);
    let cases = [
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10",
            mon,
            "Every 2 weeks on Monday and Thursday, 10 times",
        ),
        (
            "FREQ=DAILY;UNTIL=20261231",
            mon,
            "Daily, until Dec 31, 2026",
        ),
        (
            "FREQ=MONTHLY;BYDAY=2TU",
            dt(2026, 1, 13, 9, 0),
            "Monthly on the second Tuesday",
        ),
        ("FREQ=YEARLY", dt(2026, 8, 21, 9, 0), "Yearly on Aug 21"),
        ("", mon, "Does not repeat"),
        ("FREQ=DAILY;INTERVAL=3", mon, "Every 3 days"),
        ("FREQ=WEEKLY", mon, "Weekly on Monday"),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=1",
            mon,
            "Weekly on Monday, Wednesday and Friday, once",
        ),
        ("FREQ=MONTHLY", dt(2026, 1, 31, 9, 0), "Monthly on day 31"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", mon, "Monthly on the last day"),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;COUNT=4",
            mon,
            "Every 3 months on the last Friday, 4 times",
        ),
        (
            "FREQ=YEARLY;INTERVAL=2",
            dt(2024, 2, 29, 9, 0),
            "Every 2 years on Feb 29",
        ),
        (
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            mon,
            "Yearly on the fourth Thursday of November",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
            mon,
            "Yearly on the last day of February",
        ),
        ("FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=1", mon, "Yearly on May 1"),
        ("FREQ=YEARLY;BYMONTH=6", mon, "Yearly on Jun 5"),
    ];
    for (rrule, start, want) in cases {
        assert_eq!(en(rrule, start), want, "{rrule}");
    }
}

#[test]
fn french() {
    let mon = dt(2026, 1, 5, 9, 0);
    let cases = [
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10",
            mon,
            "Toutes les 2 semaines le lundi et le jeudi, 10 fois",
        ),
        (
            "FREQ=DAILY;UNTIL=20261231",
            mon,
            "Tous les jours, jusqu'au 31 décembre 2026",
        ),
        (
            "FREQ=MONTHLY;BYDAY=2TU",
            dt(2026, 1, 13, 9, 0),
            "Tous les mois le deuxième mardi",
        ),
        (
            "FREQ=YEARLY",
            dt(2026, 8, 21, 9, 0),
            "Tous les ans le 21 août",
        ),
        ("", mon, "Ne se répète pas"),
        (
            "FREQ=DAILY;INTERVAL=3;COUNT=1",
            mon,
            "Tous les 3 jours, une fois",
        ),
        ("FREQ=WEEKLY", mon, "Toutes les semaines le lundi"),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            mon,
            "Toutes les semaines le lundi, le mercredi et le vendredi",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=1", mon, "Tous les mois le 1er"),
        (
            "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15",
            mon,
            "Tous les 2 mois le 15",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            mon,
            "Tous les mois le dernier jour",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            mon,
            "Tous les mois le dernier vendredi",
        ),
        (
            "FREQ=YEARLY;INTERVAL=2;UNTIL=20300101",
            dt(2026, 1, 1, 9, 0),
            "Tous les 2 ans le 1er janvier, jusqu'au 1er janvier 2030",
        ),
        (
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            mon,
            "Tous les ans le quatrième jeudi de novembre",
        ),
        (
            "FREQ=YEARLY;BYMONTH=8;BYDAY=1MO",
            mon,
            "Tous les ans le premier lundi d'août",
        ),
    ];
    for (rrule, start, want) in cases {
        assert_eq!(fr(rrule, start), want, "{rrule}");
    }
}

#[test]
fn utc_until_is_shown_as_a_local_day() {
    // 2027-01-01T02:00Z is still Dec 31 in New York.
    let s = series(
        America::New_York,
        dt(2026, 1, 5, 9, 0),
        60,
        "FREQ=DAILY;UNTIL=20270101T020000Z",
    );
    assert_eq!(s.describe(Lang::En), "Daily, until Dec 31, 2026");
    let rule = Recurrence::from_rrule("FREQ=DAILY;UNTIL=20270101T020000Z").unwrap();
    assert_eq!(
        describe(&rule, dt(2026, 1, 5, 9, 0), Europe::Paris, Lang::En),
        "Daily, until Jan 1, 2027"
    );
}

#[test]
fn language_tags() {
    assert_eq!(Lang::from_tag("fr"), Lang::Fr);
    assert_eq!(Lang::from_tag("fr-FR"), Lang::Fr);
    assert_eq!(Lang::from_tag("FR_ca"), Lang::Fr);
    assert_eq!(Lang::from_tag("en-US"), Lang::En);
    assert_eq!(Lang::from_tag(""), Lang::En);
    assert_eq!(Lang::from_tag("de"), Lang::En);
    assert_eq!(Lang::default(), Lang::En);
}

#[test]
fn hand_built_rules_describe_without_panicking() {
    use crate::recurrence::{End, Frequency, MonthDay, Until};
    let weird = [
        Recurrence {
            end: End::Until(Until::Utc(chrono::DateTime::<chrono::Utc>::MAX_UTC)),
            ..Recurrence::daily()
        },
        Recurrence {
            end: End::Until(Until::Utc(chrono::DateTime::<chrono::Utc>::MIN_UTC)),
            ..Recurrence::daily().every(0)
        },
        Recurrence::monthly_on_day(-7),
        Recurrence::monthly_on_nth(9, chrono::Weekday::Mon),
        Recurrence {
            freq: Frequency::Yearly {
                month: Some(0),
                on: Some(MonthDay::Day(0)),
            },
            ..Recurrence::yearly()
        },
        Recurrence::daily().until(chrono::NaiveDate::MAX),
    ];
    for rule in weird {
        for tz in [
            UTC,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Etc::GMTPlus12,
        ] {
            for lang in [Lang::En, Lang::Fr] {
                assert!(!describe(&rule, dt(2026, 1, 5, 9, 0), tz, lang).is_empty());
            }
        }
    }
}

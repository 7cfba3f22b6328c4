//! The rule model and RRULE text.

use super::{day, utc};
use crate::recurrence::{End, Frequency, MonthDay, Recurrence, RuleError, Until};
use chrono::Weekday;

fn parse(s: &str) -> Recurrence {
    Recurrence::from_rrule(s).unwrap()
}

fn err(s: &str) -> RuleError {
    Recurrence::from_rrule(s).unwrap_err()
}

#[test]
fn weekly_example_parses_and_round_trips() {
    let text = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10";
    let r = parse(text);
    assert_eq!(
        r.freq,
        Frequency::Weekly {
            days: vec![Weekday::Mon, Weekday::Thu]
        }
    );
    assert_eq!(r.interval, 2);
    assert_eq!(r.end, End::Count(10));
    assert_eq!(r.week_start, Weekday::Mon);
    assert_eq!(r.to_rrule(), text);
    assert_eq!(
        r,
        Recurrence::weekly(&[Weekday::Thu, Weekday::Mon])
            .every(2)
            .count(10)
    );
}

#[test]
fn canonical_forms_round_trip() {
    for text in [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3;UNTIL=20261231",
        "FREQ=DAILY;UNTIL=20261231T225959Z",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;COUNT=4;WKST=SU",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=2TU",
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;COUNT=4",
        "FREQ=YEARLY",
        "FREQ=YEARLY;BYMONTH=2",
        "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    ] {
        let r = parse(text);
        assert_eq!(r.to_rrule(), text, "{text}");
        assert_eq!(parse(&r.to_rrule()), r, "{text}");
        assert_eq!(r.to_string(), text);
        assert_eq!(text.parse::<Recurrence>().unwrap(), r);
    }
}

#[test]
fn empty_rule_means_does_not_repeat() {
    for text in ["", "   ", "RRULE:"] {
        let r = parse(text);
        assert_eq!(r, Recurrence::none());
        assert!(!r.repeats());
    }
    assert_eq!(Recurrence::none().to_rrule(), "");
}

#[test]
fn lenient_about_case_prefix_spaces_and_empty_parts() {
    let r = parse(" rrule:freq=weekly; byday=mo , th ;interval=2;count= 10; ");
    assert_eq!(r.to_rrule(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10");
}

#[test]
fn weekdays_are_sorted_and_deduplicated() {
    let r = parse("FREQ=WEEKLY;BYDAY=FR,MO,FR,WE");
    assert_eq!(r.to_rrule(), "FREQ=WEEKLY;BYDAY=MO,WE,FR");
}

#[test]
fn nth_weekday_from_bysetpos() {
    assert_eq!(
        parse("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2"),
        parse("FREQ=MONTHLY;BYDAY=2TU")
    );
    assert_eq!(
        parse("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1"),
        Recurrence::monthly_on_nth(-1, Weekday::Fri)
    );
    assert_eq!(
        parse("FREQ=MONTHLY;BYDAY=+1MO").freq,
        Frequency::Monthly {
            on: Some(MonthDay::Nth {
                nth: 1,
                weekday: Weekday::Mon
            })
        }
    );
}

#[test]
fn until_date_and_utc() {
    assert_eq!(
        parse("FREQ=DAILY;UNTIL=20261231").end,
        End::Until(Until::Date(day(2026, 12, 31)))
    );
    assert_eq!(
        parse("FREQ=DAILY;UNTIL=20261231T225959Z").end,
        End::Until(Until::Utc(
            utc(2026, 12, 31, 22, 59) + chrono::TimeDelta::seconds(59)
        ))
    );
}

#[test]
fn serde_uses_the_rrule_text() {
    let r = parse("FREQ=MONTHLY;BYDAY=2TU;COUNT=5");
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(json, "\"FREQ=MONTHLY;BYDAY=2TU;COUNT=5\"");
    assert_eq!(serde_json::from_str::<Recurrence>(&json).unwrap(), r);
    let bad = serde_json::from_str::<Recurrence>("\"FREQ=DAILY;INTERVAL=0\"");
    assert!(bad.unwrap_err().to_string().contains("INTERVAL"));
}

/// (input, the text the error must contain).
const BAD: &[(&str, &str)] = &[
    ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
    ("FREQ=DAILY;INTERVAL=-1", "INTERVAL"),
    ("FREQ=DAILY;INTERVAL=1001", "INTERVAL"),
    ("FREQ=DAILY;INTERVAL=two", "INTERVAL"),
    ("FREQ=DAILY;COUNT=0", "COUNT"),
    ("FREQ=DAILY;COUNT=10001", "COUNT"),
    ("FREQ=DAILY;COUNT=99999999999999999999999", "COUNT"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20261231", "COUNT and UNTIL"),
    ("FREQ=DAILY;UNTIL=20261231T120000", "UNTIL"),
    ("FREQ=DAILY;UNTIL=20260230", "UNTIL"),
    ("FREQ=DAILY;UNTIL=2026-12-31", "UNTIL"),
    ("FREQ=DAILY;UNTIL=20261231T256000Z", "UNTIL"),
    ("FREQ=WEEKLY;BYDAY=MO,XX", "XX"),
    ("FREQ=WEEKLY;BYDAY=", "weekday"),
    ("FREQ=WEEKLY;BYDAY=2MO", "BYDAY"),
    ("FREQ=WEEKLY;WKST=XY", "XY"),
    (
        "FREQ=DAILY;BYDAY=MO,TU",
        "BYDAY is not supported with FREQ=DAILY",
    ),
    ("FREQ=DAILY;BYMONTHDAY=3", "BYMONTHDAY"),
    ("FREQ=WEEKLY;BYMONTH=3", "BYMONTH"),
    ("FREQ=MONTHLY;BYMONTH=3", "BYMONTH"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYMONTHDAY=-2", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYDAY=MO", "BYDAY"),
    ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY"),
    ("FREQ=MONTHLY;BYDAY=-2MO", "BYDAY"),
    ("FREQ=MONTHLY;BYDAY=1MO,3MO", "BYDAY"),
    ("FREQ=MONTHLY;BYDAY=2TU;BYMONTHDAY=3", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYDAY=2TU;BYSETPOS=2", "BYSETPOS"),
    ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=9", "BYSETPOS"),
    ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS"),
    ("FREQ=YEARLY;BYMONTH=13", "BYMONTH"),
    ("FREQ=YEARLY;BYMONTHDAY=21", "BYMONTH"),
    ("FREQ=YEARLY;BYDAY=4TH", "BYMONTH"),
    ("FREQ=HOURLY", "FREQ=HOURLY"),
    ("FREQ=FORTNIGHTLY", "FORTNIGHTLY"),
    ("INTERVAL=2", "FREQ is missing"),
    ("FREQ=DAILY;FREQ=WEEKLY", "FREQ appears more than once"),
    ("FREQ=DAILY;BYHOUR=9", "BYHOUR"),
    ("FREQ=DAILY;X-FOO=1", "X-FOO"),
    ("FREQ", "FREQ"),
    ("FREQ=DAILY;=3", "=3"),
];

#[test]
fn bad_rules_are_refused_with_the_part_named() {
    for (input, needle) in BAD {
        let e = err(input);
        assert!(
            e.to_string().contains(needle),
            "{input}: {e} does not mention {needle}"
        );
    }
}

#[test]
fn specific_error_variants() {
    assert_eq!(
        err("FREQ=DAILY;INTERVAL=0"),
        RuleError::Interval("0".into())
    );
    assert_eq!(err("FREQ=DAILY;COUNT=0"), RuleError::Count("0".into()));
    assert_eq!(
        err("FREQ=WEEKLY;BYDAY=MO,QQ"),
        RuleError::UnknownWeekday("QQ".into())
    );
    assert_eq!(
        err("FREQ=DAILY;BYDAY=MO"),
        RuleError::NotAllowed {
            part: "BYDAY",
            freq: "DAILY"
        }
    );
    assert_eq!(
        err("FREQ=DAILY;COUNT=1;UNTIL=20260101"),
        RuleError::CountAndUntil
    );
    assert_eq!(
        err("FREQ=SECONDLY"),
        RuleError::UnsupportedFreq("SECONDLY".into())
    );
    assert_eq!(err(&"x".repeat(2000)), RuleError::TooLong);
}

#[test]
fn hand_built_rules_are_validated() {
    assert!(Recurrence::daily().every(0).validate().is_err());
    assert!(Recurrence::daily().count(0).validate().is_err());
    assert!(Recurrence::monthly_on_day(0).validate().is_err());
    assert!(Recurrence::monthly_on_day(32).validate().is_err());
    assert!(Recurrence::monthly_on_nth(6, Weekday::Mon)
        .validate()
        .is_err());
    assert!(Recurrence::yearly_on(13, MonthDay::Day(1))
        .validate()
        .is_err());
    let no_month = Recurrence {
        freq: Frequency::Yearly {
            month: None,
            on: Some(MonthDay::Day(3)),
        },
        ..Recurrence::yearly()
    };
    assert!(no_month.validate().is_err());
    assert!(Recurrence::monthly_on_nth(-1, Weekday::Fri)
        .validate()
        .is_ok());
    assert!(Recurrence::none().every(0).validate().is_ok());
}

#[test]
fn long_hostile_values_are_cut_in_messages() {
    let input = format!("FREQ=WEEKLY;BYDAY={}", "Z".repeat(500));
    let msg = err(&input).to_string();
    assert!(msg.len() < 200, "{msg}");
}

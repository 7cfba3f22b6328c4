//! Random series written as invitations (`server::mail::ics`: DTSTART with
//! TZID, the RRULE as the mails carry it, the VTIMEZONE in Outlook's form)
//! and expanded by Mozilla's ical.js (tests/ical/read.mjs): the occurrences
//! it reads are the scheduler's own (`Series::occurrences`), to the second.
//!
//! Frequencies, intervals, weekdays, days of the month, nth and last
//! weekdays, counts and end dates, in zones with and without daylight time.
//! The chosen first date is on the rule for half the cases and any day for
//! the others; the series is stored as the scheduler stores it
//! (`Series::on_rule`: from the first instant the rule produces on or after
//! the chosen date, its DTSTART, as SPEC §8 asks), which is checked against
//! the rule's pattern here; the comparison covers the years the
//! invitation's VTIMEZONE spans. Start
//! times are between 06:00 and 21:45, away from the hours at which these
//! zones change their clocks: for a local time that a change skips, ical.js
//! applies the offset after the change where RFC 5545 (and the scheduler)
//! applies the one before.
//! `INVITATION_EXPANSION_SEED` and `INVITATION_EXPANSION_CASES` change the
//! seed and the number of cases.
//!
//! Needs node with ical.js (`npm ci` in tests/ical; scripts/test.sh
//! install_all does it). Fails, never skips, without it.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use server::mail::ics::{write, Event, Method, Person};
use server::recurrence::{resolve_local, Recurrence, Series};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const ZONES: &[Tz] = &[
    chrono_tz::Europe::Paris,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Pacific::Chatham,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Africa::Casablanca,
    chrono_tz::Europe::London,
    chrono_tz::America::Santiago,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::UTC,
];

/// Occurrences compared per series, at most.
const MAX: usize = 60;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap();
        lo + i64::try_from(self.next() % span).unwrap()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.next() % items.len() as u64).unwrap()]
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?}")))
        .unwrap_or(default)
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// A random rule, and which dates it produces (to check where the series
/// starts, and to choose a first date on the rule).
struct Rule {
    text: String,
    interval: i64,
    /// Weekdays (0 = Monday) a weekly rule gives.
    weekdays: Vec<u32>,
    /// BYMONTH of a yearly rule.
    month: Option<u32>,
    /// BYMONTHDAY.
    month_day: Option<u32>,
    /// BYDAY=<nth><weekday> of a monthly or yearly rule.
    nth: Option<(i64, u32)>,
}

impl Rule {
    /// Whether the rule's pattern gives `d` (intervals aside: the series
    /// starts there, and its periods count from there).
    fn fits(&self, d: NaiveDate) -> bool {
        let wd = d.weekday().num_days_from_monday();
        if !self.weekdays.is_empty() && !self.weekdays.contains(&wd) {
            return false;
        }
        if self.month.is_some_and(|m| m != d.month()) {
            return false;
        }
        if self.month_day.is_some_and(|md| md != d.day()) {
            return false;
        }
        if let Some((n, day)) = self.nth {
            let last = (d + TimeDelta::days(7)).month() != d.month();
            let nth = i64::from((d.day() - 1) / 7 + 1);
            if day != wd || !(n == nth || (n == -1 && last)) {
                return false;
            }
        }
        true
    }
}

fn random_rule(rng: &mut Rng, start: NaiveDate) -> Rule {
    let mut rule = Rule {
        text: String::new(),
        interval: 1,
        weekdays: Vec::new(),
        month: None,
        month_day: None,
        nth: None,
    };
    let mut parts = Vec::new();
    let interval = *rng.pick(&[1, 1, 1, 2, 3]);
    let day_of_month = |rng: &mut Rng, rule: &mut Rule, parts: &mut Vec<String>| {
        if rng.range(0, 1) == 0 {
            let d = rng.range(1, 28);
            rule.month_day = Some(u32::try_from(d).unwrap());
            parts.push(format!("BYMONTHDAY={d}"));
        } else {
            let n = *rng.pick(&[1, 2, 3, 4, -1]);
            let wd = rng.range(0, 6);
            rule.nth = Some((n, u32::try_from(wd).unwrap()));
            parts.push(format!(
                "BYDAY={n}{}",
                WEEKDAYS[usize::try_from(wd).unwrap()]
            ));
        }
    };
    match rng.range(0, 3) {
        0 => parts.push("FREQ=DAILY".to_string()),
        1 => {
            parts.push("FREQ=WEEKLY".to_string());
            let mut days: Vec<u32> = (0..7).filter(|_| rng.range(0, 2) == 0).collect();
            if days.is_empty() {
                days.push(u32::try_from(rng.range(0, 6)).unwrap());
            }
            let codes: Vec<&str> = days.iter().map(|d| WEEKDAYS[*d as usize]).collect();
            parts.push(format!("BYDAY={}", codes.join(",")));
            rule.weekdays = days;
        }
        2 => {
            parts.push("FREQ=MONTHLY".to_string());
            day_of_month(rng, &mut rule, &mut parts);
        }
        _ => {
            parts.push("FREQ=YEARLY".to_string());
            let m = rng.range(1, 12);
            rule.month = Some(u32::try_from(m).unwrap());
            parts.push(format!("BYMONTH={m}"));
            day_of_month(rng, &mut rule, &mut parts);
        }
    }
    if interval > 1 {
        parts.push(format!("INTERVAL={interval}"));
    }
    rule.interval = interval;
    match rng.range(0, 2) {
        0 | 1 => parts.push(format!("COUNT={}", rng.range(1, 30))),
        _ => {
            // Counted from the chosen day; the series may start up to a
            // year later (its first date on the rule), or not at all.
            let until = start + TimeDelta::days(rng.range(0, 1200));
            parts.push(format!("UNTIL={}", until.format("%Y%m%d")));
        }
    }
    rule.text = parts.join(";");
    rule
}

/// A case: the series (starting on its rule) and what the scheduler lists.
struct Case {
    tz: Tz,
    /// The date the person chose; the series may start later.
    chosen: chrono::NaiveDateTime,
    series: Series,
    expected: Vec<DateTime<Utc>>,
    calendar: String,
}

fn case(rng: &mut Rng) -> Option<Case> {
    let tz = *rng.pick(ZONES);
    let year = i32::try_from(rng.range(2026, 2034)).unwrap();
    let day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap() + TimeDelta::days(rng.range(0, 364));
    let chosen = day
        .and_hms_opt(
            u32::try_from(rng.range(6, 21)).unwrap(),
            u32::try_from(rng.range(0, 3) * 15).unwrap(),
            0,
        )
        .unwrap();
    let rule = random_rule(rng, chosen.date());
    // The first date on or after the chosen one that the rule's pattern
    // gives (intervals aside).
    let mut day = chosen.date();
    while !rule.fits(day) {
        day = day.succ_opt()?;
    }
    // Half the cases choose that date (on the rule), the others any day.
    let chosen = if rng.range(0, 1) == 0 {
        day.and_time(chosen.time())
    } else {
        chosen
    };
    let recurrence = Recurrence::from_rrule(&rule.text).ok()?;
    let duration = TimeDelta::minutes(*rng.pick(&[30, 60, 90]));
    // As the scheduler stores it; None when the rule gives nothing from the
    // chosen date on (an UNTIL before its first date).
    let series = Series::on_rule(tz, chosen, duration, recurrence).ok()?;
    // It starts on a date the pattern gives, the first one when every
    // period counts.
    assert!(
        rule.fits(series.start().date()),
        "{} from {chosen}",
        rule.text
    );
    assert_eq!(series.start().time(), chosen.time());
    if rule.interval == 1 {
        assert_eq!(series.start().date(), day, "{} from {chosen}", rule.text);
    }
    let from = resolve_local(tz, series.start()) - TimeDelta::days(2);
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let listed = series.occurrences(from, far, MAX);
    // The years the invitation's VTIMEZONE covers at least.
    let covered = Utc
        .with_ymd_and_hms(series.start().year() + 4, 1, 1, 0, 0, 0)
        .unwrap();
    let expected: Vec<DateTime<Utc>> = listed
        .iter()
        .map(|o| o.start)
        .filter(|t| *t < covered)
        .collect();
    let start = resolve_local(tz, series.start());
    let rrule = series.to_ical_rrule();
    let calendar = write(&Event {
        method: Method::Request,
        uid: "case@cms-scheduler".into(),
        sequence: 0,
        stamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        tz,
        start,
        end: start + duration,
        rrule: Some(rrule).filter(|r| !r.is_empty()),
        summary: "Case".into(),
        location: String::new(),
        description: String::new(),
        organizer: Person {
            name: None,
            email: "organizer@example.com".into(),
        },
        sent_by: None,
        attendees: vec![Person {
            name: None,
            email: "guest@example.com".into(),
        }],
        exdates: Vec::new(),
        recurrence_id: None,
    });
    Some(Case {
        tz,
        chosen,
        series,
        expected,
        calendar,
    })
}

#[test]
fn random_series_expand_in_ical_js_as_in_the_scheduler() {
    let seed: u64 = env_or("INVITATION_EXPANSION_SEED", 0x1ca1_2026_1201);
    let want: usize = env_or("INVITATION_EXPANSION_CASES", 300);
    let mut rng = Rng(seed.max(1));
    let mut cases = Vec::new();
    while cases.len() < want {
        if let Some(c) = case(&mut rng) {
            cases.push(c);
        }
    }
    let request = json!({
        "mode": "mail",
        "max": MAX,
        "calendars": cases.iter().map(|c| c.calendar.as_str()).collect::<Vec<_>>(),
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/ical/read.mjs");
    let mut child = Command::new("node")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts (needs node and `npm ci` in tests/ical)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "read.mjs: {}\n(needs `npm ci` in tests/ical; scripts/test.sh install_all does it)",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(answers.len(), cases.len());
    let mut compared = 0;
    let off_rule = cases
        .iter()
        .filter(|c| c.series.start() != c.chosen)
        .count();
    assert!(
        off_rule * 5 >= cases.len() && (cases.len() - off_rule) * 5 >= cases.len(),
        "{off_rule} of {} chosen dates off the rule",
        cases.len()
    );
    for (c, a) in cases.iter().zip(&answers) {
        let read: Vec<String> = a["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["startUtc"].as_str().unwrap().to_string())
            .take(c.expected.len())
            .collect();
        let want: Vec<String> = c
            .expected
            .iter()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .collect();
        assert_eq!(
            read,
            want,
            "{} chosen {}, from {} ({}):\n{}",
            c.tz.name(),
            c.chosen,
            c.series.start(),
            c.series.to_ical_rrule(),
            c.calendar
        );
        compared += want.len();
    }
    eprintln!(
        "{} random series ({off_rule} chosen off their rule), {compared} occurrences: \
         ical.js reads the scheduler's",
        cases.len()
    );
}

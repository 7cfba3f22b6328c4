//! `server::recurrence` against an independent reference: random rules,
//! zones and chosen first dates, on and off the rule, are expanded by our
//! library as the scheduler stores them (`Series::on_rule`: the first
//! occurrence is the first instant the rule produces on or after the
//! chosen date) and by `tests/recurrence/reference.py` (python-dateutil and
//! `zoneinfo`, with the chosen date as DTSTART), and every UTC start and
//! original local start must agree.
//!
//! The cases stay within the supported RRULE subset (docs/recurrence.md)
//! and before 2100: chrono-tz's zone data lists daylight-saving changes only
//! up to 2099, while Python's `zoneinfo` goes on with the zone's rule.
//!
//! Needs python3 with python-dateutil (`python3 -m pip install
//! python-dateutil`; scripts/test.sh installs it). Fails, never skips,
//! without it. `RECURRENCE_REFERENCE_SEED` and `RECURRENCE_REFERENCE_CASES`
//! change the seed and the number of cases; `RECURRENCE_REFERENCE_DUMP=file`
//! keeps the cases (JSON lines) to run the script on by hand.

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde_json::{json, Value};
use server::recurrence::{resolve_local, Recurrence, Series, SeriesEnd, SeriesError};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

const DEFAULT_SEED: u64 = 0x5eed_2026_0329_0230;
const DEFAULT_CASES: usize = 600;
const INSTALL: &str = "python3 -m pip install python-dateutil";

/// Zones with a variety of daylight-saving rules: none (UTC, Kolkata since
/// 1945), northern and southern hemisphere, a 45-minute offset (Chatham),
/// changes at midnight (São Paulo until 2019, Santiago), a 30-minute change
/// (Lord Howe), and a whole day skipped (Apia, 2011-12-30).
const ZONES: &[Tz] = &[
    chrono_tz::Europe::Paris,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Pacific::Chatham,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::UTC,
    chrono_tz::Europe::London,
    chrono_tz::America::Santiago,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Apia,
];

/// Nothing is generated at or after this instant (see the module comment).
fn horizon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()
}

/// xorshift64*: small, seedable, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap();
        lo + i64::try_from(self.next() % span).unwrap()
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.next() % items.len() as u64).unwrap()]
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

// ------------------------------------------------------ zone transitions ---

/// A daylight-saving change: local times in `[from, to)` are skipped (a
/// gap) or, when `gap` is false, happen twice (an overlap).
#[derive(Debug, Clone, Copy)]
struct Change {
    from: NaiveDateTime,
    to: NaiveDateTime,
    gap: bool,
}

fn offset_at(tz: Tz, t: NaiveDateTime) -> i64 {
    i64::from(tz.offset_from_utc_datetime(&t).fix().local_minus_utc())
}

/// The offset changes of `tz` during `year`, found by comparing offsets a
/// day apart and then narrowing to the second.
fn changes(tz: Tz, year: i32) -> Vec<Change> {
    let mut out = Vec::new();
    let mut day = NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    while day < end {
        let next = day + TimeDelta::days(1);
        let (before, after) = (offset_at(tz, day), offset_at(tz, next));
        if before != after {
            // Binary search for the first UTC second with the new offset.
            let (mut lo, mut hi) = (0i64, 86_400i64);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if offset_at(tz, day + TimeDelta::seconds(mid)) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = day + TimeDelta::seconds(hi);
            let (o1, o2) = (before, offset_at(tz, hi));
            let a = hi + TimeDelta::seconds(o1);
            let b = hi + TimeDelta::seconds(o2);
            out.push(Change {
                from: a.min(b),
                to: a.max(b),
                gap: o2 > o1,
            });
        }
        day = next;
    }
    out
}

// ---------------------------------------------------------------- cases ---

#[derive(Debug, Clone)]
struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: usize,
}

#[derive(Debug, Clone)]
struct Case {
    id: usize,
    tz: Tz,
    start: NaiveDateTime,
    /// What kind of start this is, for the report.
    kind: &'static str,
    duration: TimeDelta,
    rrule: String,
    windows: Vec<Window>,
}

fn quarter_hour(rng: &mut Rng) -> (u32, u32) {
    let h = u32::try_from(rng.range(0, 23)).unwrap();
    let m = u32::try_from(rng.range(0, 3) * 15).unwrap();
    (h, m)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .unwrap()
        .pred_opt()
        .unwrap()
        .day()
}

/// A random local start, with its kind: an ordinary day, Feb 29, the 31st
/// or 30th, or a time inside (or on the way to) a daylight-saving gap or
/// overlap.
fn random_start(rng: &mut Rng, tz: Tz) -> (NaiveDateTime, &'static str) {
    let year = i32::try_from(rng.range(1995, 2060)).unwrap();
    let (h, m) = quarter_hour(rng);
    match rng.range(0, 9) {
        0 => {
            let leap = (year / 4) * 4;
            let d = NaiveDate::from_ymd_opt(leap, 2, 29).unwrap();
            (d.and_hms_opt(h, m, 0).unwrap(), "Feb 29")
        }
        1 => {
            let month = *rng.pick(&[1, 3, 5, 7, 8, 10, 12]);
            let d = NaiveDate::from_ymd_opt(year, month, 31).unwrap();
            (d.and_hms_opt(h, m, 0).unwrap(), "the 31st")
        }
        2 => {
            let month = *rng.pick(&[1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
            let d = NaiveDate::from_ymd_opt(year, month, 30).unwrap();
            (d.and_hms_opt(h, m, 0).unwrap(), "the 30th")
        }
        3..=6 => {
            // São Paulo's last change was in 2019, Apia's in 2021, Kolkata's
            // in 1945: look for a year with changes, in the past if need be
            // (2011 has Apia's skipped day).
            let want_gap = rng.chance(50);
            let mut found = None;
            for y in [year, year - 30, 2011, 2018, 1942] {
                let all: Vec<Change> = changes(tz, y)
                    .into_iter()
                    .filter(|c| c.gap == want_gap)
                    .collect();
                if !all.is_empty() {
                    found = Some(*rng.pick(&all));
                    break;
                }
            }
            let Some(c) = found else {
                return random_start_plain(rng, year, h, m);
            };
            let steps = ((c.to - c.from).num_minutes() / 15).max(1);
            let at = c.from + TimeDelta::minutes(15 * rng.range(0, steps - 1));
            // On the day of the change, or some days or weeks before it, so
            // that a later occurrence lands on it.
            let back = match rng.range(0, 3) {
                0 => 0,
                1 => 7 * rng.range(1, 4),
                _ => rng.range(1, 40),
            };
            let kind = if c.gap { "in a gap" } else { "in an overlap" };
            let kind = if back == 0 {
                kind
            } else if c.gap {
                "before a gap"
            } else {
                "before an overlap"
            };
            (at - TimeDelta::days(back), kind)
        }
        _ => random_start_plain(rng, year, h, m),
    }
}

fn random_start_plain(rng: &mut Rng, year: i32, h: u32, m: u32) -> (NaiveDateTime, &'static str) {
    let month = u32::try_from(rng.range(1, 12)).unwrap();
    let day = u32::try_from(rng.range(1, i64::from(days_in_month(year, month)))).unwrap();
    let d = NaiveDate::from_ymd_opt(year, month, day).unwrap();
    (d.and_hms_opt(h, m, 0).unwrap(), "ordinary")
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// `BYMONTHDAY=..`, `BYDAY=2TU` or `BYDAY=TU;BYSETPOS=2`, for a month
/// (yearly rules pass theirs, to pick days it has more often).
fn month_day_part(rng: &mut Rng, month: Option<u32>) -> String {
    let wd = *rng.pick(&WEEKDAYS);
    let nth = *rng.pick(&[1, 2, 3, 4, 5, -1, -1]);
    match rng.range(0, 3) {
        0 | 1 => {
            let last = month.map_or(31, |m| i64::from(days_in_month(2024, m)));
            let day = if rng.chance(40) {
                *rng.pick(&[29, 30, 31, -1])
            } else {
                rng.range(1, last)
            };
            let day = if day > last { -1 } else { day };
            format!("BYMONTHDAY={day}")
        }
        2 => format!("BYDAY={nth}{wd}"),
        _ => format!("BYDAY={wd};BYSETPOS={nth}"),
    }
}

/// How many days after the start an UNTIL is: often soon enough for the
/// first window to reach it.
fn until_days(rng: &mut Rng) -> i64 {
    match rng.range(0, 9) {
        0..=4 => rng.range(0, 100),
        5..=7 => rng.range(0, 800),
        _ => rng.range(0, 3000),
    }
}

/// A random rule in the supported subset, with an end that the series'
/// start allows.
fn random_rule(rng: &mut Rng, tz: Tz, start: NaiveDateTime) -> String {
    let mut parts = Vec::new();
    let freq = rng.range(0, 20);
    if freq == 0 {
        return String::new(); // does not repeat
    }
    let interval = match rng.range(0, 9) {
        0..=5 => 1,
        6 | 7 => rng.range(2, 4),
        8 => rng.range(5, 13),
        _ => *rng.pick(&[12, 24, 52, 100]),
    };
    match freq {
        1..=5 => parts.push("FREQ=DAILY".to_string()),
        6..=11 => {
            parts.push("FREQ=WEEKLY".to_string());
            if rng.chance(70) {
                let mut days: Vec<&str> = WEEKDAYS
                    .iter()
                    .copied()
                    .filter(|_| rng.chance(35))
                    .collect();
                if days.is_empty() {
                    days.push(*rng.pick(&WEEKDAYS));
                }
                parts.push(format!("BYDAY={}", days.join(",")));
            }
        }
        12..=16 => {
            parts.push("FREQ=MONTHLY".to_string());
            if rng.chance(70) {
                parts.push(month_day_part(rng, None));
            }
        }
        _ => {
            parts.push("FREQ=YEARLY".to_string());
            if rng.chance(60) {
                let month = u32::try_from(rng.range(1, 12)).unwrap();
                parts.push(format!("BYMONTH={month}"));
                if rng.chance(70) {
                    parts.push(month_day_part(rng, Some(month)));
                }
            }
        }
    }
    if interval != 1 || rng.chance(10) {
        parts.insert(1, format!("INTERVAL={interval}"));
    }
    if rng.chance(20) {
        parts.push(format!("WKST={}", rng.pick(&WEEKDAYS)));
    }
    // An UNTIL is often exactly on a later occurrence (it is inclusive):
    // one of the first occurrences of the rule without end, as our
    // expansion sees it; the reference decides on its own whether it counts.
    let later = {
        let ids = first_ids(tz, start, &parts.join(";"));
        *rng.pick(&ids)
    };
    let end = match rng.range(0, 3) {
        0 => None,
        1 => Some(format!("COUNT={}", rng.range(1, 60))),
        2 => {
            let until = if rng.chance(50) {
                later.date()
            } else {
                start.date() + TimeDelta::days(until_days(rng))
            };
            let until = until.min(NaiveDate::from_ymd_opt(2099, 12, 31).unwrap());
            Some(format!("UNTIL={}", until.format("%Y%m%d")))
        }
        _ => {
            let first = resolve_local(tz, start);
            let until = match rng.range(0, 5) {
                0 | 1 => resolve_local(tz, later),
                2 => (resolve_local(tz, later) - TimeDelta::seconds(1)).max(first),
                _ => first + TimeDelta::minutes(until_days(rng) * 24 * 60 + rng.range(0, 24 * 60)),
            };
            let until = until.min(horizon() - TimeDelta::days(2));
            Some(format!("UNTIL={}", until.format("%Y%m%dT%H%M%SZ")))
        }
    };
    // Anywhere after FREQ: the order of parts does not matter.
    if let Some(end) = end {
        let at = usize::try_from(rng.range(1, i64::try_from(parts.len()).unwrap())).unwrap();
        parts.insert(at, end);
    }
    parts.join(";")
}

/// The original starts of the first occurrences of `rrule` (without end),
/// by our expansion; only used to aim UNTIL at an occurrence.
fn first_ids(tz: Tz, start: NaiveDateTime, rrule: &str) -> Vec<NaiveDateTime> {
    let rule = Recurrence::from_rrule(rrule).unwrap();
    // A rule that produces nothing from the start on (or nothing before
    // the horizon): aim at the start.
    let Ok(series) = Series::on_rule(tz, start, TimeDelta::hours(1), rule) else {
        return vec![start];
    };
    let first = resolve_local(tz, start);
    let ids: Vec<NaiveDateTime> = series
        .occurrences(first - TimeDelta::days(1), horizon(), 40)
        .iter()
        .map(|o| o.id)
        .collect();
    if ids.is_empty() {
        vec![start]
    } else {
        ids
    }
}

fn random_case(rng: &mut Rng, id: usize) -> Case {
    let tz = *rng.pick(ZONES);
    let (start, kind) = random_start(rng, tz);
    let duration = match rng.range(0, 9) {
        0..=6 => TimeDelta::minutes(15 * rng.range(1, 16)),
        7 | 8 => TimeDelta::minutes(rng.range(1, 3 * 24 * 60)),
        _ => TimeDelta::hours(rng.range(1, 31 * 24)),
    };
    let rrule = random_rule(rng, tz, start);
    let first = resolve_local(tz, start);
    // Every occurrence from the start on (up to `max`), then a later window
    // that the expansion has to jump to, starting at any time of day.
    let mut windows = vec![Window {
        from: first - TimeDelta::days(1),
        to: horizon(),
        max: usize::try_from(rng.range(1, 60)).unwrap(),
    }];
    let from = (first + TimeDelta::minutes(rng.range(-3 * 24 * 60, 15 * 366 * 24 * 60)))
        .min(horizon() - TimeDelta::days(1));
    let to = (from + TimeDelta::minutes(rng.range(1, 2 * 366 * 24 * 60))).min(horizon());
    windows.push(Window {
        from,
        to,
        max: usize::try_from(rng.range(1, 120)).unwrap(),
    });
    Case {
        id,
        tz,
        start,
        kind,
        duration,
        rrule,
        windows,
    }
}

// ----------------------------------------------------------- comparison ---

fn utc_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn case_json(c: &Case) -> Value {
    json!({
        "id": c.id,
        "tz": c.tz.name(),
        "start": local_text(c.start),
        "duration_secs": c.duration.num_seconds(),
        "rrule": c.rrule,
        "windows": c.windows.iter().map(|w| json!({
            "from": utc_text(w.from),
            "to": utc_text(w.to),
            "max": w.max,
        })).collect::<Vec<_>>(),
    })
}

/// (UTC start, original local start) of each occurrence, as text.
type Listing = Vec<(String, String)>;

/// What the series' end is, as the reference writes it: the end of the
/// last occurrence in UTC, or "endless".
fn end_text(end: SeriesEnd) -> String {
    match end {
        SeriesEnd::At(t) => utc_text(t),
        SeriesEnd::Endless => "endless".to_string(),
        SeriesEnd::NoOccurrences => "no occurrences".to_string(),
    }
}

/// The series as the scheduler stores it from the chosen date: starting
/// on its rule; None when the rule produces nothing from that date on.
fn series_of(c: &Case) -> Option<Series> {
    let rule = Recurrence::from_rrule(&c.rrule)
        .unwrap_or_else(|e| panic!("case {}: {:?} is refused: {e}", c.id, c.rrule));
    match Series::on_rule(c.tz, c.start, c.duration, rule) {
        Ok(s) => {
            assert!(s.starts_on_rule(), "case {}", c.id);
            Some(s)
        }
        Err(SeriesError::NoOccurrence(_)) => None,
        Err(e) => panic!(
            "case {}: series {} {} {:?} is refused: {e}",
            c.id, c.tz, c.start, c.rrule
        ),
    }
}

/// Our occurrences in each window, and the series' end.
fn ours(c: &Case, series: Option<&Series>) -> (Vec<Listing>, String) {
    let Some(series) = series else {
        return (
            vec![Vec::new(); c.windows.len()],
            end_text(SeriesEnd::NoOccurrences),
        );
    };
    let windows = c
        .windows
        .iter()
        .map(|w| {
            series
                .occurrences(w.from, w.to, w.max)
                .iter()
                .map(|o| (utc_text(o.start), local_text(o.id)))
                .collect()
        })
        .collect();
    (windows, end_text(series.series_end()))
}

/// `Series::is_occurrence` (what cancelling and editing check) against the
/// reference's first window, which lists every occurrence from the start
/// on: each is one, the same time a day later is one exactly when listed,
/// and a minute later never is.
fn identity_errors(c: &Case, series: &Series, first: &Listing) -> Vec<String> {
    let ids: Vec<NaiveDateTime> = first
        .iter()
        .map(|(_, local)| NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S").unwrap())
        .collect();
    let mut errors = Vec::new();
    let mut check = |at: NaiveDateTime, want: bool| {
        if series.is_occurrence(at) != want {
            errors.push(format!(
                "case {}: zone {}, start {} ({}), RRULE {:?}\n  is_occurrence({at}) is {}, \
                 the reference says {want}",
                c.id, c.tz, c.start, c.kind, c.rrule, !want
            ));
        }
    };
    for (i, id) in ids.iter().enumerate() {
        check(*id, true);
        check(*id + TimeDelta::minutes(1), false);
        if i + 1 < ids.len() {
            let next_day = *id + TimeDelta::days(1);
            check(next_day, ids.contains(&next_day));
        }
    }
    errors
}

/// The reference's occurrences in each window, and the series' end (None
/// when it is not compared).
type Answer = (Vec<Listing>, Option<String>);

fn theirs(answer: &Value) -> Result<Answer, String> {
    if let Some(e) = answer.get("error") {
        return Err(e.to_string());
    }
    let end = match &answer["last_end"] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => return Err(format!("bad last_end {other}")),
    };
    let windows = answer["windows"].as_array().ok_or("no windows")?;
    let windows = windows
        .iter()
        .map(|w| -> Result<Listing, String> {
            w.as_array()
                .ok_or("a window is not a list")?
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(utc), Value::String(local)]) => {
                        Ok((utc.clone(), local.clone()))
                    }
                    _ => Err(format!("bad occurrence {pair}")),
                })
                .collect()
        })
        .collect::<Result<_, _>>()?;
    Ok((windows, end))
}

/// A readable account of where `got` and `want` first differ.
fn diff(c: &Case, w: usize, got: &Listing, want: &Listing) -> Option<String> {
    let at = (0..got.len().max(want.len())).find(|i| got.get(*i) != want.get(*i))?;
    let win = &c.windows[w];
    let show = |l: &Listing, i: usize| match l.get(i) {
        Some((utc, local)) => {
            let shown = DateTime::parse_from_rfc3339(utc)
                .map(|t| {
                    t.with_timezone(&c.tz)
                        .format("%Y-%m-%d %H:%M %Z")
                        .to_string()
                })
                .unwrap_or_default();
            format!("{utc} (id {local}, shown {shown})")
        }
        None => "nothing".to_string(),
    };
    let mut s = format!(
        "case {id}: zone {tz}, start {start} ({kind}, {weekday}), duration {dur} min, \
         RRULE {rule:?}\n  window {w}: [{from}, {to}) max {max}; ours has {n} occurrences, \
         the reference {m}\n  first difference at #{at}:\n    ours:      {o}\n    reference: {r}",
        id = c.id,
        tz = c.tz,
        start = c.start,
        kind = c.kind,
        weekday = c.start.weekday(),
        dur = c.duration.num_minutes(),
        rule = c.rrule,
        from = utc_text(win.from),
        to = utc_text(win.to),
        max = win.max,
        n = got.len(),
        m = want.len(),
        o = show(got, at),
        r = show(want, at),
    );
    if at > 0 {
        s.push_str(&format!("\n  the one before (same): {}", show(got, at - 1)));
    }
    Some(s)
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/recurrence/reference.py")
}

fn require_reference() {
    let check = Command::new("python3")
        .args([
            "-c",
            "import dateutil.rrule, zoneinfo; zoneinfo.ZoneInfo('Europe/Paris')",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match check {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the recurrence reference test needs python3 with python-dateutil and time zone \
             data: run `{INSTALL}` (scripts/test.sh does)\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "the recurrence reference test needs python3 ({e}) with python-dateutil: \
             install python3, then run `{INSTALL}`"
        ),
    }
}

/// Runs the reference on every case; its answers, in order.
fn reference(cases: &[Case]) -> Vec<Value> {
    let mut child = Command::new("python3")
        .arg(script())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 does not start ({e}): install it, then `{INSTALL}`"));
    let mut input = String::new();
    for c in cases {
        input.push_str(&case_json(c).to_string());
        input.push('\n');
    }
    if let Ok(path) = std::env::var("RECURRENCE_REFERENCE_DUMP") {
        std::fs::write(&path, &input).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    let mut stdin = child.stdin.take().unwrap();
    // Written from a thread so that a full output pipe cannot block us.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the reference runs");
    writer
        .join()
        .unwrap()
        .expect("the reference reads its input");
    assert!(
        out.status.success(),
        "the reference failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(answers.len(), cases.len(), "one answer per case");
    answers
}

#[test]
fn occurrences_match_the_dateutil_reference() {
    require_reference();
    let seed = match std::env::var("RECURRENCE_REFERENCE_SEED") {
        // Printed in hex below; taken in hex (0x...) or decimal.
        Ok(v) => match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse().ok(),
        }
        .unwrap_or_else(|| panic!("RECURRENCE_REFERENCE_SEED={v:?} is not a number")),
        Err(_) => DEFAULT_SEED,
    };
    let count: usize = env_or("RECURRENCE_REFERENCE_CASES", DEFAULT_CASES);
    let mut rng = Rng::new(seed);
    let cases: Vec<Case> = (0..count).map(|id| random_case(&mut rng, id)).collect();

    let started = Instant::now();
    let answers = reference(&cases);
    let python = started.elapsed();

    let mut failures = Vec::new();
    let mut compared = 0usize;
    let mut ends_compared = 0usize;
    // Chosen dates the rule produces, ones it does not (the series starts
    // later), and ones after which it produces nothing.
    let (mut on_rule, mut off_rule, mut no_occurrence) = (0usize, 0usize, 0usize);
    for (c, answer) in cases.iter().zip(&answers) {
        assert_eq!(answer["id"].as_u64(), u64::try_from(c.id).ok());
        let (want, want_end) = match theirs(answer) {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!(
                    "case {}: zone {}, start {}, RRULE {:?}: the reference failed: {e}",
                    c.id, c.tz, c.start, c.rrule
                ));
                continue;
            }
        };
        let series = series_of(c);
        match &series {
            None => no_occurrence += 1,
            Some(s) if s.start() != c.start => off_rule += 1,
            Some(_) => on_rule += 1,
        }
        let (got, got_end) = ours(c, series.as_ref());
        let mut diffs: Vec<String> = got
            .iter()
            .zip(&want)
            .enumerate()
            .filter_map(|(w, (g, r))| diff(c, w, g, r))
            .collect();
        compared += got.iter().map(Vec::len).sum::<usize>();
        if let Some(series) = &series {
            diffs.extend(identity_errors(c, series, &want[0]));
        }
        if let Some(want_end) = want_end {
            ends_compared += 1;
            if got_end != want_end {
                diffs.push(format!(
                    "case {}: zone {}, start {} ({}), duration {} min, RRULE {:?}\n  \
                     series end: ours {got_end}, reference {want_end}",
                    c.id,
                    c.tz,
                    c.start,
                    c.kind,
                    c.duration.num_minutes(),
                    c.rrule
                ));
            }
        }
        if !diffs.is_empty() {
            failures.push(diffs.join("\n"));
        }
    }
    let kinds = |k: &str| cases.iter().filter(|c| c.kind == k).count();
    println!(
        "{count} cases (seed {seed:#x}), {compared} occurrences and {ends_compared} series ends \
         compared in {:.2?} \
         (the reference took {python:.2?}); chosen dates: {on_rule} on the rule, {off_rule} off it, \
         {no_occurrence} with no occurrence after; starts: {} in a gap, {} in an overlap, \
         {} before a gap, {} before an overlap, {} on Feb 29, {} on the 31st, {} on the 30th",
        started.elapsed(),
        kinds("in a gap"),
        kinds("in an overlap"),
        kinds("before a gap"),
        kinds("before an overlap"),
        kinds("Feb 29"),
        kinds("the 31st"),
        kinds("the 30th"),
    );
    // Both kinds of chosen date are compared, in numbers.
    assert!(
        on_rule * 10 >= count && off_rule * 10 >= count,
        "too few cases on ({on_rule}) or off ({off_rule}) the rule of {count}"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ from the reference (seed {seed:#x}):\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

#[test]
fn the_generator_finds_gaps_and_overlaps() {
    // Paris 2026: 02:00-03:00 skipped on Mar 29, repeated on Oct 25.
    let c = changes(chrono_tz::Europe::Paris, 2026);
    assert_eq!(c.len(), 2);
    assert!(c[0].gap && !c[1].gap);
    let at = |d: u32, m: u32, h: u32| {
        NaiveDate::from_ymd_opt(2026, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    };
    assert_eq!((c[0].from, c[0].to), (at(29, 3, 2), at(29, 3, 3)));
    assert_eq!((c[1].from, c[1].to), (at(25, 10, 2), at(25, 10, 3)));
    // Chatham moves by an hour at 02:45 local standard time.
    let chatham = changes(chrono_tz::Pacific::Chatham, 2026);
    assert!(chatham
        .iter()
        .any(|c| c.gap && (c.from.hour(), c.from.minute()) == (2, 45)));
    assert!(changes(chrono_tz::UTC, 2026).is_empty());
}

//! The VTIMEZONEs the invitations carry (`server::mail::ics::vtimezone`,
//! Outlook's yearly-rule form) against the tz database itself, read by two
//! independent readers: Python's icalendar (`Timezone.to_tz` without TZID
//! lookup, i.e. dateutil's tzical; tests/smtp/vtimezone_offsets.py) and
//! Mozilla's ical.js (tests/ical/read.mjs). For every hour of each span,
//! the offset each reader computes from our text equals chrono-tz's: for
//! the UTC instant, and for the local wall-clock time wherever that time
//! exists exactly once.
//!
//! Needs python3 with icalendar, and node with ical.js (`npm ci` in
//! tests/ical); scripts/test.sh install_all installs both. Fails, never
//! skips, without them.

use chrono::{DateTime, LocalResult, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests")
}

/// Runs `program script` with `request` on stdin; the JSON it prints.
fn run(program: &str, script: PathBuf, request: &Value) -> Value {
    let mut child = Command::new(program)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} {} does not start: {e}", script.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {}: {}\n(needs `python3 -m pip install icalendar` and `npm ci` in tests/ical; \
         scripts/test.sh install_all does both)",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Expands runs `[[hour, offset], ...]` to one offset per hour.
fn per_hour(runs: &Value, hours: usize) -> Vec<i64> {
    let runs = runs.as_array().expect("runs");
    let mut out = Vec::with_capacity(hours);
    for (i, r) in runs.iter().enumerate() {
        let from = r[0].as_u64().unwrap() as usize;
        let to = runs
            .get(i + 1)
            .map_or(hours, |n| n[0].as_u64().unwrap() as usize);
        let offset = r[1].as_i64().unwrap_or(i64::MIN);
        out.extend(std::iter::repeat_n(offset, to - from));
    }
    out
}

/// Checks one zone over `first..=last` with one reader; the number of
/// local hours compared.
fn check(
    reader: &str,
    answer: &Value,
    tz: Tz,
    start: DateTime<Utc>,
    hours: usize,
    text: &str,
) -> usize {
    let utc = per_hour(&answer["utc"], hours);
    let local = per_hour(&answer["local"], hours);
    assert_eq!(utc.len(), hours, "{reader} {}", tz.name());
    let mut compared = 0;
    for h in 0..hours {
        let t = start + chrono::Duration::hours(h as i64);
        let want = i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        );
        assert_eq!(
            utc[h],
            want,
            "{reader}: {} at {t}: offset {} instead of {want}\n{text}",
            tz.name(),
            utc[h]
        );
        // The wall-clock time with the same fields, where it is unambiguous.
        if let LocalResult::Single(l) = tz.from_local_datetime(&t.naive_utc()) {
            let want = i64::from(l.offset().fix().local_minus_utc());
            assert_eq!(
                local[h],
                want,
                "{reader}: {} at local {}: offset {} instead of {want}\n{text}",
                tz.name(),
                t.naive_utc(),
                local[h]
            );
            compared += 1;
        }
    }
    compared
}

/// Zones and the years to check them over: the ones SPEC §8 and the issue
/// name, with rules that changed inside the span (São Paulo dropped
/// daylight time in 2019, Mexico City in 2022, Tehran in 2022, Nuuk moved
/// its offset in 2023) and Casablanca's Ramadan pauses.
const CASES: &[(Tz, i32, i32)] = &[
    (chrono_tz::America::Sao_Paulo, 2017, 2021),
    (chrono_tz::Africa::Casablanca, 2024, 2028),
    (chrono_tz::Europe::Paris, 2026, 2030),
    (chrono_tz::America::New_York, 2026, 2030),
    (chrono_tz::Australia::Sydney, 2026, 2030),
    (chrono_tz::Asia::Kolkata, 2026, 2030),
    (chrono_tz::Pacific::Chatham, 2026, 2030),
    (chrono_tz::America::Mexico_City, 2020, 2024),
    (chrono_tz::Asia::Tehran, 2020, 2024),
    (chrono_tz::America::Nuuk, 2022, 2026),
    (chrono_tz::Australia::Lord_Howe, 2026, 2028),
    (chrono_tz::America::Santiago, 2026, 2028),
];

/// One zone over `first..=last` in both readers: (hours, local hours) compared.
fn check_zone(tz: Tz, first: i32, last: i32) -> (usize, usize) {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//CMS Scheduler//VTIMEZONE test//EN".to_string(),
    ];
    lines.extend(server::mail::ics::vtimezone(tz, first, last));
    lines.push("END:VCALENDAR".into());
    let text = lines
        .iter()
        .map(|l| server::mail::ics::fold(l))
        .collect::<String>();
    let start = Utc.with_ymd_and_hms(first, 1, 1, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(last + 1, 1, 1, 0, 0, 0).unwrap();
    let hours = usize::try_from((end - start).num_hours()).unwrap();
    let request = json!({
        "mode": "offsets",
        "calendar": text,
        "tzid": tz.name(),
        "start": start.timestamp(),
        "hours": hours,
    });
    let js = run("node", tests_dir().join("ical/read.mjs"), &request);
    let py = run(
        "python3",
        tests_dir().join("smtp/vtimezone_offsets.py"),
        &request,
    );
    let a = check("ical.js", &js, tz, start, hours, &text);
    let b = check("icalendar", &py, tz, start, hours, &text);
    assert_eq!(a, b);
    (hours, a)
}

#[test]
fn every_hour_of_the_span_reads_as_the_tz_database_says() {
    // Three zones at a time: the machine is shared.
    for chunk in CASES.chunks(3) {
        let handles: Vec<_> = chunk
            .iter()
            .map(|&(tz, first, last)| std::thread::spawn(move || (tz, check_zone(tz, first, last))))
            .collect();
        for h in handles {
            let (tz, (hours, local)) = h.join().expect("a zone's check");
            eprintln!(
                "{}: {hours} hours (UTC) and {local} local hours agree in both readers",
                tz.name()
            );
        }
    }
}

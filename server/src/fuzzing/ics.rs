//! The iCalendar writer of the invitation e-mails.

use super::bytes::Bytes;
use super::recurrence::{local_start, zone};
use crate::mail::ics::{mailto, write_all, Event, Method, Person};
use crate::recurrence::resolve_local;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

/// Every property name the writer uses.
const NAMES: &[&str] = &[
    "BEGIN",
    "END",
    "PRODID",
    "VERSION",
    "CALSCALE",
    "METHOD",
    "TZID",
    "DTSTART",
    "DTEND",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "TZNAME",
    "UID",
    "SEQUENCE",
    "DTSTAMP",
    "RECURRENCE-ID",
    "RRULE",
    "EXDATE",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "ORGANIZER",
    "ATTENDEE",
    "STATUS",
    "TRANSP",
    "X-MICROSOFT-CDO-BUSYSTATUS",
    "X-MICROSOFT-CDO-INTENDEDSTATUS",
];

fn instant(b: &mut Bytes<'_>) -> DateTime<Utc> {
    let tz = zone(b);
    resolve_local(tz, local_start(b))
}

fn local(b: &mut Bytes<'_>) -> NaiveDateTime {
    local_start(b)
}

fn person(b: &mut Bytes<'_>) -> Person {
    Person {
        name: b.opt_string(),
        email: b.string(),
    }
}

/// A series (or single meeting) and up to three edited occurrences of it,
/// as `mail::compose` builds them, with any text where people type text.
fn events(b: &mut Bytes<'_>) -> Vec<Event> {
    let method = if b.bool() {
        Method::Cancel
    } else {
        Method::Request
    };
    let tz = zone(b);
    let start = instant(b);
    let end = start + TimeDelta::minutes(b.in_range(1, 31 * 24 * 60));
    let rrule = b.opt_string();
    let exdates = (0..b.below(4)).map(|_| local(b)).collect();
    let base = Event {
        method,
        uid: b.string(),
        sequence: i64::from(b.u32() as i32),
        stamp: instant(b),
        tz,
        start,
        end,
        rrule,
        summary: b.string(),
        location: b.string(),
        description: b.string() + &b.string() + &b.string(),
        organizer: person(b),
        sent_by: b.opt_string(),
        attendees: (0..b.below(4)).map(|_| person(b)).collect(),
        exdates,
        recurrence_id: if b.byte() == 0xff {
            Some(local(b))
        } else {
            None
        },
    };
    let mut events = vec![base.clone()];
    for _ in 0..b.below(4) {
        let start = instant(b);
        events.push(Event {
            start,
            end: start + TimeDelta::minutes(b.in_range(1, 31 * 24 * 60)),
            summary: b.string(),
            rrule: None,
            exdates: Vec::new(),
            recurrence_id: Some(local(b)),
            ..base.clone()
        });
    }
    events
}

/// TEXT as the writer must carry it: line breaks as `\n`, tabs as spaces,
/// other control characters dropped.
fn expected_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', " ")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// Reads a TEXT value back (RFC 5545 3.3.11).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ';' | ',')) => out.push(c),
            other => panic!("bad escape \\{other:?} in {s:?}"),
        }
    }
    out
}

/// A content line's name, its parameters (name, value) and its value,
/// with quoted parameter values as RFC 5545 3.1 reads them.
fn split_line(line: &str) -> (&str, Vec<(&str, &str)>, &str) {
    let mut in_quotes = false;
    let mut cuts = Vec::new();
    let mut value_at = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => cuts.push(i),
            ':' if !in_quotes => {
                value_at = Some(i);
                break;
            }
            _ => {}
        }
    }
    let value_at = value_at.unwrap_or_else(|| panic!("no value in {line:?}"));
    let name_end = cuts.first().copied().unwrap_or(value_at);
    let mut params = Vec::new();
    for (k, start) in cuts.iter().enumerate() {
        let end = cuts.get(k + 1).copied().unwrap_or(value_at);
        let p = &line[start + 1..end];
        let (n, v) = p
            .split_once('=')
            .unwrap_or_else(|| panic!("bad parameter {p:?} in {line:?}"));
        params.push((n, v));
    }
    (&line[..name_end], params, &line[value_at + 1..])
}

/// `ics_writer`: any names, places, descriptions, addresses and rule text
/// through [`write_all`]:
///
/// - CRLF line ends only, no bare CR or LF; physical lines of at most 75
///   octets, continuation lines starting with a space;
/// - every logical line is one of the writer's properties: no text can
///   start a property, add a parameter or change an address; quoted
///   parameter values hold no quote or control character;
/// - one VEVENT, ORGANIZER and SUMMARY per event, one ATTENDEE per
///   attendee; SUMMARY, LOCATION and DESCRIPTION read back as the text given;
/// - the VTIMEZONE covers the years the events need, not the years
///   between them: at most four observances per such year.
pub fn ics_writer(data: &[u8]) {
    let mut b = Bytes::new(data);
    let events = events(&mut b);
    let ics = write_all(&events);

    assert!(ics.ends_with("\r\n"));
    let bytes = ics.as_bytes();
    for (i, c) in bytes.iter().enumerate() {
        match c {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
            b'\n' => assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}"),
            _ => {}
        }
    }
    let physical: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
    assert!(!physical[0].starts_with(' '));
    for l in &physical {
        assert!(!l.is_empty() && l.len() <= 75, "{l:?}");
    }
    let logical: Vec<String> = ics
        .replace("\r\n ", "")
        .trim_end_matches("\r\n")
        .split("\r\n")
        .map(str::to_string)
        .collect();
    assert_eq!(logical.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(logical.last().map(String::as_str), Some("END:VCALENDAR"));

    let mut summaries = Vec::new();
    let mut locations = Vec::new();
    let mut descriptions = Vec::new();
    let mut organizers = Vec::new();
    let mut attendees = Vec::new();
    let mut vevents = 0;
    let mut observances = 0;
    for line in &logical {
        let (name, params, value) = split_line(line);
        assert!(NAMES.contains(&name), "unknown property in {line:?}");
        for (_, v) in &params {
            if let Some(q) = v.strip_prefix('"') {
                let inner = q.strip_suffix('"').unwrap_or_else(|| panic!("{line:?}"));
                assert!(!inner.contains(['"']) && !inner.chars().any(char::is_control));
            } else {
                assert!(!v.contains(['"', ':', ';']), "{line:?}");
            }
        }
        match name {
            "BEGIN" if value == "VEVENT" => vevents += 1,
            "BEGIN" if value == "STANDARD" || value == "DAYLIGHT" => observances += 1,
            "SUMMARY" => summaries.push(unescape(value)),
            "LOCATION" => locations.push(unescape(value)),
            "DESCRIPTION" => descriptions.push(unescape(value)),
            "ORGANIZER" => organizers.push((params, value.to_string())),
            "ATTENDEE" => attendees.push((params, value.to_string())),
            _ => {}
        }
    }
    assert_eq!(vevents, events.len());
    let texts = |f: fn(&Event) -> &str| -> Vec<String> {
        events
            .iter()
            .map(f)
            .filter(|s| !s.is_empty())
            .map(expected_text)
            .collect()
    };
    let all: Vec<String> = events.iter().map(|e| expected_text(&e.summary)).collect();
    assert_eq!(summaries, all);
    assert_eq!(locations, texts(|e| &e.location));
    assert_eq!(descriptions, texts(|e| &e.description));

    assert_eq!(organizers.len(), events.len());
    for ((params, value), ev) in organizers.iter().zip(&events) {
        assert_eq!(value, &mailto(&ev.organizer.email));
        let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        let mut expected = Vec::new();
        if ev
            .organizer
            .name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty())
        {
            expected.push("CN");
        }
        if ev.sent_by.is_some() {
            expected.push("SENT-BY");
        }
        assert_eq!(names, expected);
    }
    let people: Vec<&Person> = events.iter().flat_map(|e| &e.attendees).collect();
    assert_eq!(attendees.len(), people.len());
    for ((params, value), p) in attendees.iter().zip(people) {
        assert_eq!(value, &mailto(&p.email));
        let cn = p.name.as_deref().is_some_and(|n| !n.trim().is_empty());
        assert_eq!(params.len(), 4 + usize::from(cn), "{params:?}");
    }

    if events[0].tz != chrono_tz::Tz::UTC {
        // The series' own years (at most eleven), and each edited
        // occurrence's (at most two), each run of years scanned from the
        // year before; one observance to open each run, then at most four
        // changes a year.
        let years = 12 + 3 * (events.len() - 1);
        assert!(
            observances <= events.len() + 4 * years,
            "{observances} observances for {} events",
            events.len()
        );
    }
}

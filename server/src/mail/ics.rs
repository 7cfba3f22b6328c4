//! An iCalendar (RFC 5545) writer for meeting invitations: TEXT escaping,
//! 75-octet line folding, a VTIMEZONE built from the tz database, RRULE,
//! METHOD/UID/SEQUENCE.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

pub mod vtimezone;

/// REQUEST (invitation or update), CANCEL, or PUBLISH (a calendar feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
    Publish,
}

impl Method {
    pub fn word(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }
}

/// A person on the ORGANIZER or ATTENDEE line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    pub email: String,
}

/// One VEVENT and what it needs.
#[derive(Debug, Clone)]
pub struct Event {
    pub method: Method,
    pub uid: String,
    pub sequence: i64,
    pub stamp: DateTime<Utc>,
    pub tz: Tz,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// An RRULE body ("FREQ=WEEKLY;COUNT=10"), without "RRULE:".
    pub rrule: Option<String>,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub organizer: Person,
    pub sent_by: Option<String>,
    pub attendees: Vec<Person>,
    /// Cancelled occurrences of a repeating event, by original local start
    /// in `tz` (EXDATE).
    pub exdates: Vec<NaiveDateTime>,
    /// Set on an event about one occurrence of a series: its original local
    /// start in `tz` (RECURRENCE-ID). Such an event has no RRULE.
    pub recurrence_id: Option<NaiveDateTime>,
}

/// Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and
/// newlines; other control characters are dropped.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (e.g. CN): quoted, without DQUOTE or control characters
/// (RFC 5545 3.2 allows neither inside a quoted value).
pub fn param_value(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| *c != '"')
        .collect();
    format!("\"{}\"", clean.trim())
}

/// A mailto: URI for a cal-address; characters that would break the line are removed.
pub(crate) fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ' ' | '"' | ';' | ':' | ','))
        .collect();
    format!("mailto:{clean}")
}

/// Folds one content line to 75 octets per physical line (RFC 5545 3.1),
/// never inside a UTF-8 sequence; continuation lines start with a space.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// The zone's state at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ZoneState {
    /// UTC offset, seconds east.
    offset: i32,
    /// Daylight saving in the offset, seconds: negative where the tz
    /// database writes a winter (Europe/Dublin) or Ramadan
    /// (Africa/Casablanca) as "negative daylight saving".
    save: i32,
    name: String,
}

impl ZoneState {
    /// Whether a period in this state is a DAYLIGHT observance, given the
    /// state before it. Negative saving is turned around, as the tz
    /// database's "rearguard" form has it: a period of
    /// negative saving is standard time, and the period after it daylight
    /// time (Dublin's summer, Casablanca outside Ramadan).
    fn daylight_after(&self, before: &ZoneState) -> bool {
        self.save > 0 || (self.save == 0 && before.save < 0)
    }
}

fn state(tz: Tz, t: DateTime<Utc>) -> ZoneState {
    let off = tz.offset_from_utc_datetime(&t.naive_utc());
    let offset = off.fix().local_minus_utc();
    let save = i32::try_from(off.dst_offset().num_seconds()).unwrap_or(0);
    let name = off
        .abbreviation()
        .map(str::to_string)
        .unwrap_or_else(|| offset_text(offset));
    ZoneState { offset, save, name }
}

/// A UTC offset change: the first instant of the new offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub from: i32,
    pub to: i32,
    /// The period it starts is a DAYLIGHT observance (negative saving
    /// turned around: see `ZoneState::daylight_after`).
    pub dst: bool,
    pub name: String,
}

/// The offset changes of `tz` from the start of `first_year` to the end of
/// `last_year` (UTC), found by stepping six hours and bisecting to the second.
pub fn transitions(tz: Tz, first_year: i32, last_year: i32) -> Vec<Transition> {
    let mut out = Vec::new();
    let (Some(begin), Some(end)) = (
        Utc.with_ymd_and_hms(first_year, 1, 1, 0, 0, 0).single(),
        Utc.with_ymd_and_hms(last_year + 1, 1, 1, 0, 0, 0).single(),
    ) else {
        return out;
    };
    let same = |a: &ZoneState, b: &ZoneState| a.offset == b.offset && a.save == b.save;
    let step = Duration::hours(6);
    let mut t = begin;
    let mut prev = state(tz, t);
    while t < end {
        let next = t + step;
        let cur = state(tz, next);
        if !same(&cur, &prev) {
            // Bisect (t, next] for the first instant with the new state.
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let s = state(tz, DateTime::from_timestamp(mid, 0).unwrap_or(t));
                if same(&s, &prev) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            let at = state(tz, hi);
            out.push(Transition {
                at: hi,
                from: prev.offset,
                to: at.offset,
                dst: at.daylight_after(&prev),
                name: at.name,
            });
        }
        prev = cur;
        t = next;
    }
    out
}

/// A VTIMEZONE for `tz` covering `first_year..=last_year`, in Outlook's
/// form (see [`vtimezone`](mod@vtimezone)).
pub fn vtimezone(tz: Tz, first_year: i32, last_year: i32) -> Vec<String> {
    vtimezone_for(tz, &[(first_year, last_year)])
}

/// A VTIMEZONE covering each run of years in `spans` (overlapping and
/// adjacent runs merged), and not the years between them. The yearly rules
/// of a run that another follows end with UNTIL inside it.
pub fn vtimezone_for(tz: Tz, spans: &[(i32, i32)]) -> Vec<String> {
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{}", tz.name())];
    let mut runs: Vec<(i32, i32)> = spans.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
    runs.sort_unstable();
    let mut merged: Vec<(i32, i32)> = Vec::new();
    for (first, last) in runs {
        match merged.last_mut() {
            Some(run) if first <= run.1.saturating_add(1) => run.1 = run.1.max(last),
            _ => merged.push((first, last)),
        }
    }
    let n = merged.len();
    for (i, (first_year, last_year)) in merged.into_iter().enumerate() {
        let parts = vtimezone::observances(tz, first_year, last_year, i + 1 == n);
        lines.extend(vtimezone::lines(&parts));
    }
    lines.push("END:VTIMEZONE".into());
    lines
}

/// The years a VTIMEZONE must cover for an event: from its start through
/// its last occurrence (UNTIL; for COUNT, at most COUNT periods of the
/// rule), or a few years ahead when it repeats forever; ten at most.
fn years(start: DateTime<Utc>, rrule: Option<&str>) -> (i32, i32) {
    let first = start.year();
    let Some(rule) = rrule else {
        return (first, first);
    };
    let part = |key: &str| rule.split(';').find_map(|p| p.strip_prefix(key));
    let until_year = part("UNTIL=")
        .and_then(|u| u.get(..4))
        .and_then(|y| y.parse::<i32>().ok());
    let count_year = part("COUNT=")
        .and_then(|c| c.parse::<i64>().ok())
        .map(|count| {
            let interval = part("INTERVAL=")
                .and_then(|i| i.parse::<i64>().ok())
                .unwrap_or(1)
                .max(1);
            let period_days = match part("FREQ=") {
                Some("DAILY") => 1,
                Some("WEEKLY") => 7,
                Some("MONTHLY") => 31,
                _ => 366,
            };
            let days = count
                .saturating_mul(interval)
                .saturating_mul(period_days)
                .clamp(0, 11 * 366);
            start
                .checked_add_signed(Duration::days(days))
                .map_or(first + 10, |t| t.year())
        });
    let last = until_year
        .or(count_year)
        .unwrap_or(first + 3)
        .clamp(first, first + 10);
    (first, last)
}

/// The RRULE body, reduced to the characters a rule may hold.
fn clean_rrule(rule: &str) -> String {
    rule.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | ';' | ',' | '-' | '+'))
        .collect()
}

/// The whole VCALENDAR with one VEVENT, CRLF line ends, folded.
pub fn write(ev: &Event) -> String {
    write_all(std::slice::from_ref(ev))
}

/// One VCALENDAR holding `events` (a series and its edited occurrences, all
/// with the same UID and METHOD; the first sets METHOD and the zone).
pub fn write_all(events: &[Event]) -> String {
    let Some(first_ev) = events.first() else {
        return String::new();
    };
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "PRODID:-//CMS Scheduler//Meeting Scheduler//EN".into(),
        "VERSION:2.0".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", first_ev.method.word()),
    ];
    let utc = first_ev.tz == Tz::UTC;
    if !utc {
        // The series' years and each edited occurrence's, not the years
        // between: an occurrence moved to year 9999 would otherwise make a
        // VTIMEZONE of eight thousand years (seconds of work per e-mail).
        let mut spans = vec![years(first_ev.start, first_ev.rrule.as_deref())];
        spans.extend(
            events[1..]
                .iter()
                .map(|ev| (ev.start.year(), ev.end.year())),
        );
        lines.extend(vtimezone_for(first_ev.tz, &spans));
    }
    for ev in events {
        vevent(&mut lines, ev, utc);
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}

/// A calendar feed (METHOD:PUBLISH) named `name`: every meeting's events
/// (series with their edited occurrences), one VTIMEZONE per zone covering
/// the years of that zone's events, and a refresh hint for subscribers.
pub fn write_feed(name: &str, events: &[Event]) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "PRODID:-//CMS Scheduler//Meeting Scheduler//EN".into(),
        "VERSION:2.0".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", Method::Publish.word()),
        format!("X-WR-CALNAME:{}", escape_text(name)),
        "X-PUBLISHED-TTL:PT1H".into(),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".into(),
    ];
    let mut zones: Vec<Tz> = events
        .iter()
        .map(|e| e.tz)
        .filter(|tz| *tz != Tz::UTC)
        .collect();
    zones.sort_by_key(|tz| tz.name());
    zones.dedup();
    for tz in zones {
        let spans: Vec<(i32, i32)> = events
            .iter()
            .filter(|e| e.tz == tz)
            .map(|e| match e.recurrence_id {
                None => years(e.start, e.rrule.as_deref()),
                Some(_) => (e.start.year(), e.end.year()),
            })
            .collect();
        lines.extend(vtimezone_for(tz, &spans));
    }
    for ev in events {
        vevent(&mut lines, ev, ev.tz == Tz::UTC);
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| fold(l)).collect()
}

/// A DATE-TIME property in the event's zone (or UTC).
fn zoned(prop: &str, ev: &Event, local: NaiveDateTime, utc: bool) -> String {
    if utc {
        format!("{prop}:{}", local_stamp(local) + "Z")
    } else {
        format!("{prop};TZID={}:{}", ev.tz.name(), local_stamp(local))
    }
}

fn vevent(lines: &mut Vec<String>, ev: &Event, utc: bool) {
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", escape_text(&ev.uid)));
    lines.push(format!("SEQUENCE:{}", ev.sequence.max(0)));
    lines.push(format!("DTSTAMP:{}", utc_stamp(ev.stamp)));
    for (prop, t) in [("DTSTART", ev.start), ("DTEND", ev.end)] {
        if utc {
            lines.push(format!("{prop}:{}", utc_stamp(t)));
        } else {
            let local = t.with_timezone(&ev.tz).naive_local();
            lines.push(format!(
                "{prop};TZID={}:{}",
                ev.tz.name(),
                local_stamp(local)
            ));
        }
    }
    if let Some(original) = ev.recurrence_id {
        lines.push(zoned("RECURRENCE-ID", ev, original, utc));
    } else if let Some(rule) = ev
        .rrule
        .as_deref()
        .map(clean_rrule)
        .filter(|r| !r.is_empty())
    {
        lines.push(format!("RRULE:{rule}"));
        for d in &ev.exdates {
            lines.push(zoned("EXDATE", ev, *d, utc));
        }
    }
    lines.push(format!("SUMMARY:{}", escape_text(&ev.summary)));
    if !ev.location.is_empty() {
        lines.push(format!("LOCATION:{}", escape_text(&ev.location)));
    }
    if !ev.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", escape_text(&ev.description)));
    }
    let mut organizer = "ORGANIZER".to_string();
    if let Some(name) = ev
        .organizer
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        organizer.push_str(&format!(";CN={}", param_value(name)));
    }
    if let Some(by) = &ev.sent_by {
        organizer.push_str(&format!(";SENT-BY=\"{}\"", mailto(by)));
    }
    organizer.push(':');
    organizer.push_str(&mailto(&ev.organizer.email));
    lines.push(organizer);
    for a in &ev.attendees {
        let mut line = "ATTENDEE".to_string();
        if let Some(name) = a.name.as_deref().filter(|n| !n.trim().is_empty()) {
            line.push_str(&format!(";CN={}", param_value(name)));
        }
        // RSVP=TRUE: Gmail shows Yes/Maybe/No and Outlook Accept/Decline
        // only when an answer is asked for (SPEC §8).
        line.push_str(";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:");
        line.push_str(&mailto(&a.email));
        lines.push(line);
    }
    // What Outlook itself writes: busy for a meeting, free once cancelled
    // (without these Outlook may show the slot free, or keep a cancelled
    // one busy). TRANSP stays OPAQUE, as in Outlook's cancellations.
    let (status, busy) = match ev.method {
        Method::Request | Method::Publish => ("CONFIRMED", "BUSY"),
        Method::Cancel => ("CANCELLED", "FREE"),
    };
    lines.push(format!("STATUS:{status}"));
    lines.push("TRANSP:OPAQUE".into());
    lines.push(format!("X-MICROSOFT-CDO-BUSYSTATUS:{busy}"));
    lines.push(format!("X-MICROSOFT-CDO-INTENDEDSTATUS:{busy}"));
    lines.push("END:VEVENT".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tz: Tz, rrule: Option<&str>) -> Event {
        Event {
            method: Method::Request,
            uid: "m-1@cms-scheduler".into(),
            sequence: 3,
            stamp: Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap(),
            tz,
            start: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            rrule: rrule.map(str::to_string),
            summary: "Weekly sync; team A, B".into(),
            location: "sip:x.guest@example.com".into(),
            description: "Line 1\r\nLine 2".into(),
            organizer: Person {
                name: Some("Alice \"Boss\" Martin".into()),
                email: "alice@example.com".into(),
            },
            sent_by: Some("scheduler@example.com".into()),
            attendees: vec![Person {
                name: None,
                email: "bob@example.com".into(),
            }],
            exdates: Vec::new(),
            recurrence_id: None,
        }
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    #[test]
    fn a_series_lists_its_cancelled_occurrences_and_carries_its_edited_ones() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let mut series = event(paris, Some("FREQ=WEEKLY;COUNT=4"));
        series.exdates = vec![local("2026-12-08T10:00")];
        let moved = Event {
            start: Utc.with_ymd_and_hms(2026, 12, 15, 14, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 15, 15, 0, 0).unwrap(),
            rrule: None,
            recurrence_id: Some(local("2026-12-15T10:00")),
            summary: "Moved".into(),
            ..series.clone()
        };
        let lines = unfold(&write_all(&[series, moved]));
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2);
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("BEGIN:VTIMEZONE"))
                .count(),
            1
        );
        assert!(lines.contains(&"EXDATE;TZID=Europe/Paris:20261208T100000".to_string()));
        let second = lines.iter().rposition(|l| l == "BEGIN:VEVENT").unwrap();
        let tail = &lines[second..];
        assert!(tail.contains(&"RECURRENCE-ID;TZID=Europe/Paris:20261215T100000".to_string()));
        assert!(tail.contains(&"DTSTART;TZID=Europe/Paris:20261215T150000".to_string()));
        assert!(tail.contains(&"UID:m-1@cms-scheduler".to_string()));
        assert!(!tail
            .iter()
            .any(|l| l.starts_with("RRULE") || l.starts_with("EXDATE")));
        assert_eq!(lines.iter().filter(|l| l.starts_with("METHOD:")).count(), 1);
    }

    #[test]
    fn one_cancelled_occurrence_is_a_cancel_with_its_recurrence_id() {
        let ev = Event {
            method: Method::Cancel,
            rrule: None,
            recurrence_id: Some(local("2026-12-01T09:00")),
            ..event(Tz::UTC, None)
        };
        let lines = unfold(&write(&ev));
        assert!(lines.contains(&"METHOD:CANCEL".to_string()));
        assert!(lines.contains(&"RECURRENCE-ID:20261201T090000Z".to_string()));
        assert!(lines.contains(&"STATUS:CANCELLED".to_string()));
    }

    /// Unfolds and splits a calendar into its logical lines.
    fn unfold(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape_text("a;b,c\\d"), "a\\;b\\,c\\\\d");
        assert_eq!(
            escape_text("one\r\ntwo\nthree\rfour"),
            "one\\ntwo\\nthree\\nfour"
        );
        assert_eq!(escape_text("bell\u{7}x"), "bellx");
        // A name cannot start a new property.
        let ics = write(&Event {
            summary: "Hi\r\nATTENDEE:mailto:evil@example.com".into(),
            ..event(Tz::UTC, None)
        });
        assert!(unfold(&ics)
            .iter()
            .all(|l| !l.starts_with("ATTENDEE:mailto:evil")));
        assert!(ics.contains("SUMMARY:Hi\\nATTENDEE:mailto:evil@example.com"));
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let line = format!("DESCRIPTION:{}", "é".repeat(100));
        let folded = fold(&line);
        for physical in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        assert!(folded.ends_with("\r\n"));
        assert_eq!(folded.replace("\r\n ", "").trim_end(), line);
        assert_eq!(fold("SHORT:x"), "SHORT:x\r\n");
        let exact = format!("X:{}", "a".repeat(73));
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
    }

    #[test]
    fn method_uid_sequence_and_people() {
        let ics = write(&event(Tz::UTC, None));
        let lines = unfold(&ics);
        assert!(ics.lines().all(|l| l.len() <= 75));
        assert_eq!(lines[0], "BEGIN:VCALENDAR");
        assert!(lines.contains(&"METHOD:REQUEST".to_string()));
        assert!(lines.contains(&"UID:m-1@cms-scheduler".to_string()));
        assert!(lines.contains(&"SEQUENCE:3".to_string()));
        assert!(lines.contains(&"DTSTAMP:20261125T080000Z".to_string()));
        assert!(lines.contains(&"DTSTART:20261201T090000Z".to_string()));
        assert!(lines.contains(&"SUMMARY:Weekly sync\\; team A\\, B".to_string()));
        assert!(lines.contains(&"DESCRIPTION:Line 1\\nLine 2".to_string()));
        assert!(lines.contains(
            &"ORGANIZER;CN=\"Alice Boss Martin\";SENT-BY=\"mailto:scheduler@example.com\":mailto:alice@example.com"
                .to_string()
        ));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("ATTENDEE;") && l.ends_with(":mailto:bob@example.com")));
        assert!(!ics.contains("VTIMEZONE"));
        let cancel = write(&Event {
            method: Method::Cancel,
            ..event(Tz::UTC, None)
        });
        assert!(cancel.contains("METHOD:CANCEL\r\n"));
        assert!(cancel.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn vtimezone_from_the_tz_database() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let ics = write(&event(tz, None));
        let lines = unfold(&ics);
        assert!(lines.contains(&"DTSTART;TZID=Europe/Paris:20261201T100000".to_string()));
        assert!(lines.contains(&"DTEND;TZID=Europe/Paris:20261201T110000".to_string()));
        assert!(lines.contains(&"TZID:Europe/Paris".to_string()));
        // 2026: summer time starts Mar 29 at 02:00 CET, ends Oct 25 at 03:00 CEST.
        let tr = transitions(tz, 2026, 2026);
        assert_eq!(tr.len(), 2);
        assert_eq!(
            tr[0].at,
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
        );
        assert_eq!((tr[0].from, tr[0].to, tr[0].dst), (3600, 7200, true));
        assert_eq!(
            tr[1].at,
            Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap()
        );
        // Outlook's form: one yearly rule each way, from the year before.
        let text = ics.replace("\r\n ", "");
        assert!(text.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZNAME:CEST\r\nEND:DAYLIGHT"
        ));
        assert!(text.contains(
            "BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZNAME:CET\r\nEND:STANDARD"
        ));
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("DTSTART:")).count(),
            2
        );
        // A zone without changes gets its one offset.
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let v = vtimezone(tokyo, 2026, 2026).join("\n");
        assert!(v.contains("TZOFFSETTO:+0900"));
        assert!(!v.contains("DAYLIGHT"));
        // Southern hemisphere, half-hour zone.
        let adelaide: Tz = "Australia/Adelaide".parse().unwrap();
        let tr = transitions(adelaide, 2026, 2026);
        assert_eq!(tr.len(), 2);
        assert_eq!(offset_text(tr[0].to), "+0930");
    }

    /// Found by the `ics_writer` fuzz target: one occurrence of a 2026
    /// series moved to 9999 made the VTIMEZONE cover every year between
    /// (seconds to write, for each invitation).
    #[test]
    fn an_occurrence_moved_far_away_adds_its_own_years_only() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let series = event(paris, Some("FREQ=WEEKLY;COUNT=4"));
        let far = Utc.with_ymd_and_hms(9999, 6, 1, 9, 0, 0).unwrap();
        let moved = Event {
            start: far,
            end: far + Duration::hours(1),
            rrule: None,
            recurrence_id: Some(local("2026-12-08T10:00")),
            ..series.clone()
        };
        let started = std::time::Instant::now();
        let lines = unfold(&write_all(&[series, moved]));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let starts: Vec<&String> = lines.iter().filter(|l| l.starts_with("DTSTART:")).collect();
        // 2026 (COUNT=4 weekly from December 1st): the two yearly rules
        // from 2025, bounded since a later run follows; then 9999 (the
        // offset of then, from 9998: the tz database has no rules that far).
        assert_eq!(starts.len(), 2 + 1, "{starts:?}");
        assert_eq!(starts[0], "DTSTART:20250330T020000");
        assert_eq!(starts[2], "DTSTART:99980101T010000");
        let rules: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("RRULE:FREQ=YEARLY"))
            .collect();
        assert_eq!(rules.len(), 2);
        assert!(rules.iter().all(|r| r.contains(";UNTIL=2026")), "{rules:?}");
        // Overlapping and adjacent runs of years are one run.
        let v = vtimezone_for(paris, &[(2027, 2027), (2026, 2026), (2026, 2027)]);
        assert_eq!(v, vtimezone(paris, 2026, 2027));
    }

    #[test]
    fn recurring_meetings_carry_their_rule_and_years() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let ics = write(&event(tz, Some("FREQ=WEEKLY;UNTIL=20280101T000000Z")));
        let lines = unfold(&ics);
        assert!(lines.contains(&"RRULE:FREQ=WEEKLY;UNTIL=20280101T000000Z".to_string()));
        // 2026 to 2028, one rule each way.
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:DAYLIGHT").count(), 1);
        assert!(lines.contains(&"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU".to_string()));
        // Nothing outside a rule's alphabet gets through.
        let evil = write(&event(tz, Some("FREQ=DAILY\r\nATTENDEE:x")));
        assert!(evil.contains("RRULE:FREQ=DAILYATTENDEEx\r\n"));
    }

    #[test]
    fn the_years_a_series_spans() {
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        assert_eq!(years(start, None), (2026, 2026));
        assert_eq!(years(start, Some("FREQ=WEEKLY;COUNT=4")), (2026, 2026));
        assert_eq!(years(start, Some("FREQ=WEEKLY;COUNT=5")), (2026, 2027));
        assert_eq!(years(start, Some("FREQ=DAILY;COUNT=20")), (2026, 2026));
        assert_eq!(
            years(start, Some("FREQ=MONTHLY;INTERVAL=2;COUNT=13")),
            (2026, 2029)
        );
        assert_eq!(years(start, Some("FREQ=YEARLY;COUNT=500")), (2026, 2036));
        assert_eq!(
            years(start, Some("FREQ=WEEKLY;UNTIL=20280101T000000Z")),
            (2026, 2028)
        );
        assert_eq!(years(start, Some("FREQ=WEEKLY")), (2026, 2029));
    }

    #[test]
    fn every_recipient_is_asked_to_answer_and_outlook_sees_the_slot_busy() {
        let lines = unfold(&write(&event(Tz::UTC, None)));
        let attendee = lines.iter().find(|l| l.starts_with("ATTENDEE")).unwrap();
        assert!(attendee.contains(";PARTSTAT=NEEDS-ACTION;"), "{attendee}");
        assert!(attendee.contains(";RSVP=TRUE:"), "{attendee}");
        assert!(lines.contains(&"X-MICROSOFT-CDO-BUSYSTATUS:BUSY".to_string()));
        assert!(lines.contains(&"X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY".to_string()));
        let cancel = unfold(&write(&Event {
            method: Method::Cancel,
            ..event(Tz::UTC, None)
        }));
        assert!(cancel.contains(&"X-MICROSOFT-CDO-BUSYSTATUS:FREE".to_string()));
        assert!(cancel.contains(&"X-MICROSOFT-CDO-INTENDEDSTATUS:FREE".to_string()));
        assert!(cancel
            .iter()
            .any(|l| l.starts_with("ATTENDEE") && l.contains(";RSVP=TRUE:")));
    }

    /// A feed: METHOD:PUBLISH, one VTIMEZONE per zone (none for UTC), each
    /// event in its own zone, busy.
    #[test]
    fn a_feed_holds_every_zone_once() {
        let mut paris = event("Europe/Paris".parse().unwrap(), Some("FREQ=WEEKLY;COUNT=3"));
        paris.method = Method::Publish;
        let mut paris2 = paris.clone();
        paris2.uid = "m-2@cms-scheduler".into();
        let mut ny = event("America/New_York".parse().unwrap(), None);
        ny.method = Method::Publish;
        ny.uid = "m-3@cms-scheduler".into();
        let mut utc = event(Tz::UTC, None);
        utc.method = Method::Publish;
        utc.uid = "m-4@cms-scheduler".into();
        let feed = write_feed("Alice, meetings", &[paris, paris2, ny, utc]);
        let flat = feed.replace("\r\n ", "");
        assert!(flat.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(flat.contains("\r\nX-WR-CALNAME:Alice\\, meetings\r\n"));
        assert_eq!(flat.matches("BEGIN:VTIMEZONE").count(), 2, "{flat}");
        assert_eq!(flat.matches("TZID:Europe/Paris\r\n").count(), 1);
        assert_eq!(flat.matches("TZID:America/New_York\r\n").count(), 1);
        assert_eq!(flat.matches("BEGIN:VEVENT").count(), 4);
        assert_eq!(flat.matches("X-MICROSOFT-CDO-BUSYSTATUS:BUSY").count(), 4);
        assert!(flat.contains("DTSTART;TZID=America/New_York:"));
        assert!(!flat.contains("STATUS:CANCELLED"));
        assert!(feed.lines().all(|l| l.len() <= 75));
    }
}

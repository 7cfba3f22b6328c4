//! VTIMEZONE written Outlook's way: yearly STANDARD and DAYLIGHT
//! observances with `RRULE:FREQ=YEARLY;BYMONTH=..;BYDAY=<nth or -1><day>`,
//! derived from the tz database (chrono-tz) for the years an event spans.
//!
//! The zone's offset changes are found by scanning (see
//! [`super::transitions`]), from the year before the span so that every
//! instant of the span follows an onset. Changes of the same kind (same
//! offsets, name, month, weekday and local time) in consecutive years whose
//! dates are all the nth (or last) such weekday of the month become one
//! yearly observance; it is bounded by `UNTIL` when the rule stopped inside
//! the span (America/Sao_Paulo's daylight time, 2019) and left open when it
//! still holds at the span's end. A change that fits no yearly rule
//! (Africa/Casablanca's Ramadan pauses, a zone moving to another offset)
//! is an observance of its own, dated by its DTSTART. A zone without any
//! change in the span is a single STANDARD (or DAYLIGHT) observance.

use super::{escape_text, local_stamp, offset_text, state, transitions, utc_stamp};
use crate::recurrence::weekday_code;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// `FREQ=YEARLY;BYMONTH=month;BYDAY=<week><weekday>`, optionally bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearlyRule {
    pub month: u32,
    /// 1..=4: the nth such weekday of the month; -1: the last.
    pub week: i8,
    pub weekday: Weekday,
    /// After the last onset the rule gave and before the next it would give.
    pub until: Option<DateTime<Utc>>,
}

/// One STANDARD or DAYLIGHT sub-component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub daylight: bool,
    /// The first onset, in the local time in force before it (TZOFFSETFROM).
    pub start: NaiveDateTime,
    /// TZOFFSETFROM and TZOFFSETTO, seconds east of UTC.
    pub from: i32,
    pub to: i32,
    pub name: String,
    pub rule: Option<YearlyRule>,
}

/// The weeks (1..=4, -1 for the last) that describe `date` as "the nth
/// weekday of its month". A fifth weekday is only ever "the last".
fn weeks_of(date: NaiveDate) -> Vec<i8> {
    let day = date.day();
    let mut out = Vec::new();
    let nth = (day - 1) / 7 + 1;
    if nth <= 4 {
        out.push(nth as i8);
    }
    let next_week = date + Duration::days(7);
    if next_week.month() != date.month() {
        out.push(-1);
    }
    out
}

/// What must be equal for two changes to be the same yearly rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    daylight: bool,
    from: i32,
    to: i32,
    name: String,
    month: u32,
    weekday: Weekday,
    time: chrono::NaiveTime,
}

/// Changes that one yearly rule describes, one per consecutive year.
struct Run {
    key: Key,
    /// The weeks every change of the run fits.
    weeks: Vec<i8>,
    /// (local onset, UTC onset), in order.
    onsets: Vec<(NaiveDateTime, DateTime<Utc>)>,
}

/// The observances describing `tz` from `first_year` to `last_year`.
/// `open_end`: the last yearly rules go on after the span (false when a
/// later, separate span follows and must not see them).
pub fn observances(tz: Tz, first_year: i32, last_year: i32, open_end: bool) -> Vec<Observance> {
    let (first_year, last_year) = (first_year.min(last_year), first_year.max(last_year));
    let scan_first = first_year.saturating_sub(1);
    let mut out = Vec::new();
    let (Some(scan_start), Some(span_start)) = (
        Utc.with_ymd_and_hms(scan_first, 1, 1, 0, 0, 0).single(),
        // A day's margin: local January 1st starts as early as December
        // 31st 10:00 UTC (UTC+14).
        Utc.with_ymd_and_hms(first_year, 1, 1, 0, 0, 0)
            .single()
            .map(|t| t - Duration::days(1)),
    ) else {
        return out;
    };
    let changes = transitions(tz, scan_first, last_year);
    // The offset in force before the first change, unless a change already
    // precedes the span.
    if changes.first().is_none_or(|c| c.at > span_start) {
        let s = state(tz, scan_start);
        out.push(Observance {
            daylight: s.save > 0,
            start: scan_start.naive_utc() + Duration::seconds(i64::from(s.offset)),
            from: s.offset,
            to: s.offset,
            name: s.name,
            rule: None,
        });
    }
    let mut runs: Vec<Run> = Vec::new();
    for c in changes {
        // DTSTART is the onset in the local time in force before it.
        let local = c.at.naive_utc() + Duration::seconds(i64::from(c.from));
        let key = Key {
            daylight: c.dst,
            from: c.from,
            to: c.to,
            name: c.name.clone(),
            month: local.month(),
            weekday: local.weekday(),
            time: local.time(),
        };
        let weeks = weeks_of(local.date());
        let joined = runs.iter_mut().find(|r| {
            r.key == key
                && r.onsets
                    .last()
                    .is_some_and(|(l, _)| l.year() + 1 == local.year())
                && r.weeks.iter().any(|w| weeks.contains(w))
        });
        match joined {
            Some(run) => {
                run.weeks.retain(|w| weeks.contains(w));
                run.onsets.push((local, c.at));
            }
            None => runs.push(Run {
                key,
                weeks,
                onsets: vec![(local, c.at)],
            }),
        }
    }
    for run in runs {
        let Some(&(start, _)) = run.onsets.first() else {
            continue;
        };
        let Some(&(last_local, last_at)) = run.onsets.last() else {
            continue;
        };
        let observance = |start: NaiveDateTime, rule: Option<YearlyRule>| Observance {
            daylight: run.key.daylight,
            start,
            from: run.key.from,
            to: run.key.to,
            name: run.key.name.clone(),
            rule,
        };
        if run.onsets.len() < 2 {
            out.push(observance(start, None));
            continue;
        }
        // "Last" where both fit (the 22nd to the 28th of a month): tz rules
        // say lastSun far more often than "fourth Sunday".
        let week = if run.weeks.contains(&-1) {
            -1
        } else {
            run.weeks.first().copied().unwrap_or(-1)
        };
        let still_holds = open_end && last_local.year() >= last_year;
        out.push(observance(
            start,
            Some(YearlyRule {
                month: run.key.month,
                week,
                weekday: run.key.weekday,
                // A day after the last onset: inside the same year whatever
                // a reader makes of the UTC designator.
                until: (!still_holds).then(|| last_at + Duration::days(1)),
            }),
        ));
    }
    out.sort_by_key(|o| o.start);
    out
}

/// The STANDARD/DAYLIGHT lines of `observances`.
pub fn lines(observances: &[Observance]) -> Vec<String> {
    let mut lines = Vec::new();
    for o in observances {
        let kind = if o.daylight { "DAYLIGHT" } else { "STANDARD" };
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", local_stamp(o.start)));
        lines.push(format!("TZOFFSETFROM:{}", offset_text(o.from)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(o.to)));
        if let Some(rule) = &o.rule {
            let mut r = format!(
                "RRULE:FREQ=YEARLY;BYMONTH={};BYDAY={}{}",
                rule.month,
                rule.week,
                weekday_code(rule.weekday)
            );
            if let Some(until) = rule.until {
                r.push_str(&format!(";UNTIL={}", utc_stamp(until)));
            }
            lines.push(r);
        }
        lines.push(format!("TZNAME:{}", escape_text(&o.name)));
        lines.push(format!("END:{kind}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Offset;

    /// An evaluator of VTIMEZONE text, written apart from the writer: reads
    /// STANDARD/DAYLIGHT blocks (DTSTART, TZOFFSETFROM, TZOFFSETTO, RDATE,
    /// RRULE with FREQ=YEARLY, BYMONTH, BYDAY nth/-1 and UNTIL) and answers
    /// the offset of a UTC instant: TZOFFSETTO of the latest onset at or
    /// before it (None before the first).
    struct Reader {
        /// (UTC onset, offset after it), sorted.
        onsets: Vec<(i64, i32)>,
    }

    fn parse_offset(s: &str) -> i32 {
        let sign = if s.starts_with('-') { -1 } else { 1 };
        let digits = &s[1..];
        let h: i32 = digits[0..2].parse().unwrap();
        let m: i32 = digits[2..4].parse().unwrap();
        let sec: i32 = digits.get(4..6).map_or(0, |x| x.parse().unwrap());
        sign * (h * 3600 + m * 60 + sec)
    }

    fn parse_local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y%m%dT%H%M%S").unwrap()
    }

    fn weekday(code: &str) -> Weekday {
        match code {
            "MO" => Weekday::Mon,
            "TU" => Weekday::Tue,
            "WE" => Weekday::Wed,
            "TH" => Weekday::Thu,
            "FR" => Weekday::Fri,
            "SA" => Weekday::Sat,
            "SU" => Weekday::Sun,
            other => panic!("weekday {other}"),
        }
    }

    /// The `week`th (or last, -1) `day` of `month` in `year`.
    fn nth_weekday(year: i32, month: u32, week: i32, day: Weekday) -> NaiveDate {
        if week > 0 {
            let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
            let shift =
                (7 + day.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
            first + Duration::days(i64::from(shift) + 7 * i64::from(week - 1))
        } else {
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            }
            .unwrap();
            let last = next - Duration::days(1);
            let back = (7 + last.weekday().num_days_from_monday() - day.num_days_from_monday()) % 7;
            last - Duration::days(i64::from(back))
        }
    }

    impl Reader {
        fn new(text: &str, through_year: i32) -> Reader {
            let mut onsets = Vec::new();
            let mut block: Vec<(String, String)> = Vec::new();
            let mut inside = false;
            for line in text.lines() {
                if line == "BEGIN:STANDARD" || line == "BEGIN:DAYLIGHT" {
                    inside = true;
                    block.clear();
                } else if line == "END:STANDARD" || line == "END:DAYLIGHT" {
                    inside = false;
                    let get = |k: &str| block.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    let from = parse_offset(&get("TZOFFSETFROM").expect("TZOFFSETFROM"));
                    let to = parse_offset(&get("TZOFFSETTO").expect("TZOFFSETTO"));
                    let start = parse_local(&get("DTSTART").expect("DTSTART"));
                    let utc = |l: NaiveDateTime| l.and_utc().timestamp() - i64::from(from);
                    onsets.push((utc(start), to));
                    for (_, v) in block.iter().filter(|(n, _)| n == "RDATE") {
                        for d in v.split(',') {
                            onsets.push((utc(parse_local(d)), to));
                        }
                    }
                    if let Some(rule) = get("RRULE") {
                        let parts: Vec<(&str, &str)> = rule
                            .split(';')
                            .map(|p| p.split_once('=').unwrap())
                            .collect();
                        let part = |k: &str| parts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
                        assert_eq!(part("FREQ"), Some("YEARLY"), "{rule}");
                        let month: u32 = part("BYMONTH").unwrap().parse().unwrap();
                        let byday = part("BYDAY").unwrap();
                        let (week, day) = byday.split_at(byday.len() - 2);
                        let week: i32 = week.parse().unwrap();
                        let until = part("UNTIL").map(|u| parse_local(u).and_utc().timestamp());
                        for year in start.year()..=through_year {
                            let local =
                                nth_weekday(year, month, week, weekday(day)).and_time(start.time());
                            if local < start {
                                continue;
                            }
                            let at = utc(local);
                            if until.is_some_and(|u| at > u) {
                                break;
                            }
                            onsets.push((at, to));
                        }
                    }
                } else if inside {
                    let (name, value) = line.split_once(':').unwrap();
                    block.push((name.to_string(), value.to_string()));
                }
            }
            onsets.sort_unstable();
            Reader { onsets }
        }

        fn offset(&self, t: i64) -> Option<i32> {
            let i = self.onsets.partition_point(|(at, _)| *at <= t);
            i.checked_sub(1).map(|i| self.onsets[i].1)
        }
    }

    fn zone_offset(tz: Tz, t: i64) -> i32 {
        tz.offset_from_utc_datetime(&DateTime::from_timestamp(t, 0).unwrap().naive_utc())
            .fix()
            .local_minus_utc()
    }

    /// Every hour of `first..=last` (UTC), the reader's offset is the zone's.
    fn check_every_hour(tz: Tz, first: i32, last: i32) -> String {
        let text = lines(&observances(tz, first, last, true)).join("\n");
        let reader = Reader::new(&text, last + 1);
        let begin = Utc
            .with_ymd_and_hms(first, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let end = Utc
            .with_ymd_and_hms(last + 1, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let mut t = begin;
        while t < end {
            assert_eq!(
                reader.offset(t),
                Some(zone_offset(tz, t)),
                "{} at {}\n{text}",
                tz.name(),
                DateTime::from_timestamp(t, 0).unwrap()
            );
            t += 3600;
        }
        text
    }

    const ZONES: &[Tz] = &[
        chrono_tz::America::Sao_Paulo,
        chrono_tz::Africa::Casablanca,
        chrono_tz::Europe::Paris,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Sydney,
        chrono_tz::Asia::Kolkata,
        chrono_tz::Pacific::Chatham,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::America::Santiago,
        chrono_tz::Asia::Tehran,
        chrono_tz::America::Mexico_City,
        chrono_tz::Pacific::Apia,
        chrono_tz::Europe::Moscow,
        chrono_tz::Asia::Gaza,
        chrono_tz::America::Nuuk,
        chrono_tz::Europe::Dublin,
        chrono_tz::UTC,
    ];

    #[test]
    fn every_hour_of_the_span_has_the_zones_offset() {
        for tz in ZONES {
            for (first, last) in [(2010, 2016), (2017, 2024), (2026, 2030)] {
                check_every_hour(*tz, first, last);
            }
        }
    }

    fn count(text: &str, line: &str) -> usize {
        text.lines().filter(|l| *l == line).count()
    }

    #[test]
    fn a_zone_with_steady_rules_is_two_yearly_observances() {
        let text = check_every_hour(chrono_tz::Europe::Paris, 2026, 2029);
        assert_eq!(
            text,
            "BEGIN:DAYLIGHT\nDTSTART:20250330T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
             RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZNAME:CEST\nEND:DAYLIGHT\n\
             BEGIN:STANDARD\nDTSTART:20251026T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
             RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZNAME:CET\nEND:STANDARD"
        );
        let ny = check_every_hour(chrono_tz::America::New_York, 2026, 2026);
        assert!(
            ny.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\n"),
            "{ny}"
        );
        assert!(
            ny.contains("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\n"),
            "{ny}"
        );
        assert!(ny.contains("DTSTART:20250309T020000\n"), "{ny}");
        // Southern hemisphere: daylight time from October to April.
        let sydney = check_every_hour(chrono_tz::Australia::Sydney, 2026, 2027);
        assert!(
            sydney.contains("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\n"),
            "{sydney}"
        );
        assert!(
            sydney.contains("RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\n"),
            "{sydney}"
        );
        // 02:45 local, a 45-minute offset.
        let chatham = check_every_hour(chrono_tz::Pacific::Chatham, 2026, 2027);
        assert!(chatham.contains("TZOFFSETTO:+1345\n"), "{chatham}");
        assert!(
            chatham.contains("RRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=-1SU\n"),
            "{chatham}"
        );
        for t in [&sydney, &chatham] {
            assert_eq!(count(t, "BEGIN:DAYLIGHT") + count(t, "BEGIN:STANDARD"), 2);
            assert!(!t.contains("UNTIL"));
        }
    }

    #[test]
    fn a_zone_without_daylight_time_is_one_standard_observance() {
        for tz in [
            chrono_tz::Asia::Kolkata,
            chrono_tz::Asia::Tokyo,
            chrono_tz::UTC,
        ] {
            let text = check_every_hour(tz, 2026, 2030);
            assert_eq!(count(&text, "BEGIN:STANDARD"), 1, "{text}");
            assert_eq!(count(&text, "BEGIN:DAYLIGHT"), 0, "{text}");
            assert!(!text.contains("RRULE"), "{text}");
        }
        let kolkata = lines(&observances(chrono_tz::Asia::Kolkata, 2026, 2026, true)).join("\n");
        assert_eq!(
            kolkata,
            "BEGIN:STANDARD\nDTSTART:20250101T053000\nTZOFFSETFROM:+0530\nTZOFFSETTO:+0530\n\
             TZNAME:IST\nEND:STANDARD"
        );
    }

    /// São Paulo kept daylight time until February 2019: the yearly rules
    /// stop with UNTIL; the one November start (2018, first Sunday, where
    /// 2017's was the third Sunday of October) is dated. After 2019, one
    /// standard observance.
    #[test]
    fn a_rule_that_stopped_inside_the_span_is_bounded() {
        let text = check_every_hour(chrono_tz::America::Sao_Paulo, 2016, 2021);
        assert!(
            text.contains("RRULE:FREQ=YEARLY;BYMONTH=2;BYDAY=3SU;UNTIL=20190218T020000Z\n"),
            "{text}"
        );
        assert!(text.contains("DTSTART:20181104T000000\n"), "{text}");
        assert!(!text.contains("RRULE:FREQ=YEARLY;BYMONTH=11"), "{text}");
        let later = check_every_hour(chrono_tz::America::Sao_Paulo, 2021, 2026);
        assert_eq!(count(&later, "BEGIN:STANDARD"), 1, "{later}");
        assert_eq!(count(&later, "BEGIN:DAYLIGHT"), 0, "{later}");
    }

    /// Morocco falls back an hour for Ramadan, on dates that follow the
    /// moon: no yearly rule fits, every change is dated.
    #[test]
    fn ramadan_pauses_are_dated_observances() {
        let text = check_every_hour(chrono_tz::Africa::Casablanca, 2026, 2028);
        let observances = count(&text, "BEGIN:DAYLIGHT") + count(&text, "BEGIN:STANDARD");
        // Two changes a year, 2025 to 2028.
        assert_eq!(observances, 8, "{text}");
        assert!(!text.contains("RRULE"), "{text}");
    }

    /// The tz database writes Dublin's winter as negative daylight saving:
    /// the VTIMEZONE has it the usual way round, IST a DAYLIGHT observance.
    #[test]
    fn negative_daylight_saving_is_turned_around() {
        let text = check_every_hour(chrono_tz::Europe::Dublin, 2026, 2027);
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\nDTSTART:20250330T010000\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:STANDARD\nDTSTART:20251026T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0000\n"
            ),
            "{text}"
        );
        // Casablanca: Ramadan (+00) is standard time, the rest daylight.
        let text = check_every_hour(chrono_tz::Africa::Casablanca, 2026, 2026);
        assert!(
            text.contains(
                "BEGIN:STANDARD\nDTSTART:20260215T030000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0000\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\nDTSTART:20260322T020000\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn weeks_of_a_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(weeks_of(d(2026, 3, 1)), vec![1]);
        assert_eq!(weeks_of(d(2026, 3, 8)), vec![2]);
        assert_eq!(weeks_of(d(2026, 3, 25)), vec![4, -1]);
        assert_eq!(weeks_of(d(2026, 3, 29)), vec![-1]);
        assert_eq!(weeks_of(d(2026, 2, 22)), vec![4, -1]);
        assert_eq!(weeks_of(d(2026, 2, 21)), vec![3]);
        // The evaluator's own arithmetic.
        assert_eq!(nth_weekday(2026, 3, -1, Weekday::Sun), d(2026, 3, 29));
        assert_eq!(nth_weekday(2026, 3, 2, Weekday::Sun), d(2026, 3, 8));
        assert_eq!(nth_weekday(2026, 11, 1, Weekday::Sun), d(2026, 11, 1));
    }
}

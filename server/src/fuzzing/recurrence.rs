//! Recurrence rules: parsing user text, expanding a valid rule, splitting a
//! series, and the readers of stored rules.

use super::bytes::Bytes;
use crate::db::series::{base_series, format_original, parse_original};
use crate::present::{repeat_text, repeat_words};
use crate::recurrence::{
    resolve_local, End, Lang, Occurrence, Recurrence, Series, SeriesEnd, Until, MAX_DURATION,
    MAX_RRULE_LEN, MAX_YEAR, MIN_YEAR,
};
use app::i18n::Lang as PageLang;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;

/// Zones with unusual changes: 30-minute DST, a skipped day, DST at
/// midnight, negative DST, +14.
const ZONES: &[Tz] = &[
    Tz::UTC,
    Tz::Europe__Paris,
    Tz::America__New_York,
    Tz::Pacific__Apia,
    Tz::America__Santiago,
    Tz::Australia__Lord_Howe,
    Tz::Africa__Casablanca,
    Tz::Europe__Dublin,
    Tz::Pacific__Kiritimati,
    Tz::America__St_Johns,
    Tz::Asia__Kathmandu,
    Tz::Etc__GMTPlus12,
];

pub(crate) fn zone(b: &mut Bytes<'_>) -> Tz {
    let i = b.byte();
    if i < 128 {
        ZONES[usize::from(i) % ZONES.len()]
    } else {
        chrono_tz::TZ_VARIANTS[b.below(chrono_tz::TZ_VARIANTS.len())]
    }
}

/// A local start at a whole minute: mostly near today, sometimes anywhere
/// a series may start.
pub(crate) fn local_start(b: &mut Bytes<'_>) -> NaiveDateTime {
    let year = if b.bool() {
        b.in_range(i64::from(MIN_YEAR), i64::from(MAX_YEAR))
    } else {
        b.in_range(2024, 2040)
    } as i32;
    let month = 1 + b.below(12) as u32;
    let day = 1 + b.below(31) as u32;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
        .unwrap_or_default();
    date.and_hms_opt(b.below(24) as u32, b.below(60) as u32, 0)
        .unwrap_or_default()
}

/// `recurrence_rule`: the input up to its first newline is a rule as a user
/// or a stored row gives it; the bytes after it pick a zone, a start, a
/// length and a window.
///
/// - Any text: [`Recurrence::from_rrule`] gives a rule or an error naming
///   at most a snippet of the input; the stored-rule readers (`repeat_text`,
///   `base_series`, `parse_original`) never panic.
/// - A parsed rule is valid, `to_rrule` reads back as the same rule.
/// - A series of it expands within bounds: at most `max` occurrences, in
///   order, each a real one of the rule at the start's wall-clock time,
///   lasting the series' length, within the window, the COUNT and the
///   UNTIL; the start first; the window jump misses nothing a walk from
///   the start finds.
/// - Splitting it before an occurrence gives two series whose occurrences
///   together are the original's.
/// - Its iCalendar RRULE reads back as a rule; the stored row (rule, zone,
///   local start, minutes) reads back as the same series.
pub fn recurrence_rule(data: &[u8]) {
    let (rule, params) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(rule);
    for lang in [PageLang::En, PageLang::Fr] {
        let _ = repeat_text(Some(&text), lang);
    }
    if let Some(t) = parse_original(&text) {
        assert_eq!(parse_original(&format_original(t)), Some(t), "{text:?}");
    }
    let mut b = Bytes::new(params);
    let tz = zone(&mut b);
    let start = local_start(&mut b);
    let minutes = b.in_range(1, MAX_DURATION.num_minutes());
    let _ = base_series(&text, tz.name(), &format_original(start), minutes);
    let rule = match Recurrence::from_rrule(&text) {
        Ok(rule) => rule,
        Err(e) => {
            // At most 40 characters of the input, each escaped to at most
            // 10 by `{:?}`, around a fixed message.
            let message = e.to_string();
            assert!(message.chars().count() <= 600, "{text:?} -> {message:?}");
            return;
        }
    };
    assert!(rule.validate().is_ok(), "{text:?} -> {rule:?}");
    let written = rule.to_rrule();
    assert!(written.len() <= MAX_RRULE_LEN);
    assert_eq!(
        Recurrence::from_rrule(&written).as_ref(),
        Ok(&rule),
        "{text:?} -> {written:?}"
    );
    let duration = TimeDelta::minutes(minutes);
    let Ok(series) = Series::new(tz, start, duration, rule.clone()) else {
        return;
    };
    assert_eq!(
        base_series(&written, tz.name(), &format_original(start), minutes).as_ref(),
        Some(&series),
        "stored row of {written:?}"
    );
    for lang in [PageLang::En, PageLang::Fr] {
        let _ = repeat_words(Some(&written), tz, start, lang);
    }
    let _ = series.describe(Lang::En);
    let _ = series.describe(Lang::Fr);
    let ical = series.to_ical_rrule();
    if rule.repeats() {
        assert!(
            Recurrence::from_rrule(&ical).is_ok(),
            "{written:?} from {start} in {tz} exports {ical:?}"
        );
    }
    check_expansion(&series, &mut b);
}

fn same(a: &[Occurrence], b: &[Occurrence]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.id, x.start, x.end) == (y.id, y.start, y.end))
}

/// The most occurrences a walk from the start collects to compare with.
const WALK: usize = 3000;

fn check_expansion(series: &Series, b: &mut Bytes<'_>) {
    let tz = series.tz();
    let first = resolve_local(tz, series.start());
    // A window from a year before the start to ~110 years after it, at
    // most ten years long.
    let from = first + TimeDelta::days(b.in_range(-400, 40_000));
    let to = from + TimeDelta::minutes(b.in_range(1, 10 * 366 * 24 * 60));
    let max = 1 + b.below(256);
    let occ = series.occurrences(from, to, max);
    assert!(occ.len() <= max);
    for w in occ.windows(2) {
        assert!(w[0].id < w[1].id && w[0].start <= w[1].start, "{w:?}");
    }
    for o in &occ {
        assert!(!o.overridden && o.name.is_none());
        assert_eq!(o.id.time(), series.start().time(), "{o:?}");
        assert_eq!(o.start, resolve_local(tz, o.id), "{o:?}");
        assert_eq!(o.end - o.start, series.duration(), "{o:?}");
        assert!(o.start < to && o.end > from, "{o:?} outside {from}..{to}");
        assert!(series.is_occurrence(o.id), "{o:?}");
        match series.rule().end {
            End::Until(Until::Date(d)) => assert!(o.id.date() <= d, "{o:?}"),
            End::Until(Until::Utc(u)) => assert!(o.start <= u, "{o:?}"),
            _ => {}
        }
    }
    if from < first + series.duration() && first < to {
        assert_eq!(occ.first().map(|o| o.id), Some(series.start()));
    }
    // Everything from the start, as far as the window goes.
    let since = first - TimeDelta::days(1);
    let walk = series.occurrences(since, to, WALK);
    if let End::Count(n) = series.rule().end {
        assert!(walk.len() <= n as usize);
    }
    if walk.len() < WALK {
        let expected: Vec<Occurrence> = walk
            .iter()
            .filter(|o| o.end > from && o.start < to)
            .take(max)
            .cloned()
            .collect();
        assert!(same(&occ, &expected), "window {from}..{to} max {max}");
        check_split(series, &walk, since, to, b);
    }
    match series.series_end() {
        SeriesEnd::At(t) => assert!(t >= first + series.duration()),
        SeriesEnd::Endless | SeriesEnd::NoOccurrences => {}
    }
}

/// "This and following" before one of the first occurrences: the two
/// halves' occurrences, in order, are the original's.
fn check_split(
    series: &Series,
    walk: &[Occurrence],
    since: DateTime<Utc>,
    to: DateTime<Utc>,
    b: &mut Bytes<'_>,
) {
    if walk.len() < 2 {
        return;
    }
    let at = walk[1 + b.below(walk.len().min(16) - 1)].id;
    let (before, after) = series
        .split_at(at)
        .unwrap_or_else(|e| panic!("split at {at}: {e}"));
    let mut halves = before.occurrences(since, to, WALK);
    assert!(halves.iter().all(|o| o.id < at), "{halves:?}");
    halves.extend(after.occurrences(since, to, WALK));
    assert!(same(&halves, walk), "split at {at}");
}

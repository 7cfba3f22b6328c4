//! The recurrence rule: the model, its validation, and conversion to and from
//! an RFC 5545 `RRULE` value for the subset the scheduler supports.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest accepted `INTERVAL`.
pub const MAX_INTERVAL: u32 = 1000;
/// Largest accepted `COUNT`.
pub const MAX_COUNT: u32 = 10_000;
/// Longest accepted `RRULE` text, in bytes.
pub const MAX_RRULE_LEN: usize = 1024;

/// Which day of a month a monthly (or yearly) rule falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonthDay {
    /// Day 1 to 31, or -1 for the last day of the month. A month without that
    /// day is skipped (RFC 5545), so "the 31st" has 7 occurrences a year.
    Day(i8),
    /// The nth weekday of the month: `nth` is 1 to 5, or -1 for the last one.
    /// A month without a fifth such weekday is skipped.
    Nth { nth: i8, weekday: Weekday },
}

/// How often a meeting repeats, with what the frequency needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frequency {
    /// Does not repeat: the series is its start only.
    None,
    Daily,
    /// On these weekdays; empty means the weekday of the series' start.
    Weekly {
        days: Vec<Weekday>,
    },
    /// On this day of the month; `None` means the day of the series' start.
    Monthly {
        on: Option<MonthDay>,
    },
    /// In `month` (1-12; `None`: the start's month) on `on` (`None`: the
    /// start's day of the month). `on` requires `month`.
    Yearly {
        month: Option<u8>,
        on: Option<MonthDay>,
    },
}

/// The last allowed original start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Up to and including this local date in the series' time zone.
    Date(NaiveDate),
    /// Up to and including this instant (an original start at it counts).
    Utc(DateTime<Utc>),
}

/// When a series stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Never,
    /// After this many occurrences, the start included; cancelled
    /// occurrences still count (RFC 5545).
    Count(u32),
    Until(Until),
}

/// A recurrence rule. Build it with the constructors (or parse an `RRULE`);
/// [`Recurrence::validate`] checks a hand-built value, and
/// [`crate::recurrence::Series::new`] refuses an invalid one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub freq: Frequency,
    /// Every `interval` days, weeks, months or years (1 to [`MAX_INTERVAL`]).
    pub interval: u32,
    pub end: End,
    /// First day of the week (`WKST`): decides which weeks an every-N-weeks
    /// rule falls in. Monday unless the rule says otherwise.
    pub week_start: Weekday,
}

/// Why a rule is refused. Each names the offending rule part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule is longer than {MAX_RRULE_LEN} characters")]
    TooLong,
    #[error("rule part {0:?} is not NAME=VALUE")]
    Malformed(String),
    #[error("rule part {0} appears more than once")]
    Duplicate(String),
    #[error("rule part {0} is not supported")]
    UnsupportedPart(String),
    #[error("FREQ is missing")]
    MissingFreq,
    #[error("FREQ={0} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY")]
    UnsupportedFreq(String),
    #[error("INTERVAL must be a whole number from 1 to {MAX_INTERVAL}, not {0:?}")]
    Interval(String),
    #[error("COUNT must be a whole number from 1 to {MAX_COUNT}, not {0:?}")]
    Count(String),
    #[error("UNTIL {0:?} is neither a date (YYYYMMDD) nor a UTC date-time (YYYYMMDDTHHMMSSZ)")]
    Until(String),
    #[error("COUNT and UNTIL cannot both be given")]
    CountAndUntil,
    #[error("unknown weekday {0:?}: use MO, TU, WE, TH, FR, SA or SU")]
    UnknownWeekday(String),
    #[error("{part} is not supported with FREQ={freq}")]
    NotAllowed {
        part: &'static str,
        freq: &'static str,
    },
    #[error("{part}={value:?}: {reason}")]
    Invalid {
        part: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// At most 40 characters of hostile input go into an error message.
pub(crate) fn snip(s: &str) -> String {
    const KEEP: usize = 40;
    if s.chars().count() <= KEEP {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(KEEP).collect();
        out.push('…');
        out
    }
}

fn invalid(part: &'static str, value: &str, reason: &'static str) -> RuleError {
    RuleError::Invalid {
        part,
        value: snip(value),
        reason,
    }
}

/// The RFC 5545 code ("MO".."SU") of a weekday.
pub fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn weekday_from_code(code: &str) -> Option<Weekday> {
    Some(match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// Sorted Monday first, without duplicates.
pub(crate) fn normalize_days(days: &[Weekday]) -> Vec<Weekday> {
    let mut v = days.to_vec();
    v.sort_by_key(|d| d.num_days_from_monday());
    v.dedup();
    v
}

impl Recurrence {
    fn with(freq: Frequency) -> Self {
        Recurrence {
            freq,
            interval: 1,
            end: End::Never,
            week_start: Weekday::Mon,
        }
    }

    /// Does not repeat.
    pub fn none() -> Self {
        Self::with(Frequency::None)
    }

    pub fn daily() -> Self {
        Self::with(Frequency::Daily)
    }

    /// On `days` (empty: the start's weekday).
    pub fn weekly(days: &[Weekday]) -> Self {
        Self::with(Frequency::Weekly {
            days: normalize_days(days),
        })
    }

    /// On the start's day of the month.
    pub fn monthly() -> Self {
        Self::with(Frequency::Monthly { on: None })
    }

    /// On day `day` (1-31, or -1 for the last day) of the month.
    pub fn monthly_on_day(day: i8) -> Self {
        Self::with(Frequency::Monthly {
            on: Some(MonthDay::Day(day)),
        })
    }

    /// On the `nth` (1-5, or -1 for the last) `weekday` of the month.
    pub fn monthly_on_nth(nth: i8, weekday: Weekday) -> Self {
        Self::with(Frequency::Monthly {
            on: Some(MonthDay::Nth { nth, weekday }),
        })
    }

    /// On the start's month and day.
    pub fn yearly() -> Self {
        Self::with(Frequency::Yearly {
            month: None,
            on: None,
        })
    }

    /// In `month` (1-12) on `on`.
    pub fn yearly_on(month: u8, on: MonthDay) -> Self {
        Self::with(Frequency::Yearly {
            month: Some(month),
            on: Some(on),
        })
    }

    /// Every `n` days/weeks/months/years.
    pub fn every(mut self, n: u32) -> Self {
        self.interval = n;
        self
    }

    /// Ends after `n` occurrences.
    pub fn count(mut self, n: u32) -> Self {
        self.end = End::Count(n);
        self
    }

    /// Ends after the occurrence on local date `date`.
    pub fn until(mut self, date: NaiveDate) -> Self {
        self.end = End::Until(Until::Date(date));
        self
    }

    pub fn week_start(mut self, day: Weekday) -> Self {
        self.week_start = day;
        self
    }

    pub fn repeats(&self) -> bool {
        self.freq != Frequency::None
    }

    /// The same rule with the parts it leaves to the start (a weekly
    /// rule's weekday, the day of the month, a yearly rule's month) taken
    /// from `start`, so that it means the same from another start.
    pub fn anchored(&self, start: NaiveDateTime) -> Recurrence {
        let day = MonthDay::Day(i8::try_from(start.day()).unwrap_or(1));
        let freq = match &self.freq {
            Frequency::Weekly { days } if days.is_empty() => Frequency::Weekly {
                days: vec![start.weekday()],
            },
            Frequency::Monthly { on: None } => Frequency::Monthly { on: Some(day) },
            Frequency::Yearly { month, on } => Frequency::Yearly {
                month: Some(month.unwrap_or(u8::try_from(start.month()).unwrap_or(1))),
                on: Some(on.unwrap_or(day)),
            },
            other => other.clone(),
        };
        Recurrence {
            freq,
            ..self.clone()
        }
    }

    /// Checks a value that did not come from [`Recurrence::from_rrule`].
    pub fn validate(&self) -> Result<(), RuleError> {
        if !self.repeats() {
            return Ok(());
        }
        if self.interval == 0 || self.interval > MAX_INTERVAL {
            return Err(RuleError::Interval(self.interval.to_string()));
        }
        if let End::Count(n) = self.end {
            if n == 0 || n > MAX_COUNT {
                return Err(RuleError::Count(n.to_string()));
            }
        }
        match &self.freq {
            Frequency::None | Frequency::Daily | Frequency::Weekly { .. } => Ok(()),
            Frequency::Monthly { on } => match on {
                Some(on) => validate_month_day(on),
                None => Ok(()),
            },
            Frequency::Yearly { month, on } => {
                if let Some(m) = month {
                    if !(1..=12).contains(m) {
                        return Err(invalid("BYMONTH", &m.to_string(), "not a month (1-12)"));
                    }
                }
                match (month, on) {
                    (None, Some(_)) => Err(invalid(
                        "BYMONTH",
                        "",
                        "a yearly rule with a day needs BYMONTH",
                    )),
                    (_, Some(on)) => validate_month_day(on),
                    (_, None) => Ok(()),
                }
            }
        }
    }

    /// Parses an `RRULE` value (an optional `RRULE:` prefix is accepted).
    /// An empty string means "does not repeat". Never panics.
    pub fn from_rrule(input: &str) -> Result<Self, RuleError> {
        parse(input)
    }

    /// The `RRULE` value, parts in a fixed order; `""` for a rule that does
    /// not repeat. [`Recurrence::from_rrule`] reads it back unchanged.
    pub fn to_rrule(&self) -> String {
        self.to_rrule_with_until(|u| match u {
            Until::Date(d) => d.format("%Y%m%d").to_string(),
            Until::Utc(t) => t.format("%Y%m%dT%H%M%SZ").to_string(),
        })
    }

    pub(crate) fn to_rrule_with_until(&self, until: impl Fn(Until) -> String) -> String {
        let (freq, by) = match &self.freq {
            Frequency::None => return String::new(),
            Frequency::Daily => ("DAILY", Vec::new()),
            Frequency::Weekly { days } => {
                let mut by = Vec::new();
                if !days.is_empty() {
                    let codes: Vec<&str> =
                        normalize_days(days).into_iter().map(weekday_code).collect();
                    by.push(format!("BYDAY={}", codes.join(",")));
                }
                ("WEEKLY", by)
            }
            Frequency::Monthly { on } => ("MONTHLY", on.iter().map(month_day_part).collect()),
            Frequency::Yearly { month, on } => {
                let mut by: Vec<String> = month.iter().map(|m| format!("BYMONTH={m}")).collect();
                by.extend(on.iter().map(month_day_part));
                ("YEARLY", by)
            }
        };
        let mut parts = vec![format!("FREQ={freq}")];
        if self.interval != 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        parts.extend(by);
        match self.end {
            End::Never => {}
            End::Count(n) => parts.push(format!("COUNT={n}")),
            End::Until(u) => parts.push(format!("UNTIL={}", until(u))),
        }
        if self.week_start != Weekday::Mon {
            parts.push(format!("WKST={}", weekday_code(self.week_start)));
        }
        parts.join(";")
    }
}

impl fmt::Display for Recurrence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rrule())
    }
}

impl std::str::FromStr for Recurrence {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Stored and sent as its `RRULE` text, validated on the way in.
impl Serialize for Recurrence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rrule())
    }
}

impl<'de> Deserialize<'de> for Recurrence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

fn month_day_part(on: &MonthDay) -> String {
    match on {
        MonthDay::Day(d) => format!("BYMONTHDAY={d}"),
        MonthDay::Nth { nth, weekday } => format!("BYDAY={nth}{}", weekday_code(*weekday)),
    }
}

fn validate_month_day(on: &MonthDay) -> Result<(), RuleError> {
    match *on {
        MonthDay::Day(d) if (1..=31).contains(&d) || d == -1 => Ok(()),
        MonthDay::Day(d) => Err(invalid(
            "BYMONTHDAY",
            &d.to_string(),
            "the day must be 1 to 31, or -1 for the last day",
        )),
        MonthDay::Nth { nth, weekday } if (1..=5).contains(&nth) || nth == -1 => {
            let _ = weekday;
            Ok(())
        }
        MonthDay::Nth { nth, weekday } => Err(invalid(
            "BYDAY",
            &format!("{nth}{}", weekday_code(weekday)),
            "the position must be 1 to 5, or -1 for the last",
        )),
    }
}

fn parse_int(s: &str) -> Option<i64> {
    // `i64::from_str` takes a leading sign and reports overflow; nothing else
    // (spaces, underscores) is accepted.
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Parses `YYYYMMDD` or `YYYYMMDDTHHMMSSZ`.
fn parse_until(v: &str) -> Result<Until, RuleError> {
    let bad = || RuleError::Until(snip(v));
    if !v.is_ascii() {
        return Err(bad());
    }
    let digits = |s: &str| -> Option<u32> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let date = |s: &str| -> Option<NaiveDate> {
        let y = digits(s.get(0..4)?)?;
        let m = digits(s.get(4..6)?)?;
        let d = digits(s.get(6..8)?)?;
        NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
    };
    match v.len() {
        8 => date(v).map(Until::Date).ok_or_else(bad),
        16 if v.as_bytes().get(8) == Some(&b'T') && v.ends_with(['Z', 'z']) => {
            let d = date(v).ok_or_else(bad)?;
            let h = v.get(9..11).and_then(digits).ok_or_else(bad)?;
            let mi = v.get(11..13).and_then(digits).ok_or_else(bad)?;
            let s = v.get(13..15).and_then(digits).ok_or_else(bad)?;
            let t = NaiveTime::from_hms_opt(h, mi, s).ok_or_else(bad)?;
            Ok(Until::Utc(NaiveDateTime::new(d, t).and_utc()))
        }
        _ => Err(bad()),
    }
}

/// One `BYDAY` item: an optional signed position and a weekday code.
fn parse_byday_item(item: &str) -> Result<(Option<i64>, Weekday), RuleError> {
    if !item.is_ascii() || item.len() < 2 {
        return Err(RuleError::UnknownWeekday(snip(item)));
    }
    // ASCII, so every byte index is a char boundary.
    let (pos, code) = item.split_at(item.len() - 2);
    let day = weekday_from_code(code).ok_or_else(|| RuleError::UnknownWeekday(snip(item)))?;
    if pos.is_empty() {
        return Ok((None, day));
    }
    let n = parse_int(pos).ok_or_else(|| invalid("BYDAY", item, "not a position and weekday"))?;
    Ok((Some(n), day))
}

fn single<'a>(part: &'static str, v: &'a str) -> Result<&'a str, RuleError> {
    if v.contains(',') {
        Err(invalid(part, v, "only one value is supported"))
    } else {
        Ok(v)
    }
}

fn parse_position(part: &'static str, v: &str) -> Result<i8, RuleError> {
    match parse_int(v) {
        Some(n @ (1..=5 | -1)) => Ok(n as i8),
        _ => Err(invalid(
            part,
            v,
            "the position must be 1 to 5, or -1 for the last",
        )),
    }
}

/// The rule parts, as given.
#[derive(Default)]
struct Parts<'a> {
    freq: Option<&'a str>,
    interval: Option<&'a str>,
    count: Option<&'a str>,
    until: Option<&'a str>,
    byday: Option<&'a str>,
    bymonthday: Option<&'a str>,
    bymonth: Option<&'a str>,
    bysetpos: Option<&'a str>,
    wkst: Option<&'a str>,
}

fn parse(input: &str) -> Result<Recurrence, RuleError> {
    if input.len() > MAX_RRULE_LEN {
        return Err(RuleError::TooLong);
    }
    let mut s = input.trim();
    if s.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("RRULE:")) {
        s = s.get(6..).unwrap_or("").trim();
    }
    if s.is_empty() {
        return Ok(Recurrence::none());
    }
    let mut p = Parts::default();
    for raw in s.split(';') {
        let part = raw.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| RuleError::Malformed(snip(part)))?;
        let (name, value) = (name.trim().to_ascii_uppercase(), value.trim());
        let slot = match name.as_str() {
            "FREQ" => &mut p.freq,
            "INTERVAL" => &mut p.interval,
            "COUNT" => &mut p.count,
            "UNTIL" => &mut p.until,
            "BYDAY" => &mut p.byday,
            "BYMONTHDAY" => &mut p.bymonthday,
            "BYMONTH" => &mut p.bymonth,
            "BYSETPOS" => &mut p.bysetpos,
            "WKST" => &mut p.wkst,
            _ if name.is_empty() => return Err(RuleError::Malformed(snip(part))),
            _ => return Err(RuleError::UnsupportedPart(snip(&name))),
        };
        if slot.is_some() {
            return Err(RuleError::Duplicate(name));
        }
        *slot = Some(value);
    }

    let freq_text = p.freq.ok_or(RuleError::MissingFreq)?;
    let freq_name: &'static str = match freq_text.to_ascii_uppercase().as_str() {
        "DAILY" => "DAILY",
        "WEEKLY" => "WEEKLY",
        "MONTHLY" => "MONTHLY",
        "YEARLY" => "YEARLY",
        _ => return Err(RuleError::UnsupportedFreq(snip(freq_text))),
    };

    let interval = match p.interval {
        None => 1,
        Some(v) => match parse_int(v) {
            Some(n) if (1..=i64::from(MAX_INTERVAL)).contains(&n) => n as u32,
            _ => return Err(RuleError::Interval(snip(v))),
        },
    };
    let end = match (p.count, p.until) {
        (Some(_), Some(_)) => return Err(RuleError::CountAndUntil),
        (Some(v), None) => match parse_int(v) {
            Some(n) if (1..=i64::from(MAX_COUNT)).contains(&n) => End::Count(n as u32),
            _ => return Err(RuleError::Count(snip(v))),
        },
        (None, Some(v)) => End::Until(parse_until(v)?),
        (None, None) => End::Never,
    };
    let week_start = match p.wkst {
        None => Weekday::Mon,
        Some(v) => weekday_from_code(v).ok_or_else(|| RuleError::UnknownWeekday(snip(v)))?,
    };
    let not_allowed = |part: &'static str| RuleError::NotAllowed {
        part,
        freq: freq_name,
    };

    let freq = match freq_name {
        "DAILY" => {
            for (part, v) in [
                ("BYDAY", p.byday),
                ("BYMONTHDAY", p.bymonthday),
                ("BYMONTH", p.bymonth),
                ("BYSETPOS", p.bysetpos),
            ] {
                if v.is_some() {
                    return Err(not_allowed(part));
                }
            }
            Frequency::Daily
        }
        "WEEKLY" => {
            for (part, v) in [
                ("BYMONTHDAY", p.bymonthday),
                ("BYMONTH", p.bymonth),
                ("BYSETPOS", p.bysetpos),
            ] {
                if v.is_some() {
                    return Err(not_allowed(part));
                }
            }
            let mut days = Vec::new();
            if let Some(v) = p.byday {
                for item in v.split(',') {
                    match parse_byday_item(item.trim())? {
                        (None, d) => days.push(d),
                        (Some(_), _) => {
                            return Err(invalid(
                                "BYDAY",
                                item,
                                "a weekly rule takes weekdays without a position",
                            ))
                        }
                    }
                }
            }
            Frequency::Weekly {
                days: normalize_days(&days),
            }
        }
        "MONTHLY" => {
            if p.bymonth.is_some() {
                return Err(not_allowed("BYMONTH"));
            }
            Frequency::Monthly {
                on: parse_month_day(&p)?,
            }
        }
        _ => {
            let month = match p.bymonth {
                None => None,
                Some(v) => match parse_int(single("BYMONTH", v)?) {
                    Some(m @ 1..=12) => Some(m as u8),
                    _ => return Err(invalid("BYMONTH", v, "not a month (1-12)")),
                },
            };
            let on = parse_month_day(&p)?;
            if on.is_some() && month.is_none() {
                let part = if p.byday.is_some() {
                    "BYDAY"
                } else {
                    "BYMONTHDAY"
                };
                return Err(invalid(
                    part,
                    p.byday.or(p.bymonthday).unwrap_or(""),
                    "a yearly rule needs BYMONTH with it",
                ));
            }
            Frequency::Yearly { month, on }
        }
    };
    let rule = Recurrence {
        freq,
        interval,
        end,
        week_start,
    };
    rule.validate()?;
    Ok(rule)
}

/// `BYMONTHDAY=n`, `BYDAY=nWD`, or `BYDAY=WD;BYSETPOS=n`.
fn parse_month_day(p: &Parts<'_>) -> Result<Option<MonthDay>, RuleError> {
    match (p.bymonthday, p.byday, p.bysetpos) {
        (Some(_), Some(_), _) => Err(invalid(
            "BYMONTHDAY",
            p.bymonthday.unwrap_or(""),
            "give BYMONTHDAY or BYDAY, not both",
        )),
        (Some(_), None, Some(v)) => Err(invalid(
            "BYSETPOS",
            v,
            "BYSETPOS is only supported with a single BYDAY",
        )),
        (Some(v), None, None) => match parse_int(single("BYMONTHDAY", v)?) {
            Some(d @ (1..=31 | -1)) => Ok(Some(MonthDay::Day(d as i8))),
            _ => Err(invalid(
                "BYMONTHDAY",
                v,
                "the day must be 1 to 31, or -1 for the last day",
            )),
        },
        (None, Some(v), setpos) => {
            let (pos, weekday) = parse_byday_item(single("BYDAY", v)?)?;
            let nth = match (pos, setpos) {
                (Some(_), Some(sp)) => {
                    return Err(invalid(
                        "BYSETPOS",
                        sp,
                        "BYSETPOS cannot be combined with a BYDAY position",
                    ))
                }
                (Some(n @ (1..=5 | -1)), None) => n as i8,
                (Some(_), None) => {
                    return Err(invalid(
                        "BYDAY",
                        v,
                        "the position must be 1 to 5, or -1 for the last",
                    ))
                }
                (None, Some(sp)) => parse_position("BYSETPOS", single("BYSETPOS", sp)?)?,
                (None, None) => return Err(invalid(
                    "BYDAY",
                    v,
                    "needs a position, e.g. 2TU for the second Tuesday or -1FR for the last Friday",
                )),
            };
            Ok(Some(MonthDay::Nth { nth, weekday }))
        }
        (None, None, Some(v)) => Err(invalid(
            "BYSETPOS",
            v,
            "BYSETPOS is only supported with a single BYDAY",
        )),
        (None, None, None) => Ok(None),
    }
}

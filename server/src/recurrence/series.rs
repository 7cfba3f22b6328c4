//! A meeting series: a rule anchored at a local start in an IANA zone, with
//! cancelled and edited occurrences, expanded into UTC intervals.

use super::expand::{Plan, Scan, MAX_YEAR};
use super::local::{local_date, resolve_local};
use super::rule::{End, Recurrence, RuleError, Until};
use super::text::{describe, Lang};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The longest meeting a series may have.
pub const MAX_DURATION: TimeDelta = TimeDelta::days(31);
/// Earliest year a series may start in.
pub const MIN_YEAR: i32 = 1900;

/// An edited occurrence (iCalendar `RECURRENCE-ID`): new times, and
/// optionally a new name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub name: Option<String>,
}

/// One real occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Its original local start in the series' zone: the rule's wall-clock
    /// time even when that time falls in a daylight-saving gap. This is
    /// what cancels (EXDATE) or edits (RECURRENCE-ID) it.
    pub id: NaiveDateTime,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The edited name, for an occurrence renamed by an override.
    pub name: Option<String>,
    /// Whether an override moved or edited it.
    pub overridden: bool,
}

/// How a series ends, exceptions included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesEnd {
    /// The rule never ends.
    Endless,
    /// Every occurrence was cancelled.
    NoOccurrences,
    /// The end of the last remaining occurrence.
    At(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("UNTIL ({until}) is before the series start ({start})")]
    UntilBeforeStart { until: String, start: NaiveDateTime },
    #[error("the meeting must end after it starts")]
    EmptyDuration,
    #[error("a meeting may last at most 31 days")]
    TooLong,
    #[error("the start year must be from {MIN_YEAR} to {MAX_YEAR}")]
    StartOutOfRange,
    #[error("UNTIL must be in year {MAX_YEAR} or earlier")]
    UntilOutOfRange,
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    #[error("{0} is not an occurrence of this series")]
    NotAnOccurrence(NaiveDateTime),
    #[error("an edited occurrence must end after it starts")]
    OverrideEmpty,
    #[error("this meeting does not repeat")]
    NotRecurring,
    #[error("splitting at the first occurrence changes the whole series: edit the series instead")]
    SplitAtFirst,
    #[error("the rule has no occurrence on or after {0}")]
    NoOccurrence(NaiveDateTime),
}

/// A recurring (or single) meeting in a time zone. Built through
/// [`Series::new`], which validates; exceptions are added through methods
/// that check they name a real occurrence. Serialized as [`SeriesData`]
/// and validated again when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SeriesData", into = "SeriesData")]
pub struct Series {
    tz: Tz,
    start: NaiveDateTime,
    duration: TimeDelta,
    rule: Recurrence,
    exdates: BTreeSet<NaiveDateTime>,
    overrides: BTreeMap<NaiveDateTime, Override>,
}

impl Series {
    /// A series starting at local wall-clock `start` in `tz`, each
    /// occurrence lasting `duration` (elapsed time, the same for every
    /// occurrence, as with DTSTART/DTEND in RFC 5545).
    pub fn new(
        tz: Tz,
        start: NaiveDateTime,
        duration: TimeDelta,
        rule: Recurrence,
    ) -> Result<Series, SeriesError> {
        rule.validate()?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&start.year()) {
            return Err(SeriesError::StartOutOfRange);
        }
        if duration <= TimeDelta::zero() {
            return Err(SeriesError::EmptyDuration);
        }
        if duration > MAX_DURATION {
            return Err(SeriesError::TooLong);
        }
        let rule = if rule.repeats() {
            rule
        } else {
            Recurrence::none()
        };
        match rule.end {
            End::Until(Until::Date(d)) if d.year() > MAX_YEAR => {
                return Err(SeriesError::UntilOutOfRange)
            }
            End::Until(Until::Utc(u)) if u.year() > MAX_YEAR => {
                return Err(SeriesError::UntilOutOfRange)
            }
            End::Until(Until::Date(d)) if d < start.date() => {
                return Err(SeriesError::UntilBeforeStart {
                    until: d.to_string(),
                    start,
                })
            }
            End::Until(Until::Utc(u)) if u < resolve_local(tz, start) => {
                return Err(SeriesError::UntilBeforeStart {
                    until: u.to_rfc3339(),
                    start,
                })
            }
            _ => {}
        }
        Ok(Series {
            tz,
            start,
            duration,
            rule,
            exdates: BTreeSet::new(),
            overrides: BTreeMap::new(),
        })
    }

    /// A series that starts on its rule: the first occurrence is the first
    /// instant the rule produces on or after the chosen local start `from`
    /// (weekly on Tuesdays from a Friday: the next Tuesday), at `from`'s
    /// wall-clock time. Its start is then an occurrence of the rule, so the
    /// recurrence set is the one RFC 5545 defines, and `COUNT` counts from
    /// it. A rule whose parts are left to the start (the weekday, the day
    /// of the month) takes them from `from`. `NoOccurrence` when the rule
    /// produces nothing from `from` on (its UNTIL is earlier, or it never
    /// matches).
    pub fn on_rule(
        tz: Tz,
        from: NaiveDateTime,
        duration: TimeDelta,
        rule: Recurrence,
    ) -> Result<Series, SeriesError> {
        let chosen = Series::new(tz, from, duration, rule)?;
        match chosen.plan().first_on_rule() {
            Some(start) if start == from => Ok(chosen),
            Some(start) => {
                let rule = chosen.rule.anchored(from);
                Series::new(tz, start, duration, rule)
            }
            None => Err(SeriesError::NoOccurrence(from)),
        }
    }

    /// Whether the start is an instant the rule itself produces (always
    /// true for a series made by [`Series::on_rule`] or that does not
    /// repeat).
    pub fn starts_on_rule(&self) -> bool {
        self.plan().first_on_rule() == Some(self.start)
    }

    /// The first occurrence after the start (the second of the series), by
    /// original local start, cancelled or not; None when there is none.
    pub fn second_start(&self) -> Option<NaiveDateTime> {
        self.plan().forward(0).nth(1)
    }

    /// Like [`Series::new`] with a local end instead of a duration: the
    /// duration is the elapsed time from start to end on the first day.
    pub fn with_local_end(
        tz: Tz,
        start: NaiveDateTime,
        end: NaiveDateTime,
        rule: Recurrence,
    ) -> Result<Series, SeriesError> {
        let duration = resolve_local(tz, end) - resolve_local(tz, start);
        Series::new(tz, start, duration, rule)
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The first occurrence's local start.
    pub fn start(&self) -> NaiveDateTime {
        self.start
    }

    pub fn duration(&self) -> TimeDelta {
        self.duration
    }

    pub fn rule(&self) -> &Recurrence {
        &self.rule
    }

    /// Cancelled occurrences, by original local start.
    pub fn exdates(&self) -> &BTreeSet<NaiveDateTime> {
        &self.exdates
    }

    /// Edited occurrences, by original local start.
    pub fn overrides(&self) -> &BTreeMap<NaiveDateTime, Override> {
        &self.overrides
    }

    fn plan(&self) -> Plan {
        Plan::new(self.tz, self.start, &self.rule)
    }

    /// Whether the rule generates an occurrence originally starting at
    /// `original` (cancelled or not).
    pub fn is_occurrence(&self, original: NaiveDateTime) -> bool {
        self.plan().generates(original)
    }

    /// Cancels the occurrence originally at `original` (dropping any edit
    /// of it). Cancelling twice is harmless.
    pub fn cancel(&mut self, original: NaiveDateTime) -> Result<(), SeriesError> {
        if !self.is_occurrence(original) {
            return Err(SeriesError::NotAnOccurrence(original));
        }
        self.overrides.remove(&original);
        self.exdates.insert(original);
        Ok(())
    }

    /// Moves or renames the occurrence originally at `original`; replaces an
    /// earlier edit and restores it if it was cancelled.
    pub fn edit(&mut self, original: NaiveDateTime, edit: Override) -> Result<(), SeriesError> {
        if !self.is_occurrence(original) {
            return Err(SeriesError::NotAnOccurrence(original));
        }
        if edit.end <= edit.start {
            return Err(SeriesError::OverrideEmpty);
        }
        self.exdates.remove(&original);
        self.overrides.insert(original, edit);
        Ok(())
    }

    /// Restores the occurrence originally at `original` to what the rule
    /// says (undoes a cancel or an edit). True if there was anything to undo.
    pub fn restore(&mut self, original: NaiveDateTime) -> bool {
        let cancelled = self.exdates.remove(&original);
        self.overrides.remove(&original).is_some() || cancelled
    }

    /// The UTC start and end of the occurrence originally at `local`.
    fn natural(&self, local: NaiveDateTime) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = resolve_local(self.tz, local);
        let end = start.checked_add_signed(self.duration).unwrap_or(start);
        (start, end)
    }

    /// The real occurrences that overlap `[from, to)`, by start, at most
    /// `max` of them: cancelled ones left out, edited ones at their new
    /// times (so one moved into the window is in it and one moved out is
    /// not). Bounded: see [`super::MAX_PERIODS`].
    pub fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        max: usize,
    ) -> Vec<Occurrence> {
        let mut out = Vec::new();
        if max == 0 || to <= from {
            return out;
        }
        let plan = self.plan();
        // Jump to the period holding the first occurrence that could still
        // overlap the window, with a margin for the zone's offset. Rule
        // occurrences lie in MIN_YEAR..=MAX_YEAR; clamping keeps the zone
        // conversion of an extreme window in range.
        let floor = NaiveDate::from_ymd_opt(MIN_YEAR - 1, 1, 1)
            .unwrap_or(NaiveDate::MIN)
            .and_time(NaiveTime::MIN)
            .and_utc();
        let ceiling = NaiveDate::from_ymd_opt(MAX_YEAR + 1, 12, 31)
            .unwrap_or(NaiveDate::MAX)
            .and_time(NaiveTime::MIN)
            .and_utc();
        let earliest = local_date(
            self.tz,
            from.clamp(floor, ceiling)
                .checked_sub_signed(self.duration + TimeDelta::days(2))
                .unwrap_or(floor),
        );
        let first_period = plan.period_floor(earliest).saturating_sub(1);
        for local in plan.forward(first_period) {
            let (start, end) = self.natural(local);
            // Local starts increase by whole days, so UTC starts increase.
            if start >= to {
                break;
            }
            if end <= from || self.exdates.contains(&local) || self.overrides.contains_key(&local) {
                continue;
            }
            out.push(Occurrence {
                id: local,
                start,
                end,
                name: None,
                overridden: false,
            });
            if out.len() >= max {
                break;
            }
        }
        for (id, ov) in &self.overrides {
            if ov.start < to && ov.end > from && !self.exdates.contains(id) {
                out.push(Occurrence {
                    id: *id,
                    start: ov.start,
                    end: ov.end,
                    name: ov.name.clone(),
                    overridden: true,
                });
            }
        }
        out.sort_by_key(|o| (o.start, o.id));
        out.truncate(max);
        out
    }

    /// How the series ends, cancellations and edits included.
    pub fn series_end(&self) -> SeriesEnd {
        let plan = self.plan();
        let plain =
            |l: &NaiveDateTime| !self.exdates.contains(l) && !self.overrides.contains_key(l);
        let last_plain = match plan.end() {
            _ if !plan.repeats() => Some(self.start).filter(plain),
            End::Never => {
                // A rule with a second occurrence has infinitely many (the
                // calendar repeats every 400 years); one with none (say,
                // every 12 months on the 30th from February) is finite.
                if plan.forward(0).nth(1).is_some() {
                    return SeriesEnd::Endless;
                }
                Some(self.start).filter(plain)
            }
            End::Count(_) => plan.forward(0).filter(plain).last(),
            End::Until(_) => match plan.last_accepted(|l| plain(&l)) {
                Scan::Found(l) => Some(l),
                Scan::NoneLeft => None,
                // Only with more exceptions than periods scanned: say
                // nothing rather than something wrong.
                Scan::GaveUp => return SeriesEnd::Endless,
            },
        };
        let natural_end = last_plain.map(|l| self.natural(l).1);
        let edited_end = self
            .overrides
            .iter()
            .filter(|(id, _)| !self.exdates.contains(id))
            .map(|(_, o)| o.end)
            .max();
        match natural_end.max(edited_end) {
            Some(t) => SeriesEnd::At(t),
            None => SeriesEnd::NoOccurrences,
        }
    }

    /// "This and following": splits before the occurrence originally at
    /// `at`. The first half keeps the start and ends just before `at` (a
    /// COUNT rule keeps the occurrences before it as its COUNT, any other
    /// ends with UNTIL the day before); the second starts at `at` with the
    /// same rule and the rest of the COUNT (or the same UNTIL). Cancelled
    /// and edited occurrences go to the half their original start is in.
    pub fn split_at(&self, at: NaiveDateTime) -> Result<(Series, Series), SeriesError> {
        if !self.rule.repeats() {
            return Err(SeriesError::NotRecurring);
        }
        if !self.is_occurrence(at) {
            return Err(SeriesError::NotAnOccurrence(at));
        }
        if at == self.start {
            return Err(SeriesError::SplitAtFirst);
        }
        let (first_end, second_end) = match self.rule.end {
            End::Count(n) => {
                let before = self.plan().forward(0).take_while(|l| *l < at).count();
                let before = u32::try_from(before).unwrap_or(n).min(n);
                (End::Count(before), End::Count(n.saturating_sub(before)))
            }
            other => {
                let day_before = at.date().pred_opt().ok_or(SeriesError::StartOutOfRange)?;
                (End::Until(Until::Date(day_before)), other)
            }
        };
        let mut first = Series::new(
            self.tz,
            self.start,
            self.duration,
            Recurrence {
                end: first_end,
                ..self.rule.clone()
            },
        )?;
        let mut second = Series::new(
            self.tz,
            at,
            self.duration,
            Recurrence {
                end: second_end,
                ..self.rule.clone()
            },
        )?;
        for d in &self.exdates {
            let half = if *d < at { &mut first } else { &mut second };
            half.exdates.insert(*d);
        }
        for (d, o) in &self.overrides {
            let half = if *d < at { &mut first } else { &mut second };
            half.overrides.insert(*d, o.clone());
        }
        Ok((first, second))
    }

    /// Human-readable rule, e.g. "Every 2 weeks on Monday and Thursday, 10
    /// times" or "Toutes les 2 semaines le lundi et le jeudi, 10 fois".
    pub fn describe(&self, lang: Lang) -> String {
        describe(&self.rule, self.start, self.tz, lang)
    }

    /// The rule as an iCalendar `RRULE` value for an event with
    /// `DTSTART;TZID=<zone>`: an UNTIL date becomes a UTC date-time, as RFC
    /// 5545 requires, namely the instant of the start's wall-clock time on
    /// that day (the last start it allows). `""` if it does not repeat.
    pub fn to_ical_rrule(&self) -> String {
        let tz = self.tz;
        let time = self.start.time();
        // RFC 5545 years have four digits. West of Greenwich, the last day
        // of year 9999 ends in year 10000 UTC: its last second stands for it.
        let latest = NaiveDate::from_ymd_opt(MAX_YEAR, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(|t| t.and_utc());
        self.rule.to_rrule_with_until(|u| {
            let instant = match u {
                Until::Utc(t) => t,
                // The last original start that UNTIL allows.
                Until::Date(d) => resolve_local(tz, d.and_time(time)),
            };
            latest
                .map_or(instant, |l| instant.min(l))
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        })
    }
}

/// The end of the series' last occurrence: `None` for a rule without end
/// (and for a series whose every occurrence was cancelled; see
/// [`Series::series_end`] to tell the two apart). A temporary space can go
/// once this has passed.
pub fn last_occurrence_end(series: &Series) -> Option<DateTime<Utc>> {
    match series.series_end() {
        SeriesEnd::At(t) => Some(t),
        SeriesEnd::Endless | SeriesEnd::NoOccurrences => None,
    }
}

/// A series as stored: what [`Series`] serializes to (JSON e.g.
/// `{"tz":"Europe/Paris","start":"2026-03-23T09:00:00","duration_secs":3600,
/// "rrule":"FREQ=WEEKLY;BYDAY=MO","exdates":[],"overrides":[]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesData {
    /// IANA zone name.
    pub tz: String,
    /// Local start.
    pub start: NaiveDateTime,
    pub duration_secs: i64,
    /// `RRULE` value; `""` for a meeting that does not repeat.
    pub rrule: String,
    /// Cancelled occurrences, by original local start.
    #[serde(default)]
    pub exdates: Vec<NaiveDateTime>,
    /// Edited occurrences.
    #[serde(default)]
    pub overrides: Vec<OverrideData>,
}

/// An [`Override`] with the original local start it edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideData {
    pub id: NaiveDateTime,
    #[serde(flatten)]
    pub edit: Override,
}

impl From<Series> for SeriesData {
    fn from(s: Series) -> SeriesData {
        SeriesData {
            tz: s.tz.name().to_string(),
            start: s.start,
            duration_secs: s.duration.num_seconds(),
            rrule: s.rule.to_rrule(),
            exdates: s.exdates.into_iter().collect(),
            overrides: s
                .overrides
                .into_iter()
                .map(|(id, edit)| OverrideData { id, edit })
                .collect(),
        }
    }
}

impl TryFrom<SeriesData> for Series {
    type Error = SeriesError;

    /// Every part is checked as if entered anew: the zone, the rule, and
    /// that each exception names a real occurrence.
    fn try_from(d: SeriesData) -> Result<Series, SeriesError> {
        let tz: Tz =
            d.tz.parse()
                .map_err(|_| SeriesError::UnknownZone(super::rule::snip(&d.tz)))?;
        let duration = TimeDelta::try_seconds(d.duration_secs).ok_or(SeriesError::TooLong)?;
        let mut s = Series::new(tz, d.start, duration, Recurrence::from_rrule(&d.rrule)?)?;
        for id in d.exdates {
            s.cancel(id)?;
        }
        for o in d.overrides {
            s.edit(o.id, o.edit)?;
        }
        Ok(s)
    }
}

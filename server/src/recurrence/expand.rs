//! Rule expansion: the original local starts a rule generates, in order,
//! within hard bounds.
//!
//! A rule is walked period by period (a period is `interval` days, weeks,
//! months or years); each period yields at most one date per weekday it
//! selects, so a rule yields at most one occurrence per local date, always
//! at the start's wall-clock time. The start itself is always the first
//! occurrence (RFC 5545), whether or not it matches the rule; the scheduler
//! only stores series whose start the rule produces ([`Plan::first_on_rule`]).

use super::local::{local_date, resolve_local};
use super::rule::{End, Frequency, MonthDay, Recurrence, Until};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

/// No expansion looks at more periods than this, so a rule that matches
/// (almost) nothing, like "every 12 months on the 30th" from February,
/// still terminates.
pub const MAX_PERIODS: u32 = 100_000;
/// No occurrence is generated after this year (RFC 5545 dates end there).
pub const MAX_YEAR: i32 = 9999;

#[derive(Debug, Clone)]
enum Shape {
    Once,
    Daily,
    /// Days after the start of the week, ascending.
    Weekly(Vec<i64>),
    Monthly(MonthDay),
    Yearly(u32, MonthDay),
}

/// A validated rule bound to a start and a zone, ready to expand.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    tz: Tz,
    start: NaiveDateTime,
    interval: i64,
    shape: Shape,
    end: End,
    /// First day of the start's week.
    week_anchor: NaiveDate,
    /// The start's month, counted from year 0.
    start_month: i64,
}

fn days_after(from: chrono::Weekday, to: chrono::Weekday) -> i64 {
    (7 + i64::from(to.num_days_from_monday()) - i64::from(from.num_days_from_monday())) % 7
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn add_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    d.checked_add_signed(TimeDelta::try_days(n)?)
}

fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month >= 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// The date `on` picks in `year`-`month`, if that month has it.
pub(crate) fn day_in_month(year: i32, month: u32, on: MonthDay) -> Option<NaiveDate> {
    match on {
        MonthDay::Day(d) if d > 0 => {
            NaiveDate::from_ymd_opt(year, month, u32::from(d.unsigned_abs()))
        }
        MonthDay::Day(_) => last_day(year, month),
        MonthDay::Nth { nth, weekday } if nth > 0 => {
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            let day = 1 + days_after(first.weekday(), weekday) + 7 * (i64::from(nth) - 1);
            NaiveDate::from_ymd_opt(year, month, u32::try_from(day).ok()?)
        }
        MonthDay::Nth { weekday, .. } => {
            let last = last_day(year, month)?;
            add_days(last, -days_after(weekday, last.weekday()))
        }
    }
}

impl Plan {
    /// `rule` must be valid ([`Recurrence::validate`]).
    pub(crate) fn new(tz: Tz, start: NaiveDateTime, rule: &Recurrence) -> Plan {
        let sd = start.date();
        let ws = rule.week_start;
        let start_day = MonthDay::Day(i8::try_from(sd.day()).unwrap_or(1));
        let shape = match &rule.freq {
            Frequency::None => Shape::Once,
            Frequency::Daily => Shape::Daily,
            Frequency::Weekly { days } => {
                let mut offsets: Vec<i64> = if days.is_empty() {
                    vec![days_after(ws, sd.weekday())]
                } else {
                    days.iter().map(|d| days_after(ws, *d)).collect()
                };
                offsets.sort_unstable();
                offsets.dedup();
                Shape::Weekly(offsets)
            }
            Frequency::Monthly { on } => Shape::Monthly(on.unwrap_or(start_day)),
            Frequency::Yearly { month, on } => {
                Shape::Yearly(month.map_or(sd.month(), u32::from), on.unwrap_or(start_day))
            }
        };
        Plan {
            tz,
            start,
            interval: i64::from(rule.interval.max(1)),
            shape,
            end: rule.end,
            week_anchor: add_days(sd, -days_after(ws, sd.weekday())).unwrap_or(sd),
            start_month: month_index(sd),
        }
    }

    pub(crate) fn end(&self) -> End {
        self.end
    }

    pub(crate) fn repeats(&self) -> bool {
        !matches!(self.shape, Shape::Once)
    }

    /// Appends period `k`'s dates, ascending. False once past [`MAX_YEAR`]
    /// (or for a rule that does not repeat).
    fn period_dates(&self, k: u64, out: &mut Vec<NaiveDate>) -> bool {
        let Some(step) = i64::try_from(k)
            .ok()
            .and_then(|k| k.checked_mul(self.interval))
        else {
            return false;
        };
        let sd = self.start.date();
        let in_range = |y: i64| y <= i64::from(MAX_YEAR);
        match &self.shape {
            Shape::Once => false,
            Shape::Daily => match add_days(sd, step) {
                Some(d) if d.year() <= MAX_YEAR => {
                    out.push(d);
                    true
                }
                _ => false,
            },
            Shape::Weekly(offsets) => {
                let Some(anchor) = step
                    .checked_mul(7)
                    .and_then(|n| add_days(self.week_anchor, n))
                else {
                    return false;
                };
                if anchor.year() > MAX_YEAR {
                    return false;
                }
                out.extend(offsets.iter().filter_map(|o| add_days(anchor, *o)));
                true
            }
            Shape::Monthly(on) => {
                let Some(m) = self.start_month.checked_add(step) else {
                    return false;
                };
                let year = m.div_euclid(12);
                if !in_range(year) {
                    return false;
                }
                let month = u32::try_from(m.rem_euclid(12) + 1).unwrap_or(1);
                out.extend(
                    i32::try_from(year)
                        .ok()
                        .and_then(|y| day_in_month(y, month, *on)),
                );
                true
            }
            Shape::Yearly(month, on) => {
                let Some(year) = i64::from(sd.year()).checked_add(step) else {
                    return false;
                };
                if !in_range(year) {
                    return false;
                }
                out.extend(
                    i32::try_from(year)
                        .ok()
                        .and_then(|y| day_in_month(y, *month, *on)),
                );
                true
            }
        }
    }

    /// Units (days, weeks, months, years) from the start's period to `date`'s.
    fn units_to(&self, date: NaiveDate) -> i64 {
        match self.shape {
            Shape::Once => 0,
            Shape::Daily => (date - self.start.date()).num_days(),
            Shape::Weekly(_) => (date - self.week_anchor).num_days().div_euclid(7),
            Shape::Monthly(_) => month_index(date) - self.start_month,
            Shape::Yearly(..) => i64::from(date.year()) - i64::from(self.start.date().year()),
        }
    }

    /// The last period starting on or before `date` (0 before the start).
    pub(crate) fn period_floor(&self, date: NaiveDate) -> u64 {
        u64::try_from(self.units_to(date).div_euclid(self.interval)).unwrap_or(0)
    }

    /// The period `date` falls in, if that period is one the rule uses.
    fn exact_period(&self, date: NaiveDate) -> Option<u64> {
        let units = self.units_to(date);
        if units.rem_euclid(self.interval) == 0 {
            u64::try_from(units / self.interval).ok()
        } else {
            None
        }
    }

    /// Whether `local` is on or before the rule's UNTIL.
    pub(crate) fn within_until(&self, local: NaiveDateTime) -> bool {
        match self.end {
            End::Until(Until::Date(d)) => local.date() <= d,
            End::Until(Until::Utc(u)) => resolve_local(self.tz, local) <= u,
            End::Never | End::Count(_) => true,
        }
    }

    /// The original starts from period `first_period` on; from period 0 the
    /// series start comes first. A COUNT rule is always walked from 0.
    pub(crate) fn forward(&self, first_period: u64) -> Forward<'_> {
        let k = match self.end {
            End::Count(_) => 0,
            _ => first_period,
        };
        Forward {
            plan: self,
            next_period: k,
            buf: Vec::new(),
            pos: 0,
            pending_start: k == 0,
            produced: 0,
            scanned: 0,
            done: false,
        }
    }

    /// Whether the rule generates `local` as an original start.
    pub(crate) fn generates(&self, local: NaiveDateTime) -> bool {
        if local == self.start {
            return true;
        }
        if local.time() != self.start.time() || local.date() <= self.start.date() {
            return false;
        }
        let Some(k) = self.exact_period(local.date()) else {
            return false;
        };
        let mut dates = Vec::new();
        if !self.period_dates(k, &mut dates) || !dates.contains(&local.date()) {
            return false;
        }
        match self.end {
            End::Count(_) => self
                .forward(0)
                .take_while(|t| *t <= local)
                .any(|t| t == local),
            _ => self.within_until(local),
        }
    }

    /// The first original start the rule itself produces on or after the
    /// start's date (at the start's wall-clock time), within its UNTIL;
    /// the start for a rule that does not repeat. None when the rule
    /// produces nothing in [`MAX_PERIODS`] periods or before its UNTIL.
    /// Periods are counted from the start's, so the set the rule produces
    /// from this start is the set it produces from the result.
    pub(crate) fn first_on_rule(&self) -> Option<NaiveDateTime> {
        if !self.repeats() {
            return Some(self.start);
        }
        let mut dates = Vec::new();
        for k in 0..u64::from(MAX_PERIODS) {
            dates.clear();
            if !self.period_dates(k, &mut dates) {
                return None;
            }
            if let Some(d) = dates.iter().find(|d| **d >= self.start.date()) {
                let local = d.and_time(self.start.time());
                return self.within_until(local).then_some(local);
            }
        }
        None
    }

    /// Walks an UNTIL rule backwards from its UNTIL and returns the latest
    /// original start `accept` takes.
    pub(crate) fn last_accepted(&self, mut accept: impl FnMut(NaiveDateTime) -> bool) -> Scan {
        let until_date = match self.end {
            End::Until(Until::Date(d)) => d,
            End::Until(Until::Utc(u)) => {
                let local = local_date(self.tz, u);
                add_days(local, 1).unwrap_or(local)
            }
            End::Never | End::Count(_) => return Scan::GaveUp,
        };
        let mut k = self.period_floor(until_date);
        let mut dates = Vec::new();
        for _ in 0..MAX_PERIODS {
            dates.clear();
            self.period_dates(k, &mut dates);
            for d in dates.iter().rev() {
                let local = d.and_time(self.start.time());
                if *d > self.start.date() && self.within_until(local) && accept(local) {
                    return Scan::Found(local);
                }
            }
            if k == 0 {
                return if accept(self.start) {
                    Scan::Found(self.start)
                } else {
                    Scan::NoneLeft
                };
            }
            k -= 1;
        }
        Scan::GaveUp
    }
}

/// What a backward scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    Found(NaiveDateTime),
    NoneLeft,
    GaveUp,
}

/// Original local starts in order; ends at the rule's end, after
/// [`MAX_PERIODS`] periods, or past [`MAX_YEAR`].
pub(crate) struct Forward<'a> {
    plan: &'a Plan,
    next_period: u64,
    buf: Vec<NaiveDate>,
    pos: usize,
    pending_start: bool,
    produced: u32,
    scanned: u32,
    done: bool,
}

impl Iterator for Forward<'_> {
    type Item = NaiveDateTime;

    fn next(&mut self) -> Option<NaiveDateTime> {
        if self.done {
            return None;
        }
        if let End::Count(n) = self.plan.end {
            if self.produced >= n {
                self.done = true;
                return None;
            }
        }
        if self.pending_start {
            self.pending_start = false;
            self.produced += 1;
            return Some(self.plan.start);
        }
        loop {
            if let Some(d) = self.buf.get(self.pos).copied() {
                self.pos += 1;
                if d <= self.plan.start.date() {
                    continue;
                }
                let local = d.and_time(self.plan.start.time());
                if !self.plan.within_until(local) {
                    self.done = true;
                    return None;
                }
                self.produced += 1;
                return Some(local);
            }
            if self.scanned >= MAX_PERIODS {
                self.done = true;
                return None;
            }
            self.scanned += 1;
            self.buf.clear();
            self.pos = 0;
            if !self.plan.period_dates(self.next_period, &mut self.buf) {
                self.done = true;
                return None;
            }
            self.next_period += 1;
        }
    }
}

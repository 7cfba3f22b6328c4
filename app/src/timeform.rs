//! The Time step's fields kept consistent: Date, From, To and Duration.
//!
//! The start is `from`; the end is `from + duration` (it may pass midnight,
//! then To shows the next day's time). Editing From keeps the duration;
//! editing To sets the duration (an end at or before the start is refused);
//! editing Duration moves To. The same rules run in the browser while the
//! person types and on the server when a form is posted without JavaScript.

/// Minutes since midnight from "HH:MM".
pub fn parse_hm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// "HH:MM" of minutes since midnight (taken modulo a day).
pub fn fmt_hm(minutes: u32) -> String {
    let m = minutes % (24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A duration in minutes from "1:30", "90" (minutes) or "1h30".
pub fn parse_duration(s: &str) -> Option<u32> {
    let s = s.trim();
    let minutes = if let Some((h, m)) = s.split_once(':').or_else(|| s.split_once('h')) {
        let h: u32 = h.trim().parse().ok()?;
        let m: u32 = if m.trim().is_empty() {
            0
        } else {
            m.trim().parse().ok()?
        };
        if m >= 60 {
            return None;
        }
        h.checked_mul(60)?.checked_add(m)?
    } else {
        s.parse().ok()?
    };
    (1..=MAX_DURATION).contains(&minutes).then_some(minutes)
}

/// "1:30" for 90 minutes.
pub fn fmt_duration(minutes: u32) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// The longest meeting: 24 hours.
pub const MAX_DURATION: u32 = 24 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Minutes since midnight.
    pub from: u32,
    /// Minutes, 1..=MAX_DURATION.
    pub duration: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpanError {
    BadFrom,
    BadTo,
    BadDuration,
    EndNotAfterStart,
}

impl SpanError {
    pub fn message(&self) -> &'static str {
        match self {
            SpanError::BadFrom => "Enter the start time as HH:MM.",
            SpanError::BadTo => "Enter the end time as HH:MM.",
            SpanError::BadDuration => "Enter a duration between 0:01 and 24:00 (hours:minutes).",
            SpanError::EndNotAfterStart => "The end must be after the start.",
        }
    }
}

impl Span {
    pub fn to(&self) -> u32 {
        (self.from + self.duration) % (24 * 60)
    }

    /// Does the meeting end on a later day than it starts?
    pub fn ends_next_day(&self) -> bool {
        self.from + self.duration >= 24 * 60
    }

    pub fn with_from(self, from: &str) -> Result<Span, SpanError> {
        let from = parse_hm(from).ok_or(SpanError::BadFrom)?;
        Ok(Span { from, ..self })
    }

    pub fn with_to(self, to: &str) -> Result<Span, SpanError> {
        let to = parse_hm(to).ok_or(SpanError::BadTo)?;
        if to <= self.from {
            return Err(SpanError::EndNotAfterStart);
        }
        Ok(Span {
            duration: to - self.from,
            ..self
        })
    }

    pub fn with_duration(self, duration: &str) -> Result<Span, SpanError> {
        let duration = parse_duration(duration).ok_or(SpanError::BadDuration)?;
        Ok(Span { duration, ..self })
    }

    /// A start ("HH:MM") and a duration ("H:MM").
    pub fn parse(from: &str, duration: &str) -> Result<Span, SpanError> {
        let from = parse_hm(from).ok_or(SpanError::BadFrom)?;
        let duration = parse_duration(duration).ok_or(SpanError::BadDuration)?;
        Ok(Span { from, duration })
    }

    /// Resolves a posted form: which of To and Duration changed since the
    /// page was drawn (`prev_*`) decides which one wins.
    pub fn from_form(
        from: &str,
        to: &str,
        duration: &str,
        prev_to: &str,
        _prev_duration: &str,
    ) -> Result<Span, SpanError> {
        let from = parse_hm(from).ok_or(SpanError::BadFrom)?;
        let base = Span { from, duration: 60 };
        // To counts only when the person changed it: an untouched To that
        // wrapped past midnight (23:00 for 1:00 shows 00:00) is not an end
        // before the start.
        if to.trim() != prev_to.trim() {
            base.with_to(to)
        } else {
            base.with_duration(duration)
        }
    }
}

/// Date as "YYYY-MM-DD", checked for a real calendar day.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (d <= days).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_and_durations() {
        assert_eq!(parse_hm("09:30"), Some(570));
        assert_eq!(parse_hm("9:30"), Some(570));
        assert_eq!(parse_hm("24:00"), None);
        assert_eq!(parse_hm("12:60"), None);
        assert_eq!(parse_hm("noon"), None);
        assert_eq!(fmt_hm(570), "09:30");
        assert_eq!(parse_duration("1:30"), Some(90));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("2h"), Some(120));
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("25:00"), None);
        assert_eq!(parse_duration("1:75"), None);
        assert_eq!(parse_duration("99999999999"), None);
        assert_eq!(fmt_duration(90), "1:30");
    }

    #[test]
    fn fields_stay_consistent() {
        let s = Span {
            from: 600,
            duration: 60,
        };
        assert_eq!(fmt_hm(s.to()), "11:00");
        let s = s.with_from("14:00").unwrap();
        assert_eq!(
            (fmt_hm(s.to()), s.duration),
            ("15:00".into(), 60),
            "From keeps the duration"
        );
        let s = s.with_to("16:30").unwrap();
        assert_eq!(s.duration, 150, "To sets the duration");
        let s = s.with_duration("0:45").unwrap();
        assert_eq!(fmt_hm(s.to()), "14:45", "Duration moves To");
        assert_eq!(s.with_to("13:00"), Err(SpanError::EndNotAfterStart));
        assert_eq!(s.with_to("14:00"), Err(SpanError::EndNotAfterStart));
        let late = Span {
            from: 23 * 60,
            duration: 120,
        };
        assert!(late.ends_next_day());
        assert_eq!(fmt_hm(late.to()), "01:00");
    }

    #[test]
    fn parse_start_and_duration() {
        assert_eq!(
            Span::parse("10:00", "1:30"),
            Ok(Span {
                from: 600,
                duration: 90
            })
        );
        assert_eq!(Span::parse("x", "1:30"), Err(SpanError::BadFrom));
        assert_eq!(Span::parse("10:00", "0"), Err(SpanError::BadDuration));
    }

    #[test]
    fn posted_form_uses_what_changed() {
        // Duration edited, To untouched: Duration wins.
        let s = Span::from_form("10:00", "11:00", "2:00", "11:00", "1:00").unwrap();
        assert_eq!(s.duration, 120);
        // To edited: To wins.
        let s = Span::from_form("10:00", "10:30", "1:00", "11:00", "1:00").unwrap();
        assert_eq!(s.duration, 30);
        // A meeting running past midnight, To untouched: the duration stands.
        let s = Span::from_form("23:00", "00:00", "1:00", "00:00", "1:00").unwrap();
        assert_eq!(s.duration, 60);
        assert!(s.ends_next_day());
        // End before start is refused.
        assert_eq!(
            Span::from_form("10:00", "09:00", "1:00", "11:00", "1:00"),
            Err(SpanError::EndNotAfterStart)
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("2026-04-31"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
    }
}

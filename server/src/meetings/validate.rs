//! Checks what the wizard posted. Pure functions: every message is in the
//! page's language and names the field it belongs to.

use crate::address::valid_email;
use crate::recurrence::{Series, SeriesError};
use app::i18n::{t, Lang};
use app::model::{Attendee, Draft, FieldError};
use app::timeform::{parse_date, Span};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

pub const MAX_NAME: usize = 200;
pub const MAX_ATTENDEES: usize = 200;
pub const MAX_COUNT: u32 = 999;

fn err(field: &str, lang: Lang, key: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: t(lang, key).into(),
    }
}

/// Step 1: name, space and template.
pub fn general(d: &Draft, lang: Lang, templates: &[String], spaces: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = d.name.trim();
    if name.is_empty() {
        errors.push(err("name", lang, "err.name_required"));
    } else if name.chars().count() > MAX_NAME {
        errors.push(err("name", lang, "err.name_long"));
    } else if name.chars().any(char::is_control) {
        errors.push(err("name", lang, "err.name_control"));
    }
    if d.space_mode == "existing" {
        if !spaces.contains(&d.space_id) {
            errors.push(err("space_id", lang, "err.space_required"));
        }
    } else if !templates.contains(&d.template_id) {
        errors.push(err("template_id", lang, "err.template_required"));
    }
    errors
}

/// The meeting's time, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub tz: Tz,
    pub local_start: NaiveDateTime,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub duration_minutes: u32,
    /// RFC 5545 RRULE body, None when it does not repeat.
    pub rrule: Option<String>,
}

/// A local time in `tz` as UTC. A time skipped by a daylight-saving change
/// moves forward by the gap (02:30 on a spring-forward night is 03:30); an
/// ambiguous one takes the earlier instant (RFC 5545, 3.3.5).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // Read with the offset in force before the gap.
            let before = tz
                .from_local_datetime(&(local - chrono::Duration::days(1)))
                .earliest();
            let offset = before.map_or(0, |t| t.offset().fix().local_minus_utc());
            Utc.from_utc_datetime(&(local - chrono::Duration::seconds(i64::from(offset))))
        }
    }
}

/// Step 2: date, times, zone and repetition.
pub fn time(d: &Draft, lang: Lang, now: DateTime<Utc>) -> Result<When, Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = parse_date(&d.date).and_then(|(y, m, dd)| NaiveDate::from_ymd_opt(y, m, dd));
    if date.is_none() {
        errors.push(err("date", lang, "err.date"));
    }
    let span = Span::parse(&d.from, &d.duration);
    if let Err(e) = &span {
        errors.push(FieldError {
            field: "from".into(),
            message: e.message().into(),
        });
    }
    let tz: Option<Tz> = d.time_zone.parse().ok();
    if tz.is_none() {
        errors.push(err("time_zone", lang, "err.time_zone"));
    }
    let (Some(date), Ok(span), Some(tz)) = (date, span, tz) else {
        return Err(errors);
    };
    let mut local_start =
        date.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(span.from));
    let rule = match repeat_rule(d, date) {
        Ok(r) => r,
        Err((field, key)) => {
            errors.push(err(field, lang, key));
            None
        }
    };
    let freq = rule.as_ref().map(|_| ());
    let mut rrule = None;
    if let Some(mut rule) = rule {
        match d.repeat_end.as_str() {
            "count" => match d.repeat_count.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_COUNT).contains(&n) => rule = rule.count(n),
                _ => errors.push(err("repeat_count", lang, "err.count")),
            },
            "until" => match parse_date(&d.repeat_until)
                .and_then(|(y, m, dd)| NaiveDate::from_ymd_opt(y, m, dd))
            {
                // Up to and including that local day.
                Some(until) if until >= date => rule = rule.until(until),
                _ => errors.push(err("repeat_until", lang, "err.until")),
            },
            _ => {}
        }
        match rule.validate() {
            // The first meeting is the first the rule produces on or after
            // the chosen date (weekly on Tuesdays from a Friday: the next
            // Tuesday), so that the stored start is one of the rule's.
            Ok(()) if errors.is_empty() => {
                let length = chrono::Duration::minutes(i64::from(span.duration));
                match Series::on_rule(tz, local_start, length, rule) {
                    Ok(series) => {
                        local_start = series.start();
                        rrule = Some(series.rule().to_rrule());
                    }
                    Err(SeriesError::NoOccurrence(_)) if d.repeat_end == "until" => {
                        errors.push(err("repeat_until", lang, "err.until"))
                    }
                    Err(SeriesError::NoOccurrence(_)) => {
                        errors.push(err("repeat", lang, "err.no_occurrence"))
                    }
                    Err(SeriesError::StartOutOfRange) => errors.push(err("date", lang, "err.date")),
                    Err(_) => errors.push(err("repeat_interval", lang, "err.interval")),
                }
            }
            Ok(()) => {}
            Err(_) => errors.push(err("repeat_interval", lang, "err.interval")),
        }
    }
    let start = local_to_utc(tz, local_start);
    let end = start + chrono::Duration::minutes(i64::from(span.duration));
    if rrule.is_none() && freq.is_none() && end <= now {
        errors.push(err("date", lang, "err.past"));
    }
    if errors.is_empty() {
        Ok(When {
            tz,
            local_start,
            start,
            end,
            duration_minutes: span.duration,
            rrule,
        })
    } else {
        Err(errors)
    }
}

const WEEKDAYS: [(&str, chrono::Weekday); 7] = [
    ("MO", chrono::Weekday::Mon),
    ("TU", chrono::Weekday::Tue),
    ("WE", chrono::Weekday::Wed),
    ("TH", chrono::Weekday::Thu),
    ("FR", chrono::Weekday::Fri),
    ("SA", chrono::Weekday::Sat),
    ("SU", chrono::Weekday::Sun),
];

/// The draft's repetition as a rule (without its end), None when it does
/// not repeat; on a bad value, the field and the message key.
fn repeat_rule(
    d: &Draft,
    date: NaiveDate,
) -> Result<Option<crate::recurrence::Recurrence>, (&'static str, &'static str)> {
    use crate::recurrence::Recurrence;
    use chrono::Datelike;
    let interval = match d.repeat_interval.trim() {
        "" => 1,
        n => match n.parse::<u32>() {
            Ok(n) if (1..=crate::recurrence::MAX_INTERVAL).contains(&n) => n,
            _ => return Err(("repeat_interval", "err.interval")),
        },
    };
    let rule = match d.repeat.as_str() {
        "daily" => Recurrence::daily(),
        "weekly" => {
            let mut days = Vec::new();
            for code in &d.repeat_days {
                match WEEKDAYS.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)) {
                    Some((_, w)) if !days.contains(w) => days.push(*w),
                    Some(_) => {}
                    None => return Err(("repeat_days", "err.weekday")),
                }
            }
            days.sort_by_key(|w| w.num_days_from_monday());
            Recurrence::weekly(&days)
        }
        "monthly" => match d.repeat_monthly.as_str() {
            "" | "day" => Recurrence::monthly_on_day(date.day() as i8),
            "weekday" => {
                let nth = ((date.day() - 1) / 7 + 1) as i8;
                Recurrence::monthly_on_nth(nth, date.weekday())
            }
            "last" => Recurrence::monthly_on_nth(-1, date.weekday()),
            _ => return Err(("repeat_monthly", "err.monthly")),
        },
        "yearly" => Recurrence::yearly(),
        _ => return Ok(None),
    };
    Ok(Some(rule.every(interval)))
}

/// Step 3, adding one attendee: a valid, new address and a role of the template.
pub fn new_attendee(d: &Draft, lang: Lang, roles: &[String]) -> Result<Attendee, Vec<FieldError>> {
    let email = d.new_email.trim().to_string();
    if !valid_email(&email) {
        return Err(vec![err("new_email", lang, "err.email")]);
    }
    if d.attendees
        .iter()
        .any(|a| a.email.eq_ignore_ascii_case(&email))
    {
        return Err(vec![err("new_email", lang, "err.duplicate")]);
    }
    if d.attendees.len() >= MAX_ATTENDEES {
        return Err(vec![err("new_email", lang, "err.too_many")]);
    }
    if !roles.contains(&d.new_role) {
        return Err(vec![err("new_email", lang, "err.role")]);
    }
    Ok(Attendee {
        email,
        role: d.new_role.clone(),
    })
}

/// Step 3 as a whole: every attendee still valid against the template.
pub fn attendees(d: &Draft, lang: Lang, roles: &[String]) -> Vec<FieldError> {
    let mut seen = std::collections::HashSet::new();
    for a in &d.attendees {
        if !valid_email(&a.email) || !seen.insert(a.email.to_ascii_lowercase()) {
            return vec![err("new_email", lang, "err.email")];
        }
        if !roles.contains(&a.role) {
            return vec![err("new_email", lang, "err.role")];
        }
    }
    if d.attendees.len() > MAX_ATTENDEES {
        return vec![err("new_email", lang, "err.too_many")];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            name: "Weekly sync".into(),
            space_mode: "new".into(),
            template_id: "t1".into(),
            date: "2026-12-01".into(),
            from: "10:00".into(),
            duration: "1:00".into(),
            time_zone: "Europe/Paris".into(),
            repeat: "none".into(),
            ..Draft::default()
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn general_step() {
        let tpl = vec!["t1".to_string()];
        assert!(general(&draft(), Lang::En, &tpl, &[]).is_empty());
        let mut d = draft();
        d.name = "  ".into();
        assert_eq!(general(&d, Lang::En, &tpl, &[])[0].field, "name");
        d.name = "a\nb".into();
        assert_eq!(
            general(&d, Lang::En, &tpl, &[])[0].message,
            t(Lang::En, "err.name_control")
        );
        let mut d = draft();
        d.template_id = "other".into();
        assert_eq!(
            general(&d, Lang::Fr, &tpl, &[])[0].message,
            "Choisissez un modèle."
        );
        d.space_mode = "existing".into();
        d.space_id = "s9".into();
        assert_eq!(
            general(&d, Lang::En, &tpl, &["s1".into()])[0].field,
            "space_id"
        );
    }

    #[test]
    fn time_step_resolves_the_zone() {
        let w = time(&draft(), Lang::En, now()).unwrap();
        assert_eq!(w.start, Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap());
        assert_eq!(w.end - w.start, chrono::Duration::hours(1));
        assert_eq!(w.rrule, None);
        let mut d = draft();
        d.repeat = "weekly".into();
        d.repeat_end = "count".into();
        d.repeat_count = "10".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap().rrule.as_deref(),
            Some("FREQ=WEEKLY;COUNT=10")
        );
        d.repeat_count = "0".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap_err()[0].field,
            "repeat_count"
        );
        d.repeat_end = "until".into();
        d.repeat_until = "2026-11-30".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap_err()[0].field,
            "repeat_until"
        );
        d.repeat_until = "2026-12-31".into();
        // Up to and including that local day.
        assert_eq!(
            time(&d, Lang::En, now()).unwrap().rrule.as_deref(),
            Some("FREQ=WEEKLY;UNTIL=20261231")
        );
    }

    #[test]
    fn intervals_weekdays_and_monthly_choices() {
        // Tuesday 2026-12-01.
        let mut d = draft();
        d.repeat = "weekly".into();
        d.repeat_interval = "2".into();
        d.repeat_days = vec!["TH".into(), "MO".into(), "MO".into()];
        d.repeat_end = "count".into();
        d.repeat_count = "10".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap().rrule.as_deref(),
            Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10")
        );
        d.repeat_days = vec!["XX".into()];
        assert_eq!(
            time(&d, Lang::En, now()).unwrap_err()[0].field,
            "repeat_days"
        );
        d.repeat_days.clear();
        for bad in ["0", "1001", "two", "-1"] {
            d.repeat_interval = bad.into();
            assert_eq!(
                time(&d, Lang::En, now()).unwrap_err()[0].field,
                "repeat_interval",
                "{bad}"
            );
        }
        d.repeat_interval = String::new();
        d.repeat = "monthly".into();
        d.repeat_end = "never".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap().rrule.as_deref(),
            Some("FREQ=MONTHLY;BYMONTHDAY=1")
        );
        d.repeat_monthly = "weekday".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap().rrule.as_deref(),
            Some("FREQ=MONTHLY;BYDAY=1TU")
        );
        d.repeat_monthly = "last".into();
        d.date = "2026-12-29".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap().rrule.as_deref(),
            Some("FREQ=MONTHLY;BYDAY=-1TU")
        );
        d.repeat_monthly = "sometimes".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap_err()[0].field,
            "repeat_monthly"
        );
    }

    #[test]
    fn the_first_meeting_is_the_first_the_rule_produces() {
        // Tuesday 2026-12-01, weekly on Thursday: Thursday the 3rd, 10:00
        // Paris, and COUNT counts from it.
        let mut d = draft();
        d.repeat = "weekly".into();
        d.repeat_days = vec!["TH".into()];
        d.repeat_end = "count".into();
        d.repeat_count = "2".into();
        let w = time(&d, Lang::En, now()).unwrap();
        assert_eq!(w.local_start.to_string(), "2026-12-03 10:00:00");
        assert_eq!(w.start, Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap());
        assert_eq!(w.end - w.start, chrono::Duration::hours(1));
        assert_eq!(w.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=TH;COUNT=2"));
        // Monthly on the last Tuesday, from the 1st: the 29th.
        let mut d = draft();
        d.repeat = "monthly".into();
        d.repeat_monthly = "last".into();
        let w = time(&d, Lang::En, now()).unwrap();
        assert_eq!(w.local_start.to_string(), "2026-12-29 10:00:00");
        // Until a day before the first Thursday: no meeting at all.
        let mut d = draft();
        d.repeat = "weekly".into();
        d.repeat_days = vec!["TH".into()];
        d.repeat_end = "until".into();
        d.repeat_until = "2026-12-02".into();
        let e = time(&d, Lang::Fr, now()).unwrap_err();
        assert_eq!(e[0].field, "repeat_until");
        assert_eq!(e[0].message, t(Lang::Fr, "err.until"));
    }

    #[test]
    fn time_step_refuses_bad_input_and_the_past() {
        let mut d = draft();
        d.date = "2026-02-30".into();
        d.from = "25:00".into();
        d.time_zone = "Nowhere/City".into();
        let fields: Vec<String> = time(&d, Lang::En, now())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["date", "from", "time_zone"]);
        let mut d = draft();
        d.date = "2026-11-24".into();
        assert_eq!(
            time(&d, Lang::En, now()).unwrap_err()[0].message,
            t(Lang::En, "err.past")
        );
    }

    #[test]
    fn daylight_saving_gaps_and_overlaps() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        // 02:30 does not exist; 03:30 CEST = 01:30Z.
        assert_eq!(
            local_to_utc(paris, gap),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()
        );
        let twice = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        // 02:30 happens twice; the first is 02:30 CEST = 00:30Z.
        assert_eq!(
            local_to_utc(paris, twice),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap()
        );
    }

    #[test]
    fn attendee_rows() {
        let roles = vec![
            "ExternalAccessMeth".to_string(),
            "InternalAccessMeth".to_string(),
        ];
        let mut d = draft();
        d.new_email = "bob@example.com".into();
        d.new_role = "InternalAccessMeth".into();
        let a = new_attendee(&d, Lang::En, &roles).unwrap();
        d.attendees.push(a);
        d.new_email = "BOB@example.com".into();
        assert_eq!(
            new_attendee(&d, Lang::En, &roles).unwrap_err()[0].message,
            t(Lang::En, "err.duplicate")
        );
        d.new_email = "not an address".into();
        assert_eq!(
            new_attendee(&d, Lang::En, &roles).unwrap_err()[0].message,
            t(Lang::En, "err.email")
        );
        d.new_email = "carol@example.com".into();
        d.new_role = "Boss".into();
        assert_eq!(
            new_attendee(&d, Lang::En, &roles).unwrap_err()[0].message,
            t(Lang::En, "err.role")
        );
        assert!(attendees(&d, Lang::En, &roles).is_empty());
    }
}

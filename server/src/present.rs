//! The words and times people read, in English and French: day labels,
//! dates, weekdays, time ranges, the last sign-in, the repetition of a
//! series, the wizard's list of zones. Pure functions used by the pages,
//! the e-mails and the API; they depend on nothing above the recurrence
//! engine and the clock.

use crate::clock::from_millis;
use app::i18n::{t, Lang};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Every IANA zone name, for the wizard's list.
pub fn time_zone_names() -> Vec<String> {
    let mut names: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name().to_string())
        .collect();
    names.sort();
    names
}

const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "Nov 25, 2026" / "25 nov. 2026".
pub fn date_text(day: NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::En => day.format("%b %-d, %Y").to_string(),
        Lang::Fr => format!(
            "{} {} {}",
            day.day(),
            MONTHS_FR[day.month0() as usize],
            day.year()
        ),
    }
}

/// "Friday" / "vendredi".
pub fn weekday_text(day: NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match lang {
        Lang::En => day.format("%A").to_string(),
        Lang::Fr => DAYS_FR[day.weekday().num_days_from_monday() as usize].to_string(),
    }
}

/// "Tuesday, Feb 10, 2026" / "mardi 10 févr. 2026".
pub fn long_day(day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{}, {}", weekday_text(day, lang), date_text(day, lang)),
        Lang::Fr => format!("{} {}", weekday_text(day, lang), date_text(day, lang)),
    }
}

/// "Today, Nov 25, 2026", "Tomorrow, Nov 26, 2026", "Friday, Nov 27, 2026"
/// ("Aujourd'hui, 25 nov. 2026", ... in French).
pub fn day_label(day: NaiveDate, today: NaiveDate, lang: Lang) -> String {
    let date = date_text(day, lang);
    let relative = match ((day - today).num_days(), lang) {
        (0, Lang::En) => "Today".to_string(),
        (1, Lang::En) => "Tomorrow".into(),
        (-1, Lang::En) => "Yesterday".into(),
        (0, Lang::Fr) => "Aujourd'hui".into(),
        (1, Lang::Fr) => "Demain".into(),
        (-1, Lang::Fr) => "Hier".into(),
        _ => weekday_text(day, lang),
    };
    format!("{relative}, {date}")
}

/// "10:00 – 11:00" in `tz`; an end on a later day says so.
pub fn time_range(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let days = (e.date_naive() - s.date_naive()).num_days();
    let suffix = match (days, lang) {
        (0, _) => String::new(),
        (1, Lang::En) => " (+1 day)".into(),
        (1, Lang::Fr) => " (+1 jour)".into(),
        (n, Lang::En) => format!(" (+{n} days)"),
        (n, Lang::Fr) => format!(" (+{n} jours)"),
    };
    format!("{} – {}{suffix}", s.format("%H:%M"), e.format("%H:%M"))
}

/// "Last login Nov 25, 2026 at 18:59" for the sign-in before this one.
pub fn last_login_text(previous: Option<i64>, current: Option<i64>, tz: Tz, lang: Lang) -> String {
    match (previous, current, lang) {
        (Some(ms), _, _) => {
            let t = from_millis(ms).with_timezone(&tz);
            let (date, time) = (date_text(t.date_naive(), lang), t.format("%H:%M"));
            match lang {
                Lang::En => format!("Last login {date} at {time}"),
                Lang::Fr => format!("Dernière connexion le {date} à {time}"),
            }
        }
        (None, Some(_), Lang::En) => "This is your first sign-in. Welcome!".into(),
        (None, Some(_), Lang::Fr) => "C'est votre première connexion. Bienvenue !".into(),
        (None, None, Lang::En) => "Never signed in".into(),
        (None, None, Lang::Fr) => "Jamais connecté".into(),
    }
}

/// The repetition in words from the rule and the first start ("Every 2
/// weeks on Monday and Thursday, 10 times"); [`repeat_text`] when the rule
/// cannot be read.
pub fn repeat_words(
    rrule: Option<&str>,
    tz: Tz,
    local_start: chrono::NaiveDateTime,
    lang: Lang,
) -> String {
    use crate::recurrence::{Lang as RLang, Recurrence, Series};
    let series = rrule
        .and_then(|r| Recurrence::from_rrule(r).ok())
        .and_then(|rule| Series::new(tz, local_start, chrono::Duration::minutes(1), rule).ok());
    match series {
        Some(s) => s.describe(match lang {
            Lang::En => RLang::En,
            Lang::Fr => RLang::Fr,
        }),
        None => repeat_text(rrule, lang),
    }
}

/// The repetition in words from the rule alone (no start to name days by).
pub fn repeat_text(rrule: Option<&str>, lang: Lang) -> String {
    let Some(rule) = rrule else {
        return t(lang, "wizard.repeat.none").into();
    };
    let freq = rule
        .split(';')
        .find_map(|p| p.strip_prefix("FREQ="))
        .unwrap_or("");
    let key = match freq {
        "DAILY" => "wizard.repeat.daily",
        "WEEKLY" => "wizard.repeat.weekly",
        "MONTHLY" => "wizard.repeat.monthly",
        "YEARLY" => "wizard.repeat.yearly",
        _ => "wizard.repeat.none",
    };
    let mut text = t(lang, key).to_string();
    if let Some(n) = rule.split(';').find_map(|p| p.strip_prefix("COUNT=")) {
        text.push_str(&match lang {
            Lang::En => format!(", {n} times"),
            Lang::Fr => format!(", {n} fois"),
        });
    }
    if let Some(u) = rule.split(';').find_map(|p| p.strip_prefix("UNTIL=")) {
        // By bytes only when they are ASCII: any text can reach here.
        if let (Some(y), Some(m), Some(d)) = (u.get(..4), u.get(4..6), u.get(6..8)) {
            text.push_str(&match lang {
                Lang::En => format!(", until {y}-{m}-{d}"),
                Lang::Fr => format!(", jusqu'au {d}/{m}/{y}"),
            });
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::to_millis;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn day_labels() {
        let today = NaiveDate::from_ymd_opt(2021, 8, 21).unwrap();
        assert_eq!(day_label(today, today, Lang::En), "Today, Aug 21, 2021");
        assert_eq!(
            day_label(today.succ_opt().unwrap(), today, Lang::En),
            "Tomorrow, Aug 22, 2021"
        );
        assert_eq!(
            day_label(
                NaiveDate::from_ymd_opt(2021, 8, 27).unwrap(),
                today,
                Lang::En
            ),
            "Friday, Aug 27, 2021"
        );
    }

    #[test]
    fn time_ranges_are_in_the_viewers_zone() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            time_range(
                utc(2021, 8, 21, 8, 0),
                utc(2021, 8, 21, 9, 30),
                paris,
                Lang::En
            ),
            "10:00 – 11:30"
        );
        assert_eq!(
            time_range(
                utc(2021, 8, 21, 21, 0),
                utc(2021, 8, 21, 23, 0),
                paris,
                Lang::En
            ),
            "23:00 – 01:00 (+1 day)"
        );
        // Winter time: one hour ahead of UTC only.
        assert_eq!(
            time_range(
                utc(2021, 12, 1, 8, 0),
                utc(2021, 12, 1, 9, 0),
                paris,
                Lang::En
            ),
            "09:00 – 10:00"
        );
    }

    #[test]
    fn french_dates() {
        let today = NaiveDate::from_ymd_opt(2021, 8, 21).unwrap();
        assert_eq!(
            day_label(today, today, Lang::Fr),
            "Aujourd'hui, 21 août 2021"
        );
        assert_eq!(
            day_label(
                NaiveDate::from_ymd_opt(2021, 8, 27).unwrap(),
                today,
                Lang::Fr
            ),
            "vendredi, 27 août 2021"
        );
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let t = to_millis(utc(2026, 11, 25, 17, 59));
        assert_eq!(
            last_login_text(Some(t), None, paris, Lang::Fr),
            "Dernière connexion le 25 nov. 2026 à 18:59"
        );
    }

    #[test]
    fn last_login_texts() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let t = to_millis(utc(2026, 11, 25, 17, 59));
        assert_eq!(
            last_login_text(Some(t), Some(t), paris, Lang::En),
            "Last login Nov 25, 2026 at 18:59"
        );
        assert!(last_login_text(None, Some(t), paris, Lang::En).contains("first sign-in"));
    }

    #[test]
    fn long_days() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(long_day(day, Lang::En), "Tuesday, Feb 10, 2026");
        assert_eq!(long_day(day, Lang::Fr), "mardi 10 févr. 2026");
    }

    #[test]
    fn repeat_texts() {
        assert_eq!(repeat_text(None, Lang::En), "No repeat");
        assert_eq!(
            repeat_text(Some("FREQ=WEEKLY;COUNT=10"), Lang::En),
            "Weekly, 10 times"
        );
        assert_eq!(
            repeat_text(Some("FREQ=DAILY;UNTIL=20261231T225959Z"), Lang::Fr),
            "Tous les jours, jusqu'au 31/12/2026"
        );
        // Found by the `recurrence_rule` fuzz target: a multi-byte character
        // in the first eight bytes of UNTIL panicked (slicing inside it).
        assert_eq!(
            repeat_text(Some("FREQ=DAILY;UNTIL=2026123é"), Lang::En),
            "Daily"
        );
        assert_eq!(
            repeat_text(Some("FREQ=DAILY;UNTIL=€€€"), Lang::Fr),
            "Tous les jours"
        );
    }
}

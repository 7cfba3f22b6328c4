//! A rule in words, in English or French.

use super::local::local_date;
use super::rule::{normalize_days, End, Frequency, MonthDay, Recurrence, Until};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;

/// The language of [`describe`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    /// From a language tag such as `fr`, `fr-FR` or `en-US`; English unless
    /// it is French.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn month_name(month: u32, lang: Lang) -> &'static str {
    let i = usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0);
    match lang {
        Lang::En => MONTHS_EN[i],
        Lang::Fr => MONTHS_FR[i],
    }
}

/// "Aug" (May, June and July stay whole, the rest take three letters).
fn month_short_en(month: u32) -> &'static str {
    let name = month_name(month, Lang::En);
    name.get(..3).unwrap_or(name)
}

fn weekday_name(d: Weekday, lang: Lang) -> &'static str {
    match (lang, d) {
        (Lang::En, Weekday::Mon) => "Monday",
        (Lang::En, Weekday::Tue) => "Tuesday",
        (Lang::En, Weekday::Wed) => "Wednesday",
        (Lang::En, Weekday::Thu) => "Thursday",
        (Lang::En, Weekday::Fri) => "Friday",
        (Lang::En, Weekday::Sat) => "Saturday",
        (Lang::En, Weekday::Sun) => "Sunday",
        (Lang::Fr, Weekday::Mon) => "lundi",
        (Lang::Fr, Weekday::Tue) => "mardi",
        (Lang::Fr, Weekday::Wed) => "mercredi",
        (Lang::Fr, Weekday::Thu) => "jeudi",
        (Lang::Fr, Weekday::Fri) => "vendredi",
        (Lang::Fr, Weekday::Sat) => "samedi",
        (Lang::Fr, Weekday::Sun) => "dimanche",
    }
}

fn ordinal(nth: i8, lang: Lang) -> &'static str {
    match (lang, nth) {
        (Lang::En, 1) => "first",
        (Lang::En, 2) => "second",
        (Lang::En, 3) => "third",
        (Lang::En, 4) => "fourth",
        (Lang::En, 5) => "fifth",
        (Lang::En, _) => "last",
        (Lang::Fr, 1) => "premier",
        (Lang::Fr, 2) => "deuxième",
        (Lang::Fr, 3) => "troisième",
        (Lang::Fr, 4) => "quatrième",
        (Lang::Fr, 5) => "cinquième",
        (Lang::Fr, _) => "dernier",
    }
}

/// "a", "a and b", "a, b and c" (French: "et").
fn join(items: &[String], lang: Lang) -> String {
    let and = match lang {
        Lang::En => " and ",
        Lang::Fr => " et ",
    };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{and}{last}", init.join(", ")),
    }
}

/// French day of the month: "1er", "2", ….
fn day_fr(day: u32) -> String {
    if day == 1 {
        "1er".into()
    } else {
        day.to_string()
    }
}

/// "Dec 31, 2026" / "31 décembre 2026".
fn date_text(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{} {}, {}", month_short_en(d.month()), d.day(), d.year()),
        Lang::Fr => format!(
            "{} {} {}",
            day_fr(d.day()),
            month_name(d.month(), lang),
            d.year()
        ),
    }
}

/// The day within a month: "day 15", "the last day", "the second Tuesday".
fn month_day_text(on: MonthDay, lang: Lang) -> String {
    match (lang, on) {
        (Lang::En, MonthDay::Day(-1)) => "the last day".into(),
        (Lang::En, MonthDay::Day(d)) => format!("day {d}"),
        (Lang::Fr, MonthDay::Day(-1)) => "le dernier jour".into(),
        (Lang::Fr, MonthDay::Day(d)) => {
            format!("le {}", day_fr(u32::from(d.unsigned_abs())))
        }
        (Lang::En, MonthDay::Nth { nth, weekday }) => {
            format!("the {} {}", ordinal(nth, lang), weekday_name(weekday, lang))
        }
        (Lang::Fr, MonthDay::Nth { nth, weekday }) => {
            format!("le {} {}", ordinal(nth, lang), weekday_name(weekday, lang))
        }
    }
}

/// "Every 2 weeks on Monday and Thursday, 10 times"; see the tests for the
/// other shapes. `start` and `tz` fill in what the rule leaves to the start
/// (the weekday, the day of the month) and place a UTC UNTIL on a local day.
pub fn describe(rule: &Recurrence, start: NaiveDateTime, tz: Tz, lang: Lang) -> String {
    let sd = start.date();
    let n = rule.interval;
    let en = lang == Lang::En;
    // "Daily" / "Every 3 days"; "Tous les jours" / "Tous les 3 jours".
    let every =
        |one_en: &str, unit_en: &str, one_fr: &str, all_fr: &str, unit_fr: &str| match (en, n) {
            (true, 1) => one_en.to_string(),
            (true, _) => format!("Every {n} {unit_en}"),
            (false, 1) => one_fr.to_string(),
            (false, _) => format!("{all_fr} {n} {unit_fr}"),
        };
    let head = match &rule.freq {
        Frequency::None => {
            return match lang {
                Lang::En => "Does not repeat".into(),
                Lang::Fr => "Ne se répète pas".into(),
            }
        }
        Frequency::Daily => every("Daily", "days", "Tous les jours", "Tous les", "jours"),
        Frequency::Weekly { days } => {
            let days = if days.is_empty() {
                vec![sd.weekday()]
            } else {
                normalize_days(days)
            };
            let names: Vec<String> = days
                .iter()
                .map(|d| match lang {
                    Lang::En => weekday_name(*d, lang).to_string(),
                    Lang::Fr => format!("le {}", weekday_name(*d, lang)),
                })
                .collect();
            let base = every(
                "Weekly",
                "weeks",
                "Toutes les semaines",
                "Toutes les",
                "semaines",
            );
            match lang {
                Lang::En => format!("{base} on {}", join(&names, lang)),
                Lang::Fr => format!("{base} {}", join(&names, lang)),
            }
        }
        Frequency::Monthly { on } => {
            let on = on.unwrap_or(MonthDay::Day(i8::try_from(sd.day()).unwrap_or(1)));
            let base = every("Monthly", "months", "Tous les mois", "Tous les", "mois");
            match lang {
                Lang::En => format!("{base} on {}", month_day_text(on, lang)),
                Lang::Fr => format!("{base} {}", month_day_text(on, lang)),
            }
        }
        Frequency::Yearly { month, on } => {
            let month = month.map_or(sd.month(), u32::from);
            let base = every("Yearly", "years", "Tous les ans", "Tous les", "ans");
            let when = match (lang, on) {
                (Lang::En, None) => format!("{} {}", month_short_en(month), sd.day()),
                (Lang::Fr, None) => format!("le {} {}", day_fr(sd.day()), month_name(month, lang)),
                (Lang::En, Some(MonthDay::Day(d))) if *d > 0 => {
                    format!("{} {d}", month_short_en(month))
                }
                (Lang::Fr, Some(MonthDay::Day(d))) if *d > 0 => {
                    let d = u32::from(d.unsigned_abs());
                    format!("le {} {}", day_fr(d), month_name(month, lang))
                }
                (Lang::En, Some(on)) => {
                    format!(
                        "{} of {}",
                        month_day_text(*on, lang),
                        month_name(month, lang)
                    )
                }
                (Lang::Fr, Some(on)) => {
                    let of = if month_name(month, lang).starts_with(['a', 'o']) {
                        "d'"
                    } else {
                        "de "
                    };
                    format!(
                        "{} {of}{}",
                        month_day_text(*on, lang),
                        month_name(month, lang)
                    )
                }
            };
            match lang {
                Lang::En => format!("{base} on {when}"),
                Lang::Fr => format!("{base} {when}"),
            }
        }
    };
    let tail = match (lang, rule.end) {
        (_, End::Never) => String::new(),
        (Lang::En, End::Count(1)) => ", once".into(),
        (Lang::En, End::Count(c)) => format!(", {c} times"),
        (Lang::Fr, End::Count(1)) => ", une fois".into(),
        (Lang::Fr, End::Count(c)) => format!(", {c} fois"),
        (_, End::Until(u)) => {
            let day = match u {
                Until::Date(d) => d,
                Until::Utc(t) => local_date(tz, t),
            };
            match lang {
                Lang::En => format!(", until {}", date_text(day, lang)),
                Lang::Fr => format!(", jusqu'au {}", date_text(day, lang)),
            }
        }
    };
    head + &tail
}

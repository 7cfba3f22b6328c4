//! How fast series expand, against a baseline measured in the same run:
//! plain `chrono` additions of a duration to a `DateTime<Utc>`, which is
//! what the expansion would cost without time zones and rules.
//!
//! `cargo bench -p server --bench recurrence`. Prints, for each figure, the
//! median time per run, occurrences per second, and the cost per occurrence
//! as a multiple of the baseline's cost per addition. Not a test: nothing
//! fails on a slow machine.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use server::recurrence::{MonthDay, Recurrence, Series};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Samples per figure; the median is reported.
const SAMPLES: usize = 11;
/// Each sample repeats the work until it has run at least this long.
const SAMPLE_TIME: Duration = Duration::from_millis(100);
/// Meetings in the month-of-occurrences figure.
const MEETINGS: usize = 10_000;

/// xorshift64*, so the meetings are the same from run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Median time of one call of `f`, after a warm-up.
fn measure(mut f: impl FnMut() -> usize) -> Duration {
    let warm = Instant::now();
    while warm.elapsed() < SAMPLE_TIME {
        black_box(f());
    }
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let t = Instant::now();
            let mut runs = 0u32;
            while t.elapsed() < SAMPLE_TIME {
                black_box(f());
                runs += 1;
            }
            t.elapsed() / runs
        })
        .collect();
    samples.sort();
    samples[SAMPLES / 2]
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

/// 10,000 meetings: one-off, daily, weekly, monthly and yearly, in zones
/// from the whole database, started over the last six years.
fn meetings() -> Vec<Series> {
    let mut rng = Rng(0x0bad_5eed_2026);
    let zones: &[Tz] = &chrono_tz::TZ_VARIANTS;
    const DAYS: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    (0..MEETINGS)
        .map(|_| {
            let tz = zones[usize::try_from(rng.below(zones.len() as u64)).unwrap()];
            let year = 2020 + i32::try_from(rng.below(7)).unwrap();
            let month = 1 + u32::try_from(rng.below(12)).unwrap();
            let day = 1 + u32::try_from(rng.below(28)).unwrap();
            let hour = 7 + u32::try_from(rng.below(12)).unwrap();
            let start = local(year, month, day, hour, 30);
            let weekday = DAYS[usize::try_from(rng.below(5)).unwrap()];
            let rule = match rng.below(10) {
                0 | 1 => Recurrence::none(),
                2 | 3 => Recurrence::daily(),
                4..=6 => {
                    Recurrence::weekly(&[weekday]).every(1 + u32::try_from(rng.below(2)).unwrap())
                }
                7 => Recurrence::monthly(),
                8 => Recurrence::monthly_on_nth(2, weekday),
                _ => Recurrence::yearly_on(
                    u8::try_from(month).unwrap(),
                    MonthDay::Day(i8::try_from(day).unwrap()),
                ),
            };
            let minutes = 30 * (1 + i64::try_from(rng.below(4)).unwrap());
            Series::new(tz, start, TimeDelta::minutes(minutes), rule).unwrap()
        })
        .collect()
}

struct Figure {
    name: &'static str,
    time: Duration,
    occurrences: usize,
}

impl Figure {
    fn per_occurrence(&self) -> f64 {
        self.time.as_secs_f64() / self.occurrences as f64
    }
}

fn main() {
    // (a) One year of a daily meeting in Paris.
    let daily = Series::new(
        chrono_tz::Europe::Paris,
        local(2026, 1, 1, 9, 0),
        TimeDelta::hours(1),
        Recurrence::daily(),
    )
    .unwrap();
    let (from, to) = (utc(2026, 1, 1), utc(2027, 1, 1));
    let year_count = daily.occurrences(from, to, 1000).len();
    assert_eq!(year_count, 365);
    let year = Figure {
        name: "one year of a daily series (Europe/Paris)",
        time: measure(|| {
            daily
                .occurrences(black_box(from), black_box(to), 1000)
                .len()
        }),
        occurrences: year_count,
    };

    // (b) One month of occurrences for 10,000 meetings.
    let all = meetings();
    let (from, to) = (utc(2026, 6, 1), utc(2026, 7, 1));
    let month_of = |all: &[Series]| -> usize {
        all.iter()
            .map(|s| s.occurrences(black_box(from), black_box(to), 100).len())
            .sum()
    };
    let month_count = month_of(&all);
    let month = Figure {
        name: "one month of 10,000 meetings (mixed rules and zones)",
        time: measure(|| month_of(&all)),
        occurrences: month_count,
    };

    // (c) Baseline: as many (start, end) pairs from chrono additions alone.
    let step = TimeDelta::days(1);
    let length = TimeDelta::hours(1);
    let baseline = Figure {
        name: "baseline: DateTime<Utc> + TimeDelta, same count as (b)",
        time: measure(|| {
            let mut t = black_box(from);
            let mut out = Vec::with_capacity(month_count);
            for _ in 0..month_count {
                out.push((t, t + black_box(length)));
                t += black_box(step);
            }
            black_box(&out).len()
        }),
        occurrences: month_count,
    };

    println!(
        "recurrence expansion, median of {SAMPLES} samples of at least {SAMPLE_TIME:?} each\n"
    );
    println!(
        "{:<56} {:>12} {:>12} {:>15} {:>12}",
        "", "time/run", "occurrences", "occurrences/s", "× baseline"
    );
    for f in [&year, &month, &baseline] {
        println!(
            "{:<56} {:>12} {:>12} {:>15.0} {:>11.1}×",
            f.name,
            format!("{:.2?}", f.time),
            f.occurrences,
            1.0 / f.per_occurrence(),
            f.per_occurrence() / baseline.per_occurrence(),
        );
    }
    println!(
        "\n(× baseline: time per occurrence over the baseline's time per addition; \
         {} meetings, {} occurrences in the month)",
        all.len(),
        month_count
    );
}

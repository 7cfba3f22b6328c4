//! Which occurrences of a candidate series clash with other meetings, to warn
//! the organizer.

use super::series::{Occurrence, Series};
use chrono::{DateTime, NaiveDateTime, Utc};

/// How many occurrences of each series a conflict check expands at most.
pub const MAX_CHECKED: usize = 10_000;

/// A busy time: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One clash: a candidate occurrence against one busy time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The candidate's occurrence.
    pub occurrence: Occurrence,
    /// Index of the other series (or busy time) in the list given.
    pub other: usize,
    /// The other occurrence's original start, when the other is a series.
    pub other_id: Option<NaiveDateTime>,
    pub other_start: DateTime<Utc>,
    pub other_end: DateTime<Utc>,
}

/// The candidate's occurrences in `[from, to)` that overlap an occurrence
/// of one of `others`, at most `max` conflicts, ordered by the candidate's
/// occurrence then by `others`' order. Meetings that only touch (one ends
/// as the other starts) do not conflict.
pub fn find_conflicts(
    candidate: &Series,
    others: &[Series],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: usize,
) -> Vec<Conflict> {
    let busy: Vec<(usize, Option<NaiveDateTime>, Busy)> = others
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.occurrences(from, to, MAX_CHECKED)
                .into_iter()
                .map(move |o| {
                    (
                        i,
                        Some(o.id),
                        Busy {
                            start: o.start,
                            end: o.end,
                        },
                    )
                })
        })
        .collect();
    clashes(candidate, busy, from, to, max)
}

/// Like [`find_conflicts`], against already expanded busy times.
pub fn find_conflicts_with(
    candidate: &Series,
    busy: &[Busy],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: usize,
) -> Vec<Conflict> {
    let busy = busy
        .iter()
        .enumerate()
        .filter(|(_, b)| b.start < b.end)
        .map(|(i, b)| (i, None, *b))
        .collect();
    clashes(candidate, busy, from, to, max)
}

fn clashes(
    candidate: &Series,
    mut busy: Vec<(usize, Option<NaiveDateTime>, Busy)>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    max: usize,
) -> Vec<Conflict> {
    let mut out = Vec::new();
    if max == 0 {
        return out;
    }
    busy.sort_by_key(|(i, id, b)| (b.start, *i, *id));
    for occ in candidate.occurrences(from, to, MAX_CHECKED) {
        // Only busy times starting before this occurrence ends can overlap it.
        let starts_before_end = busy.partition_point(|(_, _, b)| b.start < occ.end);
        let mut hits: Vec<&(usize, Option<NaiveDateTime>, Busy)> = busy
            .get(..starts_before_end)
            .unwrap_or(&[])
            .iter()
            .filter(|(_, _, b)| b.end > occ.start)
            .collect();
        hits.sort_by_key(|(i, id, b)| (*i, b.start, *id));
        for (i, id, b) in hits {
            out.push(Conflict {
                occurrence: occ.clone(),
                other: *i,
                other_id: *id,
                other_start: b.start,
                other_end: b.end,
            });
            if out.len() >= max {
                return out;
            }
        }
    }
    out
}

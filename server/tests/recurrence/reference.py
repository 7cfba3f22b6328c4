#!/usr/bin/env python3
"""Reference expansion of recurring meetings, for server/tests/recurrence_reference.rs.

An independent implementation of the rules in docs/recurrence.md, built on
python-dateutil (`rrulestr`) for the RRULE and the standard `zoneinfo` for
time zones: nothing here shares code or logic with server::recurrence.

Reads JSON lines on stdin, one case each:

    {"id": 7, "tz": "Europe/Paris", "start": "2024-02-29T02:30:00",
     "duration_secs": 3600, "rrule": "FREQ=YEARLY;COUNT=5",
     "windows": [{"from": "2024-02-28T00:00:00Z", "to": "2100-01-01T00:00:00Z", "max": 40}]}

and writes one JSON line per case, in the same order:

    {"id": 7, "windows": [[["2024-02-29T01:30:00Z", "2024-02-29T02:30:00"], ...], ...],
     "last_end": "2040-02-29T02:30:00Z"}

each window listing, like `Series::occurrences(from, to, max)`, the
occurrences overlapping [from, to) (at most `max`) as [UTC start, original
local start], and `last_end` what `Series::series_end` should say: the end
of the last occurrence, "endless", or null when not compared (after 2099).
{"id": 7, "error": "..."} when a case cannot be expanded.

Where dateutil's defaults differ from our documented semantics, this script
follows the docs; each place says why:

1. The case's start is the date the person chose; the first occurrence is
   the first instant the rule produces on or after it, and COUNT counts
   from there (docs/recurrence.md: the scheduler stores that occurrence as
   DTSTART). That is dateutil's own reading of a DTSTART its rule does not
   produce: it yields only the rule's instants and counts only those, so
   `original_starts` takes dateutil's occurrences as they are. A meeting
   that does not repeat is its start.

2. UNTIL=YYYYMMDD is a local date, inclusive: every occurrence on that date
   counts. dateutil reads it as midnight (so a 09:00 occurrence that day
   would be dropped) and refuses a floating UNTIL next to a zone-aware
   DTSTART. It is replaced by 23:59:59 on that date in the series' zone;
   dateutil compares two datetimes with the same tzinfo object by wall
   clock, which is exactly "local date <= UNTIL".
   UNTIL=...Z is left to dateutil: it compares each zone-aware occurrence
   with the UTC instant through utcoffset() with fold=0, which is rule 3.

3. Local wall-clock time to UTC (`resolve_local`, the same rule as
   server/src/recurrence/local.rs, written here from the docs with
   PEP 495 fold semantics):
   - a time that exists once is that instant;
   - a repeated time (clocks go back) is the EARLIER of its two instants
     (whichever of fold=0/fold=1 comes first in UTC);
   - a skipped time (clocks go forward) is read with the offset in force
     BEFORE the gap, so it lands as far after the gap as it was into it:
     02:30 in a 02:00-03:00 gap is 03:30. PEP 495 gives a skipped time with
     fold=0 the offset before the transition; since clocks go forward, that
     is also the later of the two candidate instants, which is asserted.
   The original local start (the occurrence's id) stays the rule's
   wall-clock time, even inside a gap.

4. Days a month lacks are skipped, never moved (monthly on the 31st, yearly
   on Feb 29): dateutil already does this.

Duration is elapsed time, the same for every occurrence.

Needs Python 3.9 or later (zoneinfo) and python-dateutil:
`python3 -m pip install python-dateutil`.
"""

import json
import sys
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

UTC = timezone.utc

# chrono-tz, which the Rust side uses, lists daylight-saving changes only up
# to 2099 and keeps the last offset after that, while zoneinfo follows the
# zone's rule for ever: later occurrences are not compared.
LAST_COMPARED_YEAR = 2099


def resolve_local(local, zone):
    """The UTC instant of naive wall-clock time `local` in `zone` (rule 3)."""
    candidates = []
    for fold in (0, 1):
        instant = local.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        # The instant exists if it reads back as the same wall-clock time.
        if instant.astimezone(zone).replace(tzinfo=None) == local:
            candidates.append(instant)
    if candidates:
        # Once (both folds agree) or twice (a repeated hour): the earlier.
        return min(candidates)
    # Skipped: fold=0 carries the offset before the transition.
    before = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    after = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    assert before > after, (local, zone, before, after)
    return before


def parse_utc(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def format_utc(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_rule(text, start, zone):
    """The dateutil rule for `text`, the COUNT it gives (if any), and
    whether it ends (COUNT or UNTIL, rule 2). No rule for an empty `text`:
    a meeting that does not repeat."""
    if not text.strip():
        return None, None, True
    parts = []
    until_date = None
    count = None
    ends = False
    for part in text.split(";"):
        name, _, value = part.partition("=")
        name = name.strip().upper()
        value = value.strip()
        ends = ends or name in ("COUNT", "UNTIL")
        if name == "UNTIL" and len(value) == 8:
            until_date = datetime.strptime(value, "%Y%m%d").date()
            continue
        if name == "COUNT":
            count = int(value)
        parts.append(f"{name}={value}")
    rule = rrulestr(";".join(parts), dtstart=start.replace(tzinfo=zone))
    if until_date is not None:
        rule = rule.replace(until=datetime.combine(until_date, time(23, 59, 59), tzinfo=zone))
    return rule, count, ends


def original_starts(rule, start):
    """Original local starts in order: the rule's own (rule 1), or the
    start alone for a meeting that does not repeat."""
    if rule is None:
        yield start
        return
    for occurrence in rule:
        yield occurrence.replace(tzinfo=None)


class Expansion:
    """Occurrences as (UTC start, local start), generated once and shared by
    every window of a case."""

    def __init__(self, case):
        self.zone = ZoneInfo(case["tz"])
        self.duration = timedelta(seconds=case["duration_secs"])
        start = datetime.fromisoformat(case["start"])
        rule, _, self.ends = build_rule(case["rrule"], start, self.zone)
        self.starts = lambda: original_starts(rule, start)
        self.source = self.starts()
        self.done = []
        # None when the rule produces nothing from the chosen date on.
        self.next_local = next(self.source, None)

    def get(self, i, limit):
        """The i-th occurrence, or None if it has no local start before
        `limit` (a naive local bound that keeps conversions clear of year
        9999)."""
        while len(self.done) <= i:
            local = self.next_local
            if local is None or local >= limit:
                return None
            self.done.append((resolve_local(local, self.zone), local))
            self.next_local = next(self.source, None)
        return self.done[i]

    def window(self, window):
        lo = parse_utc(window["from"])
        hi = parse_utc(window["to"])
        # Local starts more than two days after `to` cannot start before it.
        limit = hi.replace(tzinfo=None) + timedelta(days=2)
        out = []
        i = 0
        while len(out) < window["max"]:
            item = self.get(i, limit)
            i += 1
            if item is None:
                break
            begin, local = item
            if begin >= hi:
                break
            if begin + self.duration <= lo:
                continue
            out.append([format_utc(begin), local.isoformat()])
        return out

    def last_end(self):
        """Like `Series::series_end`: "endless" for a rule without end that
        has a second occurrence, else the UTC end of the last occurrence.
        None (not compared) when that is in 2100 or later: see
        `LAST_COMPARED_YEAR`."""
        every = self.starts()
        if not self.ends:
            first = next(every, None)
            if first is None:
                return "no occurrences"
            if next(every, None) is not None:
                return "endless"
            last = first
        else:
            last = None
            for last in every:
                if last.year > LAST_COMPARED_YEAR:
                    return None
            if last is None:
                return "no occurrences"
        if last.year > LAST_COMPARED_YEAR:
            return None
        return format_utc(resolve_local(last, self.zone) + self.duration)


def main():
    cases = [json.loads(line) for line in sys.stdin if line.strip()]
    out = sys.stdout
    for case in cases:
        try:
            expansion = Expansion(case)
            answer = {
                "id": case["id"],
                "windows": [expansion.window(w) for w in case["windows"]],
                "last_end": expansion.last_end(),
            }
        except Exception as e:  # reported per case, compared as a failure
            answer = {"id": case["id"], "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(answer) + "\n")
    out.flush()


if __name__ == "__main__":
    main()

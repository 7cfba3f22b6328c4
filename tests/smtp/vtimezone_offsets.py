"""Reads a VTIMEZONE with Python's icalendar (`Timezone.to_tz` without
looking the TZID up, so the zone is built from the text alone, by
dateutil's tzical) and prints the UTC offset it gives for each hour.

For a UTC instant t the offset is the one among the zone's TZOFFSETTO
values for which the local time t + offset reads back (utcoffset, either
fold) as that offset: `astimezone` would use Python's generic `fromutc`,
which assumes a constant standard offset and is an hour off around a
change of standard time (America/Nuuk, 2023).

stdin: {"calendar": text, "tzid": id, "start": unix seconds, "hours": n}
stdout: {"utc": [[hour, offset], ...], "local": [[hour, offset], ...]}:
"utc" for the instant start + h hours, "local" for the wall-clock time
whose fields are those of that instant; each a list of runs (the hour a
new offset starts, the offset in seconds)."""
import json
import sys
from datetime import datetime, timedelta, timezone

import icalendar

req = json.load(sys.stdin)
cal = icalendar.Calendar.from_ical(req["calendar"])
zones = [z for z in cal.walk("VTIMEZONE") if str(z["TZID"]) == req["tzid"]]
if len(zones) != 1:
    raise SystemExit(f"expected one VTIMEZONE {req['tzid']}, found {len(zones)}")
tz = zones[0].to_tz(lookup_tzid=False)


def runs(values):
    out = []
    for i, v in enumerate(values):
        if not out or out[-1][1] != v:
            out.append([i, v])
    return out


offsets = sorted(
    {o["TZOFFSETTO"].td for z in zones for o in z.subcomponents}
    | {o["TZOFFSETFROM"].td for z in zones for o in z.subcomponents}
)


def offset_of_instant(t):
    wall = t.replace(tzinfo=None)
    found = [
        o
        for o in offsets
        if any((wall + o).replace(tzinfo=tz, fold=f).utcoffset() == o for f in (0, 1))
    ]
    # Two only just before clocks go forward: the later local time is in
    # the gap, which reads as the offset after it; the instant has the
    # smaller one.
    return int(found[0].total_seconds()) if found else None


utc, local = [], []
start = datetime.fromtimestamp(req["start"], timezone.utc)
for h in range(req["hours"]):
    t = start + timedelta(hours=h)
    utc.append(offset_of_instant(t))
    wall = t.replace(tzinfo=None)
    local.append(int(wall.replace(tzinfo=tz).utcoffset().total_seconds()))
print(json.dumps({"utc": runs(utc), "local": runs(local)}))

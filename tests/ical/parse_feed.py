"""Reads a calendar feed (the file given) with Python's icalendar and
expands every meeting's occurrences with python-dateutil, in the zones the
feed's own VTIMEZONEs define (`to_tz(lookup_tzid=False)`), and prints JSON:
the calendar's METHOD, name and zones, and per UID its VEVENTs' scheduling
properties and its occurrences overlapping [FROM, UNTIL) (ISO UTC args),
EXDATEs and RECURRENCE-ID exceptions applied."""
import itertools
import json
import sys
from datetime import datetime, timezone

import icalendar
from dateutil import rrule as du


def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def ours(dt, zones):
    tzid = getattr(dt.tzinfo, "key", None) or str(dt.tzinfo)
    if tzid in zones:
        return dt.replace(tzinfo=None).replace(tzinfo=zones[tzid])
    return dt


def main():
    path, start_arg, until_arg = sys.argv[1], sys.argv[2], sys.argv[3]
    lo = datetime.fromisoformat(start_arg.replace("Z", "+00:00"))
    hi = datetime.fromisoformat(until_arg.replace("Z", "+00:00"))
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    zones = {str(z["TZID"]): z.to_tz(lookup_tzid=False) for z in cal.walk("VTIMEZONE")}
    by_uid = {}
    for e in cal.walk("VEVENT"):
        by_uid.setdefault(str(e["UID"]), []).append(e)
    meetings = {}
    for uid, events in by_uid.items():
        master = next(e for e in events if not e.get("RECURRENCE-ID"))
        start = ours(master["DTSTART"].dt, zones)
        length = ours(master["DTEND"].dt, zones) - start
        moved = {
            utc(ours(e["RECURRENCE-ID"].dt, zones)): (
                ours(e["DTSTART"].dt, zones),
                ours(e["DTEND"].dt, zones),
                str(e.get("SUMMARY", "")),
            )
            for e in events
            if e.get("RECURRENCE-ID")
        }
        if master.get("RRULE"):
            rs = du.rruleset()
            rs.rrule(du.rrulestr(master["RRULE"].to_ical().decode(), dtstart=start))
            for x in as_list(master.get("EXDATE")):
                for d in x.dts:
                    rs.exdate(ours(d.dt, zones))
            starts = itertools.islice(rs, 2000)
        else:
            starts = [start]
        occurrences = []
        for t in starts:
            s, e, name = moved.get(utc(t), (t, t + length, str(master.get("SUMMARY", ""))))
            if e > lo and s < hi:
                occurrences.append({"start": utc(s), "end": utc(e), "name": name})
        occurrences.sort(key=lambda o: o["start"])
        meetings[uid] = {
            "sequence": int(master.get("SEQUENCE")),
            "status": str(master.get("STATUS", "")),
            "busy_status": str(master.get("X-MICROSOFT-CDO-BUSYSTATUS", "")),
            "organizer": str(master.get("ORGANIZER")),
            "attendees": [str(a) for a in as_list(master.get("ATTENDEE"))],
            "location": str(master.get("LOCATION", "")),
            "summary": str(master.get("SUMMARY", "")),
            "dtstart_tzid": master["DTSTART"].params.get("TZID"),
            "occurrences": occurrences,
        }
    print(json.dumps({
        "method": str(cal.get("METHOD")),
        "name": str(cal.get("X-WR-CALNAME", "")),
        "vtimezones": [str(z["TZID"]) for z in cal.walk("VTIMEZONE")],
        "meetings": meetings,
    }))


main()

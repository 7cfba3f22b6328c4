"""Parses the messages an SMTP sink wrote with the standard `email` package
and `icalendar`, and prints one JSON object per message (sorted by arrival).

Besides what icalendar reads, each message carries the MIME structure, the
inline and attached calendars, every VEVENT's scheduling properties, and
the occurrences python-dateutil expands from the VEVENTs with the zone
built from the message's own VTIMEZONE (`to_tz(lookup_tzid=False)`, not
the system's tz database)."""
import email
import itertools
import json
import os
import sys
from datetime import timezone

import icalendar
from dateutil import rrule as du
from email import policy

MAX_OCCURRENCES = 500


def structure(part):
    """multipart/mixed[multipart/alternative[text/plain,...],application/ics]"""
    if part.is_multipart():
        inner = ",".join(structure(p) for p in part.iter_parts())
        return f"{part.get_content_type()}[{inner}]"
    return part.get_content_type()


def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def ours(dt, zones):
    """`dt` (a DATE-TIME icalendar resolved with the system's zone) read
    with the message's own VTIMEZONE instead."""
    tzid = getattr(dt.tzinfo, "key", None) or str(dt.tzinfo)
    if tzid in zones:
        return dt.replace(tzinfo=None).replace(tzinfo=zones[tzid])
    return dt


def person(p):
    return {
        "value": str(p),
        "rsvp": p.params.get("RSVP"),
        "partstat": p.params.get("PARTSTAT"),
        "cn": p.params.get("CN"),
    }


def occurrences(events, zones):
    """UTC starts of the series with its exceptions, by dateutil."""
    master = next((e for e in events if not e.get("RECURRENCE-ID")), None)
    if master is None:
        return []
    start = ours(master["DTSTART"].dt, zones)
    moved = {
        utc(ours(e["RECURRENCE-ID"].dt, zones)): utc(ours(e["DTSTART"].dt, zones))
        for e in events
        if e.get("RECURRENCE-ID")
    }
    if not master.get("RRULE"):
        return [utc(start)]
    rs = du.rruleset()
    rs.rrule(du.rrulestr(master["RRULE"].to_ical().decode(), dtstart=start))
    for x in as_list(master.get("EXDATE")):
        for d in x.dts:
            rs.exdate(ours(d.dt, zones))
    out = [moved.get(utc(t), utc(t)) for t in itertools.islice(rs, MAX_OCCURRENCES)]
    return sorted(out)

out = []
folder = sys.argv[1]
for name in sorted(f for f in os.listdir(folder) if f.endswith(".eml")):
    with open(os.path.join(folder, name), "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    parts = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts[part.get_content_type()] = part
    cal_part = parts["text/calendar"]
    attached = parts.get("application/ics")
    cal = icalendar.Calendar.from_ical(cal_part.get_content())
    zones = {str(z["TZID"]): z.to_tz(lookup_tzid=False) for z in cal.walk("VTIMEZONE")}
    events = [c for c in cal.walk("VEVENT")]
    ev = events[0]
    start = ev.get("DTSTART")
    tzids = [str(c.get("TZID")) for c in cal.walk("VTIMEZONE")]
    out.append({
        "envelope_to": msg.get_all("X-Envelope-To", []),
        "sink_tls": str(msg.get("X-Sink-TLS", "")),
        "sink_auth": str(msg.get("X-Sink-Auth", "")),
        "to": str(msg["To"]),
        "from": str(msg["From"]),
        "subject": str(msg["Subject"]),
        "content_types": sorted(parts.keys()),
        "structure": structure(msg),
        "to_addresses": [a.addr_spec for a in msg["To"].addresses],
        "calendar": cal_part.get_content(),
        "calendar_method_param": cal_part.get_param("method"),
        "attachment_filename": attached.get_filename() if attached else None,
        "attachment_disposition": attached.get_content_disposition() if attached else None,
        "attachment_equals_inline": attached is not None
        and attached.get_content().decode().replace("\r\n", "\n")
        == cal_part.get_content().replace("\r\n", "\n"),
        "vevents": [
            {
                "recurrence_id_utc": utc(ours(e["RECURRENCE-ID"].dt, zones)) if e.get("RECURRENCE-ID") else None,
                "dtstart_utc": utc(ours(e["DTSTART"].dt, zones)),
                "sequence": int(e.get("SEQUENCE")),
                "status": str(e.get("STATUS", "")),
                "busy_status": str(e.get("X-MICROSOFT-CDO-BUSYSTATUS", "")),
                "intended_status": str(e.get("X-MICROSOFT-CDO-INTENDEDSTATUS", "")),
                "organizer": person(e.get("ORGANIZER")),
                "attendees": [person(a) for a in as_list(e.get("ATTENDEE"))],
            }
            for e in events
        ],
        "occurrences_utc": occurrences(events, zones),
        # Every rule of every observance of every VTIMEZONE.
        "observance_rules": [
            str(o.get("RRULE").to_ical().decode()) if o.get("RRULE") else None
            for z in cal.walk("VTIMEZONE")
            for o in z.subcomponents
        ],
        "calendar_content_type": cal_part.get("Content-Type"),
        "text": parts["text/plain"].get_content(),
        "html": parts["text/html"].get_content(),
        "method": str(cal.get("METHOD")),
        "events": len(events),
        "uid": str(ev.get("UID")),
        "sequence": int(ev.get("SEQUENCE")),
        "dtstart": start.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "dtstart_tzid": start.params.get("TZID"),
        "dtstart_utc": start.dt.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vtimezones": tzids,
        "rrule": ev.get("RRULE").to_ical().decode() if ev.get("RRULE") else None,
        "location": str(ev.get("LOCATION", "")),
        "description": str(ev.get("DESCRIPTION", "")),
        "summary": str(ev.get("SUMMARY", "")),
        "organizer": str(ev.get("ORGANIZER")),
        "attendees": [str(a) for a in (ev.get("ATTENDEE") if isinstance(ev.get("ATTENDEE"), list) else [ev.get("ATTENDEE")])],
        "status": str(ev.get("STATUS", "")),
        # RECURRENCE-ID of each VEVENT (null for the series itself), in UTC.
        "recurrence_ids": [
            e.get("RECURRENCE-ID").dt.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            if e.get("RECURRENCE-ID") else None
            for e in events
        ],
        "exdates_utc": [
            d.dt.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            for x in (ev.get("EXDATE") if isinstance(ev.get("EXDATE"), list) else ([ev.get("EXDATE")] if ev.get("EXDATE") else []))
            for d in x.dts
        ],
    })
print(json.dumps(out))

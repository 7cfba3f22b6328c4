"""Parses the messages an SMTP sink wrote with the standard `email` package
and `icalendar`, and prints one JSON object per message (sorted by arrival)."""
import email
import json
import os
import sys

import icalendar
from email import policy

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
    cal = icalendar.Calendar.from_ical(cal_part.get_content())
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

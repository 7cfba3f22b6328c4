// Reads calendars with Mozilla's ical.js (the parser Thunderbird uses), a
// second reader of what the scheduler writes, independent of Python's
// icalendar. Reads one JSON request on stdin, writes one JSON answer:
//
//   {"mode": "mail", "calendars": [text, ...], "max": n}
//     -> one object per calendar: METHOD, its VTIMEZONE ids, and each
//        VEVENT's properties as ical.js reads them; the occurrences ical.js
//        expands (EXDATE and RECURRENCE-ID exceptions applied), in UTC.
//   {"mode": "feed", "calendar": text, "from": iso, "until": iso}
//     -> a calendar feed: METHOD, name, VTIMEZONE ids, and per UID its
//        occurrences overlapping [from, until) as ical.js expands them
//        (EXDATE and RECURRENCE-ID applied), in UTC, with their names.
//   {"mode": "offsets", "calendar": text, "tzid": id, "start": unix, "hours": n}
//     -> the UTC offset (seconds) ical.js gives for each hour from `start`:
//        "utc": for the UTC instant, from the zone's expanded changes;
//        "local": for the local wall-clock time start+h (read as UTC
//        fields), from Timezone.utcOffset. Both as runs [hour, offset].
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const request = JSON.parse(readFileSync(0, "utf8"));

function iso(t) {
  return new Date(t.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function people(vevent, name) {
  return vevent.getAllProperties(name).map((p) => ({
    value: p.getFirstValue(),
    rsvp: p.getParameter("rsvp") ?? null,
    partstat: p.getParameter("partstat") ?? null,
    role: p.getParameter("role") ?? null,
    cn: p.getParameter("cn") ?? null,
    sentBy: p.getParameter("sent-by") ?? null,
  }));
}

function text(vevent, name) {
  const v = vevent.getFirstPropertyValue(name);
  return v === null || v === undefined ? null : String(v);
}

function readMail(source, max) {
  const root = new ICAL.Component(ICAL.parse(source));
  // Read before anything expands the zone (expanding rewrites UNTIL).
  const vtimezones = root.getAllSubcomponents("vtimezone");
  const observances = vtimezones
    .flatMap((z) => z.getAllSubcomponents())
    .map((o) => ({ kind: o.name, rrule: o.getFirstPropertyValue("rrule")?.toString() ?? null }));
  const tzids = vtimezones.map((z) => z.getFirstPropertyValue("tzid"));
  const vevents = root.getAllSubcomponents("vevent");
  const events = vevents.map((v) => {
    const start = v.getFirstPropertyValue("dtstart");
    const rid = v.getFirstPropertyValue("recurrence-id");
    const startProp = v.getFirstProperty("dtstart");
    return {
      uid: text(v, "uid"),
      sequence: v.getFirstPropertyValue("sequence"),
      status: text(v, "status"),
      transp: text(v, "transp"),
      busyStatus: text(v, "x-microsoft-cdo-busystatus"),
      intendedStatus: text(v, "x-microsoft-cdo-intendedstatus"),
      summary: text(v, "summary"),
      dtstartTzid: startProp.getParameter("tzid") ?? null,
      dtstartZoneFound: start.zone !== null && start.zone.tzid === startProp.getParameter("tzid"),
      dtstartUtc: iso(start),
      recurrenceIdUtc: rid ? iso(rid) : null,
      rrule: v.getFirstPropertyValue("rrule")?.toString() ?? null,
      exdatesUtc: v.getAllProperties("exdate").flatMap((p) => p.getValues().map(iso)),
      organizer: people(v, "organizer")[0] ?? null,
      attendees: people(v, "attendee"),
    };
  });
  // The occurrences as a calendar shows them: the series with its
  // exceptions, or the one event when nothing repeats.
  const master = vevents.find((v) => !v.hasProperty("recurrence-id"));
  let occurrences = [];
  if (master) {
    const exceptions = vevents.filter((v) => v.hasProperty("recurrence-id"));
    const event = new ICAL.Event(master, { strictExceptions: true, exceptions });
    if (event.isRecurring()) {
      const it = event.iterator();
      for (let next = it.next(); next && occurrences.length < max; next = it.next()) {
        const d = event.getOccurrenceDetails(next);
        occurrences.push({
          recurrenceIdUtc: iso(d.recurrenceId),
          startUtc: iso(d.startDate),
          endUtc: iso(d.endDate),
          summary: d.item.summary,
        });
      }
    } else {
      occurrences.push({
        recurrenceIdUtc: null,
        startUtc: iso(event.startDate),
        endUtc: iso(event.endDate),
        summary: event.summary,
      });
    }
  }
  return {
    method: root.getFirstPropertyValue("method"),
    vtimezones: tzids,
    observances,
    events,
    occurrences,
  };
}

function runs(values) {
  const out = [];
  values.forEach((v, i) => {
    if (out.length === 0 || out[out.length - 1][1] !== v) out.push([i, v]);
  });
  return out;
}

function offsets(req) {
  const root = new ICAL.Component(ICAL.parse(req.calendar));
  const zone = root.getTimeZoneByID(req.tzid);
  if (!zone) throw new Error(`no VTIMEZONE ${req.tzid}`);
  const last = new Date((req.start + req.hours * 3600) * 1000).getUTCFullYear() + 1;
  zone._ensureCoverage(last);
  // Changes are kept in UTC fields, with the offset after each.
  const changes = zone.changes.map((c) => ({
    at: Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) / 1000,
    offset: c.utcOffset,
  }));
  const utc = [];
  const local = [];
  for (let h = 0; h < req.hours; h++) {
    const t = req.start + h * 3600;
    let offset = null;
    for (const c of changes) {
      if (c.at <= t) offset = c.offset;
      else break;
    }
    utc.push(offset);
    const d = new Date(t * 1000);
    const wall = new ICAL.Time(
      {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: 0,
        isDate: false,
      },
      zone,
    );
    local.push(zone.utcOffset(wall));
  }
  return { utc: runs(utc), local: runs(local) };
}

function readFeed(source, from, until) {
  const root = new ICAL.Component(ICAL.parse(source));
  const lo = Date.parse(from) / 1000;
  const hi = Date.parse(until) / 1000;
  const byUid = new Map();
  for (const v of root.getAllSubcomponents("vevent")) {
    const uid = text(v, "uid");
    if (!byUid.has(uid)) byUid.set(uid, []);
    byUid.get(uid).push(v);
  }
  const meetings = {};
  for (const [uid, vevents] of byUid) {
    const master = vevents.find((v) => !v.hasProperty("recurrence-id"));
    const exceptions = vevents.filter((v) => v.hasProperty("recurrence-id"));
    const event = new ICAL.Event(master, { strictExceptions: true, exceptions });
    const occurrences = [];
    const keep = (start, end, summary) => {
      if (end.toUnixTime() > lo && start.toUnixTime() < hi) {
        occurrences.push({ start: iso(start), end: iso(end), name: summary });
      }
    };
    if (event.isRecurring()) {
      const it = event.iterator();
      // Moved occurrences may leave their place: look a year past the end.
      for (let next = it.next(); next && next.toUnixTime() < hi + 366 * 86400; next = it.next()) {
        const d = event.getOccurrenceDetails(next);
        keep(d.startDate, d.endDate, d.item.summary);
      }
    } else {
      keep(event.startDate, event.endDate, event.summary);
    }
    occurrences.sort((a, b) => a.start.localeCompare(b.start));
    meetings[uid] = {
      attendees: people(master, "attendee").length,
      organizer: people(master, "organizer")[0]?.value ?? null,
      dtstartZoneFound:
        master.getFirstProperty("dtstart").getParameter("tzid") == null ||
        master.getFirstPropertyValue("dtstart").zone?.tzid ===
          master.getFirstProperty("dtstart").getParameter("tzid"),
      occurrences,
    };
  }
  return {
    method: root.getFirstPropertyValue("method"),
    name: root.getFirstPropertyValue("x-wr-calname"),
    vtimezones: root.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
    meetings,
  };
}

let answer;
if (request.mode === "feed") {
  answer = readFeed(request.calendar, request.from, request.until);
} else if (request.mode === "mail") {
  answer = request.calendars.map((c) => readMail(c, request.max ?? 500));
} else if (request.mode === "offsets") {
  answer = offsets(request);
} else {
  throw new Error(`unknown mode ${request.mode}`);
}
process.stdout.write(JSON.stringify(answer));

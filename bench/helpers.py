#!/usr/bin/env python3
"""Small helpers for bench/run.sh (standard library only).

  helpers.py create BASE TOKEN N PREFIX
      N sequential POST /api/v1/meetings on one keep-alive connection;
      prints the seconds taken and the id of the first meeting.
  helpers.py raw-cospaces CB_URL USER PASSWORD N PREFIX
      N sequential POST /api/v1/coSpaces to a Call Bridge (simulator) with
      Basic auth on one keep-alive connection; prints the seconds taken.
  helpers.py meetings-sql TEMPLATE_ID N
      SQL (SQLite and PostgreSQL alike) inserting N one-off meetings, copied
      from the meeting TEMPLATE_ID (same organizer, space and template),
      one every 50 minutes from an hour from now, in one transaction.
  helpers.py wrk-parse FILE
      requests/s, p50 ms, p99 ms and non-2xx count from `wrk --latency`.
  helpers.py wrk-count FILE
      how many requests the wrk run made.
  helpers.py template BASE TOKEN
      the id of the first coSpace template the token's user may use.
  helpers.py metric-sum URL NAME [LABELS]
      the sum of the Prometheus counter NAME over its labels at URL (only
      the series whose labels contain the text LABELS, if given).
  helpers.py metric-sum-exact URL NAME [LABELS]
      the same, with six decimals (a histogram's sum of seconds).
"""

import base64
import datetime
import http.client
import json
import re
import sys
import time
import urllib.parse


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60), u.path.rstrip("/")


def create(base, token, n, prefix):
    conn, root = connect(base)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    conn.request("GET", root + "/api/v1/templates", headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"GET /api/v1/templates: {r.status} {body[:200]!r}")
    template = json.loads(body)["templates"][0]["id"]
    headers["Content-Type"] = "application/json"
    day = datetime.date.today() + datetime.timedelta(days=1)
    first = None
    t0 = time.perf_counter()
    for i in range(n):
        # Spread over the next days, a few meetings a day, inside working hours.
        d = day + datetime.timedelta(days=i // 8)
        start = f"{d.isoformat()}T{9 + i % 8:02d}:00"
        meeting = {
            "name": f"{prefix} {i + 1}",
            "templateId": template,
            "start": start,
            "durationMinutes": 30,
            "timeZone": "UTC",
        }
        conn.request("POST", root + "/api/v1/meetings", json.dumps(meeting), headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 201:
            sys.exit(f"POST /api/v1/meetings: {r.status} {body[:300]!r}")
        if first is None:
            first = json.loads(body)["id"]
    print(f"{time.perf_counter() - t0:.6f} {first}")


def raw_cospaces(cb_url, user, password, n, prefix):
    conn, root = connect(cb_url)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = {
        "Authorization": f"Basic {auth}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    t0 = time.perf_counter()
    for i in range(n):
        form = urllib.parse.urlencode({"name": f"{prefix} {i + 1}", "uri": f"{prefix}.{i + 1}"})
        conn.request("POST", root + "/api/v1/coSpaces", form, headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"POST /api/v1/coSpaces: {r.status} {body[:300]!r}")
    print(f"{time.perf_counter() - t0:.6f}")


def meetings_sql(template_id, n):
    assert re.fullmatch(r"[0-9A-Za-z-]+", template_id), template_id
    now_ms = int(time.time() * 1000)
    first = (now_ms // 3_600_000 + 1) * 3_600_000
    step = 50 * 60_000
    out = ["BEGIN;"]
    chunk = 500
    for lo in range(0, n, chunk):
        rows = []
        for i in range(lo, min(n, lo + chunk)):
            start = first + i * step
            local = datetime.datetime.fromtimestamp(start / 1000, datetime.timezone.utc)
            # UUID-shaped ids (version 4 layout); decimal digits are hex digits.
            mid = f"00000000-0000-4000-8000-{i + 1:012d}"
            rows.append(
                f"('{mid}', 'Bench list {i + 1}', {start}, {start + 30 * 60_000}, "
                f"'{local:%Y-%m-%dT%H:%M}', {now_ms})"
            )
        out.append(
            "INSERT INTO meetings (id, organizer_id, space_id, name, time_zone, starts_at,"
            " ends_at, local_start, duration_minutes, rrule, template_id, request_id,"
            " sequence, created_at, updated_at)"
            " SELECT v.column1, m.organizer_id, m.space_id, v.column2, 'UTC', v.column3,"
            " v.column4, v.column5, 30, NULL, m.template_id, NULL, 0, v.column6, v.column6"
            f" FROM (VALUES {', '.join(rows)}) AS v, meetings m WHERE m.id = '{template_id}';"
        )
    out.append("COMMIT;")
    print("\n".join(out))


def to_ms(v):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", v)
    if not m:
        raise ValueError(v)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]


def wrk_parse(path):
    text = open(path).read()
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1)
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    print(f"{rps} {p50:.3f} {p99:.3f} {bad.group(1) if bad else 0} {1 if errors else 0}")


def wrk_count(path):
    print(re.search(r"(\d+) requests in", open(path).read()).group(1))


def template(base, token):
    conn, root = connect(base)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    conn.request("GET", root + "/api/v1/templates", headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"GET /api/v1/templates: {r.status} {body[:200]!r}")
    print(json.loads(body)["templates"][0]["id"])


def metric_sum(url, name, labels="", digits=0):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", u.path or "/metrics")
    r = conn.getresponse()
    text = r.read().decode()
    if r.status != 200:
        sys.exit(f"GET {url}: {r.status}")
    total = 0.0
    for line in text.splitlines():
        m = re.match(re.escape(name) + r"(\{.*\})?\s+([0-9.eE+-]+)$", line)
        if m and labels in (m.group(1) or ""):
            total += float(m.group(2))
    print(f"{total:.{digits}f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "create":
        create(args[0], args[1], int(args[2]), args[3])
    elif cmd == "raw-cospaces":
        raw_cospaces(args[0], args[1], args[2], int(args[3]), args[4])
    elif cmd == "meetings-sql":
        meetings_sql(args[0], int(args[1]))
    elif cmd == "wrk-parse":
        wrk_parse(args[0])
    elif cmd == "wrk-count":
        wrk_count(args[0])
    elif cmd == "template":
        template(args[0], args[1])
    elif cmd == "metric-sum":
        metric_sum(*args[:3])
    elif cmd == "metric-sum-exact":
        metric_sum(*args[:3], digits=6) if len(args) >= 3 else metric_sum(args[0], args[1], "", 6)
    else:
        sys.exit(__doc__)

#!/usr/bin/env python3
"""Parse an iCalendar file with the strict `ical` package and print its events as JSON.

`ical` (the parser of Home Assistant's calendars) validates every property
against RFC 5545 with pydantic models and rejects what more lenient parsers
let through: a bad value type, a missing required property, an unknown
TZID without a VTIMEZONE, a malformed parameter. Its compatibility mode is
left off.

Output: the same shape as validate_ics.py: [{"uid","summary","description",
"categories","start","end","allDay","status","sequence"}], `start`/`end` as
"YYYY-MM-DDTHH:MM:SSZ" (UTC) for date-times and "YYYY-MM-DD" for dates, `end`
null without DTEND. Exit 1 with a message on any problem.

Usage: PYTHONPATH=target/pyclients python3 tests/clients/validate_ics_strict.py FILE
(after scripts/setup-test-clients)
"""
import datetime as dt
import json
import sys

from ical.calendar_stream import IcsCalendarStream


def fail(message):
    sys.stderr.write(f"validate_ics_strict.py: {message}\n")
    sys.exit(1)


def when(value, uid, name):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            fail(f"{uid}: {name} is a floating time")
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def main():
    if len(sys.argv) != 2:
        fail("usage: validate_ics_strict.py FILE")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if data.startswith(b"\xef\xbb\xbf"):
        fail("the file starts with a BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"not UTF-8: {e}")
    try:
        calendar = IcsCalendarStream.calendar_from_ics(text)
    except Exception as e:  # noqa: BLE001 - any parse failure is a failure
        fail(f"parse error: {e}")
    if not calendar.prodid or calendar.version != "2.0":
        fail("PRODID or VERSION:2.0 missing")
    out = []
    for event in calendar.events:
        uid = event.uid
        if not uid:
            fail("a VEVENT has no UID")
        if event.dtstart is None:
            fail(f"{uid}: no DTSTART")
        status = event.status.value if event.status is not None else None
        out.append(
            {
                "uid": uid,
                "summary": event.summary,
                "description": event.description,
                "categories": list(event.categories),
                "start": when(event.dtstart, uid, "DTSTART"),
                "end": when(event.dtend, uid, "DTEND"),
                "allDay": not isinstance(event.dtstart, dt.datetime),
                "status": status,
                "sequence": event.sequence if event.sequence is not None else 0,
            }
        )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Parse an iCalendar file with Python's icalendar and print its events as JSON.

Output: [{"uid","summary","description","categories","start","end","allDay",
"status","sequence"}], `start`/`end` as "YYYY-MM-DDTHH:MM:SSZ" (UTC) for
date-times and "YYYY-MM-DD" for dates, `end` null without DTEND.

Beyond parsing, it checks what calendar apps are strict about: CRLF line
endings only, every physical line at most 75 octets, no BOM, and that each
VTIMEZONE of the file gives the same UTC instant as the IANA zone of the same
name (zoneinfo) for every time written with that TZID. Exit 1 with a message
on any problem.

Usage: PYTHONPATH=target/pyclients python3 tests/clients/validate_ics.py FILE
(after scripts/setup-test-clients)
"""
import datetime as dt
import json
import sys

import icalendar


def fail(message):
    sys.stderr.write(f"validate_ics.py: {message}\n")
    sys.exit(1)


def check_lines(data: bytes):
    if data.startswith(b"\xef\xbb\xbf"):
        fail("the file starts with a BOM")
    if not data.endswith(b"\r\n"):
        fail("the file does not end with CRLF")
    for number, line in enumerate(data[:-2].split(b"\r\n"), start=1):
        if b"\n" in line or b"\r" in line:
            fail(f"line {number}: bare CR or LF")
        if len(line) > 75:
            fail(f"line {number}: {len(line)} octets, more than 75")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            fail(f"line {number}: not UTF-8 on its own (a fold splits a character?): {e}")


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(event, name, own_zones, uid):
    prop = event.get(name)
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            fail(f"{uid}: {name} is a floating time")
        tzid = prop.params.get("TZID")
        if tzid is not None:
            if tzid not in own_zones:
                fail(f"{uid}: TZID {tzid} has no VTIMEZONE")
            local = value.replace(tzinfo=None)
            by_vtimezone = local.replace(tzinfo=own_zones[tzid])
            if utc_text(by_vtimezone) != utc_text(value):
                fail(
                    f"{uid}: {name} {local} in {tzid} is {utc_text(by_vtimezone)} by the "
                    f"file's VTIMEZONE but {utc_text(value)} by zoneinfo"
                )
        return utc_text(value)
    return value.isoformat()


def main():
    if len(sys.argv) != 2:
        fail("usage: validate_ics.py FILE")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    check_lines(data)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:  # noqa: BLE001 - any parse failure is a failure
        fail(f"parse error: {e}")
    own_zones = {}
    for vtz in cal.walk("VTIMEZONE"):
        try:
            own_zones[str(vtz["TZID"])] = vtz.to_tz(lookup_tzid=False)
        except Exception as e:  # noqa: BLE001
            fail(f"VTIMEZONE {vtz.get('TZID')}: {e}")
    out = []
    for event in cal.walk("VEVENT"):
        uid = str(event.get("UID", ""))
        if not uid:
            fail("a VEVENT has no UID")
        start = event.get("DTSTART")
        if start is None:
            fail(f"{uid}: no DTSTART")
        categories = []
        cats = event.get("CATEGORIES")
        for c in cats if isinstance(cats, list) else ([cats] if cats is not None else []):
            categories.extend(str(x) for x in c.cats)
        description = event.get("DESCRIPTION")
        out.append(
            {
                "uid": uid,
                "summary": str(event.get("SUMMARY")) if event.get("SUMMARY") is not None else None,
                "description": str(description) if description is not None else None,
                "categories": categories,
                "start": instant(event, "DTSTART", own_zones, uid),
                "end": instant(event, "DTEND", own_zones, uid),
                "allDay": not isinstance(start.dt, dt.datetime),
                "status": str(event.get("STATUS")) if event.get("STATUS") is not None else None,
                "sequence": int(event.get("SEQUENCE", 0)),
            }
        )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()

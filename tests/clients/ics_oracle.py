#!/usr/bin/env python3
"""An independent reader of real-world calendars: the occurrences of an .ics
file in a window, expanded by `recurring_ical_events` on top of `icalendar`.
It is the oracle of tests/e2e/ics_realworld.rs.

Usage (after scripts/setup-test-clients):
  PYTHONPATH=target/pyclients python3 tests/clients/ics_oracle.py \
      [--tz America/Toronto] [--now 2026-11-01T00:00:00Z] \
      [--window-from-file | --auto-window] FILE [FILE...]

Window: occurrences whose start lies in [now - 31 days, now + 365 days]
(babillard's: normalize::PAST_DAYS back, a 365-day horizon ahead). With
--window-from-file, [first DTSTART - 1 day, first DTSTART + 366 days] instead,
the first DTSTART being the earliest DTSTART of the file's VEVENTs: for
calendars whose events all lie outside the default window. With --auto-window,
the default window, or the file's when the default one holds no occurrence.
An all-day occurrence "starts" at midnight of its date in --tz.

Times: a time with a TZID or in UTC is that instant; a floating time (no zone)
is read in the calendar's X-WR-TIMEZONE when it has one (which, as Google
means it, also moves its UTC times into that zone, see `x_wr_timezone`), else
in --tz. Timed starts/ends are printed in UTC ("YYYY-MM-DDTHH:MM:SSZ"),
all-day ones as "YYYY-MM-DD" (end exclusive; an all-day event with no end
lasts one day, a timed one with no end is an instant).

Output, for one FILE: one JSON object
  {"file", "mode": "now"|"file", "timezone", "now", "horizon_days", "from",
   "to", "occurrences": [{"uid", "recurrence_id"?, "start", "end", "all_day",
   "summary"}]} (`recurrence_id` for the occurrences of recurring events,
   in the same format as `start`)
where `now` and `horizon_days` give the same window as babillard's
normalizer sees it ([now - 31 days, now + horizon_days]); or {"file",
"error": "..."} when the oracle cannot read the file (the caller skips it).
For several FILEs: a JSON array of those objects, in order. Exit 0 either
way: an error is data, not a failure.
"""
import argparse
import datetime as dt
import json
import signal
import sys
import warnings
import zoneinfo

import icalendar
import recurring_ical_events
import x_wr_timezone

PAST_DAYS = 31
HORIZON_DAYS = 365
# A margin around the window when asking recurring_ical_events, whose
# between() is about overlap; we then keep the occurrences that start inside.
MARGIN = dt.timedelta(days=2)
# Seconds one file may take (a pathological RRULE must not hang the test).
TIMEOUT = 10
UTC = dt.timezone.utc


class Timeout(Exception):
    pass


def on_alarm(_signum, _frame):
    raise Timeout(f"more than {TIMEOUT} s")


class FloatingToZone(x_wr_timezone.CalendarWalker):
    """Give floating times (DTSTART, DTEND, RDATE, RECURRENCE-ID, EXDATE) a
    zone, leaving UTC and zoned times alone."""

    def __init__(self, zone):
        self.zone = zone

    def walk_value_datetime(self, value):
        if value.tzinfo is None:
            return value.replace(tzinfo=self.zone)
        return value


def parse_utc(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def fmt_utc(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def calendars(data):
    """The VCALENDARs of the file (icalendar's parser, lenient about text
    encoding: UTF-8, else Windows-1252)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    found = icalendar.Calendar.from_ical(text, multiple=True)
    return [c for c in found if c.name == "VCALENDAR"]


def standard(calendar, zone):
    """The calendar with floating times given a zone (X-WR-TIMEZONE, else
    `zone`), as recurring_ical_events.of() would see it, without its VEVENTs
    that have no DTSTART (they have no occurrence)."""
    kept = [
        c for c in calendar.subcomponents if not (c.name == "VEVENT" and "DTSTART" not in c)
    ]
    if len(kept) != len(calendar.subcomponents):
        copy = calendar.copy()
        copy.subcomponents = kept
        calendar = copy
    if calendar.get("X-WR-TIMEZONE") is not None:
        try:
            return x_wr_timezone.to_standard(calendar)
        except zoneinfo.ZoneInfoNotFoundError:
            pass
    return FloatingToZone(zone).walk(calendar)


def instant(value, zone):
    """A DTSTART-like value as a UTC instant (a date: its midnight in zone)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    return dt.datetime.combine(value, dt.time(), zone).astimezone(UTC)


def first_start(cals, zone):
    starts = []
    for cal in cals:
        for event in cal.walk("VEVENT"):
            prop = event.get("DTSTART")
            if prop is None:
                continue
            try:
                starts.append(instant(prop.dt, zone))
            except Exception:  # noqa: BLE001 - a bad DTSTART is skipped
                continue
    return min(starts) if starts else None


def text_value(value):
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    return str(value)


def series_uids(cals):
    """The uids of recurring events (RRULE, RDATE) and of those with
    RECURRENCE-ID overrides: their occurrences carry a recurrence_id."""
    uids = set()
    for cal in cals:
        for event in cal.walk("VEVENT"):
            if any(k in event for k in ("RRULE", "RDATE", "RECURRENCE-ID")):
                uids.add(text_value(event.get("UID")))
    return uids


def occurrence(component, zone, series):
    start = component.get("DTSTART").dt
    all_day = not isinstance(start, dt.datetime)
    try:
        end = component.end
    except Exception:  # noqa: BLE001 - icalendar refuses some DTEND/DURATION
        end = None
    if end is None:
        end = start + dt.timedelta(days=1) if all_day else start
    if all_day:
        start_s = start.isoformat()
        end_s = (end.date() if isinstance(end, dt.datetime) else end).isoformat()
    else:
        start_s = fmt_utc(instant(start, zone))
        end_s = fmt_utc(instant(end, zone))
    out = {
        "uid": text_value(component.get("UID")),
        "start": start_s,
        "end": end_s,
        "all_day": all_day,
        "summary": text_value(component.get("SUMMARY")),
    }
    rid = component.get("RECURRENCE-ID")
    if rid is not None and out["uid"] in series:
        value = rid.dt
        out["recurrence_id"] = (
            fmt_utc(instant(value, zone)) if isinstance(value, dt.datetime) else value.isoformat()
        )
    return out


def expand(cals, zone, window_from, window_to):
    found = []
    series = series_uids(cals)
    for cal in cals:
        query = recurring_ical_events.of(standard(cal, zone))
        for component in query.between(window_from - MARGIN, window_to + MARGIN):
            start = component.get("DTSTART")
            if start is None:
                continue
            at = instant(start.dt, zone)
            if window_from <= at <= window_to:
                found.append(occurrence(component, zone, series))
    found.sort(key=lambda o: (o["start"], o["uid"] or ""))
    return found


def read(path, zone, now, mode):
    with open(path, "rb") as f:
        data = f.read()
    cals = calendars(data)
    if not cals:
        raise ValueError("no VCALENDAR")
    result = {"mode": "now", "now": now}
    occurrences = None
    if mode in ("now", "auto"):
        window_from = now - dt.timedelta(days=PAST_DAYS)
        window_to = now + dt.timedelta(days=HORIZON_DAYS)
        occurrences = expand(cals, zone, window_from, window_to)
    if mode == "file" or (mode == "auto" and not occurrences):
        first = first_start([standard(c, zone) for c in cals], zone)
        if first is not None:
            window_from = first - dt.timedelta(days=1)
            window_to = first + dt.timedelta(days=366)
            result = {"mode": "file", "now": window_from + dt.timedelta(days=PAST_DAYS)}
            occurrences = expand(cals, zone, window_from, window_to)
        elif mode == "file":
            raise ValueError("no VEVENT with a DTSTART")
    result["horizon_days"] = round((window_to - result["now"]) / dt.timedelta(days=1))
    result["now"] = fmt_utc(result["now"])
    result["from"] = fmt_utc(window_from)
    result["to"] = fmt_utc(window_to)
    result["occurrences"] = occurrences
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--tz", default="America/Toronto")
    parser.add_argument("--now", default="2026-11-01T00:00:00Z")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--window-from-file", action="store_true")
    group.add_argument("--auto-window", action="store_true")
    args = parser.parse_args()
    zone = zoneinfo.ZoneInfo(args.tz)
    now = parse_utc(args.now)
    mode = "file" if args.window_from_file else "auto" if args.auto_window else "now"
    # icalendar warns (on stderr) about what it guesses, e.g. vendor TZIDs.
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, on_alarm)
    results = []
    for path in args.files:
        signal.alarm(TIMEOUT)
        try:
            result = {"file": path, "timezone": args.tz, **read(path, zone, now, mode)}
        except Exception as e:  # noqa: BLE001 - any failure is reported as data
            result = {"file": path, "error": f"{type(e).__name__}: {e}"}
        finally:
            signal.alarm(0)
        results.append(result)
    out = results[0] if len(results) == 1 else results
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1 if len(results) == 1 else None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Python peers on a region's files: icalendar + recurring_ical_events
(parse + expand to START + 400 days) on the .ics files, feedparser on the
RSS and JSON Feed files, extruct (JSON-LD, microdata, microformats) on the
pages. usage: peers.py MEMBERS_DIR START(YYYY-MM-DD). Prints one JSON object:
per group, files, MB, seconds, items found.
"""
import datetime, json, os, sys, time

import extruct, feedparser, icalendar, recurring_ical_events

folder, start = sys.argv[1], datetime.date.fromisoformat(sys.argv[2])
end = start + datetime.timedelta(days=400)
files = sorted(os.path.join(folder, f) for f in os.listdir(folder))

def run(group, pick, work):
    chosen = [f for f in files if pick(f)]
    if not chosen:
        return None
    found, size = 0, 0
    t0 = time.perf_counter()
    for path in chosen:
        with open(path, "rb") as f:
            data = f.read()
        size += len(data)
        found += work(data)
    secs = time.perf_counter() - t0
    return {"files": len(chosen), "MB": round(size / 1e6, 2), "seconds": round(secs, 3), "found": found}

def ics(data):
    cal = icalendar.Calendar.from_ical(data)
    return len(recurring_ical_events.of(cal).between(start, end))

def feed(data):
    return len(feedparser.parse(data).entries)

def page(data):
    d = extruct.extract(data.decode("utf-8"), syntaxes=["json-ld", "microdata", "microformat"], uniform=False)
    n = 0
    for block in d.get("json-ld", []):
        n += len(block.get("@graph", [block]))
    return n + len(d.get("microdata", [])) + len(d.get("microformat", []))

out = {
    "icalendar+recurring_ical_events": run("ics", lambda f: f.endswith(".ics"), ics),
    "feedparser": run("feeds", lambda f: f.endswith((".rss.xml", ".feed.json")), feed),
    "extruct": run("pages", lambda f: f.endswith(".html"), page),
}
print(json.dumps({k: v for k, v in out.items() if v}))

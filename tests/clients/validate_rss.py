#!/usr/bin/env python3
"""Parse an RSS feed with feedparser (the parser of many feed readers) and print its items as JSON.

Fails (exit 1, with a message) when feedparser flags the document as
ill-formed (`bozo`), when it is not RSS 2.0, when the channel lacks its
title, link, description or language, or when an item lacks its title,
link, guid, description, pubDate or the RSS event module's `ev:startdate`.

Output: {"channel": {"title","link","language","self"},
         "items": [{"id","title","link","startdate","enddate","location",
                    "categories","published"}]}
with `published` as "YYYY-MM-DDTHH:MM:SSZ" and the event dates as written.

Usage: PYTHONPATH=target/pyclients python3 tests/clients/validate_rss.py FILE
(after scripts/setup-test-clients)
"""
import calendar
import datetime as dt
import json
import sys

import feedparser


def fail(message):
    sys.stderr.write(f"validate_rss.py: {message}\n")
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: validate_rss.py FILE")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    feed = feedparser.parse(data)
    if feed.bozo:
        fail(f"ill-formed feed: {feed.bozo_exception}")
    if feed.version != "rss20":
        fail(f"not RSS 2.0 but {feed.version!r}")
    channel = feed.feed
    for key in ("title", "link", "subtitle", "language"):
        if not channel.get(key):
            fail(f"the channel has no {key}")
    self_link = next(
        (l.get("href") for l in channel.get("links", []) if l.get("rel") == "self"), None
    )
    items = []
    for number, entry in enumerate(feed.entries, start=1):
        for key in ("title", "link", "id", "summary", "published_parsed", "ev_startdate"):
            if not entry.get(key):
                fail(f"item {number} ({entry.get('title')!r}) has no {key}")
        published = dt.datetime.fromtimestamp(
            calendar.timegm(entry.published_parsed), tz=dt.timezone.utc
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        items.append(
            {
                "id": entry.id,
                "title": entry.title,
                "link": entry.link,
                "startdate": entry.ev_startdate,
                "enddate": entry.get("ev_enddate"),
                "location": entry.get("ev_location"),
                "categories": [t.get("term") for t in entry.get("tags", [])],
                "published": published,
            }
        )
    print(
        json.dumps(
            {
                "channel": {
                    "title": channel.title,
                    "link": channel.link,
                    "language": channel.language,
                    "self": self_link,
                },
                "items": items,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

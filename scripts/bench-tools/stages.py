#!/usr/bin/env python3
"""Sum babillard's per-stage debug timings from one ingest log.

usage: stages.py LOG SOURCES_TOML
Reads the pipeline's `source run read` lines (read_ms, normalize_ms per
source run) and `source run stored` (store_ms: from the turn to write to the
answer, so the wait for the batch is in it), then the store's, once per
batch: `apply_success phases` (records and occurrences, of which records;
cross-source clustering (assign), events rebuilt), `dedup group closed` (reading
candidates, scoring pairs, closing the group) and `store write` (SQLite
commit, search index). Prints one JSON object.
read_ms is split by the kind of file the source reads (its file name), with
the bytes of those files. read_ms counts from the start of the source run, so
it includes the wait for a fetch slot when many runs start at once: it is an
upper bound of read + parse, not a parse speed (see `cargo bench --bench ics`
and `--bench kinds` for those).
"""
import json, os, re, sys, tomllib
from collections import defaultdict

log, toml_path = sys.argv[1], sys.argv[2]
with open(toml_path, "rb") as f:
    cfg = tomllib.load(f)
base = os.path.dirname(os.path.abspath(toml_path))

def file_kind(url):
    for suffix, kind in ((".ics", "ics"), (".rss.xml", "rss"), (".feed.json", "jsonfeed"),
                         (".jsonld.html", "jsonld"), (".microdata.html", "microdata"),
                         (".hevent.html", "hevent")):
        if url.endswith(suffix):
            return kind
    return "wordpress" if "wp-json" in url else "other"

kind_of, bytes_of = {}, defaultdict(int)
for s in cfg.get("source", []):
    k = file_kind(s["url"])
    kind_of[s["id"]] = k
    try:
        bytes_of[k] += os.path.getsize(os.path.join(base, s["url"]))
    except OSError:
        pass

ansi = re.compile(r"\x1b\[[0-9;]*m")
field = re.compile(r"(\w+)=(\S+)")
totals = defaultdict(int)
per_kind_ms = defaultdict(int)
runs = 0
with open(log, errors="replace") as f:
    for line in f:
        line = ansi.sub("", line)
        kv = dict(field.findall(line))
        num = lambda k: int(kv.get(k, "0")) if kv.get(k, "0").isdigit() else 0
        if "source run read" in line:
            runs += 1
            for k in ("read_ms", "normalize_ms"):
                totals[k] += num(k)
            per_kind_ms[kind_of.get(kv.get("source", ""), "other")] += num("read_ms")
        elif "source run stored" in line:
            totals["store_ms"] += num("store_ms")
        elif "dedup group closed" in line:
            totals["batches"] += 1
            for k in ("read_ms", "pairs_ms", "close_ms"):
                totals["dedup_" + k] += num(k)
        elif "apply_success phases" in line:
            for k in ("records_and_occurrences_ms", "records_ms", "assign_ms", "rebuild_ms"):
                totals[k] += num(k)
        elif "store write" in line:
            for k in ("sql_ms", "search_ms"):
                totals[k] += num(k)

out = {"source_runs_logged": runs, "totals_ms": dict(totals), "read_by_kind_upper_bound": {}}
for k, ms in sorted(per_kind_ms.items()):
    mb = bytes_of.get(k, 0) / 1e6
    out["read_by_kind_upper_bound"][k] = {"MB": round(mb, 2), "read_ms": ms,
                                    "MB_per_s_at_least": round(mb / (ms / 1000), 2) if ms else None}
print(json.dumps(out))

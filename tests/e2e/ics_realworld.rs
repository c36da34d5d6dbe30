//! Real-world calendars we did not write (the test calendars shipped by other
//! iCalendar libraries, see tests/fixtures/ics/realworld/README.md), read by
//! babillard (`ingest::ics::parse` then `Normalizer::normalize`, exactly as
//! `ics_golden` does) and by an independent reader, `recurring_ical_events`
//! on top of Python's `icalendar` (tests/clients/ics_oracle.py), in the same
//! zone and window. Occurrences are compared by (start, end, all_day) per
//! uid, titles as a second check.
//!
//! It measures more than it checks: it prints, per folder, how many of the
//! oracle's occurrences babillard reads right and the failures by class, and
//! asserts only that the share matched does not fall below [`FLOORS`]
//! (today's value, rounded down). Improve the parser, then raise the floor.
//! The `holdout_*` folders are the judge: do not tune against them.
//!
//! Needs python3 and scripts/setup-test-clients (as the other client tests).
//! Nothing here reaches the network: the oracle reads local files and takes
//! its zones from the pinned `tzdata` package.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::harness::fixture;
use crate::ics_golden::actual_events;

/// The zone floating times are read in, and the clock: as in ics_golden.
const ZONE: &str = "America/Toronto";
const NOW: &str = "2026-11-01T00:00:00Z";

/// Per folder: the share of the oracle's occurrences babillard must match,
/// in percent. Today's measure rounded down: raise it when you improve the
/// reader (a ratchet), never lower it to make a change pass.
const FLOORS: [(&str, u32); 3] = [
    ("icalendar", 99),
    ("recurring_ical_events", 99),
    ("holdout_khal", 98),
];

/// At least this many files per folder must be read by the oracle (so that
/// a missing corpus or a broken oracle cannot pass as a perfect score).
const MIN_FILES: usize = 30;

/// Why an occurrence of the oracle or of ours is not matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Babillard could not read the file at all (parse error or panic).
    Unreadable,
    /// Same occurrence, one side all-day and the other timed.
    AllDayVsTimed,
    /// Timed on both sides, start and end shifted by the same whole number
    /// of quarter hours (at most 26 h): a zone or UTC-offset mistake.
    ZoneOffset,
    /// Timed on both sides, starts less than 26 h apart, not a zone shift.
    StartDiffers,
    /// Same start, different end.
    EndDiffers,
    /// An oracle occurrence babillard does not give.
    MissingRecurrence,
    /// An occurrence babillard gives that the oracle does not.
    ExtraRecurrence,
    /// Missing or extra within two days of the window's ends: the two
    /// readers cut the window a little differently (not a reading error).
    WindowEdge,
    /// The same (start, end, all_day) but under another uid.
    UidDiffers,
    /// Matched, but the title reads differently.
    TitleDiffers,
    /// Matched, but the title is mojibake (UTF-8 read as Latin-1, U+FFFD).
    Mojibake,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Unreadable => "file not read by babillard",
            Class::AllDayVsTimed => "all-day vs timed",
            Class::ZoneOffset => "time-zone offset",
            Class::StartDiffers => "start differs (not a whole zone shift)",
            Class::EndDiffers => "same start, end differs",
            Class::MissingRecurrence => "missing occurrences (oracle only)",
            Class::ExtraRecurrence => "extra occurrences (babillard only)",
            Class::WindowEdge => "missing/extra at the window's edge",
            Class::UidDiffers => "uid differs",
            Class::TitleDiffers => "title text differs",
            Class::Mojibake => "title mojibake",
        }
    }
}

/// One occurrence, from either side.
#[derive(Debug, Clone)]
struct Occ {
    uid: String,
    start: String,
    /// The end, the RFC 5545 default filled in when the reader gave none
    /// (a timed event with no end is an instant, an all-day one lasts a day).
    end: String,
    all_day: bool,
    title: Option<String>,
    /// The start as an instant (an all-day one: midnight in [`ZONE`]).
    at: DateTime<Utc>,
    /// The end as an instant, likewise.
    end_at: Option<DateTime<Utc>>,
}

impl Occ {
    fn key(&self) -> (&str, &str, bool) {
        (&self.start, &self.end, self.all_day)
    }

    fn show(&self) -> String {
        format!(
            "{}..{}{}",
            self.start,
            self.end,
            if self.all_day { " all-day" } else { "" }
        )
    }
}

fn instant(start: &str, all_day: bool, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if all_day {
        let day: NaiveDate = start.parse().ok()?;
        day.and_hms_opt(0, 0, 0)?
            .and_local_timezone(tz)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
    } else {
        start.parse().ok()
    }
}

/// An occurrence as JSON (`start`, `end`, `all_day`, and `title` or
/// `summary`); `None` when its start cannot be read.
fn occ(uid: String, v: &Value, title_key: &str, tz: chrono_tz::Tz) -> Option<Occ> {
    let start = v["start"].as_str()?.to_string();
    let all_day = v["all_day"].as_bool().unwrap_or(false);
    let at = instant(&start, all_day, tz)?;
    let end = match v["end"].as_str() {
        Some(e) => e.to_string(),
        None if all_day => start.parse::<NaiveDate>().ok()?.succ_opt()?.to_string(),
        None => start.clone(),
    };
    let end_at = instant(&end, all_day, tz);
    Some(Occ {
        uid,
        start,
        end,
        end_at,
        all_day,
        title: v[title_key].as_str().map(str::to_string),
        at,
    })
}

/// One failure, for the report.
struct Failure {
    class: Class,
    file: String,
    uid: String,
    detail: String,
}

#[derive(Default)]
struct Tally {
    files: usize,
    oracle_errors: Vec<(String, String)>,
    window_from_file: usize,
    oracle: usize,
    matched: usize,
    missed: usize,
    extra: usize,
    failures: Vec<Failure>,
}

impl Tally {
    fn share(&self) -> f64 {
        if self.oracle == 0 {
            return 0.0;
        }
        100.0 * self.matched as f64 / self.oracle as f64
    }
}

/// Collapsed whitespace, for comparing titles.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn looks_like_mojibake(s: &str) -> bool {
    s.contains('\u{FFFD}') || ["Ã", "Â", "â€", "Ã©", "Ã¨"].iter().any(|m| s.contains(m))
}

/// Run the oracle on every file of one folder (one process: Python starts
/// once), in the window that holds occurrences (--auto-window).
fn oracle(files: &[PathBuf]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/clients/ics_oracle.py"))
        .args(["--auto-window", "--tz", ZONE, "--now", NOW])
        .args(files)
        .env("PYTHONPATH", root.join("target/pyclients"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}; run scripts/setup-test-clients"));
    assert!(
        out.status.success(),
        "ics_oracle.py failed:\n{}\n(if a module is missing, run scripts/setup-test-clients)",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice::<Value>(&out.stdout).expect("ics_oracle.py prints JSON") {
        Value::Array(all) => all,
        one => vec![one],
    }
}

/// Compare one file; adds to `tally`.
fn compare(file: &str, bytes: &[u8], oracle: &Value, tally: &mut Tally) {
    let tz: chrono_tz::Tz = ZONE.parse().unwrap();
    let from: DateTime<Utc> = oracle["from"].as_str().unwrap().parse().unwrap();
    let to: DateTime<Utc> = oracle["to"].as_str().unwrap().parse().unwrap();
    let want: Vec<Occ> = oracle["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let uid = o["uid"].as_str().unwrap_or("").to_string();
            occ(uid, o, "summary", tz)
        })
        .collect();
    tally.oracle += want.len();
    let fail = |tally: &mut Tally, class: Class, uid: &str, detail: String| {
        tally.failures.push(Failure {
            class,
            file: file.to_string(),
            uid: uid.to_string(),
            detail,
        })
    };

    // Babillard, exactly as ics_golden reads its fixtures.
    let ours = match ingest::ics::parse(bytes, &ingest::ParseContext::default()) {
        Err(e) => Err(format!("parse error: {e}")),
        Ok(_) => std::panic::catch_unwind(|| actual_events(bytes, oracle)).map_err(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            format!("panic: {msg}")
        }),
    };
    let ours = match ours {
        Ok(v) => v,
        Err(e) => {
            tally.missed += want.len();
            fail(
                tally,
                Class::Unreadable,
                "",
                format!("{e} ({} oracle occurrences)", want.len()),
            );
            return;
        }
    };
    let oracle_uids: HashSet<&str> = want.iter().map(|o| o.uid.as_str()).collect();
    // Ours in the same window (non-recurring records are kept whatever their
    // date); a uid the oracle does not know joins the oracle's uid-less ones.
    let got: Vec<Occ> = ours
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let uid = o["uid"].as_str().unwrap_or("");
            let uid = if oracle_uids.contains(uid) { uid } else { "" };
            occ(uid.to_string(), o, "title", tz)
        })
        .filter(|o| o.at >= from && o.at <= to)
        .collect();

    let mut groups: BTreeMap<&str, (Vec<&Occ>, Vec<&Occ>)> = BTreeMap::new();
    for o in &want {
        groups.entry(&o.uid).or_default().0.push(o);
    }
    for o in &got {
        groups.entry(&o.uid).or_default().1.push(o);
    }
    let mut missed: Vec<&Occ> = Vec::new();
    let mut extra: Vec<&Occ> = Vec::new();
    for (uid, (mut w, mut g)) in groups {
        w.sort_by(|a, b| a.key().cmp(&b.key()));
        g.sort_by(|a, b| a.key().cmp(&b.key()));
        // Exact matches, as multisets.
        let mut left_w = Vec::new();
        let mut used = vec![false; g.len()];
        for o in w {
            // Same times, the same title first: calendars without UIDs
            // (ours and the oracle's then share one group) can hold two
            // events at the same time.
            let free = |i: &usize| !used[*i] && g[*i].key() == o.key();
            let hit = (0..g.len())
                .filter(free)
                .find(|&i| g[i].title.as_deref().map(squash) == o.title.as_deref().map(squash))
                .or_else(|| (0..g.len()).find(free));
            match hit {
                Some(i) => {
                    used[i] = true;
                    tally.matched += 1;
                    check_title(file, o, g[i], tally);
                }
                None => left_w.push(o),
            }
        }
        let mut left_g: Vec<&Occ> = (0..g.len()).filter(|&i| !used[i]).map(|i| g[i]).collect();
        // The rest: pair each oracle occurrence with our nearest one within
        // 26 hours (the widest gap between two UTC offsets; all-day ones only
        // on the same day), and say why they differ.
        for o in left_w {
            let near = left_g
                .iter()
                .enumerate()
                .map(|(i, a)| (i, (a.at - o.at).num_seconds().abs()))
                .filter(|&(i, d)| d <= 26 * 3600 && !(o.all_day && left_g[i].all_day && d != 0))
                .min_by_key(|&(_, d)| d)
                .map(|(i, _)| i);
            let Some(i) = near else {
                missed.push(o);
                continue;
            };
            let a = left_g.remove(i);
            tally.missed += 1;
            tally.extra += 1;
            let delta = a.at - o.at;
            let class = if a.all_day != o.all_day {
                Class::AllDayVsTimed
            } else if delta.is_zero() {
                Class::EndDiffers
            } else if delta.num_seconds() % 900 == 0
                && a.end_at.zip(o.end_at).map(|(x, y)| x - y) == Some(delta)
            {
                Class::ZoneOffset
            } else {
                Class::StartDiffers
            };
            let shift = if class == Class::ZoneOffset {
                format!(" ({:+} min)", delta.num_minutes())
            } else {
                String::new()
            };
            fail(
                tally,
                class,
                uid,
                format!("ours {} vs oracle {}{shift}", a.show(), o.show()),
            );
        }
        extra.extend(left_g);
    }
    // In the window of the file's own first start, the start of the window
    // is no cut through the calendar: only its end is an edge.
    let own_window = oracle["mode"] == "file";
    let edge = |o: &Occ| {
        let margin = chrono::TimeDelta::days(2);
        (!own_window && (o.at - from).abs() <= margin) || (o.at - to).abs() <= margin
    };
    // Same occurrence under another uid?
    let mut extra_used = vec![false; extra.len()];
    for o in missed {
        tally.missed += 1;
        let hit = (0..extra.len()).find(|&i| !extra_used[i] && extra[i].key() == o.key());
        match hit {
            Some(i) => {
                extra_used[i] = true;
                tally.extra += 1;
                fail(
                    tally,
                    Class::UidDiffers,
                    &o.uid,
                    format!("{} under another uid", o.show()),
                );
            }
            None => fail(
                tally,
                if edge(o) {
                    Class::WindowEdge
                } else {
                    Class::MissingRecurrence
                },
                &o.uid,
                format!(
                    "missing: oracle {} {:?}",
                    o.show(),
                    o.title.as_deref().unwrap_or("")
                ),
            ),
        }
    }
    for (i, a) in extra.into_iter().enumerate() {
        if extra_used[i] {
            continue;
        }
        tally.extra += 1;
        fail(
            tally,
            if edge(a) {
                Class::WindowEdge
            } else {
                Class::ExtraRecurrence
            },
            &a.uid,
            format!(
                "extra: ours {} {:?}",
                a.show(),
                a.title.as_deref().unwrap_or("")
            ),
        );
    }
}

fn check_title(file: &str, want: &Occ, got: &Occ, tally: &mut Tally) {
    let Some(w) = want.title.as_deref().map(squash).filter(|t| !t.is_empty()) else {
        return;
    };
    let g = got.title.as_deref().map(squash).unwrap_or_default();
    if g == w {
        return;
    }
    let class = if looks_like_mojibake(&g) && !looks_like_mojibake(&w) {
        Class::Mojibake
    } else {
        Class::TitleDiffers
    };
    tally.failures.push(Failure {
        class,
        file: file.to_string(),
        uid: want.uid.clone(),
        detail: format!("ours {g:?} vs oracle {w:?} ({})", want.start),
    });
}

fn measure(folder: &str, oracle_out: &[Value], files: &[PathBuf]) -> Tally {
    let mut tally = Tally {
        files: files.len(),
        ..Tally::default()
    };
    for (path, result) in files.iter().zip(oracle_out) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(e) = result["error"].as_str() {
            tally.oracle_errors.push((name, e.to_string()));
            continue;
        }
        if result["mode"] == "file" {
            tally.window_from_file += 1;
        }
        let bytes = std::fs::read(path).unwrap();
        compare(&format!("{folder}/{name}"), &bytes, result, &mut tally);
    }
    tally
}

fn report(folder: &str, t: &Tally) -> String {
    let mut s = String::new();
    let read = t.files - t.oracle_errors.len();
    let _ = writeln!(
        s,
        "== {folder}: {} files, {read} read by the oracle ({} skipped: oracle error; {} in the window of their own first DTSTART), {} oracle occurrences: matched {}, missed {}, extra {} -> {:.2}% matched",
        t.files,
        t.oracle_errors.len(),
        t.window_from_file,
        t.oracle,
        t.matched,
        t.missed,
        t.extra,
        t.share()
    );
    let mut by_class: BTreeMap<Class, Vec<&Failure>> = BTreeMap::new();
    for f in &t.failures {
        by_class.entry(f.class).or_default().push(f);
    }
    for (class, fs) in by_class {
        let files: HashSet<&str> = fs.iter().map(|f| f.file.as_str()).collect();
        let _ = writeln!(
            s,
            "  [{}] {} in {} files",
            class.label(),
            fs.len(),
            files.len()
        );
        // One line per file: how many, and the first example.
        let mut per_file: Vec<(&str, Vec<&Failure>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for f in fs {
            let i = *index.entry(&f.file).or_insert_with(|| {
                per_file.push((&f.file, Vec::new()));
                per_file.len() - 1
            });
            per_file[i].1.push(f);
        }
        for (file, fs) in per_file {
            let f = fs[0];
            let more = if fs.len() > 1 {
                format!(" (+{} more)", fs.len() - 1)
            } else {
                String::new()
            };
            let uid = if f.uid.is_empty() {
                "(none or unknown to the oracle)".to_string()
            } else {
                format!("{:?}", f.uid)
            };
            let _ = writeln!(s, "    {file} uid={uid}: {}{more}", f.detail);
        }
    }
    if !t.oracle_errors.is_empty() {
        let _ = writeln!(s, "  [skipped: the oracle cannot read them]");
        for (name, e) in &t.oracle_errors {
            let e: String = e.chars().take(140).collect();
            let _ = writeln!(s, "    {folder}/{name}: {e}");
        }
    }
    s
}

fn corpus(folder: &str) -> Vec<PathBuf> {
    let dir = fixture("ics/realworld").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("ics"))
        .collect();
    files.sort();
    files
}

#[test]
fn real_world_calendars_against_an_independent_reader() {
    let started = std::time::Instant::now();
    // The oracle runs once per folder, the folders in parallel.
    let runs: Vec<(&str, Vec<PathBuf>, Vec<Value>)> = std::thread::scope(|s| {
        let handles: Vec<_> = FLOORS
            .iter()
            .map(|&(folder, _)| {
                s.spawn(move || {
                    let files = corpus(folder);
                    let out = oracle(&files);
                    assert_eq!(out.len(), files.len(), "{folder}: one answer per file");
                    (folder, files, out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut text = String::new();
    let mut below = Vec::new();
    let mut summary = Vec::new();
    for ((folder, files, out), &(_, floor)) in runs.iter().zip(FLOORS.iter()) {
        let tally = measure(folder, out, files);
        text.push_str(&report(folder, &tally));
        text.push('\n');
        let read = tally.files - tally.oracle_errors.len();
        assert!(
            read >= MIN_FILES,
            "{folder}: only {read} files read by the oracle"
        );
        summary.push(json!({
            "folder": folder,
            "files": tally.files,
            "oracle_errors": tally.oracle_errors.len(),
            "oracle_occurrences": tally.oracle,
            "matched": tally.matched,
            "missed": tally.missed,
            "extra": tally.extra,
            "share_matched": (tally.share() * 100.0).round() / 100.0,
            "floor": floor,
        }));
        if tally.share() < f64::from(floor) {
            below.push(format!(
                "{folder}: {:.2}% matched, below the floor of {floor}%",
                tally.share()
            ));
        }
    }
    let _ = writeln!(
        text,
        "summary: {}\n(in {:.1} s)",
        Value::Array(summary),
        started.elapsed().as_secs_f64()
    );
    println!("{text}");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ics_realworld.txt");
    std::fs::write(&out, &text).unwrap();
    assert!(
        below.is_empty(),
        "{}\n(full report in {})",
        below.join("\n"),
        out.display()
    );
}

/// Tiny hand-written calendars, one per quirk the real-world corpus showed,
/// read as the corpus is (`ingest::ics::parse`, then the normalizer, in
/// [`ZONE`]). The expected occurrences are worked out from RFC 5545 by
/// hand, not taken from either reader.
mod quirks {
    use super::ZONE;
    use crate::ics_golden::actual_events;
    use serde_json::json;

    /// `uid start..end[ all-day] title`, sorted; timed ones in UTC.
    fn occurrences(body: &str, now: &str) -> Vec<String> {
        let ics = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n")
            .replace('\n', "\r\n")
            .replace("\r\r\n", "\r\n");
        let clock = json!({"now": now, "timezone": ZONE, "horizon_days": 365});
        let events = actual_events(ics.as_bytes(), &clock);
        let mut out: Vec<String> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let all_day = if e["all_day"].as_bool().unwrap() {
                    " all-day"
                } else {
                    ""
                };
                format!(
                    "{} {}..{}{all_day} {}",
                    e["uid"].as_str().unwrap(),
                    e["start"].as_str().unwrap(),
                    e["end"].as_str().unwrap_or("-"),
                    e["title"].as_str().unwrap()
                )
            })
            .collect();
        out.sort();
        out
    }

    /// RFC 5545 3.8.5.2: an RDATE PERIOD is an instance with its own end,
    /// explicit or as a duration; a date-only period in a timed series runs
    /// midnight to midnight on the series' clock (here UTC).
    #[test]
    fn rdate_periods_keep_their_own_end() {
        let got = occurrences(
            "BEGIN:VEVENT
UID:p
SUMMARY:p
DTSTART:20270105T180000Z
DTEND:20270105T190000Z
RDATE;VALUE=PERIOD:20270110T180000Z/20270110T210000Z,20270112T180000Z/PT30M
RDATE;VALUE=PERIOD:20270115/20270116
END:VEVENT
",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "p 2027-01-05T18:00:00Z..2027-01-05T19:00:00Z p",
                "p 2027-01-10T18:00:00Z..2027-01-10T21:00:00Z p",
                "p 2027-01-12T18:00:00Z..2027-01-12T18:30:00Z p",
                "p 2027-01-15T00:00:00Z..2027-01-16T00:00:00Z p",
            ]
        );
    }

    /// Two masters with one UID (an export that kept the series before its
    /// edit): the higher SEQUENCE is the series. An override older than it,
    /// of an instance the edit removed (EXDATE), is stale; a current
    /// override still moves its instance.
    #[test]
    fn the_edited_master_wins_and_stale_overrides_go() {
        let got = occurrences(
            "BEGIN:VEVENT
UID:s
SEQUENCE:1
SUMMARY:old
DTSTART;VALUE=DATE:20270104
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:s
SEQUENCE:1
RECURRENCE-ID;VALUE=DATE:20270111
SUMMARY:stale
DTSTART;VALUE=DATE:20270112
END:VEVENT
BEGIN:VEVENT
UID:s
SEQUENCE:2
SUMMARY:new
DTSTART;VALUE=DATE:20270104
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE;VALUE=DATE:20270111
END:VEVENT
BEGIN:VEVENT
UID:s
SEQUENCE:2
RECURRENCE-ID;VALUE=DATE:20270118
SUMMARY:moved
DTSTART;VALUE=DATE:20270119
END:VEVENT
",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "s 2027-01-04..2027-01-05 all-day new",
                "s 2027-01-19..2027-01-20 all-day moved",
            ]
        );
    }

    /// Exchange names the instance of an all-day series by its local
    /// midnight in the organizer's zone: that day, not the day that
    /// midnight falls on in the aggregator's zone (Toronto, 5 h behind).
    #[test]
    fn a_date_time_recurrence_id_names_a_day_of_an_all_day_series() {
        let got = occurrences(
            "BEGIN:VEVENT
UID:b
SUMMARY:bin
DTSTART;VALUE=DATE:20270107
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:b
SUMMARY:bin moved
RECURRENCE-ID;TZID=Europe/London:20270114T000000
DTSTART;VALUE=DATE:20270115
END:VEVENT
",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "b 2027-01-07..2027-01-08 all-day bin",
                "b 2027-01-15..2027-01-16 all-day bin moved",
                "b 2027-01-21..2027-01-22 all-day bin",
            ]
        );
    }

    /// Confluence writes `COUNT=-1` for "no count" (the UNTIL ends the
    /// rule), and deletes a series by moving its UNTIL before DTSTART.
    #[test]
    fn negative_count_and_until_before_dtstart() {
        let got = occurrences(
            "BEGIN:VEVENT
UID:c
SUMMARY:c
DTSTART;VALUE=DATE:20270104
RRULE:FREQ=WEEKLY;UNTIL=20270125;COUNT=-1;INTERVAL=2;BYDAY=MO
END:VEVENT
BEGIN:VEVENT
UID:d
SUMMARY:d
DTSTART;VALUE=DATE:20270104
RRULE:FREQ=WEEKLY;UNTIL=20270101;BYDAY=MO
END:VEVENT
",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "c 2027-01-04..2027-01-05 all-day c",
                "c 2027-01-18..2027-01-19 all-day c",
            ]
        );
    }

    /// A DATE as the DTEND of a timed start is exclusive like every DTEND:
    /// the midnight starting that day, on the start's clock; when that is
    /// not after the start, the next one.
    #[test]
    fn a_date_end_of_a_timed_start() {
        let got = occurrences(
            "BEGIN:VEVENT
UID:e
SUMMARY:e
DTSTART:20270104T100000Z
DTEND;VALUE=DATE:20270105
END:VEVENT
BEGIN:VEVENT
UID:f
SUMMARY:f
DTSTART:20270104T100000Z
DTEND;VALUE=DATE:20270104
END:VEVENT
",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "e 2027-01-04T10:00:00Z..2027-01-05T00:00:00Z e",
                "f 2027-01-04T10:00:00Z..2027-01-05T00:00:00Z f",
            ]
        );
    }

    /// A VTIMEZONE no IANA zone matches is read by its own onsets: +12:00
    /// from 2027-01-01, +10:00 from 2027-05-05 08:00 (clocks go back to
    /// 06:00; the onset is written on the clock before it, RFC 5545 3.6.5).
    #[test]
    fn a_custom_vtimezone_is_read_by_its_own_rules() {
        let got = occurrences(
            "BEGIN:VTIMEZONE
TZID:MyTimezone
BEGIN:STANDARD
TZOFFSETFROM:+1000
TZOFFSETTO:+1200
DTSTART:20270101T000000
END:STANDARD
BEGIN:DAYLIGHT
TZOFFSETFROM:+1200
TZOFFSETTO:+1000
DTSTART:20270505T080000
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:winter
SUMMARY:w
DTSTART;TZID=MyTimezone:20270303T080000
END:VEVENT
BEGIN:VEVENT
UID:before
SUMMARY:b
DTSTART;TZID=MyTimezone:20270505T070001
END:VEVENT
BEGIN:VEVENT
UID:summer
SUMMARY:s
DTSTART;TZID=MyTimezone:20270803T080000
END:VEVENT
",
            "2027-03-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "before 2027-05-04T19:00:01Z..- b",
                "summer 2027-08-02T22:00:00Z..- s",
                "winter 2027-03-02T20:00:00Z..- w",
            ]
        );
    }

    /// DTEND less than a day before DTSTART: written the wrong way round,
    /// the earlier one starts the event; days before: a mistyped end, left
    /// out (RFC 5545 3.8.2.2 wants DTEND after DTSTART).
    #[test]
    fn an_end_before_the_start() {
        let got = occurrences(
            "BEGIN:VEVENT
UID:i
SUMMARY:i
DTSTART;TZID=Europe/Berlin:20270304T083000
DTEND;TZID=Europe/Berlin:20270304T080000
END:VEVENT
BEGIN:VEVENT
UID:j
SUMMARY:j
DTSTART:20270304T083000Z
DTEND:20270301T080000Z
END:VEVENT
",
            "2027-03-01T00:00:00Z",
        );
        assert_eq!(
            got,
            [
                "i 2027-03-04T07:00:00Z..2027-03-04T07:30:00Z i",
                "j 2027-03-04T08:30:00Z..- j",
            ]
        );
    }

    /// A TZID nothing explains (no IANA or Windows name, no VTIMEZONE):
    /// the calendar's own zone (X-WR-TIMEZONE), not the aggregator's; and
    /// Lotus Notes' name for Central European Time.
    #[test]
    fn unknown_tzids_take_the_calendar_zone_and_lotus_names_are_known() {
        let got = occurrences(
            "X-WR-TIMEZONE:Europe/Paris
BEGIN:VEVENT
UID:g
SUMMARY:g
DTSTART;TZID=Somewhere Else:20270110T200000
END:VEVENT
BEGIN:VEVENT
UID:h
SUMMARY:h
DTSTART;TZID=\"Western/Central Europe\":20270710T160000
END:VEVENT
",
            "2027-01-01T00:00:00Z",
        );
        assert_eq!(
            got,
            ["g 2027-01-10T19:00:00Z..- g", "h 2027-07-10T14:00:00Z..- h",]
        );
    }
}

//! A record and its RECURRENCE-ID overrides, turned into occurrences.
//!
//! Records are grouped by uid. A group's master (the record without a
//! recurrence id; of several, the one with the highest SEQUENCE, as an
//! export may keep a series beside its edited copy) is expanded into
//! instances (see [`crate::recurrence`]);
//! each override then replaces the instance whose original start equals its
//! recurrence id (compared on the series' wall clock, that is as instants;
//! a DATE recurrence id matches the instance of that day). A cancelled
//! override keeps its instance, cancelled. An override that matches no
//! instance is an occurrence of its own (it moved into the window), unless
//! it is older (lower SEQUENCE) than the master and the master no longer
//! has that instance (EXDATE, a shortened rule): then it is stale and
//! dropped. A DATE-TIME recurrence id of an all-day series names the day
//! it is written on.
//! THISANDFUTURE overrides shift that instance and every later one by the
//! override's time shift and give them its fields.
//!
//! Non-recurring records are kept whatever their date; series keep the
//! instances whose original or actual start lies in `[now - 31 days,
//! now + horizon]`, at most [`crate::MAX_OCCURRENCES_PER_SERIES`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use model::{ids, Event, Occurrence, RawEvent, SourceId, TimeValue};

use crate::recurrence::{self, Exclusions};
use crate::time::{self, Length, Moment, Timing, ZoneContext};
use crate::{Fields, Normalizer, SourceMeta, MAX_OCCURRENCES_PER_SERIES};

/// The records sharing one uid.
pub(crate) struct Group<'a> {
    pub uid: &'a str,
    pub masters: Vec<&'a RawEvent>,
    pub overrides: Vec<&'a RawEvent>,
}

/// Group records by uid, in order of first appearance.
pub(crate) fn group_by_uid(records: &[RawEvent]) -> Vec<Group<'_>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for r in records {
        let i = *index.entry(r.uid.as_str()).or_insert_with(|| {
            groups.push(Group {
                uid: r.uid.as_str(),
                masters: Vec::new(),
                overrides: Vec::new(),
            });
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            if r.recurrence_id.is_some() {
                g.overrides.push(r);
            } else {
                g.masters.push(r);
            }
        }
    }
    groups
}

/// One normalization run over a source.
pub(crate) struct Run<'a> {
    pub normalizer: &'a Normalizer,
    pub source: &'a SourceMeta,
    pub now: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub year: i32,
}

/// A point of a series' timeline, on its wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    Wall(NaiveDateTime),
    Day(NaiveDate),
}

/// One instance being built.
struct Instance<'r> {
    /// Original start on the series' wall clock.
    wall: NaiveDateTime,
    key: String,
    moment: Moment,
    zone: Tz,
    length: Length,
    record: &'r RawEvent,
    /// The original start as an instant (for the window).
    original_at: DateTime<Utc>,
}

/// A master's resolved series frame.
struct Frame {
    timing: Timing,
    all_day: bool,
    rule_zone: Tz,
    dtstart: NaiveDateTime,
}

impl Run<'_> {
    fn ctx<'r>(&self, record: &'r RawEvent, fallback: Option<&'r RawEvent>) -> ZoneContext<'r> {
        let timezones = if record.timezones.is_empty() {
            fallback.map_or(&record.timezones[..], |f| &f.timezones[..])
        } else {
            &record.timezones[..]
        };
        ZoneContext {
            aggregator: self.normalizer.settings().timezone,
            timezones,
            default_tzid: record
                .default_tzid
                .as_deref()
                .or_else(|| fallback.and_then(|f| f.default_tzid.as_deref())),
            year: self.year,
        }
    }

    fn timing_of(
        &self,
        record: &RawEvent,
        fallback: Option<&RawEvent>,
        warnings: &mut Vec<String>,
    ) -> Option<Timing> {
        let ctx = self.ctx(record, fallback);
        match ctx.timing(
            &record.start,
            record.end.as_ref(),
            record.duration_secs,
            warnings,
        ) {
            Ok(t) => Some(t),
            Err(e) => {
                warnings.push(format!("record skipped: {e}"));
                None
            }
        }
    }

    fn in_window(&self, at: DateTime<Utc>) -> bool {
        at >= self.from && at <= self.to
    }

    /// Normalize one uid's records.
    pub(crate) fn group(
        &self,
        g: &Group<'_>,
        out: &mut Vec<Occurrence>,
        warnings: &mut Vec<String>,
    ) {
        if g.masters.len() > 1 {
            warnings.push(format!(
                "{} records share this uid; only the one with the highest SEQUENCE is used",
                g.masters.len()
            ));
        }
        match latest_master(&g.masters) {
            None => self.orphans(g, out, warnings),
            Some(master) if !master.is_recurring() && g.overrides.is_empty() => {
                let Some(timing) = self.timing_of(master, None, warnings) else {
                    return;
                };
                let fields = self
                    .normalizer
                    .fields(self.source, master, self.now, warnings);
                if let Some(o) = self.occurrence(
                    g.uid,
                    "",
                    false,
                    &fields,
                    timing.moment,
                    timing.zone,
                    timing.length,
                ) {
                    out.push(o);
                }
            }
            Some(master) => self.series(g, master, out, warnings),
        }
    }

    /// Overrides whose master the source did not give.
    fn orphans(&self, g: &Group<'_>, out: &mut Vec<Occurrence>, warnings: &mut Vec<String>) {
        let mut items = Vec::new();
        for o in &g.overrides {
            let Some(timing) = self.timing_of(o, None, warnings) else {
                continue;
            };
            let Some(rid) = o.recurrence_id.as_ref() else {
                continue;
            };
            let Ok((orig, zone, _)) = self.ctx(o, None).resolve(rid, warnings) else {
                continue;
            };
            let local = match orig {
                Moment::At(at) => at.with_timezone(&zone).naive_local(),
                Moment::Day(d) => d.and_time(NaiveTime::MIN),
            };
            let orig_at = instant_of(orig, zone);
            let keep = orig_at.is_some_and(|a| self.in_window(a))
                || instant_of(timing.moment, timing.zone).is_some_and(|a| self.in_window(a));
            if keep {
                items.push((o, timing, local));
            }
        }
        let mut per_day: HashMap<NaiveDate, usize> = HashMap::new();
        for (_, _, local) in &items {
            *per_day.entry(local.date()).or_default() += 1;
        }
        for (o, timing, local) in items {
            let key = key_for(local, &per_day);
            let fields = self.normalizer.fields(self.source, o, self.now, warnings);
            if let Some(occ) = self.occurrence(
                g.uid,
                &key,
                true,
                &fields,
                timing.moment,
                timing.zone,
                timing.length,
            ) {
                out.push(occ);
            }
        }
    }

    fn frame(&self, master: &RawEvent, warnings: &mut Vec<String>) -> Option<Frame> {
        let timing = self.timing_of(master, None, warnings)?;
        let all_day = matches!(timing.moment, Moment::Day(_));
        let rule_zone = timing.rule_zone;
        let dtstart = wall_of(timing.moment, rule_zone);
        Some(Frame {
            timing,
            all_day,
            rule_zone,
            dtstart,
        })
    }

    /// A value on the series' wall clock.
    fn point(
        &self,
        frame: &Frame,
        ctx: &ZoneContext<'_>,
        v: &TimeValue,
        warnings: &mut Vec<String>,
    ) -> Option<Point> {
        let (moment, _, _) = ctx.resolve(v, warnings).ok()?;
        // A date-time naming a day of an all-day series (Exchange writes
        // `RECURRENCE-ID;TZID=GMT Standard Time:20200416T000000` for the
        // instance of 2020-04-16): the day as written, whatever the zone
        // the series' dates are shown in.
        if frame.all_day {
            if let TimeValue::Zoned { local, .. } | TimeValue::Floating { local } = v {
                return Some(Point::Day(local.date()));
            }
        }
        Some(match moment {
            Moment::Day(d) => Point::Day(d),
            Moment::At(at) if frame.all_day => {
                Point::Day(at.with_timezone(&frame.timing.zone).date_naive())
            }
            Moment::At(at) => Point::Wall(at.with_timezone(&frame.rule_zone).naive_local()),
        })
    }

    fn series(
        &self,
        g: &Group<'_>,
        master: &RawEvent,
        out: &mut Vec<Occurrence>,
        warnings: &mut Vec<String>,
    ) {
        let Some(frame) = self.frame(master, warnings) else {
            return;
        };
        let recurring = master.is_recurring();
        let ctx = self.ctx(master, None);

        // Original starts.
        let mut ex = Exclusions::default();
        let mut rdates: Vec<NaiveDateTime> = Vec::new();
        if recurring {
            for v in &master.exdate {
                match self.point(&frame, &ctx, v, warnings) {
                    Some(Point::Wall(w)) => {
                        ex.at.insert(w);
                    }
                    Some(Point::Day(d)) => {
                        ex.days.insert(d);
                    }
                    None => {}
                }
            }
            rdates = master
                .rdate
                .iter()
                .filter_map(|v| self.point(&frame, &ctx, v, warnings))
                .map(|p| match p {
                    Point::Wall(w) if frame.all_day => w.date().and_time(NaiveTime::MIN),
                    Point::Wall(w) => w,
                    Point::Day(d) if frame.all_day => d.and_time(NaiveTime::MIN),
                    Point::Day(d) => d.and_time(frame.dtstart.time()),
                })
                .collect();
        }
        let walls: Vec<NaiveDateTime> = if recurring {
            let margin = TimeDelta::days(2);
            let wall_from = self.from.with_timezone(&frame.rule_zone).naive_local();
            let wall_from = wall_from.checked_sub_signed(margin).unwrap_or(wall_from);
            let wall_to = self.to.with_timezone(&frame.rule_zone).naive_local();
            let wall_to = wall_to.checked_add_signed(margin).unwrap_or(wall_to);
            match recurrence::expand(
                &master.rrule,
                frame.dtstart,
                frame.rule_zone,
                &rdates,
                &ex,
                wall_from,
                wall_to,
            ) {
                Ok(e) => {
                    if e.truncated {
                        warnings.push(format!(
                            "series too dense, expansion stopped early (capped at {MAX_OCCURRENCES_PER_SERIES} occurrences)"
                        ));
                    }
                    e.walls
                }
                Err(e) => {
                    warnings.push(format!("{e}; only the first occurrence is kept"));
                    vec![frame.dtstart]
                }
            }
        } else {
            vec![frame.dtstart]
        };

        // Keys: the original local date, with the time when a day has several.
        let local_of = |w: NaiveDateTime| -> Option<NaiveDateTime> {
            if frame.all_day {
                Some(w)
            } else {
                Some(
                    time::localize(frame.rule_zone, w)?
                        .with_timezone(&frame.timing.zone)
                        .naive_local(),
                )
            }
        };
        let mut per_day: HashMap<NaiveDate, usize> = HashMap::new();
        for w in &walls {
            if let Some(l) = local_of(*w) {
                *per_day.entry(l.date()).or_default() += 1;
            }
        }
        let mut instances: Vec<Instance<'_>> = Vec::new();
        for w in &walls {
            let Some(local) = local_of(*w) else { continue };
            let Some(moment) = moment_of(&frame, *w) else {
                continue;
            };
            let Some(original_at) = instant_of(moment, frame.timing.zone) else {
                continue;
            };
            instances.push(Instance {
                wall: *w,
                key: if recurring {
                    key_for(local, &per_day)
                } else {
                    String::new()
                },
                moment,
                zone: frame.timing.zone,
                length: frame.timing.length,
                record: master,
                original_at,
            });
        }

        // Overrides: THISANDFUTURE ones first, in order, then single ones.
        let mut resolved: Vec<(&RawEvent, Point, Timing)> = Vec::new();
        for o in &g.overrides {
            let octx = self.ctx(o, Some(master));
            let Some(rid) = o.recurrence_id.as_ref() else {
                continue;
            };
            let Some(point) = self.point(&frame, &octx, rid, warnings) else {
                warnings.push("override with an unusable RECURRENCE-ID skipped".to_string());
                continue;
            };
            let Some(timing) = self.timing_of(o, Some(master), warnings) else {
                continue;
            };
            let older = o.sequence.unwrap_or(0) < master.sequence.unwrap_or(0);
            let listed = instances.iter().any(|i| matches_point(i.wall, point));
            if older && !listed && !self.generates(master, &frame, &rdates, &ex, point) {
                // Left behind by an edit of the series (its SEQUENCE is
                // older, and the edited series excludes or no longer
                // produces that instance): stale, not a moved instance.
                warnings.push(format!(
                    "override of an instance the edited series no longer has ({}) dropped",
                    rid.as_written()
                ));
                continue;
            }
            resolved.push((o, point, timing));
        }
        resolved.sort_by_key(|(o, p, _)| (!o.this_and_future, point_wall(*p, &frame)));
        let mut extra: Vec<Instance<'_>> = Vec::new();
        for (o, point, timing) in resolved {
            let pos = instances.iter().position(|i| matches_point(i.wall, point));
            if o.this_and_future {
                let from_wall = point_wall(point, &frame);
                let shift = pos
                    .and_then(|p| instances.get(p))
                    .map(|i| shift_between(i.moment, timing.moment))
                    .unwrap_or_else(|| {
                        moment_of(&frame, from_wall)
                            .map_or(Shift::None, |m| shift_between(m, timing.moment))
                    });
                for inst in instances.iter_mut().filter(|i| i.wall >= from_wall) {
                    if let Some(m) = apply_shift(inst.moment, shift) {
                        inst.moment = m;
                    }
                    inst.zone = timing.zone;
                    inst.length = timing.length;
                    inst.record = o;
                }
                if pos.is_some() {
                    continue;
                }
            } else if let Some(inst) = pos.and_then(|p| instances.get_mut(p)) {
                inst.moment = timing.moment;
                inst.zone = timing.zone;
                inst.length = timing.length;
                inst.record = o;
                continue;
            }
            // No instance to replace: an occurrence of its own.
            let wall = point_wall(point, &frame);
            let Some(local) = local_of(wall) else {
                continue;
            };
            let Some(orig_moment) = moment_of(&frame, wall) else {
                continue;
            };
            let Some(original_at) = instant_of(orig_moment, frame.timing.zone) else {
                continue;
            };
            extra.push(Instance {
                wall,
                key: key_for(local, &per_day),
                moment: timing.moment,
                zone: timing.zone,
                length: timing.length,
                record: o,
                original_at,
            });
        }
        instances.extend(extra);

        // Window and cap (series only; a single record is kept whatever its date).
        if recurring {
            instances.retain(|i| {
                self.in_window(i.original_at)
                    || instant_of(i.moment, i.zone).is_some_and(|a| self.in_window(a))
            });
            instances.sort_by_key(|i| i.original_at);
            if instances.len() > MAX_OCCURRENCES_PER_SERIES {
                warnings.push(format!(
                    "series has {} occurrences in range, capped at {MAX_OCCURRENCES_PER_SERIES}",
                    instances.len()
                ));
                instances.truncate(MAX_OCCURRENCES_PER_SERIES);
            }
        }

        // Fields, cleaned once per record.
        let mut cache: Vec<(&RawEvent, Fields)> = Vec::new();
        for inst in &instances {
            let fields = match cache.iter().find(|(r, _)| std::ptr::eq(*r, inst.record)) {
                Some((_, f)) => f.clone(),
                None => {
                    let f = self
                        .normalizer
                        .fields(self.source, inst.record, self.now, warnings);
                    cache.push((inst.record, f.clone()));
                    f
                }
            };
            if let Some(o) = self.occurrence(
                g.uid,
                &inst.key,
                recurring || !inst.key.is_empty(),
                &fields,
                inst.moment,
                inst.zone,
                inst.length,
            ) {
                out.push(o);
            }
        }
    }

    /// Whether the master's recurrence set (EXDATEs applied) has an
    /// instance at `point`, looked for on that day only.
    fn generates(
        &self,
        master: &RawEvent,
        frame: &Frame,
        rdates: &[NaiveDateTime],
        ex: &Exclusions,
        point: Point,
    ) -> bool {
        if !master.is_recurring() {
            return matches_point(frame.dtstart, point) && !ex.excludes(&frame.dtstart);
        }
        let wall = point_wall(point, frame);
        let day = TimeDelta::days(1);
        let (Some(from), Some(to)) = (wall.checked_sub_signed(day), wall.checked_add_signed(day))
        else {
            return true;
        };
        match recurrence::expand(
            &master.rrule,
            frame.dtstart,
            frame.rule_zone,
            rdates,
            ex,
            from,
            to,
        ) {
            Ok(e) => e.truncated || e.walls.iter().any(|w| matches_point(*w, point)),
            // An unreadable rule: keep the override rather than guess.
            Err(_) => true,
        }
    }

    /// The public occurrence.
    #[allow(clippy::too_many_arguments)]
    fn occurrence(
        &self,
        uid: &str,
        key: &str,
        series: bool,
        f: &Fields,
        moment: Moment,
        zone: Tz,
        length: Length,
    ) -> Option<Occurrence> {
        let placed = time::place(moment, zone, length)?;
        let source: &SourceId = &self.source.id;
        Some(Occurrence {
            source: source.clone(),
            record_uid: uid.to_string(),
            key: key.to_string(),
            priority: self.source.priority,
            unmapped_categories: f.unmapped.clone(),
            event: Event {
                id: ids::occurrence_id(source, uid, key),
                series_id: series.then(|| ids::series_id(source, uid)),
                title: f.title.clone(),
                description: f.description.clone(),
                description_html: f.description_html.clone(),
                start: placed.start,
                end: placed.end,
                all_day: placed.all_day,
                timezone: zone.name().to_string(),
                status: f.status,
                url: f.url.clone(),
                image: f.image.clone(),
                categories: f.categories.clone(),
                language: f.language.clone(),
                translations: f.translations.clone(),
                venue: f.venue.clone(),
                sources: f.sources.clone(),
                territories: Vec::new(),
                updated_at: f.updated_at,
                sequence: f.sequence,
                organizer: f.organizer.clone(),
                price: f.price.clone(),
            },
        })
    }
}

/// Of several masters sharing a uid, the edited one: the highest SEQUENCE
/// (a missing one counts as 0, its RFC 5545 default), the first written on
/// a tie. Exports that keep the old copy of an edited series beside the new
/// one (Confluence, some CalDAV servers) mean the later revision.
fn latest_master<'r>(masters: &[&'r RawEvent]) -> Option<&'r RawEvent> {
    let mut best: Option<&'r RawEvent> = None;
    for m in masters {
        if best.is_none_or(|b| m.sequence.unwrap_or(0) > b.sequence.unwrap_or(0)) {
            best = Some(m);
        }
    }
    best
}

/// The wall clock of a moment in a zone (midnight for a date).
fn wall_of(moment: Moment, zone: Tz) -> NaiveDateTime {
    match moment {
        Moment::At(at) => at.with_timezone(&zone).naive_local(),
        Moment::Day(d) => d.and_time(NaiveTime::MIN),
    }
}

/// An instance's start from its wall-clock original.
fn moment_of(frame: &Frame, wall: NaiveDateTime) -> Option<Moment> {
    if frame.all_day {
        Some(Moment::Day(wall.date()))
    } else {
        time::localize(frame.rule_zone, wall).map(Moment::At)
    }
}

/// The instant a moment starts (local midnight for a date).
fn instant_of(moment: Moment, zone: Tz) -> Option<DateTime<Utc>> {
    match moment {
        Moment::At(at) => Some(at),
        Moment::Day(d) => time::localize(zone, d.and_time(NaiveTime::MIN)),
    }
}

fn point_wall(p: Point, frame: &Frame) -> NaiveDateTime {
    match p {
        Point::Wall(w) => w,
        Point::Day(d) if frame.all_day => d.and_time(NaiveTime::MIN),
        Point::Day(d) => d.and_time(frame.dtstart.time()),
    }
}

fn matches_point(wall: NaiveDateTime, p: Point) -> bool {
    match p {
        Point::Wall(w) => wall == w,
        Point::Day(d) => wall.date() == d,
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` when the day has several instances.
fn key_for(local: NaiveDateTime, per_day: &HashMap<NaiveDate, usize>) -> String {
    if per_day.get(&local.date()).copied().unwrap_or(0) > 1 {
        local.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        local.format("%Y-%m-%d").to_string()
    }
}

#[derive(Debug, Clone, Copy)]
enum Shift {
    None,
    Exact(TimeDelta),
    Days(i64),
}

fn shift_between(from: Moment, to: Moment) -> Shift {
    match (from, to) {
        (Moment::At(a), Moment::At(b)) => Shift::Exact(b - a),
        (Moment::Day(a), Moment::Day(b)) => Shift::Days((b - a).num_days()),
        _ => Shift::None,
    }
}

fn apply_shift(m: Moment, s: Shift) -> Option<Moment> {
    match (m, s) {
        (_, Shift::None) => Some(m),
        (Moment::At(a), Shift::Exact(d)) => a.checked_add_signed(d).map(Moment::At),
        (Moment::Day(a), Shift::Days(n)) => a
            .checked_add_signed(TimeDelta::try_days(n)?)
            .map(Moment::Day),
        _ => Some(m),
    }
}

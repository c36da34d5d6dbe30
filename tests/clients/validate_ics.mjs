#!/usr/bin/env node
// Parse an iCalendar file with ical.js (the parser Thunderbird uses) and
// print its events as JSON, times converted to UTC through the calendar's
// own VTIMEZONEs:
//   [{"uid","summary","description","categories","start","end","allDay","status","sequence"}]
// `start`/`end` are "YYYY-MM-DDTHH:MM:SSZ" for date-times and "YYYY-MM-DD"
// for dates; `end` is null without DTEND. Exit 1 with a message on any
// parse error or a TZID that no VTIMEZONE defines.
//
// Usage: node tests/clients/validate_ics.mjs FILE   (after scripts/setup-test-clients)
import fs from 'node:fs';
import ICAL from 'ical.js';

function fail(message) {
  process.stderr.write(`validate_ics.mjs: ${message}\n`);
  process.exit(1);
}

const file = process.argv[2];
if (!file) fail('usage: validate_ics.mjs FILE');

let root;
try {
  const text = fs.readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) fail('the file starts with a BOM');
  root = new ICAL.Component(ICAL.parse(text));
} catch (e) {
  fail(`parse error: ${e && e.message ? e.message : e}`);
}
if (root.name !== 'vcalendar') fail(`the root component is ${root.name}, not vcalendar`);

const zones = new Set();
for (const vtz of root.getAllSubcomponents('vtimezone')) {
  const tz = new ICAL.Timezone(vtz);
  ICAL.TimezoneService.register(tz);
  zones.add(tz.tzid);
}

function instant(prop, uid) {
  if (!prop) return null;
  const t = prop.getFirstValue();
  if (t.isDate) return t.toString();
  const tzid = prop.getParameter('tzid');
  if (tzid) {
    if (!zones.has(tzid)) fail(`${uid}: TZID ${tzid} has no VTIMEZONE`);
    if (!t.zone || t.zone.tzid !== tzid) fail(`${uid}: TZID ${tzid} was not applied`);
  } else if (!(t.zone && t.zone.tzid === 'UTC')) {
    fail(`${uid}: floating time ${t.toString()}`);
  }
  return t.toJSDate().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const out = [];
try {
  for (const ve of root.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(ve);
    const uid = ev.uid;
    if (!uid) fail('a VEVENT has no UID');
    const categories = [];
    for (const p of ve.getAllProperties('categories')) categories.push(...p.getValues());
    out.push({
      uid,
      summary: ev.summary ?? null,
      description: ev.description ?? null,
      categories,
      start: instant(ve.getFirstProperty('dtstart'), uid),
      end: instant(ve.getFirstProperty('dtend'), uid),
      allDay: ev.startDate.isDate,
      status: ve.getFirstPropertyValue('status'),
      sequence: ev.sequence ?? 0,
    });
  }
} catch (e) {
  fail(`error reading events: ${e && e.message ? e.message : e}`);
}
process.stdout.write(JSON.stringify(out) + '\n');

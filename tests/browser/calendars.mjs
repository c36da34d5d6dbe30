// Two widgets of two calendars on one host page, and a third of the whole
// installation narrowed to a territory, in Debian's headless Chromium. Started by tests/e2e/calendars.rs with one argument: a JSON file
// naming the aggregator (api), the host page on another origin (host) and,
// per widget (id = its element id = its calendar), the calendar's name, its
// accent as computed CSS (rgb(...)) and the titles it must list.
// Checks: each widget lists exactly its calendar's titles, wears its
// calendar's accent on its links and shows its name; the page loads nothing
// from other origins than the two servers and logs no error.
// Prints one JSON line; exits 1 after listing every failed check.
import { join } from "node:path";
import { start } from "./session.mjs";

const { cfg, failures, check, context, finish } = await start();
const results = {};
const page = await context.newPage();
const errors = [];
const requests = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => {
  if (m.type() === "error") errors.push(m.text());
});
page.on("request", (r) => requests.push(r.url()));
await page.goto(cfg.host, { waitUntil: "load" });
for (const w of cfg.widgets) {
  const sel = `#${w.id}`;
  await page.waitForFunction(([s, want]) => {
    const el = document.querySelector(s);
    const body = el && el.shadowRoot && el.shadowRoot.querySelector(".body");
    const hd = el && el.shadowRoot && el.shadowRoot.querySelector(".hd");
    const img = hd && hd.querySelector("img");
    const branded = !!want;
    return body && !body.hasAttribute("aria-busy") && body.querySelector("a.t") && hd && hd.hidden === !branded && (!img || img.complete);
  }, [sel, w.name], { timeout: 15000 });
  const seen = await page.evaluate((s) => {
    const root = document.querySelector(s).shadowRoot;
    const link = root.querySelector("a.t");
    return {
      titles: [...root.querySelectorAll("a.t")].map((a) => a.textContent),
      accent: getComputedStyle(link).color,
      name: root.querySelector(".hd").textContent,
      logo: (() => {
        const img = root.querySelector(".hd img");
        return img ? { src: img.src, loaded: img.complete && img.naturalWidth > 0 } : null;
      })(),
      href: link.href,
    };
  }, sel);
  results[w.id] = seen;
  const want = [...w.titles].sort();
  const got = [...new Set(seen.titles)].sort();
  check(JSON.stringify(got) === JSON.stringify(want), `${w.id}: titles ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
  if (!w.name) {
    // No calendar: the installation's default accent and no header.
    check(seen.accent === "rgb(138, 28, 60)", `${w.id}: accent ${seen.accent}`);
    check(seen.name === "", `${w.id}: a header ${JSON.stringify(seen.name)} without a calendar`);
    check(seen.href.startsWith(`${cfg.api}/events/`), `${w.id}: links to ${seen.href}`);
    continue;
  }
  check(seen.accent === w.accent, `${w.id}: accent ${seen.accent} != ${w.accent}`);
  check(seen.name === w.name, `${w.id}: header ${JSON.stringify(seen.name)} != ${JSON.stringify(w.name)}`);
  if (w.logo) check(seen.logo && seen.logo.loaded && seen.logo.src === w.logo, `${w.id}: logo ${JSON.stringify(seen.logo)}`);
  else check(seen.logo === null, `${w.id}: a logo where none is configured`);
  check(seen.href.startsWith(`${cfg.api}/c/${w.id}/events/`), `${w.id}: links to ${seen.href}`);
}
const allowed = [new URL(cfg.api).origin, new URL(cfg.host).origin];
const strays = requests.filter((u) => !u.startsWith("data:") && !allowed.includes(new URL(u).origin));
check(strays.length === 0, `requests to other origins: ${strays.join(", ")}`);
check(errors.length === 0, `errors: ${errors.join(" | ")}`);
await page.screenshot({ path: join(cfg.shots, "calendars-two-widgets.png"), fullPage: true });
await finish();
console.log(JSON.stringify(results));
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}

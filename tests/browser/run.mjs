// Drives Debian's headless Chromium over the widget, /embed and the portal.
// Started by tests/e2e/browser.rs with one argument: a JSON file naming the
// servers (api: the aggregator, host: a page on another origin, static: a
// folder served as the static export would be), the screenshots folder and
// what each view must show. Prints one JSON line of measurements; exits 1
// after listing every failed check.
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { start } from "./session.mjs";

const { cfg, failures, check, context, finish } = await start();
const results = {};

const origins = (list) => list.map((u) => new URL(u).origin);
// A page that records its requests, console errors and page errors.
async function open(name, url, allowed, width = 1280) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const seen = { requests: [], errors: [] };
  page.on("request", (r) => seen.requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400) seen.errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  await page.goto(url, { waitUntil: "load" });
  page.done = () => {
    const ok = origins(allowed);
    const strays = seen.requests.filter((u) => !u.startsWith("data:") && !ok.includes(new URL(u).origin));
    check(strays.length === 0, `${name}: requests to other origins: ${strays.join(", ")}`);
    check(seen.errors.length === 0, `${name}: console errors: ${seen.errors.join(" | ")}`);
    return seen;
  };
  return page;
}

// Wait until the widget `sel` has rendered (its body is no longer busy and holds no status line).
async function rendered(page, sel) {
  await page.waitForFunction((s) => {
    const el = document.querySelector(s);
    const body = el && el.shadowRoot && el.shadowRoot.querySelector(".body");
    return body && !body.hasAttribute("aria-busy") && body.childElementCount > 0;
  }, sel, { timeout: 10000 });
}
const titles = (page, sel, inner = "a.t") =>
  page.evaluate(([s, i]) => [...document.querySelector(s).shadowRoot.querySelectorAll(i)].map((a) => a.textContent), [sel, inner]);
const monthTitles = (page, sel) =>
  page.evaluate((s) => [...document.querySelector(s).shadowRoot.querySelectorAll("td a")].map((a) => a.textContent), sel);
// A cancelled event in the month grid: struck through, and its status said
// to screen readers and on hover.
const monthCancelled = (page, sel) =>
  page.evaluate((s) => [...document.querySelector(s).shadowRoot.querySelectorAll("td a.c")].map((a) => ({
    label: a.getAttribute("aria-label"), title: a.getAttribute("title"), deco: getComputedStyle(a).textDecorationLine })), sel);
const monthLabel = (page, sel) =>
  page.evaluate((s) => document.querySelector(s).shadowRoot.querySelector(".n h3").textContent, sel);
const same = (a, b) => JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...b].sort());

function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

try {
  // ---------------------------------------------------------------- widget.js itself
  const js = Buffer.from(await (await fetch(cfg.api + "/widget.js")).arrayBuffer());
  results.widget_bytes = js.length;
  results.widget_gzip_bytes = gzipSync(js, { level: 9 }).length;
  check(results.widget_gzip_bytes < 12 * 1024, `widget.js is ${results.widget_gzip_bytes} bytes gzipped`);

  // ---------------------------------------------------------------- the hostile host page
  const host = await open("host page", cfg.host + "/", [cfg.api, cfg.host]);
  for (const id of ["#list", "#music", "#month", "#en"]) await rendered(host, id);

  const list = await titles(host, "#list");
  check(JSON.stringify(list) === JSON.stringify(cfg.expect.list), `list view shows ${JSON.stringify(list)}, expected ${JSON.stringify(cfg.expect.list)}`);
  const music = await titles(host, "#music");
  check(same(music, cfg.expect.music), `category=musique shows ${JSON.stringify(music)}, expected ${JSON.stringify(cfg.expect.music)}`);
  const en = await titles(host, "#en");
  check(en.length === 2, `limit=2 shows ${en.length} events`);
  const enText = await host.evaluate(() => document.querySelector("#en").shadowRoot.textContent);
  check(/Full calendar/.test(enText), "lang=en: English interface");
  check(cfg.expect.en_day.some((d) => enText.includes(d)), `lang=en: English dates (${cfg.expect.en_day.join(" or ")}) in ${enText.slice(0, 300)}`);
  const frText = await host.evaluate(() => document.querySelector("#list").shadowRoot.textContent);
  check(/Tout l’agenda/.test(frText), "page lang fr: French interface");
  check(cfg.expect.fr_time.every((t) => frText.includes(t)), `French times ${cfg.expect.fr_time.join(", ")} in the event's zone`);
  check(frText.includes("Annulé"), "cancelled events say so");
  check(frText.includes(cfg.expect.escaped), "titles are text, not HTML");

  // Host CSS does not leak in; the widget keeps its own colours, with AA contrast.
  const style = await host.evaluate(() => {
    const root = document.querySelector("#list").shadowRoot;
    const cs = (sel) => getComputedStyle(root.querySelector(sel));
    return {
      linkColor: cs("a.t").color, linkSize: cs("a.t").fontSize, whenColor: cs(".w").color,
      bg: cs(".b").backgroundColor, fg: cs(".b").color, display: cs(".b").display, bodyDisplay: cs(".body").display,
    };
  });
  results.widget_style = style;
  check(style.linkColor !== "rgb(255, 0, 0)" && style.fg !== "rgb(255, 0, 0)", `host colour leaked in: ${style.linkColor}`);
  check(style.linkSize !== "40px", `host font size leaked in: ${style.linkSize}`);
  check(style.display === "block" && style.bodyDisplay === "block", "host `div {display:none}` leaked in");
  for (const [k, c] of [["link", style.linkColor], ["text", style.fg], ["muted", style.whenColor]]) {
    const ratio = contrast(c, style.bg);
    results[`contrast_${k}`] = Math.round(ratio * 100) / 100;
    check(ratio >= 4.5, `${k} contrast ${ratio.toFixed(2)} < 4.5`);
  }
  // Theming through custom properties.
  const themed = await host.evaluate(() => getComputedStyle(document.querySelector("#music").shadowRoot.querySelector("a.t")).color);
  check(themed === "rgb(0, 80, 60)", `--babillard-accent themes links (${themed})`);
  check(await host.evaluate(() => document.querySelector("#list").shadowRoot.querySelector("[role=region]") !== null), "the widget is a labelled region");

  // Render time: from the data arriving to the DOM being built.
  const marks = await host.evaluate(() => performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]));
  const gaps = [];
  for (let i = 1; i < marks.length; i++) {
    if (marks[i][0] === "babillard:rendered" && marks[i - 1][0] === "babillard:data") gaps.push(marks[i][1] - marks[i - 1][1]);
  }
  check(gaps.length >= 4, `performance marks: ${JSON.stringify(marks)}`);
  results.render_ms_max = Math.round(Math.max(...gaps) * 10) / 10;
  results.render_ms = gaps.map((g) => Math.round(g * 10) / 10);

  // Keyboard: Tab reaches the event links.
  await host.focus("body");
  let reached = null;
  for (let i = 0; i < 15 && !reached; i++) {
    await host.keyboard.press("Tab");
    reached = await host.evaluate(() => {
      const a = document.activeElement;
      const inner = a && a.shadowRoot && a.shadowRoot.activeElement;
      return inner && inner.matches("a.t") ? inner.textContent : null;
    });
  }
  check(reached !== null, "Tab reaches an event link inside the widget");
  results.tab_reached = reached;

  // Month view: the current month, then next and previous.
  const [prevM, thisM, nextM] = cfg.expect.months;
  check((await monthLabel(host, "#month")) === thisM.label, `month label ${await monthLabel(host, "#month")} != ${thisM.label}`);
  const cancelledInMonth = await monthCancelled(host, "#month");
  check(cancelledInMonth.length >= 1, "the month shows the cancelled event");
  for (const c of cancelledInMonth) {
    check(/^Annulé : /.test(c.label || "") && c.label === c.title && c.deco.includes("line-through"), `cancelled in month: ${JSON.stringify(c)}`);
  }
  check(same(await monthTitles(host, "#month"), thisM.titles), `this month shows ${JSON.stringify(await monthTitles(host, "#month"))}, expected ${JSON.stringify(thisM.titles)}`);
  const wide = await host.evaluate(() => {
    const r = document.querySelector("#month").shadowRoot;
    return [getComputedStyle(r.querySelector(".ag")).display, [...r.querySelectorAll("td a")].map((a) => getComputedStyle(a).display)];
  });
  check(wide[0] === "none" && wide[1].every((d) => d === "block"), `wide month view shows titles in the grid: ${JSON.stringify(wide)}`);
  await host.screenshot({ path: join(cfg.shots, "widget-host-page.png"), fullPage: true });
  await (await host.$("#list")).screenshot({ path: join(cfg.shots, "widget-list.png") });
  await (await host.$("#month")).screenshot({ path: join(cfg.shots, "widget-month.png") });
  const clickMonth = async (which) => {
    await host.evaluate((w) => document.querySelector("#month").shadowRoot.querySelector("button." + w).click(), which);
    await rendered(host, "#month");
  };
  await clickMonth("next");
  check((await monthLabel(host, "#month")) === nextM.label, `after next: ${await monthLabel(host, "#month")} != ${nextM.label}`);
  check(same(await monthTitles(host, "#month"), nextM.titles), `next month shows ${JSON.stringify(await monthTitles(host, "#month"))}, expected ${JSON.stringify(nextM.titles)}`);
  await clickMonth("prev");
  await clickMonth("prev");
  check((await monthLabel(host, "#month")) === prevM.label, `after prev twice: ${await monthLabel(host, "#month")} != ${prevM.label}`);
  check(same(await monthTitles(host, "#month"), prevM.titles), `previous month shows ${JSON.stringify(await monthTitles(host, "#month"))}, expected ${JSON.stringify(prevM.titles)}`);
  // PageDown from inside the widget moves on a month too.
  await host.evaluate(() => document.querySelector("#month").shadowRoot.querySelector("button.next").focus());
  await host.keyboard.press("PageDown");
  await rendered(host, "#month");
  check((await monthLabel(host, "#month")) === thisM.label, "PageDown shows the next month");

  // The iframe on /embed renders inside the host page.
  const frame = host.frames().find((f) => f.url().startsWith(cfg.api + "/embed"));
  if (check(frame, "the /embed iframe loaded")) {
    await frame.waitForFunction(() => {
      const el = document.querySelector("babillard-events");
      const b = el && el.shadowRoot && el.shadowRoot.querySelector(".body");
      return b && !b.hasAttribute("aria-busy") && b.childElementCount > 0;
    }, null, { timeout: 10000 });
    const inFrame = await frame.evaluate(() => [...document.querySelector("babillard-events").shadowRoot.querySelectorAll("a.t")].map((a) => a.textContent));
    check(same(inFrame, cfg.expect.music), `iframe shows ${JSON.stringify(inFrame)}`);
  }

  // No cookie anywhere.
  check((await host.evaluate(() => document.cookie)) === "", "no cookie on the host page");
  check((await context.cookies()).length === 0, "no cookie in the browser");
  const hostSeen = host.done();
  results.host_requests = hostSeen.requests.length;
  await host.close();

  // ---------------------------------------------------------------- 280 px wide
  const narrow = await open("host page at 280 px", cfg.host + "/", [cfg.api, cfg.host], 280);
  for (const id of ["#list", "#month"]) await rendered(narrow, id);
  const overflow = await narrow.evaluate(() =>
    ["#list", "#music", "#month", "#en"].map((id) => {
      const el = document.querySelector(id);
      const inner = el.shadowRoot.querySelector(".b");
      return [id, el.scrollWidth, el.clientWidth, inner.scrollWidth, inner.clientWidth];
    }));
  results.narrow_overflow = overflow;
  for (const [id, sw, cw, isw, icw] of overflow) {
    check(sw <= cw && isw <= icw, `${id} overflows at 280 px: ${sw}/${cw}, inner ${isw}/${icw}`);
  }
  const agenda = await narrow.evaluate(() => getComputedStyle(document.querySelector("#month").shadowRoot.querySelector(".ag")).display);
  check(agenda === "block", "narrow month view shows the agenda under the grid");
  await (await narrow.$("#month")).screenshot({ path: join(cfg.shots, "widget-month-280px.png") });
  await (await narrow.$("#list")).screenshot({ path: join(cfg.shots, "widget-list-280px.png") });
  narrow.done();
  await narrow.close();

  // ---------------------------------------------------------------- static mode
  const st = await open("static widget", cfg.host + "/static", [cfg.static, cfg.host]);
  for (const id of ["#s-list", "#s-music", "#s-q", "#s-near", "#s-month"]) await rendered(st, id);
  check(same(await titles(st, "#s-music"), cfg.expect.music), `static category: ${JSON.stringify(await titles(st, "#s-music"))}`);
  check(same(await titles(st, "#s-q"), cfg.expect.q), `static q: ${JSON.stringify(await titles(st, "#s-q"))}, expected ${JSON.stringify(cfg.expect.q)}`);
  check(same(await titles(st, "#s-near"), cfg.expect.near), `static near: ${JSON.stringify(await titles(st, "#s-near"))}, expected ${JSON.stringify(cfg.expect.near)}`);
  check(JSON.stringify(await titles(st, "#s-list")) === JSON.stringify(cfg.expect.list.slice(0, 3)), `static limit=3: ${JSON.stringify(await titles(st, "#s-list"))}`);
  check(same(await monthTitles(st, "#s-month"), thisM.titles), `static month: ${JSON.stringify(await monthTitles(st, "#s-month"))}`);
  await st.evaluate(() => document.querySelector("#s-month").shadowRoot.querySelector("button.next").click());
  await rendered(st, "#s-month");
  check(same(await monthTitles(st, "#s-month"), nextM.titles), `static next month: ${JSON.stringify(await monthTitles(st, "#s-month"))}`);
  const stLinks = await st.evaluate(() => document.querySelector("#s-list").shadowRoot.querySelector("a.t").getAttribute("href"));
  check(stLinks.startsWith(cfg.static + "/events/") && stLinks.endsWith("/"), `static links to exported pages: ${stLinks}`);
  const stSeen = st.done();
  const apiCalls = stSeen.requests.filter((u) => u.startsWith(cfg.static + "/api/"));
  check(apiCalls.length === 1 && apiCalls[0] === cfg.static + "/api/v1/events.json", `static mode reads events.json once: ${apiCalls.join(", ")}`);
  await st.screenshot({ path: join(cfg.shots, "widget-static.png"), fullPage: true });
  await st.close();

  // ---------------------------------------------------------------- /embed alone
  const embed = await open("/embed", cfg.api + "/embed?view=list&limit=5", [cfg.api], 360);
  await rendered(embed, "babillard-events");
  check((await titles(embed, "babillard-events")).length === Math.min(5, cfg.expect.list.length), "/embed renders the events");
  await embed.screenshot({ path: join(cfg.shots, "embed.png"), fullPage: true });
  embed.done();
  await embed.close();

  // ---------------------------------------------------------------- the portal
  for (const [name, width] of [["portal-desktop", 1280], ["portal-360px", 360]]) {
    const p = await open(name, cfg.api + "/", [cfg.api], width);
    const text = await p.evaluate(() => document.body.innerText);
    check(cfg.expect.list.slice(0, 3).every((t) => text.includes(t)), `${name}: events listed`);
    const sw = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    check(sw[0] <= sw[1], `${name}: overflows horizontally ${sw[0]} > ${sw[1]}`);
    check(await p.evaluate(() => !!document.querySelector("main#main") && !!document.querySelector("label[for=f-q]")), `${name}: landmarks and labels`);
    await p.screenshot({ path: join(cfg.shots, name + ".png"), fullPage: true });
    p.done();
    await p.close();
  }
  for (const [name, path, width] of [["portal-month", "/?view=month", 1280], ["portal-month-360px", "/?view=month&lang=en", 360], ["sources", "/sources", 1280], ["sources-360px", "/sources", 360]]) {
    const p = await open(name, cfg.api + path, [cfg.api], width);
    const sw = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    check(sw[0] <= sw[1], `${name}: overflows horizontally ${sw[0]} > ${sw[1]}`);
    await p.screenshot({ path: join(cfg.shots, name + ".png"), fullPage: true });
    p.done();
    await p.close();
  }
} catch (e) {
  failures.push("script error: " + (e && e.stack ? e.stack : e));
} finally {
  await finish();
}
console.log(JSON.stringify(results));
if (failures.length) {
  for (const f of failures) console.error("FAIL: " + f);
  process.exit(1);
}

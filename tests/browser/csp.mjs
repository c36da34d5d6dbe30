// The Content-Security-Policy in Debian's headless Chromium. Started by
// tests/e2e/csp_browser.rs with one argument: a JSON file naming the
// aggregator (api), the URL of a host page on another origin that frames
// /embed and /sources (host), the hostile event pages (pages: path and stored title),
// the titles filed under "musique" (music) and the number of events
// (total). Every frame of every page listens for securitypolicyviolation
// from its first script on; a dialog (alert) is recorded and dismissed.
// Checks: a positive control (an injected inline script is refused and
// heard), then zero violations and no dialog on the portal (list, month
// view, a category filter, a search through the form), the event pages,
// /sources, and /embed framed by another origin (the widget renders and
// its month view moves); /sources framed by another origin is refused.
// Prints one JSON line; exits 1 after listing every failed check.
import { join } from "node:path";
import { start } from "./session.mjs";

const { cfg, failures, check, context, finish } = await start();
const results = { pages: 0 };

// In every frame, before any of its scripts: record the violations.
await context.addInitScript(() => {
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI}`);
  });
});

async function open(name, url) {
  const page = await context.newPage();
  const seen = { dialogs: [], errors: [] };
  page.on("dialog", (d) => {
    seen.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400) seen.errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  await page.goto(url, { waitUntil: "load" });
  page.seen = seen;
  return page;
}

// The violations heard in every frame of `page` whose URL starts with `prefix`.
async function violations(page, prefix) {
  const out = [];
  for (const f of page.frames()) {
    if (!f.url().startsWith(prefix)) continue;
    out.push(...(await f.evaluate(() => window.__violations || [])));
  }
  return out;
}

// Nothing refused, nothing run, no error: the end of every page's checks.
async function clean(name, page, extraErrorsOk = () => false) {
  const v = await violations(page, cfg.api);
  check(v.length === 0, `${name}: CSP violations: ${v.join(" | ")}`);
  check(page.seen.dialogs.length === 0, `${name}: a dialog opened: ${page.seen.dialogs.join(" | ")}`);
  const errors = page.seen.errors.filter((e) => !extraErrorsOk(e));
  check(errors.length === 0, `${name}: console errors: ${errors.join(" | ")}`);
  results.pages += 1;
}

async function widgetRendered(frame) {
  await frame.waitForFunction(() => {
    const el = document.querySelector("babillard-events");
    const body = el && el.shadowRoot && el.shadowRoot.querySelector(".body");
    return body && !body.hasAttribute("aria-busy") && body.childElementCount > 0;
  }, null, { timeout: 10000 });
}

try {
  // ------------------------------------------------------ positive control
  {
    const p = await open("control", cfg.api + "/");
    await p.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.__ran = true;";
      document.body.append(s);
      const st = document.createElement("style");
      st.textContent = "body{display:none}";
      document.head.append(st);
    });
    await p.waitForTimeout(200);
    const v = await violations(p, cfg.api);
    const ran = await p.evaluate(() => window.__ran === true);
    check(!ran, "control: an injected inline script ran");
    check(v.some((x) => x.startsWith("script-src")), `control: the refused script was not heard: ${v.join(" | ")}`);
    check(v.some((x) => x.startsWith("style-src")), `control: the refused style was not heard: ${v.join(" | ")}`);
    check(await p.evaluate(() => getComputedStyle(document.body).display !== "none"), "control: an injected style applied");
    results.control = v.length;
    await p.close();
  }

  // -------------------------------------------------------------- the portal
  {
    const p = await open("portal", cfg.api + "/");
    const text = await p.evaluate(() => document.body.innerText);
    for (const ev of cfg.pages) check(text.includes(ev.title), `portal: ${JSON.stringify(ev.title)} listed`);
    check(await p.evaluate(() => getComputedStyle(document.querySelector("header.site")).display === "flex"), "portal: the stylesheet applies");
    check(await p.evaluate(() => getComputedStyle(document.querySelector("form.search")).display === "flex"), "portal: the portal's styles apply");
    // The copy buttons come from /assets/portal.js, when the clipboard exists.
    const clip = await p.evaluate(() => !!navigator.clipboard);
    const buttons = await p.evaluate(() => document.querySelectorAll("section.embed pre.snippet + button").length);
    check(!clip || buttons === 2, `portal: ${buttons} copy buttons`);
    results.copy_buttons = buttons;
    // A search through the form.
    await p.fill("#f-q", "concert");
    await Promise.all([p.waitForNavigation({ waitUntil: "load" }), p.press("#f-q", "Enter")]);
    check(p.url().includes("q=concert"), `portal: the search went through the form (${p.url()})`);
    const found = await p.evaluate(() => document.querySelectorAll("li.event").length);
    check(found >= 1 && found < cfg.total, `portal: the search finds ${found} of ${cfg.total}`);
    await p.screenshot({ path: join(cfg.shots, "csp-portal.png"), fullPage: true });
    await clean("portal", p);
    await p.close();
  }
  {
    const p = await open("portal-filter", cfg.api + "/?category=musique");
    const titles = await p.evaluate(() => [...document.querySelectorAll("li.event .title")].map((t) => t.textContent));
    check(titles.length === cfg.music.length && cfg.music.every((t) => titles.some((x) => x.includes(t))),
      `portal-filter: ${JSON.stringify(titles)} for ${JSON.stringify(cfg.music)}`);
    await clean("portal-filter", p);
    await p.close();
  }
  {
    const p = await open("portal-month", cfg.api + "/?view=month");
    check(await p.evaluate(() => !!document.querySelector("table.month")), "portal-month: the month table");
    const before = await p.evaluate(() => document.querySelector("table.month caption").textContent);
    const next = await p.$(".months a:last-child");
    if (check(!!next, "portal-month: a next-month link")) {
      await Promise.all([p.waitForNavigation({ waitUntil: "load" }), next.click()]);
      const after = await p.evaluate(() => document.querySelector("table.month caption").textContent);
      check(after !== before, `portal-month: next month (${before} → ${after})`);
    }
    await clean("portal-month", p);
    await p.close();
  }

  // ------------------------------------------------------ hostile event pages
  for (const ev of cfg.pages) {
    const name = "event " + JSON.stringify(ev.title);
    const p = await open(name, cfg.api + ev.path);
    const h1 = await p.evaluate(() => document.querySelector("h1") && document.querySelector("h1").textContent);
    check(h1 === ev.title, `${name}: the title shows as text (${JSON.stringify(h1)})`);
    check(await p.evaluate(() => document.querySelectorAll("main script:not([type='application/ld+json']), main style, main img[onerror], main [onmouseover]").length === 0),
      `${name}: markup from the source became elements`);
    check(await p.evaluate(() => !!document.querySelector("script[type='application/ld+json']")), `${name}: JSON-LD kept`);
    await clean(name, p);
    await p.close();
  }

  // ----------------------------------------------------------------- /sources
  {
    const p = await open("sources", cfg.api + "/sources");
    check(await p.evaluate(() => document.body.innerText.includes("<script>alert('source')</script>")), "sources: the hostile name shows as text");
    await clean("sources", p);
    await p.close();
  }

  // ------------------------------------------- framed by another origin
  {
    // Chromium logs the refused frame of /sources as a console error.
    const p = await open("host", cfg.host);
    const embed = p.frames().find((f) => f.url().startsWith(cfg.api + "/embed?view=month"));
    if (check(!!embed, "host: /embed is framed")) {
      await widgetRendered(embed);
      const label = () => embed.evaluate(() => document.querySelector("babillard-events").shadowRoot.querySelector(".n h3").textContent);
      const before = await label();
      await embed.evaluate(() => document.querySelector("babillard-events").shadowRoot.querySelector("button.next").click());
      await embed.waitForFunction((b) => document.querySelector("babillard-events").shadowRoot.querySelector(".n h3").textContent !== b, before, { timeout: 5000 });
      check((await label()) !== before, "host: the framed month view moves");
      // The widget's styles apply in the frame (a constructed stylesheet).
      const display = await embed.evaluate(() => getComputedStyle(document.querySelector("babillard-events").shadowRoot.querySelector(".n")).display);
      check(display === "flex", `host: the widget's styles apply in /embed (${display})`);
    }
    const list = p.frames().find((f) => f.url().startsWith(cfg.api + "/embed?category"));
    if (check(!!list, "host: the list /embed is framed")) {
      await widgetRendered(list);
      const titles = await list.evaluate(() => [...document.querySelector("babillard-events").shadowRoot.querySelectorAll("a.t")].map((a) => a.textContent));
      check(titles.length === cfg.music.length, `host: framed list ${JSON.stringify(titles)}`);
    }
    // /sources may not be framed: its frame holds no page of ours.
    // (Playwright names a frame after its element's id when it has no name.)
    const sources = p.frames().find((f) => f.name() === "sources");
    let framedSources = false;
    results.sources_frame = sources ? sources.url() : null;
    if (check(!!sources, "host: the frame of /sources")) {
      try {
        framedSources = await sources.evaluate(() => !!document.querySelector("footer.site"));
      } catch (e) {
        framedSources = false;
      }
    }
    check(!framedSources, "host: /sources was shown in a frame of another origin");
    await p.screenshot({ path: join(cfg.shots, "csp-embed-framed.png"), fullPage: true });
    await clean("host", p, (e) => e.includes("frame-ancestors") || e.includes("Refused to display"));
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
